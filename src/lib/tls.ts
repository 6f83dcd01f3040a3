import { unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ServerOptions } from 'node:https';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { describeError, StartupError } from './errors.js';

/** The files of `daemon.tls`: the server's certificate chain and key, and the client CA for mTLS. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** With it, clients must present a certificate this CA signed (mutual TLS). */
  clientCaFile?: string | null;
}

/** What a {@link TlsSource} reports as it follows its files. */
export interface TlsSourceOptions {
  /** The files changed and every listener now serves the new certificate. */
  onReload?: () => void;
  /** The files changed but could not be used (unreadable, key not matching); the old ones stay. */
  onReloadError?: (err: Error) => void;
  /** How often the files are checked for a change, in ms (default 1000). */
  pollMs?: number;
}

/** The PEM bytes a listener serves: certificate chain, key and (for mutual TLS) client CA. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca: Buffer | null;
}

// Bursts of changes (certificate, then key) are read once, after they settle.
const SETTLE_MS = 100;

/**
 * The certificate and key every listener serves, re-read when the files change (polled, so
 * a rename, a symlink swap or an in-place rewrite are all seen). A change that does not make
 * a valid pair (a key written before its certificate) is reported and the old pair stays,
 * until the next change completes it. HTTP servers take new pairs with `setSecureContext`,
 * gRPC servers through a certificate provider (`lib/grpc-server.ts`); connections already open keep their session.
 */
export class TlsSource {
  private readonly listeners = new Set<(material: TlsMaterial) => void>();
  private timer: NodeJS.Timeout | undefined;
  private watching = false;

  private constructor(
    private readonly files: TlsFiles,
    private material: TlsMaterial,
    private readonly options: TlsSourceOptions,
  ) {}

  /** Reads and checks the files; a {@link StartupError} names the one that cannot be used. */
  static async load(files: TlsFiles, options: TlsSourceOptions = {}): Promise<TlsSource> {
    try {
      return new TlsSource(files, await readMaterial(files), options);
    } catch (err) {
      throw new StartupError(`cannot serve TLS: ${describeError(err)}`, { cause: err });
    }
  }

  /** True when clients must present a certificate (a client CA is configured). */
  get mutual(): boolean {
    return this.material.ca !== null;
  }

  /** Options for `https.createServer`. */
  serverOptions(): ServerOptions {
    return { ...this.contextOptions(), requestCert: this.mutual, rejectUnauthorized: this.mutual, minVersion: 'TLSv1.2' };
  }

  /** The current pair (and client CA) for `server.setSecureContext`. */
  contextOptions(): SecureContextOptions {
    const { cert, key, ca } = this.material;
    return ca ? { cert, key, ca } : { cert, key };
  }

  /** The current pair and client CA. */
  current(): TlsMaterial {
    return this.material;
  }

  /** Calls `listener` with each new pair; returns the function that stops it. */
  subscribe(listener: (material: TlsMaterial) => void): () => void {
    const wrapped = (material: TlsMaterial): void => listener(material);
    this.listeners.add(wrapped);
    return () => this.listeners.delete(wrapped);
  }

  /** Starts following the files. */
  start(): void {
    if (this.watching) return;
    this.watching = true;
    const interval = this.options.pollMs ?? 1000;
    for (const file of this.paths()) watchFile(file, { interval, persistent: false }, () => this.changed());
  }

  /** Stops following the files. Idempotent. */
  shutdown(): void {
    if (!this.watching) return;
    this.watching = false;
    clearTimeout(this.timer);
    for (const file of this.paths()) unwatchFile(file);
  }

  private paths(): string[] {
    const { certFile, keyFile, clientCaFile } = this.files;
    return clientCaFile ? [certFile, keyFile, clientCaFile] : [certFile, keyFile];
  }

  private changed(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(), SETTLE_MS);
    this.timer.unref();
  }

  private async reload(): Promise<void> {
    let material: TlsMaterial;
    try {
      material = await readMaterial(this.files);
    } catch (err) {
      this.options.onReloadError?.(err as Error);
      return;
    }
    if (!this.watching) return;
    this.material = material;
    for (const listener of this.listeners) listener(material);
    this.options.onReload?.();
  }
}

/** Reads the files and checks that they make a usable context (the key matches the certificate). */
async function readMaterial(files: TlsFiles): Promise<TlsMaterial> {
  const read = async (key: string, path: string): Promise<Buffer> => {
    try {
      return await readFile(path);
    } catch (err) {
      throw new Error(`daemon.tls.${key} ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? describeError(err)})`, { cause: err });
    }
  };
  const [cert, key, ca] = await Promise.all([
    read('cert_file', files.certFile),
    read('key_file', files.keyFile),
    files.clientCaFile ? read('client_ca_file', files.clientCaFile) : null,
  ]);
  try {
    createSecureContext(ca ? { cert, key, ca } : { cert, key });
  } catch (err) {
    throw new Error(`daemon.tls: the certificate, key or client CA is not usable (${describeError(err)})`, { cause: err });
  }
  return { cert, key, ca };
}
