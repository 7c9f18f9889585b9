/**
 * `openssl_certificate` / `x509_certificate` (community.crypto style),
 * providers `selfsigned` and `ownca`. The certificate carries the CSR's
 * subject, public key and extensions (copied as requested), SHA-256, a random
 * positive serial, a subjectKeyIdentifier and, for ownca, an
 * authorityKeyIdentifier equal to the CA's SKI. An existing certificate is
 * re-issued when it no longer matches: other key, subject or extensions than
 * the CSR, another issuer (name, key id or signature), expired or expiring
 * within renew_before_days.
 */
import { z } from 'zod';
import { certFacts, certPublicKey, certSignedBy, issueCertificate, keyIdentifier, parseCertificate, parseTimeSpec, type Certificate, type SkiMode } from '../pki/cert.js';
import { subjectKeyId } from '../pki/extensions.js';
import { parseCsr } from '../pki/csr.js';
import { fromName } from '../pki/dn.js';
import { loadPrivateKey, PkiError, publicKeyFingerprint } from '../pki/keys.js';
import { certMismatches } from '../pki/match.js';
import { ModuleError } from '../util/errors.js';
import { bool } from './common/args.js';
import * as files from './openssl-common.js';
import { registerModule } from './registry.js';
import type { Module, TaskContext } from './types.js';

const skiMode = z.enum(['create_if_not_provided', 'always_create', 'never_create']).default('create_if_not_provided');

const schema = z
  .strictObject({
    path: z.string().min(1).describe('Where the certificate is written on the target.'),
    csr_path: z.string().min(1).describe('The CSR (on the target) to certify.'),
    provider: z.enum(['selfsigned', 'ownca']).describe('selfsigned, or ownca (signed by ownca_path/ownca_privatekey_path). acme/assertonly are not supported.'),
    privatekey_path: z.string().optional().describe('selfsigned: the key matching the CSR.'),
    privatekey_passphrase: z.string().optional().describe('Passphrase of privatekey_path.'),
    selfsigned_not_before: z.string().default('+0s').describe('Start of validity: relative to now (+0s, -1d) or absolute (20300101000000Z).'),
    selfsigned_not_after: z.string().default('+3650d').describe('End of validity: relative to now (+3650d, +52w) or absolute (20300101000000Z).'),
    selfsigned_digest: z.literal('sha256').default('sha256').describe('Accepted: the digest follows the signing key (SHA-256 for RSA and P-256, SHA-384 for P-384, none for Ed25519).'),
    selfsigned_version: z.coerce.number().int().default(3).describe('X.509 version.'),
    selfsigned_create_subject_key_identifier: skiMode.describe('When to add a subjectKeyIdentifier, as community.crypto: create_if_not_provided, always_create, never_create.'),
    ownca_path: z.string().optional().describe('ownca: the CA certificate.'),
    ownca_privatekey_path: z.string().optional().describe('ownca: the CA private key.'),
    ownca_privatekey_passphrase: z.string().optional().describe("Passphrase of the CA's private key."),
    ownca_not_before: z.string().default('+0s').describe('Start of validity: relative to now (+0s, -1d) or absolute (20300101000000Z).'),
    ownca_not_after: z.string().default('+3650d').describe('End of validity: relative to now (+3650d, +52w) or absolute (20300101000000Z).'),
    ownca_digest: z.literal('sha256').default('sha256').describe('Accepted: the digest follows the signing key (SHA-256 for RSA and P-256, SHA-384 for P-384, none for Ed25519).'),
    ownca_version: z.coerce.number().int().default(3).describe('X.509 version.'),
    ownca_create_subject_key_identifier: skiMode.describe('When to add a subjectKeyIdentifier, as community.crypto: create_if_not_provided, always_create, never_create.'),
    ownca_create_authority_key_identifier: bool.default(true).describe("Add an authorityKeyIdentifier (the CA's key id)."),
    renew_before_days: z.coerce.number().int().nonnegative().default(30).describe('drover: re-issue when the certificate expires within this many days.'),
    ...files.managedFileArgs,
    select_crypto_backend: files.selectCryptoBackendArg,
    backup: bool.optional().describe('Accepted for compatibility; ignored.'),
  })
  .superRefine((a, ctx) => {
    if (a.state === 'absent') return;
    if (a.provider === 'selfsigned' && !a.privatekey_path) ctx.addIssue({ code: 'custom', path: ['privatekey_path'], message: 'provider selfsigned needs privatekey_path' });
    if (a.provider === 'ownca' && (!a.ownca_path || !a.ownca_privatekey_path)) ctx.addIssue({ code: 'custom', message: 'provider ownca needs ownca_path and ownca_privatekey_path' });
    for (const k of ['selfsigned_not_before', 'selfsigned_not_after', 'ownca_not_before', 'ownca_not_after'] as const) {
      try {
        parseTimeSpec(a[k]);
      } catch (e) {
        ctx.addIssue({ code: 'custom', path: [k], message: e instanceof Error ? e.message : String(e) });
      }
    }
  });

