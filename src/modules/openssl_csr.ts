/**
 * `openssl_csr` (community.crypto style): a PKCS#10 request signed with the
 * private key at privatekey_path (read from the target, used on the
 * controller). An existing CSR with the same subject, extensions and key is
 * left alone; otherwise it is regenerated.
 */
import { z } from 'zod';
import { createCsr, csrRequest, parseCsr, type CsrRequest } from '../pki/csr.js';
import { loadPrivateKey, PkiError, publicKeyFingerprint, specOfKey } from '../pki/keys.js';
import { csrMismatches } from '../pki/match.js';
import { SUBJECT_ARGS, SUBJECT_NAMES, subjectField, type Subject } from '../pki/names.js';
import { ModuleError } from '../util/errors.js';
import { bool } from './common/args.js';
import * as files from './openssl-common.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';

const stringList = z.union([z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)), z.array(z.string())]);

// Ansible's aliases for the subject and extension arguments.
const ALIASES: Record<string, string> = {
  ...Object.fromEntries(SUBJECT_NAMES.flatMap((n) => n.aliases.map((a) => [a, n.arg]))),
  subjectAltName: 'subject_alt_name', subjectAltName_critical: 'subject_alt_name_critical',
  keyUsage: 'key_usage', keyUsage_critical: 'key_usage_critical',
  extendedKeyUsage: 'extended_key_usage', extKeyUsage: 'extended_key_usage',
  extendedKeyUsage_critical: 'extended_key_usage_critical', extKeyUsage_critical: 'extended_key_usage_critical',
  basicConstraints: 'basic_constraints', basicConstraints_critical: 'basic_constraints_critical',
  privatekey: 'privatekey_path',
};

export const csrArgs = {
  common_name: z.string().optional().describe('Subject CN.'),
  country_name: z.string().optional().describe('Subject C (two letters).'),
  state_or_province_name: z.string().optional().describe('Subject ST.'),
  locality_name: z.string().optional().describe('Subject L.'),
  organization_name: z.string().optional().describe('Subject O.'),
  organizational_unit_name: z.string().optional().describe('Subject OU.'),
  email_address: z.string().optional().describe('Subject emailAddress.'),
  subject: z.record(z.string(), z.string()).optional().describe('More subject fields as a mapping, e.g. {CN: x, O: y}.'),
  subject_alt_name: stringList.optional().describe('DNS:name, IP:address, email:address, URI:uri.'),
  subject_alt_name_critical: bool.default(false).describe('Not supported: must stay false.'),
  use_common_name_for_san: bool.default(true).describe('With no subject_alt_name, use DNS:<common_name>.'),
  key_usage: stringList.optional().describe('keyUsage values, e.g. [digitalSignature, keyEncipherment].'),
  key_usage_critical: bool.default(false).describe('Mark keyUsage critical.'),
  extended_key_usage: stringList.optional().describe('extendedKeyUsage values, e.g. [serverAuth, clientAuth].'),
  extended_key_usage_critical: bool.default(false).describe('Mark extendedKeyUsage critical.'),
  basic_constraints: stringList.optional().describe('e.g. [CA:TRUE, pathlen:0].'),
  basic_constraints_critical: bool.default(false).describe('Mark basicConstraints critical.'),
};

const schema = z.preprocess(
  (v) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[ALIASES[k] ?? k] = x;
    return out;
  },
  z
    .strictObject({
      path: z.string().min(1).describe('Where the CSR is written on the target.'),
      privatekey_path: z.string().min(1).describe('The private key (on the target) the CSR is signed with.'),
      privatekey_passphrase: z.string().optional().describe('Passphrase of privatekey_path.'),
      ...csrArgs,
      digest: z.literal('sha256').default('sha256').describe('Accepted: the digest follows the key (SHA-256 for RSA and P-256, SHA-384 for P-384, none for Ed25519).'),
      version: z.coerce.number().int().default(1).describe('CSR version.'),
      ...files.managedFileArgs,
      select_crypto_backend: files.selectCryptoBackendArg,
    })
    .superRefine((a, ctx) => {
      if (a.subject_alt_name_critical) ctx.addIssue({ code: 'custom', path: ['subject_alt_name_critical'], message: 'a critical subjectAltName is not supported' });
      // Templated values are checked per host at run time (the loader validates literal ones only).
      if (JSON.stringify(a).includes('{{')) return;
      try {
        requestFromArgs(a);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : String(e) });
      }
    }),
);

export type CsrArgs = z.infer<typeof schema>;

