import { isIP, isIPv6 } from 'node:net';
import { InvalidInputError } from './errors.js';

/** A listen address. */
export interface HostPort {
  host: string;
  port: number;
}

const HOST_PORT = /^(?:\[([^\]]*)\]|([^:[\]\s]+)):(\d{1,5})$/;
const MAX_PORT = 65535;

/**
 * Splits `HOST:PORT` (IPv6 as `[::1]:4318`, returned without brackets); null when the text is
 * not one. Port 0 is valid: it asks the OS for a free port.
 */
export function tryParseHostPort(text: string): HostPort | null {
  const match = HOST_PORT.exec(text);
  if (!match) return null;
  const [, bracketed, plain, digits] = match;
  const port = Number(digits);
  if (port > MAX_PORT) return null;
  if (bracketed !== undefined) return isIPv6(bracketed) ? { host: bracketed, port } : null;
  return plain === undefined ? null : { host: plain, port };
}

/** Like {@link tryParseHostPort}, but a bad address is an InvalidInputError (a usage error). */
export function parseHostPort(text: string): HostPort {
  const address = tryParseHostPort(text);
  if (!address) {
    throw new InvalidInputError(`"${text}" is not a HOST:PORT address (e.g. 127.0.0.1:4318 or [::1]:4318)`);
  }
  return address;
}

/** Formats an address the way {@link parseHostPort} reads it. */
export function formatHostPort(address: HostPort): string {
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Where a client on this machine reaches a listener bound to `address`: a wildcard address
 * (0.0.0.0, ::) is reached on the loopback address of its family; others as they are.
 */
export function localAddressOf(address: HostPort): HostPort {
  if (address.host === '0.0.0.0') return { host: '127.0.0.1', port: address.port };
  if (address.host === '::') return { host: '::1', port: address.port };
  return address;
}
