/**
 * `openssl_privatekey` (community.crypto style): an RSA private key in PEM,
 * generated on the controller, written to the target atomically with mode
 * 0600. An existing key of the requested type and size (and encryption) is
 * left alone; `force: yes` always regenerates. Only RSA: see src/pki/keys.ts
 * for why EC/Ed25519 keys are refused.
 */
import { z } from 'zod';
import { describePrivateKey, generateRsaKey, NON_RSA_EXPLANATION, privateKeyToPem, publicKeyFingerprint, RSA_SIZES } from '../pki/keys.js';
import { keyMismatches } from '../pki/match.js';
import { attrArgs, bool } from './common/args.js';
import * as files from './openssl-common.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';

const schema = z
  .strictObject({
    path: z.string().min(1).describe('Where the key is written on the target.'),
    size: z.coerce.number().int().default(4096).describe('RSA modulus bits: 2048, 3072 or 4096 (Ansible default 4096).'),
    type: z.string().default('RSA').describe('Only RSA (node-forge signs X.509 with RSA keys only).'),
    passphrase: z.string().optional().describe('Encrypt the key (PKCS#8, AES-256-CBC).'),
    cipher: z.string().optional().describe("Accepted for compatibility ('auto'); the cipher is AES-256-CBC."),
    format: z.enum(['pkcs1', 'pkcs8', 'auto', 'auto_ignore']).default('auto_ignore').describe('auto/auto_ignore: PKCS#1 for unencrypted RSA keys.'),
    ...files.managedFileArgs,
    force: bool.default(false).describe('Regenerate even when the key matches.'),
    mode: attrArgs.mode.default('0600'),
    select_crypto_backend: files.selectCryptoBackendArg,
  })
  .superRefine((a, ctx) => {
    if (a.type.toUpperCase() !== 'RSA') ctx.addIssue({ code: 'custom', path: ['type'], message: `type ${a.type} is not supported: ${NON_RSA_EXPLANATION}` });
    if (!(RSA_SIZES as readonly number[]).includes(a.size)) ctx.addIssue({ code: 'custom', path: ['size'], message: `size ${a.size}: use one of ${RSA_SIZES.join(', ')}` });
  });

export type PrivateKeyArgs = z.infer<typeof schema>;

type Data = files.FilePlanData<'generate' | 'attrs'>;

export const opensslPrivateKeyModule: Module<PrivateKeyArgs, Data> = {
  name: 'openssl_privatekey',
  doc: {
    short: 'Generate an RSA private key (PEM) on the host.',
    examples: `
- name: A 4096-bit RSA key, readable by root only
  openssl_privatekey:
    path: /etc/ssl/private/web.key
    size: 4096
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
    const result = { filename: a.path, size: a.size, type: 'RSA' };
    if (pem === undefined) return { changes: [{ summary: `generate RSA ${a.size} key ${a.path}` }], data: { action: 'generate' }, result };
    const facts = describePrivateKey(pem, a.passphrase);
    const why = a.force ? ['force: yes'] : keyMismatches(facts, { type: 'RSA', size: a.size, encrypted: !!a.passphrase, format: a.format === 'pkcs8' ? 'pkcs8' : a.format === 'pkcs1' ? 'pkcs1' : undefined });
    if (why.length) return { changes: [{ summary: `regenerate RSA ${a.size} key ${a.path} (${why.join('; ')})` }], data: { action: 'generate' }, result };
    return files.keptFilePlan(state, a, { ...result, fingerprint: facts.publicKeyFingerprint });
  },
  async apply(ctx, a, plan) {
    const done = await files.applyRemoveOrAttrs(ctx, a.path, plan);
    if (done) return done;
    const key = await generateRsaKey(a.size);
    const pem = privateKeyToPem(key, { passphrase: a.passphrase, format: a.format === 'pkcs8' ? 'pkcs8' : 'pkcs1' });
    ctx.secret(pem);
    await files.writeTargetFile(ctx, { path: a.path, content: pem, mode: a.mode, owner: a.owner, group: a.group });
    return { changed: true, filename: a.path, size: a.size, type: 'RSA', fingerprint: publicKeyFingerprint(key) };
  },
};

registerModule(opensslPrivateKeyModule);