export type CertificateArgs = z.infer<typeof schema>;

interface Data extends files.FilePlanData<'issue' | 'attrs'> {
  csrPem?: string;
  signerPem?: string;
  caCertPem?: string;
}

function pending(ctx: TaskContext, path: string, what: string, summary: string) {
  if (ctx.check) return { changes: [{ summary: `${summary} (${what} ${path} does not exist yet)` }], data: { action: 'issue' as const } };
  throw new ModuleError(`openssl_certificate: ${what} ${path} does not exist`);
}

function wrap<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new ModuleError(`openssl_certificate: ${what}: ${e instanceof PkiError || e instanceof Error ? e.message : String(e)}`);
  }
}

export const opensslCertificateModule: Module<CertificateArgs, Data> = {
  name: 'openssl_certificate',
  doc: {
    short: 'Issue an X.509 certificate from a CSR: self-signed, or signed by your own CA.',
    examples: `
- name: A self-signed certificate
  openssl_certificate:
    path: /etc/ssl/certs/web.crt
    csr_path: /etc/ssl/private/web.csr
    privatekey_path: /etc/ssl/private/web.key
    provider: selfsigned

- name: A certificate signed by a CA kept on the host
  openssl_certificate:
    path: /etc/ssl/certs/api.crt
    csr_path: /etc/ssl/private/api.csr
    provider: ownca
    ownca_path: /etc/ssl/ca/ca.crt
    ownca_privatekey_path: /etc/ssl/ca/ca.key
`,
  },
  aliases: ['x509_certificate', 'community.crypto.x509_certificate', 'community.crypto.openssl_certificate'],
  schema,
  secretArgs: ['privatekey_passphrase', 'ownca_privatekey_passphrase'],
  async plan(ctx, a) {
    const signerPath = a.provider === 'ownca' ? a.ownca_privatekey_path! : a.privatekey_path;
    const paths = [a.path, a.csr_path, ...(signerPath ? [signerPath] : []), ...(a.ownca_path && a.provider === 'ownca' ? [a.ownca_path] : [])];
    const states = await files.readTargetFiles(ctx, paths);
    if (a.state === 'absent') return { changes: files.removalChanges(states, [a.path]), data: { action: 'remove' } };

    const verb = `issue ${a.provider} certificate ${a.path}`;
    const csrPem = files.textOf(states.get(a.csr_path), 'CSR');
    if (csrPem === undefined) return pending(ctx, a.csr_path, 'CSR', verb);
    const signerPem = files.textOf(states.get(signerPath!), a.provider === 'ownca' ? 'CA private key' : 'private key');
    if (signerPem === undefined) return pending(ctx, signerPath!, a.provider === 'ownca' ? 'CA private key' : 'private key', verb);
    ctx.secret(signerPem);
    const caCertPem = a.provider === 'ownca' ? files.textOf(states.get(a.ownca_path!), 'CA certificate') : undefined;
    if (a.provider === 'ownca' && caCertPem === undefined) return pending(ctx, a.ownca_path!, 'CA certificate', verb);

    const csr = wrap(`CSR ${a.csr_path}`, () => parseCsr(csrPem));
    if (!csr.facts.signatureValid) throw new ModuleError(`openssl_certificate: CSR ${a.csr_path}: its signature does not verify`);
    const signer = wrap(`key ${signerPath}`, () => loadPrivateKey(signerPem, a.provider === 'ownca' ? a.ownca_privatekey_passphrase : a.privatekey_passphrase));
    const caCert = caCertPem !== undefined ? wrap(`CA certificate ${a.ownca_path}`, () => parseCertificate(caCertPem)) : undefined;
    if (caCert && publicKeyFingerprint(certPublicKey(caCert)) !== publicKeyFingerprint(signer)) {
      throw new ModuleError(`openssl_certificate: CA key ${a.ownca_privatekey_path} does not belong to CA certificate ${a.ownca_path}`);
    }
    if (!caCert && csr.facts.publicKeyFingerprint !== publicKeyFingerprint(signer)) {
      throw new ModuleError(`openssl_certificate: private key ${a.privatekey_path} does not belong to CSR ${a.csr_path}`);
    }
    const data: Data = { action: 'issue', csrPem, signerPem, caCertPem };

    const existing = files.textOf(states.get(a.path), 'certificate');
    if (existing === undefined) return { changes: [{ summary: verb }], data };
    let why: string[];
    if (a.force) why = ['force: yes'];
    else {
      try {
        const cert = parseCertificate(existing);
        const issuer = caCert ?? cert;
        const signatureValid = certSignedBy(cert, issuer);
        why = certMismatches(certFacts(cert), {
          request: { subject: csr.facts.subject, extensions: csr.facts.extensions },
          publicKeyFingerprint: csr.facts.publicKeyFingerprint,
          issuer: caCert
            ? {
                subject: fromName(caCert.subjectName),
                publicKeyFingerprint: publicKeyFingerprint(signer),
                subjectKeyId: subjectKeyId(caCert.extensions) ?? keyIdentifier(certPublicKey(caCert)),
              }
            : undefined,
          signatureValid,
          renewDays: a.renew_before_days,
          now: new Date(),
        });
      } catch (e) {
        why = [`existing file is not a usable certificate: ${e instanceof Error ? e.message : String(e)}`];
      }
    }
    if (why.length) return { changes: [{ summary: `re-${verb} (${why.join('; ')})` }], data };
    return files.keptFilePlan(states.get(a.path)!, a, { filename: a.path, csr: a.csr_path });
  },
  async apply(ctx, a, plan) {
    const done = await files.applyRemoveOrAttrs(ctx, a.path, plan);
    if (done) return done;
    const d = plan.data!;
    if (!d.csrPem || !d.signerPem) throw new ModuleError('openssl_certificate: inputs missing (CSR or key did not exist when planning)');
    const csr = parseCsr(d.csrPem);
    const signer = loadPrivateKey(d.signerPem, a.provider === 'ownca' ? a.ownca_privatekey_passphrase : a.privatekey_passphrase);
    const now = new Date();
    let issuer: { cert: Certificate; key: typeof signer } | undefined;
    let notBefore: Date;
    let notAfter: Date;
    if (a.provider === 'ownca') {
      issuer = { cert: parseCertificate(d.caCertPem!), key: signer };
      notBefore = parseTimeSpec(a.ownca_not_before, now);
      notAfter = parseTimeSpec(a.ownca_not_after, now);
    } else {
      notBefore = parseTimeSpec(a.selfsigned_not_before, now);
      notAfter = parseTimeSpec(a.selfsigned_not_after, now);
    }
    const pem = await issueCertificate({
      subject: csr.facts.subject,
      publicKey: csr.publicKey,
      extensions: csr.rawExtensions,
      notBefore,
      notAfter,
      issuer,
      selfKey: issuer ? undefined : signer,
      subjectKeyIdentifier: (a.provider === 'ownca' ? a.ownca_create_subject_key_identifier : a.selfsigned_create_subject_key_identifier) as SkiMode,
      authorityKeyIdentifier: a.ownca_create_authority_key_identifier,
    });
    await files.writeTargetFile(ctx, { path: a.path, content: pem, mode: a.mode ?? '0644', owner: a.owner, group: a.group });
    const f = certFacts(parseCertificate(pem));
    return { changed: true, filename: a.path, csr: a.csr_path, serial_number: f.serial, not_after: f.notAfter, subject: f.subject, issuer: f.issuer };
  },
};

registerModule(opensslCertificateModule);
