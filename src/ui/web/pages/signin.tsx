import { useState } from 'preact/hooks';
import { storeToken } from '../api';

/**
 * Asks for an API token. It is kept in this tab's sessionStorage only (gone when the tab
 * closes) and sent as `Authorization: Bearer` to this daemon alone.
 */
export function SignIn({ refused, onSignedIn }: { refused: boolean; onSignedIn(): void }) {
  const [token, setToken] = useState('');
  return (
    <section class="signin">
      <h1>Sign in</h1>
      <p>This daemon needs an API token (from <code>paracle token new</code>).</p>
      {refused ? (
        <p class="error-box" role="alert">
          The daemon did not accept that token.
        </p>
      ) : null}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (token.trim() === '') return;
          storeToken(token.trim());
          onSignedIn();
        }}
      >
        <label>
          Token
          <input name="token" type="password" autoComplete="off" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} required autoFocus />
        </label>
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
      <p class="muted small">The token stays in this browser tab for this session and is never sent anywhere but this daemon.</p>
    </section>
  );
}
