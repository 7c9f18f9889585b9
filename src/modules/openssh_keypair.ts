/**
 * `openssh_keypair` (community.crypto style): an OpenSSH key pair, private
 * key at `path` (0600, openssh-key-v1, unencrypted) and public key at
 * `path.pub`. Generated on the controller. An existing key of the right type
 * and size is kept; a changed comment is rewritten into both files; a missing
 * or stale .pub is regenerated from the private key.
 */
import { z } from 'zod';
import { generateSshKey, parseSshPrivateKey, publicKeyLine, sshFingerprint, withComment, type SshKeyInfo } from '../pki/ssh.js';
import { ModuleError } from '../util/errors.js';
import { attrArgs } from './common/args.js';
import * as files from './openssl-common.js';
import { registerModule } from './registry.js';
import type { Change, Module } from './types.js';

const schema = z
  .strictObject({
    path: z.string().min(1).describe('Private key path; the public key goes to <path>.pub.'),
    type: z.enum(['rsa', 'ed25519']).default('rsa').describe('rsa or ed25519 (dsa/ecdsa are not supported).'),
    size: z.coerce.number().int().optional().describe('RSA bits (default 4096); ignored for ed25519.'),
    comment: z.string().optional().describe("The public key's comment."),
    ...files.managedFileArgs,
    mode: attrArgs.mode.default('0600'),
    regenerate: z.string().optional().describe('Accepted for compatibility; drover regenerates only on type/size mismatch or force.'),
  })
  .superRefine((a, ctx) => {
    if (a.type === 'rsa' && a.size !== undefined && ![2048, 3072, 4096].includes(a.size)) ctx.addIssue({ code: 'custom', path: ['size'], message: 'RSA size must be 2048, 3072 or 4096' });
  });

export type SshKeypairArgs = z.infer<typeof schema>;

interface Data extends files.FilePlanData<'generate' | 'update'> {
  /** update: rewrite the private key with this comment. */
  privateText?: string;
  writePrivate?: boolean;
  writePublic?: boolean;
  info?: SshKeyInfo;
}

export const opensshKeypairModule: Module<SshKeypairArgs, Data> = {
  name: 'openssh_keypair',
  doc: {
    short: 'Generate an OpenSSH key pair (private key and .pub) on the host.',
    examples: `
- name: An ed25519 key pair for a service account
  openssh_keypair:
    path: /home/deploy/.ssh/id_ed25519
    type: ed25519
    comment: deploy@example
    owner: deploy
`,
  },
  aliases: ['community.crypto.openssh_keypair'],
  schema,
  async plan(ctx, a) {
    const pub = `${a.path}.pub`;
    const states = await files.readTargetFiles(ctx, [a.path, pub]);
    if (a.state === 'absent') return { changes: files.removalChanges(states, [a.path, pub]), data: { action: 'remove' } };
    const bits = a.type === 'rsa' ? (a.size ?? 4096) : 256;
    const priv = files.textOf(states.get(a.path), 'private key');
    if (priv !== undefined) ctx.secret(priv);
    if (priv === undefined) return { changes: [{ summary: `generate ${a.type} key pair ${a.path}, ${pub}` }], data: { action: 'generate' } };
    let info: SshKeyInfo | undefined;
    let why = a.force ? 'force: yes' : '';
    if (!why) {
      try {
        info = parseSshPrivateKey(priv);
        if (info.type !== a.type) why = `type ${info.type} -> ${a.type}`;
        else if (info.bits !== bits) why = `size ${info.bits} -> ${bits}`;
      } catch (e) {
        why = `existing file is not a usable OpenSSH key: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    if (why) return { changes: [{ summary: `regenerate ${a.type} key pair ${a.path} (${why})` }], data: { action: 'generate' } };

    const changes: Change[] = [];
    const comment = a.comment ?? info!.comment;
    const data: Data = { action: 'update', info: { ...info!, comment } };
    if (a.comment !== undefined && a.comment !== info!.comment) {
      if (info!.encrypted) throw new ModuleError(`openssh_keypair: ${a.path} is encrypted; cannot change its comment`);
      changes.push({ summary: `${a.path}: comment "${info!.comment}" -> "${a.comment}"` });
      data.writePrivate = true;
      data.privateText = priv;
    }
    const wantPub = publicKeyLine(info!.type, info!.publicBlob, comment);
    if (files.textOf(states.get(pub), 'public key') !== wantPub) {
      changes.push({ summary: `write ${pub}` });
      data.writePublic = true;
    }
    if (!data.writePrivate) {
      data.attrs = files.planKeptFile(states.get(a.path)!, a);
      changes.push(...data.attrs.changes);
    }
    return { changes, data, result: { filename: a.path, type: info!.type, size: info!.bits, comment, fingerprint: sshFingerprint(info!.publicBlob), public_key: wantPub.trim() } };
  },
  async apply(ctx, a, plan) {
    const d = plan.data!;
    const pub = `${a.path}.pub`;
    if (d.action === 'remove') {
      await files.removeTargetFiles(ctx, [a.path, pub]);
      return { changed: true, filename: a.path };
    }
    const { owner, group } = a;
    if (d.action === 'generate') {
      const comment = a.comment ?? '';
      const k = await generateSshKey(a.type, a.type === 'rsa' ? (a.size ?? 4096) : 256, comment);
      ctx.secret(k.privateKey);
      await files.writeTargetFile(ctx, { path: a.path, content: k.privateKey, mode: a.mode, owner, group });
      await files.writeTargetFile(ctx, { path: pub, content: k.publicKey, mode: '0644', owner, group });
      const info = parseSshPrivateKey(k.privateKey);
      return { changed: true, filename: a.path, type: a.type, size: info.bits, comment, fingerprint: sshFingerprint(info.publicBlob), public_key: k.publicKey.trim() };
    }
    const info = d.info!;
    if (d.writePrivate) {
      const text = withComment(d.privateText!, info.comment);
      ctx.secret(text);
      await files.writeTargetFile(ctx, { path: a.path, content: text, mode: a.mode, owner, group });
    } else {
      await files.applyAttrPlan(ctx, a.path, d.attrs);
    }
    if (d.writePublic) await files.writeTargetFile(ctx, { path: pub, content: publicKeyLine(info.type, info.publicBlob, info.comment), mode: '0644', owner, group });
    return { changed: true, ...plan.result };
  },
};

registerModule(opensshKeypairModule);
