/**
 * `openssl_privatekey` (community.crypto style): a private key in PEM —
 * `type: RSA` (size 2048/3072/4096), `ECC` (curve secp256r1 or secp384r1) or
 * `Ed25519` — generated on the controller, written to the target atomically
 * with mode 0600. An existing key of the requested type and size/curve (and
 * encryption) is left alone; `force: yes` always regenerates.
 */
import { z } from 'zod';
import { describeKeySpec, describePrivateKey, generateKey, keySpec, privateKeyToPem, publicKeyFingerprint, type KeySpec } from '../pki/keys.js';
import { keyMismatches } from '../pki/match.js';
import { attrArgs, bool } from './common/args.js';
import * as files from './openssl-common.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';

const schema = z
  .strictObject({
    path: z.string().min(1).describe('Where the key is written on the target.'),
    size: z.coerce.number().int().default(4096).describe('RSA modulus bits: 2048, 3072 or 4096 (Ansible default 4096). Ignored for ECC and Ed25519.'),
    type: z.string().default('RSA').describe('RSA, ECC or Ed25519.'),
    curve: z.string().optional().describe('ECC: secp256r1 (P-256) or secp384r1 (P-384); required with type ECC, as in Ansible.'),
    passphrase: z.string().optional().describe('Encrypt the key (PKCS#8, AES-256-CBC).'),
    cipher: z.string().optional().describe("Accepted for compatibility ('auto'); the cipher is AES-256-CBC."),
    format: z.enum(['pkcs1', 'pkcs8', 'auto', 'auto_ignore']).default('auto_ignore').describe('auto/auto_ignore: the traditional form for unencrypted RSA (PKCS#1) and ECC (SEC 1) keys, PKCS#8 for Ed25519; pkcs1 is the traditional form.'),
    ...files.managedFileArgs,
    force: bool.default(false).describe('Regenerate even when the key matches.'),
    mode: attrArgs.mode.default('0600'),
    select_crypto_backend: files.selectCryptoBackendArg,
  })
  .superRefine((a, ctx) => {
    if (/^ecc?$/i.test(a.type) && !a.curve) ctx.addIssue({ code: 'custom', path: ['curve'], message: 'type ECC needs curve: secp256r1 or secp384r1' });
    try {
      specOf(a);
    } catch (e) {
      ctx.addIssue({ code: 'custom', path: ['type'], message: e instanceof Error ? e.message : String(e) });
    }
    if (a.format === 'pkcs1' && /^ed25519$/i.test(a.type)) ctx.addIssue({ code: 'custom', path: ['format'], message: 'an Ed25519 key has no PKCS#1/traditional form: use format pkcs8 or auto_ignore' });
  });

export type PrivateKeyArgs = z.infer<typeof schema>;

function specOf(a: { type: string; size: number; curve?: string }): KeySpec {
  return keySpec(a.type, { size: a.size, curve: a.curve });
}

/** Ansible's result fields: type, and size (RSA) or curve (ECC). */
function keyResult(k: KeySpec): Record<string, unknown> {
  return k.type === 'RSA' ? { type: 'RSA', size: k.size } : k.type === 'ECC' ? { type: 'ECC', curve: k.curve } : { type: 'Ed25519' };
}

type Data = files.FilePlanData<'generate' | 'attrs'>;

export const opensslPrivateKeyModule: Module<PrivateKeyArgs, Data> = {
  name: 'openssl_privatekey',
  doc: {
    short: 'Generate a private key (PEM) on the host: RSA, ECC (P-256/P-384) or Ed25519.',
    examples: `
- name: A 4096-bit RSA key, readable by root only
  openssl_privatekey:
    path: /etc/ssl/private/web.key
    size: 4096

- name: An EC P-256 key
  openssl_privatekey:
    path: /etc/ssl/private/api.key
    type: ECC
    curve: secp256r1
`,
  },
  aliases: ['community.crypto.openssl_privatekey'],
  schema,
  secretArgs: ['passphrase'],
  async plan(ctx, a) {
    const states = await files.readTargetFiles(ctx, [a.path]);
    const state = states.get(a.path)!;
    if (a.state === 'absent') {
      const changes = files.removalChanges(states, [a.path]);
      return { changes, data: { action: 'remove' } };
    }
    const pem = files.textOf(state, 'private key');
    if (pem !== undefined) ctx.secret(pem);
    const spec = specOf(a);
    const result = { filename: a.path, ...keyResult(spec) };
    if (pem === undefined) return { changes: [{ summary: `generate ${describeKeySpec(spec)} key ${a.path}` }], data: { action: 'generate' }, result };
    const facts = describePrivateKey(pem, a.passphrase);
    const why = a.force ? ['force: yes'] : keyMismatches(facts, { ...spec, encrypted: !!a.passphrase, format: a.format === 'pkcs8' ? 'pkcs8' : a.format === 'pkcs1' ? 'pkcs1' : undefined });
    if (why.length) return { changes: [{ summary: `regenerate ${describeKeySpec(spec)} key ${a.path} (${why.join('; ')})` }], data: { action: 'generate' }, result };
    return files.keptFilePlan(state, a, { ...result, fingerprint: facts.publicKeyFingerprint });
  },
  async apply(ctx, a, plan) {
    const done = await files.applyRemoveOrAttrs(ctx, a.path, plan);
    if (done) return done;
    const spec = specOf(a);
    const key = await generateKey(spec);
    const pem = privateKeyToPem(key, { passphrase: a.passphrase, format: a.format === 'pkcs8' ? 'pkcs8' : 'pkcs1' });
    ctx.secret(pem);
    await files.writeTargetFile(ctx, { path: a.path, content: pem, mode: a.mode, owner: a.owner, group: a.group });
    return { changed: true, filename: a.path, ...keyResult(spec), fingerprint: publicKeyFingerprint(key) };
  },
};

registerModule(opensslPrivateKeyModule);
