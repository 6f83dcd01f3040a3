import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, onUnauthorized, storedToken, storeToken } from './api';
import { ErrorBox, Loading } from './components/common';
import { DiffPage } from './pages/diff';
import { RunPage } from './pages/run';
import { RunsPage } from './pages/runs';
import { SignIn } from './pages/signin';
import { StatsPage } from './pages/stats';
import { useLocation, type Location } from './router';
import { loadSession, type Session } from './session';
import { chooseTheme, themeChoice, type ThemeChoice } from './theme';

type State = { kind: 'loading' } | { kind: 'signin'; refused: boolean } | { kind: 'ready'; session: Session } | { kind: 'error'; error: Error };

/** The shell: header, sign-in when the API asks for a token, and the page of the address. */
export function App() {
  const location = useLocation();
  const [state, setState] = useState<State>({ kind: 'loading' });
  const start = useCallback(() => {
    setState({ kind: 'loading' });
    loadSession().then(
      (session) => setState({ kind: 'ready', session }),
      (error: Error) => {
        // A 401 was already turned into the sign-in form by the listener below.
        if (!(error instanceof ApiError && error.status === 401)) setState({ kind: 'error', error });
      },
    );
  }, []);
  useEffect(start, [start]);
  // Any 401 (a missing, unknown or revoked token) leads to the sign-in form.
  useEffect(
    () =>
      onUnauthorized(() => {
        const refused = storedToken() !== null;
        storeToken(null);
        setState({ kind: 'signin', refused });
      }),
    [],
  );
  const signOut = (): void => {
    storeToken(null);
    start();
  };
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/runs">
          <img src={iconHref()} alt="" width={22} height={22} /> Paracle
        </a>
        <nav aria-label="Pages">
          <NavLink href="/runs" current={location.path === '/' || location.path.startsWith('/runs')}>
            Runs
          </NavLink>
          <NavLink href="/stats" current={location.path === '/stats'}>
            Stats
          </NavLink>
          <NavLink href="/diff" current={location.path === '/diff'}>
            Diff
          </NavLink>
        </nav>
        <div class="top-right">
          {state.kind === 'ready' ? <Identity session={state.session} onSignOut={signOut} /> : null}
          <ThemeButton />
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {state.kind === 'loading' ? <Loading what="the session" /> : null}
        {state.kind === 'error' ? (
          <>
            <ErrorBox error={state.error} />
            <button type="button" onClick={start}>
              Try again
            </button>
          </>
        ) : null}
        {state.kind === 'signin' ? <SignIn refused={state.refused} onSignedIn={start} /> : null}
        {state.kind === 'ready' ? <Page location={location} session={state.session} /> : null}
      </main>
    </>
  );
}

function Page({ location, session }: { location: Location; session: Session }) {
  const path = location.path;
  if (path === '/' || path === '/runs') return <RunsPage location={location} />;
  const run = /^\/runs\/([^/]+)$/.exec(path);
  if (run) return <RunPage key={run[1]} runId={decodeURIComponent(run[1]!)} session={session} />;
  if (path === '/diff') return <DiffPage location={location} session={session} />;
  if (path === '/stats') return <StatsPage location={location} />;
  return (
    <p class="note">
      No page here. <a href="/runs">See the runs.</a>
    </p>
  );
}

function NavLink({ href, current, children }: { href: string; current: boolean; children: string }) {
  return (
    <a href={href} aria-current={current ? 'page' : undefined}>
      {children}
    </a>
  );
}

function Identity({ session, onSignOut }: { session: Session; onSignOut(): void }) {
  const scope = [...(session.agents ?? []), ...(session.workflows ?? [])];
  return (
    <span class="identity" data-role={session.role}>
      {session.open ? 'open API' : (session.name ?? 'signed in')} · <span data-testid="role">{session.role}</span>
      {scope.length > 0 && !scope.includes('*') ? <span class="muted"> · {scope.join(', ')}</span> : null}
      {session.open ? null : (
        <button type="button" class="link-button" onClick={onSignOut}>
          Sign out
        </button>
      )}
    </span>
  );
}

const NEXT: Readonly<Record<ThemeChoice, ThemeChoice>> = { auto: 'light', light: 'dark', dark: 'auto' };

function ThemeButton() {
  const [choice, setChoice] = useState(themeChoice);
  return (
    <button
      type="button"
      class="theme-button"
      title="Colour theme: automatic, light or dark"
      onClick={() => {
        const next = NEXT[choice];
        chooseTheme(next);
        setChoice(next);
      }}
    >
      Theme: {choice}
    </button>
  );
}

/** The icon's hashed address, as the page's `<link rel="icon">` names it. */
function iconHref(): string {
  return document.querySelector<HTMLLinkElement>('link[rel="icon"]')?.getAttribute('href') ?? '/favicon.ico';
}
