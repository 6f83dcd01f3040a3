import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { recordLocalAction } from '../audit/index.js';
import { KeyStore, keysDirOf, loadMasterKey, rotateKeys, storeMasterKey, type MasterKey } from '../crypt/index.js';
import { InvalidInputError } from '../lib/index.js';
import {
  beginConversion,
  checkStoreFiles,
  convertStoreFiles,
  endConversion,
  isEncryptedStore,
  openStoreEncryption,
  pendingConversion,
  STORE_KEY_ID,
  takeChangeLock,
  type ConversionTarget,
  type FileProblem,
} from '../store/index.js';
import { checkSegments, convertSegments, WalCipher } from '../wal/index.js';
import { progressBar } from './runs/progress.js';
import { configured, configuredRunsDir, printJson } from './runs/options.js';

/** The flags of the `paracle keys` commands. */
export interface KeysFlags {
  runsDir?: string;
  config?: string;
  json?: boolean;
  newKeyEnv?: string;
  newKeyFile?: string;
}

/**
 * `paracle keys rotate`: re-wraps every data key from the configured master key to the new
 * one (INTERFACE.md §8), resumable after a crash by running it again with the same keys.
 */
export async function keysRotateCommand(flags: KeysFlags): Promise<void> {
  const { runsDir, master } = await encryptedStore(flags, 'rotate');
  const next = newKey(flags);
  const lock = takeChangeLock(runsDir, 'paracle keys rotate');
  try {
    const store = new KeyStore(keysDirOf(runsDir), master);
    const report = rotateKeys(store, next, reporter('re-wrapping data keys', flags));
    await recordLocalAction(runsDir, { action: 'keys.rotate', outcome: 'ok' });
    if (flags.json) return printJson({ runs_dir: runsDir, from_key_id: master.id, to_key_id: next.id, ...report });
    process.stdout.write(
      `re-wrapped ${report.rewrapped} data key(s) (${report.already} already) from key id ${master.id} to key id ${next.id}.\n` +
        `Point privacy.encryption (key_env or key_file) at the new key before paracle next opens ${runsDir}: the old key opens nothing now.\n`,
    );
  } finally {
    lock.release();
  }
}

/**
 * `paracle keys check`: reads every file of the store with the configured key. Returns the
 * exit code: 1 naming each file that does not open, on stderr.
 */
export async function keysCheckCommand(flags: KeysFlags): Promise<number> {
  const { runsDir, master } = await encryptedStore(flags, 'check');
  openStoreEncryption(runsDir, master);
  const files = await checkStoreFiles(runsDir, reporter('checking files', flags));
  const wal = await checkSegments(join(runsDir, '.wal'), new WalCipher(new KeyStore(keysDirOf(runsDir), master)));
  const problems: FileProblem[] = [...files.problems, ...wal.problems];
  const checked = files.checked + wal.files;
  for (const { file, problem } of problems) process.stderr.write(`paracle: ${file}: ${problem}\n`);
  if (flags.json) printJson({ runs_dir: runsDir, key_id: master.id, checked, problems });
  else if (problems.length === 0) process.stdout.write(`${checked} file(s) of ${runsDir} open with key id ${master.id}\n`);
  else process.stdout.write(`${problems.length} of ${checked} file(s) of ${runsDir} do not open with key id ${master.id}\n`);
  return problems.length === 0 ? 0 : 1;
}

/**
 * `paracle keys encrypt-store` / `decrypt-store`: converts the store in place with the key
 * `privacy.encryption` names (whether or not `enabled` is set yet), file by file, each
 * replaced atomically; cut short (a crash, kill -9), running it again finishes it, and
 * until then the daemon and the CLI refuse the store with a sentence saying so.
 */