/** The canonical request the arguments describe (shared with openssl_certificate's checks). */
export function requestFromArgs(a: z.infer<z.ZodObject<typeof csrArgs>>): CsrRequest {
  const subject: Subject = {};
  for (const [k, v] of Object.entries(a.subject ?? {})) subject[subjectField(k)] = v;
  for (const [arg, field] of Object.entries(SUBJECT_ARGS)) {
    const v = (a as Record<string, unknown>)[arg];
    if (typeof v === 'string' && v !== '') subject[field] = v;
  }
  return csrRequest({
    subject,
    subjectAltName: a.subject_alt_name,
    useCommonNameForSan: a.use_common_name_for_san,
    keyUsage: a.key_usage,
    keyUsageCritical: a.key_usage_critical,
    extendedKeyUsage: a.extended_key_usage,
    extendedKeyUsageCritical: a.extended_key_usage_critical,
    basicConstraints: a.basic_constraints,
    basicConstraintsCritical: a.basic_constraints_critical,
  });
}

interface Data extends files.FilePlanData<'generate' | 'attrs'> {
  keyPem?: string;
}

export const opensslCsrModule: Module<CsrArgs, Data> = {
  name: 'openssl_csr',
  doc: {
    short: 'Create a certificate signing request (PKCS#10) for a private key on the host.',
    examples: `
- name: A CSR with subject alternative names
  openssl_csr:
    path: /etc/ssl/private/web.csr
    privatekey_path: /etc/ssl/private/web.key
    common_name: web.example.org
    subject_alt_name: ["DNS:web.example.org", "DNS:www.example.org"]
`,
  },
  aliases: ['community.crypto.openssl_csr'],
  schema,
  secretArgs: ['privatekey_passphrase'],
  async plan(ctx, a) {
    const states = await files.readTargetFiles(ctx, [a.path, a.privatekey_path]);
    if (a.state === 'absent') return { changes: files.removalChanges(states, [a.path]), data: { action: 'remove' } };
    const req = requestFromArgs(a);
    const keyPem = files.textOf(states.get(a.privatekey_path), 'private key');
    if (keyPem !== undefined) ctx.secret(keyPem);
    const result = { filename: a.path, privatekey: a.privatekey_path, subject: req.subject, subjectAltName: req.extensions.subjectAltName };
    if (keyPem === undefined) {
      // In check mode the key task before us only predicted its file.
      if (ctx.check) return { changes: [{ summary: `generate CSR ${a.path} (private key ${a.privatekey_path} does not exist yet)` }], data: { action: 'generate' }, result };
      throw new ModuleError(`openssl_csr: private key ${a.privatekey_path} does not exist`);
    }
    let fingerprint: string;
    try {
      const key = loadPrivateKey(keyPem, a.privatekey_passphrase);
      specOfKey(key); // a key type we cannot sign with fails here, not after planning
      fingerprint = publicKeyFingerprint(key);
    } catch (e) {
      throw new ModuleError(`openssl_csr: private key ${a.privatekey_path}: ${e instanceof PkiError ? e.message : String(e)}`);
    }
    const csrPem = files.textOf(states.get(a.path), 'CSR');
    if (csrPem === undefined) return { changes: [{ summary: `generate CSR ${a.path}` }], data: { action: 'generate', keyPem }, result };
    let why: string[];
    try {
      why = a.force ? ['force: yes'] : csrMismatches(parseCsr(csrPem).facts, req, fingerprint);
    } catch (e) {
      why = [`existing file is not a usable CSR: ${e instanceof Error ? e.message : String(e)}`];
    }
    if (why.length) return { changes: [{ summary: `regenerate CSR ${a.path} (${why.join('; ')})` }], data: { action: 'generate', keyPem }, result };
    return files.keptFilePlan(states.get(a.path)!, a, result);
  },
  async apply(ctx, a, plan) {
    const done = await files.applyRemoveOrAttrs(ctx, a.path, plan);
    if (done) return done;
    const d = plan.data!;
    if (!d.keyPem) throw new ModuleError(`openssl_csr: private key ${a.privatekey_path} does not exist`);
    const pem = await createCsr(requestFromArgs(a), loadPrivateKey(d.keyPem, a.privatekey_passphrase));
    await files.writeTargetFile(ctx, { path: a.path, content: pem, mode: a.mode ?? '0644', owner: a.owner, group: a.group });
    return { changed: true, ...plan.result };
  },
};

registerModule(opensslCsrModule);
