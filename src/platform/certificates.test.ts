import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createServer, connect, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createCertificateAuthority, issueCertificate, type CertificatePair } from './certificates.js';

const ca = await createCertificateAuthority('test cluster CA', 10);
const node = await issueCertificate(ca, 'node-1', { dns: ['node-1.example', 'localhost'], ips: ['127.0.0.1', '::1'] }, 5);

test('the CA is a CA, and what it issues chains to it with the names and usages a peer checks', () => {
  const authority = new X509Certificate(ca.certPem);
  const cert = new X509Certificate(node.certPem);
  assert.equal(authority.ca, true);
  assert.equal(cert.ca, false);
  assert.ok(cert.verify(authority.publicKey), 'signed by the CA');
  assert.ok(cert.checkIssued(authority));
  assert.equal(cert.subjectAltName, 'DNS:node-1.example, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  assert.deepEqual(cert.keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'], 'server and client authentication');
  assert.equal(cert.checkHost('node-1.example'), 'node-1.example');
  assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(cert.checkHost('other.example'), undefined);
  const days = (cert.validToDate.getTime() - Date.now()) / 86_400_000;
  assert.ok(days > 4.9 && days <= 5, `${days} days`);
  assert.notEqual(new X509Certificate(node.certPem).serialNumber, new X509Certificate(ca.certPem).serialNumber);
});

test('a certificate never outlives its CA, and names are checked before anything is signed', async () => {
  const long = new X509Certificate((await issueCertificate(ca, 'n', { dns: ['n'], ips: [] }, 365)).certPem);
  assert.ok(long.validToDate <= new X509Certificate(ca.certPem).validToDate);
  await assert.rejects(issueCertificate(ca, 'n', { dns: [], ips: [] }, 1), /at least one DNS name or IP address/);
  await assert.rejects(issueCertificate(ca, 'n', { dns: [], ips: ['10.0.0.300'] }, 1), /not an IP address/);
  await assert.rejects(issueCertificate(ca, 'n', { dns: ['bad name'], ips: [] }, 1), /not a DNS name/);
});

/**
 * One handshake on loopback: the server shows `server` and demands a client certificate `serverTrusts`
 * signed; the client shows `client` (if any) and trusts `clientTrusts` alone. Resolves with what the server
 * said, or how the exchange was refused.
 */
async function handshake(server: CertificatePair, client: CertificatePair | undefined, serverTrusts: string, clientTrusts = serverTrusts): Promise<string> {
  const listener = createServer({ cert: server.certPem, key: server.keyPem, ca: serverTrusts, requestCert: true, rejectUnauthorized: true }, (socket) => {
    socket.end(`hello ${(socket.getPeerCertificate() as { subject?: { CN?: string } }).subject?.CN}`);
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  try {
    return await new Promise<string>((resolve) => {
      const socket: TLSSocket = connect({
        host: '127.0.0.1',
        port: (listener.address() as AddressInfo).port,
        ca: clientTrusts,
        ...(client ? { cert: client.certPem, key: client.keyPem } : {}),
      });
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('end', () => resolve(text));
      // In TLS 1.3 the client's side of the handshake ends before the server has checked the client's
      // certificate: a refusal then arrives as an alert (an error) or as a close with nothing said.
      socket.on('error', (error) => resolve(`refused: ${error.message}`));
    });
  } finally {
    listener.close();
  }
}

test('mutual TLS: members of one CA talk; a stranger or a client without a certificate does not', async () => {
  const gateway = await issueCertificate(ca, 'gateway', { dns: [], ips: ['127.0.0.1'] }, 5);
  assert.equal(await handshake(node, gateway, ca.certPem), 'hello gateway');
  const otherCa = await createCertificateAuthority('another', 5);
  const stranger = await issueCertificate(otherCa, 'stranger', { dns: [], ips: ['127.0.0.1'] }, 5);
  assert.doesNotMatch(await handshake(node, stranger, ca.certPem), /hello/);
  assert.doesNotMatch(await handshake(node, undefined, ca.certPem), /hello/);
  // And the client refuses a server whose certificate another CA signed.
  assert.match(await handshake(stranger, node, ca.certPem, ca.certPem), /refused/);
});
