import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A test CA and the certificates it signed, as files and PEM bytes. */
export interface TestCertificates {
  caFile: string;
  ca: Buffer;
  /** The server's certificate and key (SANs as asked). */
  certFile: string;
  keyFile: string;
  /** A client certificate and key for mutual TLS. */
  clientCertFile: string;
  clientKeyFile: string;
  clientCert: Buffer;
  clientKey: Buffer;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Signs a new key's certificate with the CA in `dir` (`prefix.crt`, `prefix.key`). */
function issue(dir: string, prefix: string, subject: string, extensions: string): void {
  writeFileSync(join(dir, `${prefix}.ext`), extensions);
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${prefix}.key`, '-out', `${prefix}.csr`, '-subj', subject], dir);
  openssl(['x509', '-req', '-in', `${prefix}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', `${prefix}.crt`, '-extfile', `${prefix}.ext`], dir);
}

/**
 * Makes a throw-away CA, a server certificate for `ips` and `dns` names, and a client
 * certificate, with the openssl CLI in `dir` (keys are made per test run, never committed).
 * `serverPrefix` names the server files, so a test can issue a second one to rotate to.
 */
export function makeCertificates(dir: string, names: { ips?: string[]; dns?: string[] }, serverPrefix = 'server'): TestCertificates {
  if (serverPrefix === 'server') {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=paracle test CA'], dir);
    issue(dir, 'client', '/CN=paracle test client', 'extendedKeyUsage=clientAuth\n');
  }
  const san = [...(names.ips ?? []).map((ip) => `IP:${ip}`), ...(names.dns ?? []).map((d) => `DNS:${d}`)].join(',');
  issue(dir, serverPrefix, '/CN=paracle test server', `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
  const file = (name: string): string => join(dir, name);
  return {
    caFile: file('ca.crt'),
    ca: readFileSync(file('ca.crt')),
    certFile: file(`${serverPrefix}.crt`),
    keyFile: file(`${serverPrefix}.key`),
    clientCertFile: file('client.crt'),
    clientKeyFile: file('client.key'),
    clientCert: readFileSync(file('client.crt')),
    clientKey: readFileSync(file('client.key')),
  };
}
