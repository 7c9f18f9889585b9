import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../util/errors.js';
import type { DoClient } from './api.js';
import { DoApiError } from './api.js';
import { MD5_FINGERPRINT, resolvePath, type SshKeyRef } from './spec.js';
import type { DoSshKey } from './types.js';

/**
 * Turn the spec's ssh_keys into what POST /v2/droplets accepts (ids or
 * fingerprints). A number is an id, a 16-byte hex fingerprint is used as is,
 * any other string is a key name looked up in the account, and
 * `{public_key_file}` is uploaded unless the account already has it (matched
 * by fingerprint, which DigitalOcean computes as MD5 over the key blob).
 */

export interface KeyResolution {
  /** Spec ref (as JSON) -> id or fingerprint. */
  resolved: Map<string, string | number>;
  /** Keys that `up` uploads (or, in a dry run, would upload). */
  uploads: Array<{ name: string; fingerprint: string; file: string }>;
}

export function refKey(ref: SshKeyRef): string {
  return JSON.stringify(ref);
}

/** MD5 fingerprint of an OpenSSH public key line, as DigitalOcean shows it. */
export function md5Fingerprint(publicKey: string): string {
  const [type, blob] = publicKey.trim().split(/\s+/);
  if (!type || !blob || !/^[A-Za-z0-9+/]+=*$/.test(blob)) throw new Error('not an OpenSSH public key line');
  // The blob starts with its own key type (uint32 length + name): a cheap check that this is a key.
  const raw = Buffer.from(blob, 'base64');
  const len = raw.length >= 4 ? raw.readUInt32BE(0) : -1;
  if (len <= 0 || raw.length < 4 + len || raw.subarray(4, 4 + len).toString('latin1') !== type) throw new Error('not an OpenSSH public key line');
  const hex = createHash('md5').update(raw).digest('hex');
  return hex.match(/../g)!.join(':');
}

export async function resolveSshKeys(client: DoClient, refs: readonly SshKeyRef[], specDir: string, dryRun: boolean): Promise<KeyResolution> {
  const out: KeyResolution = { resolved: new Map(), uploads: [] };
  const unique = [...new Map(refs.map((r) => [refKey(r), r])).values()];
  if (unique.length === 0) return out;
  let account: DoSshKey[] | undefined;
  const accountKeys = async () => (account ??= await client.listSshKeys());
  for (const ref of unique) {
    if (typeof ref === 'number') out.resolved.set(refKey(ref), ref);
    else if (typeof ref === 'string' && MD5_FINGERPRINT.test(ref)) out.resolved.set(refKey(ref), ref.toLowerCase());
    else if (typeof ref === 'string') {
      const matches = (await accountKeys()).filter((k) => k.name === ref);
      if (matches.length === 0) throw new InputError(`ssh key "${ref}" is not in the DigitalOcean account`, undefined, `account keys: ${(await accountKeys()).map((k) => k.name).join(', ') || 'none'}; or use {public_key_file: PATH} to upload one`);
      if (matches.length > 1) throw new InputError(`ssh key name "${ref}" is ambiguous (${matches.length} keys)`, undefined, 'use its fingerprint or id');
      out.resolved.set(refKey(ref), matches[0]!.id);
    } else {
      const file = resolvePath(ref.public_key_file, specDir);
      let text: string;
      try {
        text = readFileSync(file, 'utf8').trim();
      } catch (e) {
        throw new InputError(`cannot read public key file ${ref.public_key_file}: ${(e as Error).message}`);
      }
      if (/PRIVATE KEY/.test(text)) throw new InputError(`${ref.public_key_file} is a private key`, undefined, 'give the .pub file');
      let fp: string;
      try {
        fp = md5Fingerprint(text);
      } catch {
        throw new InputError(`${ref.public_key_file} is not an OpenSSH public key`, undefined, 'expected a line like "ssh-ed25519 AAAA… comment"');
      }
      const existing = (await accountKeys()).find((k) => k.fingerprint === fp);
      if (existing) {
        out.resolved.set(refKey(ref), existing.id);
        continue;
      }
      const name = ref.name ?? (text.split(/\s+/)[2] || `drover ${path.basename(file)}`);
      out.uploads.push({ name, fingerprint: fp, file });
      if (dryRun) {
        out.resolved.set(refKey(ref), fp);
        continue;
      }
      try {
        const created = await client.createSshKey(name, text);
        out.resolved.set(refKey(ref), created.id);
      } catch (e) {
        // Uploaded meanwhile (or by a retried request): the account has it now.
        if (!(e instanceof DoApiError && e.status === 422)) throw e;
        account = undefined;
        const again = (await accountKeys()).find((k) => k.fingerprint === fp);
        if (!again) throw e;
        out.resolved.set(refKey(ref), again.id);
      }
    }
  }
  return out;
}
