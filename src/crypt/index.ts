export { KEY_BYTES, parseMasterKey, loadMasterKey, masterKeyId, storeMasterKey } from './master-key.js';
export type { MasterKey, MasterKeySource, EncryptionSetting } from './master-key.js';
export { encrypt, decrypt, looksEncrypted, keyIdOf, isKeyId, sealChunk, openChunk, newHeader, parseHeader, plainLength, TAG_BYTES } from './envelope.js';
export type { DataKey, EnvelopeHeader } from './envelope.js';
export { EncryptStream, DecryptStream } from './envelope-stream.js';
export { KeyStore, KEYS_DIR, keysDirOf, wrapDataKey, unwrapDataKey } from './key-store.js';
export { sealRecord, openRecord, RECORD_OVERHEAD } from './sealed-record.js';
export { rotateKeys } from './rotate.js';
export type { RotationReport } from './rotate.js';