export async function keysConvertCommand(to: ConversionTarget, flags: KeysFlags): Promise<void> {
  const command = `paracle keys ${to === 'encrypted' ? 'encrypt' : 'decrypt'}-store`;
  const config = (await configured(flags, process.env)).privacy.encryption;
  const runsDir = await configuredRunsDir(flags, process.env);
  const master = loadMasterKey({ keyEnv: config.key_env, keyFile: config.key_file }, process.env);
  const lock = takeChangeLock(runsDir, command);
  try {
    if (pendingConversion(runsDir) !== to && isEncryptedStore(runsDir) === (to === 'encrypted')) {
      throw new InvalidInputError(`the runs dir ${runsDir} holds ${to === 'encrypted' ? 'an encrypted' : 'a plaintext'} store already`);
    }
    if (to === 'encrypted' && hasFiles(join(runsDir, 'untraced'))) {
      throw new InvalidInputError(`${join(runsDir, 'untraced')} holds plaintext day files of untraced logs: move them out of the runs dir first`);
    }
    await beginConversion(runsDir, to);
    const keys = new KeyStore(keysDirOf(runsDir), master);
    // Proves the key: made for a store being encrypted, unwrapped for one being decrypted.
    if (to === 'encrypted') keys.getOrCreate(STORE_KEY_ID);
    else if (keys.get(STORE_KEY_ID) === null) throw new InvalidInputError(`the runs dir ${runsDir} has no store key: it is not an encrypted store`);
    const files = await convertStoreFiles(runsDir, keys, to, reporter(to === 'encrypted' ? 'encrypting files' : 'decrypting files', flags));
    const segments = await convertSegments(join(runsDir, '.wal'), new WalCipher(keys), to);
    // Decrypted, nothing needs a data key any more.
    if (to === 'plaintext') await rm(keysDirOf(runsDir), { recursive: true, force: true });
    await endConversion(runsDir);
    await recordLocalAction(runsDir, { action: to === 'encrypted' ? 'store.encrypt' : 'store.decrypt', outcome: 'ok' });
    if (flags.json) return printJson({ runs_dir: runsDir, to, files_converted: files, segments_converted: segments, key_id: master.id });
    process.stdout.write(
      `${to === 'encrypted' ? 'encrypted' : 'decrypted'} ${files} file(s) and archive(s) and ${segments} log segment(s) of ${runsDir}; the index is rebuilt at the next open.\n` +
        `Set privacy.encryption.enabled: ${to === 'encrypted'} before paracle next opens it.\n`,
    );
  } finally {
    lock.release();
  }
}

function hasFiles(dir: string): boolean {
  try {
    return readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}

/** The runs dir and configured master key; one sentence when encryption is off or the store plaintext. */
async function encryptedStore(flags: KeysFlags, command: string): Promise<{ runsDir: string; master: MasterKey }> {
  const config = await configured(flags, process.env);
  const runsDir = await configuredRunsDir(flags, process.env);
  const master = storeMasterKey(config.privacy.encryption, process.env);
  if (master === null) throw new InvalidInputError(`keys ${command} needs privacy.encryption.enabled: true and its key`);
  if (!isEncryptedStore(runsDir)) throw new InvalidInputError(`the runs dir ${runsDir} holds no encrypted store (convert it with \`paracle keys encrypt-store\`)`);
  return { runsDir, master };
}

function newKey(flags: KeysFlags): MasterKey {
  if ((flags.newKeyEnv === undefined) === (flags.newKeyFile === undefined)) {
    throw new InvalidInputError('give the new master key with either --new-key-env NAME or --new-key-file PATH');
  }
  return loadMasterKey({ keyEnv: flags.newKeyEnv ?? '', keyFile: flags.newKeyFile ?? null }, process.env);
}

/**
 * Progress on stderr: a bar on a terminal; elsewhere (pipes, logs) a line at each tenth,
 * so a long run shows it is moving. Nothing with --json.
 */
function reporter(label: string, flags: KeysFlags): (done: number, total: number) => void {
  if (flags.json) return () => undefined;
  let bar: ReturnType<typeof progressBar> | null = null;
  let printed = -1;
  return (done, total) => {
    if (process.stderr.isTTY) {
      bar ??= progressBar(process.stderr, label, total);
      bar.update(done);
      if (done === total) bar.end();
      return;
    }
    const tenth = Math.floor((done * 10) / total);
    if (tenth === printed) return;
    printed = tenth;
    process.stderr.write(`${label}: ${done}/${total}\n`);
  };
}
