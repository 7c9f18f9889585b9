import { describe, expect, it } from 'vitest';
import type { CertFacts } from '../../../src/pki/cert.js';
import { csrRequest } from '../../../src/pki/csr.js';
import { certMismatches, csrMismatches, keyMismatches, type CertWanted } from '../../../src/pki/match.js';

// Idempotence decisions from recorded facts: no keys, no hosts.

const now = new Date('2026-06-01T00:00:00Z');
const serverReq = csrRequest({
  subject: { C: 'DE', O: 'Leftasexercise blog', CN: 'Server' },
  subjectAltName: ['DNS:*.leftasexercise.local', 'DNS:leftasexercise.local'],
});

const existing: CertFacts = {
  subject: { C: 'DE', O: 'Leftasexercise blog', CN: 'Server' },
  issuer: { CN: 'Intermediate CA' },
  serial: '4f00',
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2027-01-01T00:00:00.000Z',
  extensions: { ...serverReq.extensions },
  subjectKeyId: 'aa',
  authorityKeyId: 'bb',
  publicKeyFingerprint: 'fp-server',
  signatureAlgorithm: 'sha256WithRSAEncryption',
  fingerprintSha256: 'X',
  selfIssued: false,
};

const want: CertWanted = {
  request: serverReq,
  publicKeyFingerprint: 'fp-server',
  issuer: { subject: { CN: 'Intermediate CA' }, publicKeyFingerprint: 'fp-inter', subjectKeyId: 'bb' },
  signatureValid: true,
  renewDays: 30,
  now,
};

describe('certMismatches', () => {
  it('a certificate that matches is left alone', () => {
    expect(certMismatches(existing, want)).toEqual([]);
  });

  it('SAN changed', () => {
    const w = { ...want, request: csrRequest({ subject: serverReq.subject, subjectAltName: ['DNS:leftasexercise.local', 'DNS:www.leftasexercise.local'] }) };
    expect(certMismatches(existing, w)).toEqual(['subjectAltName: +DNS:www.leftasexercise.local -DNS:*.leftasexercise.local']);
  });

  it('expired, and expiring within the renewal window', () => {
    expect(certMismatches(existing, { ...want, now: new Date('2027-02-01T00:00:00Z') })).toEqual(['expired on 2027-01-01T00:00:00.000Z']);
    expect(certMismatches(existing, { ...want, now: new Date('2026-12-15T00:00:00Z') })).toEqual(['expires on 2027-01-01T00:00:00.000Z, within 30 days']);
    expect(certMismatches(existing, { ...want, now: new Date('2026-12-15T00:00:00Z'), renewDays: 0 })).toEqual([]);
  });

  it('signed by another CA: by name, by key id, by signature', () => {
    expect(certMismatches(existing, { ...want, issuer: { ...want.issuer!, subject: { CN: 'Other CA' } } })).toEqual(['issued by "CN=Intermediate CA", not by the CA "CN=Other CA"']);
    expect(certMismatches(existing, { ...want, issuer: { ...want.issuer!, subjectKeyId: 'cc' } })).toEqual(['issued by another CA key (authorityKeyIdentifier bb, CA key cc)']);
    expect(certMismatches(existing, { ...want, signatureValid: false })).toEqual(['signature does not verify with the CA key']);
  });

  it('key mismatch', () => {
    expect(certMismatches(existing, { ...want, publicKeyFingerprint: 'fp-new-key' })).toEqual(['certificate is for a different key']);
  });

  it('self-signed requested, CA-issued found', () => {
    expect(certMismatches(existing, { ...want, issuer: undefined })).toEqual(['issued by "CN=Intermediate CA", but a self-signed certificate was requested']);
  });

  it('extension changes: keyUsage criticality, basicConstraints pathlen', () => {
    const ca = csrRequest({ subject: { CN: 'Intermediate CA' }, keyUsage: ['keyCertSign'], keyUsageCritical: true, basicConstraints: ['CA:TRUE', 'pathlen:0'], basicConstraintsCritical: true, useCommonNameForSan: false });
    const have: CertFacts = { ...existing, subject: ca.subject, extensions: { ...ca.extensions, keyUsageCritical: false, basicConstraints: { ca: true, pathlen: 1 } } };
    expect(certMismatches(have, { ...want, request: ca })).toEqual(['keyUsage critical false -> true', 'basicConstraints CA:TRUE, pathlen:1 -> CA:TRUE, pathlen:0']);
  });
});

describe('csrMismatches', () => {
  const csr = { subject: serverReq.subject, extensions: serverReq.extensions, publicKeyFingerprint: 'k1', signatureValid: true };
  it('same request and key: nothing to do', () => {
    expect(csrMismatches(csr, serverReq, 'k1')).toEqual([]);
  });
  it('new key, new subject', () => {
    expect(csrMismatches(csr, { ...serverReq, subject: { CN: 'Other' } }, 'k2')).toEqual([
      'CSR was made for a different private key',
      'subject "C=DE, O=Leftasexercise blog, CN=Server" -> "CN=Other"',
    ]);
  });
});

describe('keyMismatches', () => {
  const have = { readable: true, encrypted: false, type: 'RSA', size: 2048, format: 'pkcs1' as const, publicKeyFingerprint: 'x' };
  it('matching key is kept', () => {
    expect(keyMismatches(have, { type: 'RSA', size: 2048, encrypted: false })).toEqual([]);
  });
  it('size, passphrase, unreadable', () => {
    expect(keyMismatches(have, { type: 'RSA', size: 4096, encrypted: false })).toEqual(['size 2048 -> 4096']);
    expect(keyMismatches(have, { type: 'RSA', size: 2048, encrypted: true })).toEqual(['key is not encrypted but a passphrase was given']);
    expect(keyMismatches({ readable: false, encrypted: true, error: 'cannot decrypt the private key (wrong passphrase?)' }, { type: 'RSA', size: 2048, encrypted: true })).toEqual([
      'existing key is unusable: cannot decrypt the private key (wrong passphrase?)',
    ]);
  });
});
