import { execFileSync, spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

/** A network namespace joined to this one by a veth pair: a non-loopback network nobody else reaches. */
export interface TestNetwork {
  /** The namespace's name, for `ip netns exec`. */
  name: string;
  /** This side's address (the test, as a client). */
  hostAddress: string;
  /** The namespace's address (the daemon listens there). */
  nsAddress: string;
  /** The command prefix that runs a program inside the namespace. */
  exec: string[];
  remove(): void;
}

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Why a network namespace cannot be made here (no `ip`, not root, no CAP_NET_ADMIN), or
 * null when it can. Tests of network behaviour fail with this reason (skip only when asked).
 */
export function netnsUnavailable(): string | null {
  const probe = `paracle-probe-${process.pid}`;
  const made = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (made.error) return `the ip command (iproute2) is not installed: ${made.error.message}`;
  if (made.status !== 0) return `ip netns add failed (needs root or CAP_NET_ADMIN): ${made.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return null;
}

/**
 * Makes a namespace with a veth pair on a random 10.251.x.y/30, the namespace's end up with
 * its loopback. `remove()` deletes the namespace (and with it the pair).
 */
export function makeTestNetwork(): TestNetwork {
  const tag = `${process.pid % 10000}${randomInt(1000)}`;
  const name = `paracle-${tag}`;
  const [hostIf, nsIf] = [`pv${tag}a`, `pv${tag}b`];
  const base = `10.251.${randomInt(256)}.${randomInt(64) * 4}`;
  const octets = base.split('.').map(Number);
  const at = (n: number): string => [...octets.slice(0, 3), octets[3]! + n].join('.');
  const exec = ['ip', 'netns', 'exec', name];
  const remove = (): void => {
    spawnSync('ip', ['netns', 'del', name]);
    spawnSync('ip', ['link', 'del', hostIf]);
  };
  try {
    ip(['netns', 'add', name]);
    ip(['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    ip(['link', 'set', nsIf, 'netns', name]);
    ip(['addr', 'add', `${at(1)}/30`, 'dev', hostIf]);
    ip(['link', 'set', hostIf, 'up']);
    ip(['netns', 'exec', name, 'ip', 'addr', 'add', `${at(2)}/30`, 'dev', nsIf]);
    ip(['netns', 'exec', name, 'ip', 'link', 'set', nsIf, 'up']);
    ip(['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  } catch (err) {
    remove();
    throw err;
  }
  return { name, hostAddress: at(1), nsAddress: at(2), exec, remove };
}
