// @peculiar/x509 resolves its ASN.1 classes through tsyringe, which needs the Reflect metadata API first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { isIP } from 'node:net';

// Node's WebCrypto is the one the library expects; the casts below only bridge its declarations (written
// against the DOM's) and @types/node's.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
type LibraryKeyPair = x509.X509CertificateCreateSelfSignedParams['keys'];
type LibraryKey = LibraryKeyPair['privateKey'];

/** ECDSA P-256: short keys, fast handshakes, and every TLS 1.3 stack speaks it. */
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

/** A certificate and its private key, both PEM. */
export interface CertificatePair {
  readonly certPem: string;
  readonly keyPem: string;
}

/** The names a certificate is valid for: the host names and addresses its peers reach it by. */
export interface SubjectNames {
  readonly dns: readonly string[];
  readonly ips: readonly string[];
}

/**
 * A cluster's own certificate authority: self-signed, allowed to sign end certificates only (path length 0).
 * Its key signs every node's and gateway's certificate; whoever holds it can admit a process to the cluster.
 */
export async function createCertificateAuthority(name: string, days: number): Promise<CertificatePair> {
  const keys = await generateKeys();
  const now = new Date();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${escapeName(name)}`,
    notBefore: backdated(now),
    notAfter: new Date(now.getTime() + days * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKey(keys.privateKey) };
}

/**
 * A certificate for one process, signed by the cluster CA. It serves (a node's or a gateway's listener) and
 * it identifies its holder as a client (a gateway reading shards, a node registering), so it carries both
 * extended key usages; its names are what peers check against the URL they connect to.
 */
export async function issueCertificate(ca: CertificatePair, name: string, names: SubjectNames, days: number): Promise<CertificatePair> {
  if (names.dns.length + names.ips.length === 0) throw new Error('a certificate needs at least one DNS name or IP address');
  for (const ip of names.ips) if (isIP(ip) === 0) throw new Error(`'${ip}' is not an IP address`);
  for (const dns of names.dns) if (!/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(dns)) throw new Error(`'${dns}' is not a DNS name`);
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey('pkcs8', pkcs8Der(ca.keyPem), ALGORITHM, false, ['sign']);
  const keys = await generateKeys();
  const now = new Date();
  const notAfter = new Date(Math.min(now.getTime() + days * DAY_MS, caCert.notAfter.getTime()));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${escapeName(name)}`,
    issuer: caCert.subject,
    notBefore: backdated(now),
    notAfter,
    signingKey: caKey as unknown as LibraryKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...names.dns.map((value) => ({ type: 'dns' as const, value })),
        ...names.ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKey(keys.privateKey) };
}

/**
 * Writes a pair to its files: the key readable by its owner only, the certificate by everyone. `exclusive`:
 * fails if either file exists instead of replacing it.
 */
export function saveCertificatePair(pair: CertificatePair, certFile: string, keyFile: string, exclusive = false): void {
  const flag = exclusive ? 'wx' : 'w';
  writeFileSync(keyFile, pair.keyPem, { mode: 0o600, flag });
  writeFileSync(certFile, pair.certPem, { mode: 0o644, flag });
}

async function generateKeys(): Promise<LibraryKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as unknown as LibraryKeyPair;
}

async function exportKey(key: LibraryKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key as unknown as webcrypto.CryptoKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** Any private key PEM Node reads (PKCS#8, SEC1 "EC PRIVATE KEY") as PKCS#8 DER, which WebCrypto imports. */
function pkcs8Der(pem: string): Buffer {
  return createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
}

/** 16 random bytes, the top bit clear: a positive serial, unique without a registry of issued ones. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

/** An hour back: a peer whose clock runs a little behind still accepts a certificate issued just now. */
function backdated(now: Date): Date {
  return new Date(now.getTime() - 3_600_000);
}

/** A common name as one RDN value: the characters RFC 4514 reserves are escaped. */
function escapeName(name: string): string {
  return name.replace(/([,+"\\<>;=])/g, '\\$1');
}
