import { parse } from 'yaml';

/**
 * The small part of cloud-init the fake DigitalOcean interprets for the
 * machines behind its droplets — the SSH settings of cloud-init's cc_ssh
 * module (cloudinit/config/cc_ssh.py, documented under "SSH" in cloud-init's
 * module reference):
 *
 *   ssh_deletekeys: bool           remove the image's host keys (default true)
 *   ssh_genkeytypes: [types]       host key types made when missing (default rsa, ecdsa, ed25519)
 *   ssh_keys: {TYPE_private, TYPE_public}   host keys to install (TYPE: rsa, ecdsa, ed25519)
 *   ssh_authorized_keys: [lines]   added to the default user's authorized_keys
 *
 * Anything else in a #cloud-config is refused with an error that names it,
 * so a test can never believe cloud-init did something the fake ignored.
 * User data that is not a #cloud-config (a script) is refused too.
 */

export interface CloudConfig {
  /** Host keys to install, by type. */
  hostKeys: Array<{ type: 'rsa' | 'ecdsa' | 'ed25519'; privateKey: string; publicKey?: string }>;
  authorizedKeys: string[];
  deleteKeys: boolean;
  genKeyTypes: string[];
}

const KNOWN = new Set(['ssh_deletekeys', 'ssh_genkeytypes', 'ssh_keys', 'ssh_authorized_keys']);
const TYPES = ['rsa', 'ecdsa', 'ed25519'] as const;

export function interpretCloudConfig(userData: string | undefined): CloudConfig {
  const out: CloudConfig = { hostKeys: [], authorizedKeys: [], deleteKeys: true, genKeyTypes: ['rsa', 'ecdsa', 'ed25519'] };
  if (userData === undefined) return out;
  if (!userData.startsWith('#cloud-config\n')) throw new Error('the fake interprets only #cloud-config user data');
  const doc = parse(userData) as Record<string, unknown> | null;
  if (doc === null) return out;
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('#cloud-config is not a mapping');
  const unknown = Object.keys(doc).filter((k) => !KNOWN.has(k));
  if (unknown.length) throw new Error(`the fake does not interpret ${unknown.join(', ')} (only ${[...KNOWN].join(', ')})`);
  if (doc.ssh_deletekeys !== undefined) {
    if (typeof doc.ssh_deletekeys !== 'boolean') throw new Error('ssh_deletekeys must be true or false');
    out.deleteKeys = doc.ssh_deletekeys;
  }
  if (doc.ssh_genkeytypes !== undefined) {
    if (!Array.isArray(doc.ssh_genkeytypes) || doc.ssh_genkeytypes.some((t) => !TYPES.includes(t))) throw new Error(`ssh_genkeytypes must list some of ${TYPES.join(', ')}`);
    out.genKeyTypes = doc.ssh_genkeytypes as string[];
  }
  if (doc.ssh_keys !== undefined) {
    const keys = doc.ssh_keys as Record<string, unknown>;
    if (!keys || typeof keys !== 'object') throw new Error('ssh_keys must be a mapping');
    for (const k of Object.keys(keys)) {
      const m = /^(rsa|ecdsa|ed25519)_(private|public)$/.exec(k);
      if (!m) throw new Error(`ssh_keys.${k} is not a host key the fake knows`);
      if (typeof keys[k] !== 'string') throw new Error(`ssh_keys.${k} must be a string`);
    }
    for (const type of TYPES) {
      const priv = keys[`${type}_private`] as string | undefined;
      if (priv === undefined) continue;
      if (!/^-----BEGIN OPENSSH PRIVATE KEY-----\n/.test(priv)) throw new Error(`ssh_keys.${type}_private is not an OpenSSH private key`);
      out.hostKeys.push({ type, privateKey: priv.endsWith('\n') ? priv : `${priv}\n`, publicKey: keys[`${type}_public`] as string | undefined });
    }
  }
  if (doc.ssh_authorized_keys !== undefined) {
    if (!Array.isArray(doc.ssh_authorized_keys) || doc.ssh_authorized_keys.some((k) => typeof k !== 'string')) throw new Error('ssh_authorized_keys must be a list of key lines');
    out.authorizedKeys = doc.ssh_authorized_keys as string[];
  }
  return out;
}
