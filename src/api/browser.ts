import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { PermissionDeniedError, UnsupportedMediaTypeError } from '../lib/index.js';

/** The body types a state-changing request may carry: a browser form can send neither. */
const BODY_TYPES = ['application/json', 'application/octet-stream'];
const STATE_CHANGING = new Set(['POST', 'PUT', 'DELETE']);

/** A Host header's name: without port and IPv6 brackets, lower case, without a final dot. */
function hostName(host: string): string {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d*$/, '');
  return name.toLowerCase().replace(/\.$/, '');
}

/**
 * Refuses a request whose `Host` is neither an IP address, `localhost`, nor one of
 * `allowedHosts` (INTERFACE.md §9): a page that rebinds its own DNS name to this daemon's
 * address sends its own name, so it never gets an answer to read. No Host (HTTP/1.0) passes:
 * browsers always send one.
 */
export function checkHost(req: IncomingMessage, allowedHosts: ReadonlySet<string>): void {
  const host = req.headers.host;
  if (host === undefined) return;
  const name = hostName(host);
  if (isIP(name) !== 0 || name === 'localhost' || allowedHosts.has(name)) return;
  throw new PermissionDeniedError(`this daemon does not answer to the host name "${name.slice(0, 100)}"; add it to daemon.allowed_hosts`);
}

/** Host names as `daemon.allowed_hosts` lists them, normalised as Host headers are. */
export function allowedHostSet(names: readonly string[]): ReadonlySet<string> {
  return new Set(names.map(hostName));
}

/**
 * Refuses what a page on another site can make a browser send (INTERFACE.md §9): a
 * state-changing request with an `Origin` other than the daemon's own scheme, host and port
 * (403), or with a body of a type a form or a simple request can carry (415: only JSON and
 * octet-stream are taken). Requests without `Origin` (CLI, curl, Prometheus) pass that check.
 */
export function checkStateChange(req: IncomingMessage, method: string): void {
  if (!STATE_CHANGING.has(method)) return;
  const origin = req.headers.origin;
  if (origin !== undefined && (originOf(origin) ?? 'none') !== ownOrigin(req)) {
    throw new PermissionDeniedError(`a ${method} from another origin (${origin.slice(0, 100)}) is refused`);
  }
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody) return;
  const type = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (!BODY_TYPES.includes(type)) throw new UnsupportedMediaTypeError(type || '(none)', BODY_TYPES);
}

/** An origin as URL serialises it; null for `null` and anything else that is not a URL. */
function originOf(text: string): string | null {
  try {
    return new URL(text).origin;
  } catch {
    return null;
  }
}

/** The request's own origin, `scheme://host[:port]` as browsers write it; null without a Host. */
function ownOrigin(req: IncomingMessage): string | null {
  const host = req.headers.host;
  if (host === undefined) return null;
  const scheme = (req.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http';
  return originOf(`${scheme}://${host}`);
}
