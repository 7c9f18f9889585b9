import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../local/exec.js';
import { USER_DATA_MAX_BYTES } from './spec.js';

/**
 * Strict host keys from the first contact: drover makes each droplet's SSH
 * host key itself and hands it over in cloud-init's `ssh_keys:` (cc_ssh
 * writes it to /etc/ssh before sshd starts), so the lab's known_hosts is
 * right before the droplet exists. The user's login key never goes into
 * user_data: it reaches the droplet through DigitalOcean's own `ssh_keys`.
 */

export interface HostKeyPair {
  /** cloud-init's name for the type: `ed25519` (ssh_keys: ed25519_private / ed25519_public). */
  type: 'ed25519';
  /** The OpenSSH private key file's text. */
  privateKey: string;
  /** `ssh-ed25519 AAAA… root@NAME`. */
  publicKey: string;
}

/** A fresh ed25519 host key for a node, made by ssh-keygen in a private temporary directory that is removed at once. */
export async function generateHostKey(node: string): Promise<HostKeyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-hostkey-'));
  try {
    const file = join(dir, 'key');
    await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `root@${node}`, '-f', file]);
    return { type: 'ed25519', privateKey: readFileSync(file, 'utf8'), publicKey: readFileSync(`${file}.pub`, 'utf8').trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The droplet's user_data: a #cloud-config that replaces the image's host
 * keys with drover's (ssh_deletekeys removes the ones the image came with,
 * an empty ssh_genkeytypes makes no others), so sshd offers exactly the key
 * in known_hosts. Refused when over DigitalOcean's 64 KiB, or when it would
 * carry anything that is not a host key.
 */
export function hostKeyUserData(node: string, lab: string, keys: readonly HostKeyPair[]): string {
  const lines = ['#cloud-config', `# Written by drover for node ${node} of lab ${lab}: its SSH host key, whose public half is in the lab's known_hosts.`, 'ssh_deletekeys: true', 'ssh_genkeytypes: []', 'ssh_keys:'];
  for (const k of keys) {
    if (!/^-----BEGIN OPENSSH PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END OPENSSH PRIVATE KEY-----\n?$/.test(k.privateKey)) throw new Error(`host key of ${node} is not an OpenSSH private key file`);
    if (!k.publicKey.startsWith(`ssh-${k.type} `)) throw new Error(`host key of ${node}: the public half is not ssh-${k.type}`);
    lines.push(`  ${k.type}_private: |`, ...k.privateKey.trimEnd().split('\n').map((l) => `    ${l}`));
    // A JSON string is a YAML double-quoted scalar.
    lines.push(`  ${k.type}_public: ${JSON.stringify(k.publicKey)}`);
  }
  const text = lines.join('\n') + '\n';
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > USER_DATA_MAX_BYTES) throw new Error(`user_data of ${node} is ${bytes} bytes; DigitalOcean takes at most 64 KiB (${USER_DATA_MAX_BYTES} bytes)`);
  return text;
}

/** A known_hosts line: the droplet's names and addresses share its host key (type and blob; no comment). */
export function knownHostsLine(names: readonly string[], publicKey: string): string {
  const [type, blob] = publicKey.trim().split(/\s+/);
  if (!type || !blob) throw new Error(`not a public key line: ${publicKey}`);
  return `${[...new Set(names)].join(',')} ${type} ${blob}`;
}
