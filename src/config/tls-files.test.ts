import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority, issueCertificate } from '../platform/certificates.js';
import { loadTlsIdentity } from './tls-files.js';
import { ConfigInvalidError } from '../core/errors.js';

const ca = await createCertificateAuthority('test cluster CA', 10);
const node = await issueCertificate(ca, 'node-1', { dns: ['localhost'], ips: ['127.0.0.1'] }, 5);

test('loadTlsIdentity: the files are checked together at start, each problem named by its flag', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shardstore-tls-files-'));
  try {
    const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
    const files = { tlsCert: file('n.crt', node.certPem), tlsKey: file('n.key', node.keyPem), tlsCa: file('ca.crt', ca.certPem) };
    const problems = (options: Parameters<typeof loadTlsIdentity>[0], needsCa = false, now?: Date) => {
      try {
        loadTlsIdentity(options, needsCa, now);
      } catch (error) {
        assert.ok(error instanceof ConfigInvalidError);
        return error.problems.join('\n');
      }
      return 'accepted';
    };
    assert.equal(loadTlsIdentity({}, true), undefined, 'no TLS: plain HTTP');
    const identity = loadTlsIdentity(files, true)!;
    assert.equal(identity.ca, ca.certPem);
    assert.match(identity.subject, /CN=node-1/);
    assert.equal(problems({ tlsCert: files.tlsCert, tlsKey: files.tlsKey }), 'accepted', 'a gateway may serve HTTPS without a cluster CA');
    assert.match(problems({ tlsCert: files.tlsCert, tlsKey: files.tlsKey }, true), /--tls-ca: required/);
    assert.match(problems({ tlsCa: files.tlsCa }), /--tls-cert: required[\s\S]*--tls-key: required/);
    assert.match(problems({ ...files, tlsKey: file('other.key', ca.keyPem) }), /--tls-key: .* is not the key of the certificate/);
    assert.match(problems({ ...files, tlsCert: file('bad.crt', 'not a certificate') }), /--tls-cert: not a PEM certificate/);
    assert.match(problems({ ...files, tlsCa: join(dir, 'missing.crt') }), /--tls-ca: cannot read .*missing\.crt/);
    assert.match(problems(files, false, new Date(Date.now() + 30 * 86_400_000)), /--tls-cert: .* expired on/);
    assert.match(problems(files, false, new Date(Date.now() - 2 * 3_600_000)), /--tls-cert: .* is valid only from/);
    // A CA file that holds some other certificate (here the node's own) signs nothing of this one.
    assert.match(problems({ ...files, tlsCa: file('wrong-ca.crt', node.certPem) }), /--tls-cert: .* is not signed by the CA in/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
