import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { ConfigInvalidError } from '../core/errors.js';

/** A process's TLS identity, read and checked once at start. */
export interface TlsIdentity {
  /** PEM: the process's certificate (and any intermediates after it). */
  readonly cert: string;
  readonly key: string;
  /** PEM: the cluster CA that peers' certificates must chain to; absent: TLS for clients only, no peers checked. */
  readonly ca?: string;
  readonly subject: string;
  readonly validTo: Date;
}

/** The TLS options as given: file names, each from its flag. */
export interface TlsFileOptions {
  readonly tlsCert?: string | undefined;
  readonly tlsKey?: string | undefined;
  readonly tlsCa?: string | undefined;
}

/**
 * Reads `--tls-cert`, `--tls-key` and `--tls-ca` and checks them together, so that a process with a wrong
 * file stops at start with one clear message instead of failing every handshake later: the key must belong
 * to the certificate, the certificate must be valid now and, with a CA, signed by it. `needsCa`: the process
 * speaks only to peers (a storage node), so TLS without the CA that checks them is refused.
 */
export function loadTlsIdentity(options: TlsFileOptions, needsCa: boolean, now = new Date()): TlsIdentity | undefined {
  const { tlsCert, tlsKey, tlsCa } = options;
  if (tlsCert === undefined && tlsKey === undefined && tlsCa === undefined) return undefined;
  const problems: string[] = [];
  if (tlsCert === undefined) problems.push('--tls-cert: required with --tls-key or --tls-ca');
  if (tlsKey === undefined) problems.push('--tls-key: required with --tls-cert or --tls-ca');
  if (needsCa && tlsCa === undefined) problems.push('--tls-ca: required with --tls-cert (a node accepts only peers whose certificates the cluster CA signed)');
  if (problems.length) throw new ConfigInvalidError(problems);

  const cert = read('--tls-cert', tlsCert!);
  const key = read('--tls-key', tlsKey!);
  const ca = tlsCa === undefined ? undefined : read('--tls-ca', tlsCa);
  const certificate = parse('--tls-cert', () => new X509Certificate(cert));
  const privateKey = parse('--tls-key', () => createPrivateKey(key));
  if (!certificate.checkPrivateKey(privateKey)) fail(`--tls-key: ${tlsKey} is not the key of the certificate in ${tlsCert}`);
  if (certificate.validFromDate > now) fail(`--tls-cert: ${tlsCert} is valid only from ${certificate.validFromDate.toISOString()}`);
  if (certificate.validToDate < now) fail(`--tls-cert: ${tlsCert} expired on ${certificate.validToDate.toISOString()}`);
  if (ca !== undefined) {
    const authorities = pemBlocks(ca).map((block) => parse('--tls-ca', () => new X509Certificate(block)));
    if (authorities.length === 0) fail(`--tls-ca: ${tlsCa} holds no PEM certificate`);
    if (!authorities.some((authority) => signedBy(certificate, authority.publicKey))) {
      fail(`--tls-cert: ${tlsCert} is not signed by the CA in ${tlsCa} (issue it with 'shardstore ca issue' from that CA)`);
    }
  }
  return { cert, key, ...(ca !== undefined ? { ca } : {}), subject: certificate.subject.replace(/\n/g, ', '), validTo: certificate.validToDate };
}

function read(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    return fail(`${flag}: cannot read ${file}: ${(error as Error).message}`);
  }
}

function parse<T>(flag: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    return fail(`${flag}: not a PEM ${flag === '--tls-key' ? 'private key' : 'certificate'} (${(error as Error).message})`);
  }
}

function signedBy(certificate: X509Certificate, publicKey: KeyObject): boolean {
  try {
    return certificate.verify(publicKey);
  } catch {
    return false;
  }
}

function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function fail(message: string): never {
  throw new ConfigInvalidError([message]);
}

/**
 * What a process shows its peers and checks them against (src/platform/peer-transport.ts's `PeerTls`): only
 * with the cluster CA is TLS between peers on.
 */
export function peerTlsOf(identity: TlsIdentity | undefined): { cert: string; key: string; ca: string } | undefined {
  return identity?.ca === undefined ? undefined : { cert: identity.cert, key: identity.key, ca: identity.ca };
}
