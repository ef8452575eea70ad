import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';

/** The flags that put one process of the local cluster on the cluster's TLS. */
export type TlsFlags = (name: string) => Promise<string[]>;

/**
 * TLS for a local cluster (`shardstore cluster --tls`): a CA made once in `DIR/tls/` and a certificate per
 * process (gateway, node-1 …) for the address everything binds to, each issued the first time it is needed
 * and reused after a restart. This process then trusts the CA too, for its own calls to the gateway.
 */
export async function localClusterTls(dir: string, host: string): Promise<{ caFile: string; flags: TlsFlags }> {
  const { createCertificateAuthority, issueCertificate, saveCertificatePair } = await import('../platform/certificates.js');
  const tlsDir = join(dir, 'tls');
  mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  const caFile = join(tlsDir, 'ca.crt');
  const caKeyFile = join(tlsDir, 'ca.key');
  if (!existsSync(caFile) || !existsSync(caKeyFile)) {
    saveCertificatePair(await createCertificateAuthority('Shardstore local cluster CA', 3650), caFile, caKeyFile);
  }
  const ca = { certPem: readFileSync(caFile, 'utf8'), keyPem: readFileSync(caKeyFile, 'utf8') };
  setDefaultCACertificates([...getCACertificates('default'), ca.certPem]);
  const reachable = isIP(host) && host !== '0.0.0.0' ? { dns: ['localhost'], ips: [...new Set([host, '127.0.0.1'])] } : { dns: [...new Set(['localhost', host === '0.0.0.0' ? 'localhost' : host])], ips: ['127.0.0.1'] };
  return {
    caFile,
    flags: async (name) => {
      const cert = join(tlsDir, `${name}.crt`);
      const key = join(tlsDir, `${name}.key`);
      if (!existsSync(cert) || !existsSync(key)) {
        saveCertificatePair(await issueCertificate(ca, name, reachable, 825), cert, key);
      }
      return ['--tls-cert', cert, '--tls-key', key, '--tls-ca', caFile];
    },
  };
}
