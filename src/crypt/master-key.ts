import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { KeyUnavailableError } from '../lib/index.js';

/** Bytes of a master key and of every data key (AES-256). */
export const KEY_BYTES = 32;

/** A master key: it only wraps and unwraps data keys, never file content. */
export interface MasterKey {
  /** 16 hex digits that name the key without revealing it (an HMAC of a fixed label). */
  readonly id: string;
  readonly bytes: Buffer;
  /** Where it came from, for messages: `$NAME` or the file's path. */
  readonly source: string;
}

/** Where the configuration says the master key is (INTERFACE.md §8: key_file wins). */
export interface MasterKeySource {
  keyEnv: string;
  keyFile: string | null;
}

/**
 * Parses a master key: 32 bytes as 64 hex digits or as base64 (surrounding white space
 * ignored). Throws {@link KeyUnavailableError} naming `source` for anything else.
 */
export function parseMasterKey(text: string, source: string): MasterKey {
  const trimmed = text.trim();
  let bytes: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) bytes = Buffer.from(trimmed, 'hex');
  else if (/^[A-Za-z0-9+/_-]{42,43}={0,2}$/.test(trimmed)) bytes = Buffer.from(trimmed, 'base64');
  if (bytes?.length !== KEY_BYTES) {
    throw new KeyUnavailableError(`the encryption key in ${source} is not 32 bytes in hex (64 digits) or base64`);
  }
  return { id: masterKeyId(bytes), bytes, source };
}

/** The id of a master key: the first 8 bytes of HMAC-SHA256(key, label), in hex. */
export function masterKeyId(bytes: Buffer): string {
  return createHmac('sha256', bytes).update('paracle master key id v1').digest('hex').slice(0, 16);
}

/**
 * Loads the master key the configuration names: `keyFile` when set, else the environment
 * variable `keyEnv`. Throws {@link KeyUnavailableError} with one sentence when it is missing
 * or malformed.
 */
export function loadMasterKey(source: MasterKeySource, env: NodeJS.ProcessEnv = process.env): MasterKey {
  if (source.keyFile !== null) {
    let text: string;
    try {
      text = readFileSync(source.keyFile, 'utf8');
    } catch (err) {
      throw new KeyUnavailableError(`encryption is enabled but the key file ${source.keyFile} cannot be read`, { cause: err });
    }
    return parseMasterKey(text, source.keyFile);
  }
  const value = env[source.keyEnv];
  if (value === undefined || value.trim() === '') {
    throw new KeyUnavailableError(
      `encryption is enabled but no key is given: set ${source.keyEnv} (32 bytes, hex or base64) or privacy.encryption.key_file`,
    );
  }
  return parseMasterKey(value, `$${source.keyEnv}`);
}

/** The `privacy.encryption` settings, as the configuration holds them. */
export interface EncryptionSetting {
  enabled: boolean;
  key_env: string;
  key_file: string | null;
}

/** The master key the settings call for, or null when encryption is off. */
export function storeMasterKey(setting: EncryptionSetting, env: NodeJS.ProcessEnv = process.env): MasterKey | null {
  return setting.enabled ? loadMasterKey({ keyEnv: setting.key_env, keyFile: setting.key_file }, env) : null;
}
