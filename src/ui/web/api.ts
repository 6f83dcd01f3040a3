/**
 * The UI's only way out: requests to this daemon's /api/v1, relative URLs only, with the
 * signed-in token. Nothing else is ever fetched.
 */

const TOKEN_KEY = 'paracle.token';

/** An answer other than 2xx, with the API's `{"error":{code,message}}` when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The token of this tab's session (sessionStorage: gone when the tab closes). */
export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** Keeps `token` for this tab, or forgets it (null). */
export function storeToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

const unauthorizedListeners = new Set<() => void>();

/** Calls `listener` whenever the API answers 401 (sign in again); returns the unsubscribe. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** `path` with the query parameters that have a value. */
export function withQuery(path: string, params: Record<string, string | number | null | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
  const text = query.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** Sends one request to the daemon; throws {@link ApiError} for any answer but 2xx. */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  if (!path.startsWith('/api/')) throw new Error(`not an API path: ${path}`);
  const headers = new Headers(init.headers);
  const token = storedToken();
  if (token !== null) headers.set('Authorization', `Bearer ${token}`);
  const res = await fetch(path, { ...init, headers, credentials: 'omit', cache: 'no-store' });
  if (res.ok) return res;
  let code = 'http_error';
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    // Not the API's error shape: keep the status line.
  }
  if (res.status === 401) unauthorizedListeners.forEach((listener) => listener());
  throw new ApiError(res.status, code, message);
}

/** GET returning parsed JSON. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await (await request(path, { signal })).json()) as T;
}

/** GET returning text; null when the API answers 404 (the run has no such file). */
export async function getTextOrNull(path: string, signal?: AbortSignal): Promise<string | null> {
  try {
    return await (await request(path, { signal })).text();
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/** GET returning the bytes. */
export async function getBytes(path: string, signal?: AbortSignal): Promise<ArrayBuffer> {
  return (await request(path, { signal })).arrayBuffer();
}

/** POST with a JSON body, returning parsed JSON. */
export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const res = await request(path, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
  return (await res.json()) as T;
}

/** One path segment, encoded. */
export const seg = encodeURIComponent;
