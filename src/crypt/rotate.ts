import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { faultPoint, KeyUnavailableError } from '../lib/index.js';
import type { KeyStore } from './key-store.js';
import type { MasterKey } from './master-key.js';

/** The key every encrypted store has; re-wrapped last, so it tells whether a rotation finished. */
const LAST_KEY_ID = 'store';

/** What {@link rotateKeys} did. */
export interface RotationReport {
  /** Data keys in the store. */
  total: number;
  /** Re-wrapped by this call. */
  rewrapped: number;
  /** Found wrapped by the new key already (a rotation resumed). */
  already: number;
}

/**
 * Re-wraps every data key of `store` (wrapped by `store.master`, the old master key) under
 * `next`, one key file at a time, each replaced atomically and synced: no file content is
 * rewritten. A key found wrapped by `next` is skipped, so a rotation cut short (a crash,
 * a kill -9) is finished by running it again with the same two keys. The store key goes
 * last: once it is re-wrapped, the old key opens nothing. Fault point `key-rewrapped` after
 * each key. Throws {@link KeyUnavailableError} when a key is wrapped by neither key.
 */
export function rotateKeys(store: KeyStore, next: MasterKey, progress: (done: number, total: number) => void = () => undefined): RotationReport {
  if (next.id === store.master.id) throw new KeyUnavailableError(`the new key is the configured key (id ${next.id}): nothing to rotate`);
  removeStaleTemps(store.dir);
  const ids = store.ids();
  const order = [...ids.filter((id) => id !== LAST_KEY_ID), ...ids.filter((id) => id === LAST_KEY_ID)];
  for (const id of order) {
    const by = store.wrappedBy(id);
    if (by !== store.master.id && by !== next.id) {
      throw new KeyUnavailableError(`data key ${store.pathOf(id)} is wrapped by key id ${by}, neither the configured key (${store.master.id}) nor the new one (${next.id}): nothing was changed`);
    }
  }
  const report: RotationReport = { total: order.length, rewrapped: 0, already: 0 };
  order.forEach((id, i) => {
    if (store.rewrap(id, next)) {
      report.rewrapped += 1;
      faultPoint('key-rewrapped');
    } else {
      report.already += 1;
    }
    progress(i + 1, order.length);
  });
  return report;
}

// A crash between writing a re-wrapped key and renaming it leaves its temp file.
function removeStaleTemps(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) if (name.endsWith('.tmp')) rmSync(join(dir, name), { force: true });
}
