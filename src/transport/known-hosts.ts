/**
 * OpenSSH known_hosts: parsing, matching (plain, wildcard, negated, hashed
 * `|1|salt|hash`, `[host]:port`), and the three checking policies drover
 * offers (strict, accept-new, off).
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export interface KnownHostsEntry {
  /** 1-based line in the file. */
  line: number;
  marker?: '@cert-authority' | '@revoked';
  /** Comma-separated host patterns, or a single hashed `|1|salt|hash` entry. */
  patterns: string[];
  keyType: string;
  /** Base64 key blob. */
  key: string;
}

export function parseKnownHosts(text: string): KnownHostsEntry[] {
  const out: KnownHostsEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const f = line.split(/\s+/);
    let marker: KnownHostsEntry['marker'];
    if (f[0] === '@cert-authority' || f[0] === '@revoked') marker = f.shift() as KnownHostsEntry['marker'];
    if (f.length < 3) return; // malformed: OpenSSH skips it too
    out.push({ line: i + 1, marker, patterns: f[0]!.split(','), keyType: f[1]!, key: f[2]! });
  });
  return out;
}

/** The name OpenSSH writes for a host: `host` on port 22, `[host]:port` otherwise. */
export function hostKeyName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Compiled patterns: every connection of a run checks the same known_hosts lines. */
const globCache = new Map<string, RegExp>();

function globMatch(pattern: string, s: string): boolean {
  let re = globCache.get(pattern);
  if (!re) {
    re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 'i');
    globCache.set(pattern, re);
  }
  return re.test(s);
}

function hashedMatch(pattern: string, name: string): boolean {
  const parts = pattern.split('|'); // ['', '1', salt, hash]
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const h = createHmac('sha1', Buffer.from(parts[2]!, 'base64')).update(name).digest('base64');
  return h === parts[3];
}

/** Whether an entry names this host (OpenSSH rules: any positive match and no negated match). */
export function entryMatches(e: KnownHostsEntry, host: string, port: number): boolean {
  const name = hostKeyName(host, port);
  let hit = false;
  for (const p of e.patterns) {
    if (p.startsWith('|')) {
      if (hashedMatch(p, name)) hit = true;
      continue;
    }
    const neg = p.startsWith('!');
    const pat = neg ? p.slice(1) : p;
    if (globMatch(pat, name)) {
      if (neg) return false;
      hit = true;
    }
  }
  return hit;
}

/** Key type name inside an SSH public key blob (its first length-prefixed string). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString('latin1');
}

/** `SHA256:…` as `ssh-keygen -l` prints it. */
export function fingerprintSha256(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

export type HostKeyVerdict =
  | { status: 'match'; entry: KnownHostsEntry }
  | { status: 'unknown' }
  | { status: 'changed'; entries: KnownHostsEntry[] }
  | { status: 'revoked'; entry: KnownHostsEntry };

/**
 * Compare a presented key with what the file knows for the host. A host with
 * known keys none of which is this one counts as changed, whatever the key
 * types (the client puts known types first, so a different type means the
 * server lost its old key).
 */
export function lookupHostKey(entries: KnownHostsEntry[], host: string, port: number, blob: Buffer): HostKeyVerdict {
  const b64 = blob.toString('base64');
  const mine = entries.filter((e) => e.marker !== '@cert-authority' && entryMatches(e, host, port));
  const revoked = entries.find((e) => e.marker === '@revoked' && e.key === b64);
  if (revoked) return { status: 'revoked', entry: revoked };
  const plain = mine.filter((e) => !e.marker);
  const hit = plain.find((e) => e.key === b64);
  if (hit) return { status: 'match', entry: hit };
  return plain.length ? { status: 'changed', entries: plain } : { status: 'unknown' };
}

/** Key types the file already knows for a host (to prefer them in key exchange). */
export function knownKeyTypes(entries: KnownHostsEntry[], host: string, port: number): string[] {
  return [...new Set(entries.filter((e) => !e.marker && entryMatches(e, host, port)).map((e) => e.keyType))];
}

/**
 * Parsed files, reused while the file is unchanged (same inode, size and
 * mtime): 500 hosts sharing one known_hosts file read and parse it once, and
 * an accept-new append (size changes) is seen by the next connection.
 */
const parsedFiles = new Map<string, { stamp: string; entries: KnownHostsEntry[] }>();

export function readKnownHosts(file: string): KnownHostsEntry[] {
  let st;
  try {
    st = statSync(file);
  } catch {
    parsedFiles.delete(file);
    return [];
  }
  const stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
  const hit = parsedFiles.get(file);
  if (hit && hit.stamp === stamp) return hit.entries;
  const entries = parseKnownHosts(readFileSync(file, 'utf8'));
  parsedFiles.set(file, { stamp, entries });
  return entries;
}

export type HostKeyPolicy = 'strict' | 'accept-new' | 'off';

export interface HostKeyDecision {
  ok: boolean;
  /** Why the key was refused (shown to the operator), or what was learned. */
  message?: string;
  learned?: boolean;
}

/**
 * Decide about a presented host key under a policy; with accept-new an
 * unknown key is appended to the file (created 0600 when missing).
 */
export function checkHostKey(opts: { file: string; host: string; port: number; policy: HostKeyPolicy; key: Buffer; entries?: KnownHostsEntry[] }): HostKeyDecision {
  if (opts.policy === 'off') return { ok: true };
  const { host, port, key, file } = opts;
  const name = hostKeyName(host, port);
  const type = keyTypeOf(key);
  const fp = fingerprintSha256(key);
  const v = lookupHostKey(opts.entries ?? readKnownHosts(file), host, port, key);
  switch (v.status) {
    case 'match':
      return { ok: true };
    case 'revoked':
      return { ok: false, message: `host key for ${name} (${type} ${fp}) is marked @revoked in ${file}:${v.entry.line}` };
    case 'changed':
      return {
        ok: false,
        message:
          `host key for ${name} has CHANGED: the server presented ${type} ${fp}, ` +
          `${file} line ${v.entries.map((e) => e.line).join(',')} has a different key. ` +
          `Someone may be intercepting the connection; if the change is expected, remove the old entry ` +
          `(ssh-keygen -R '${name}' -f ${file}) and connect again`,
      };
    case 'unknown':
      if (opts.policy === 'accept-new') {
        mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
        appendFileSync(file, `${name} ${type} ${key.toString('base64')}\n`, { mode: 0o600 });
        return { ok: true, learned: true, message: `learned host key for ${name} (${type} ${fp}) into ${file}` };
      }
      return {
        ok: false,
        message:
          `host key for ${name} is not known (${type} ${fp}; checked ${file}). ` +
          `If that fingerprint is right, accept it: ssh-keyscan -p ${port} ${host} >> ${file}, ` +
          `or set host_key_checking=accept-new (learn new keys) in the inventory`,
      };
  }
}
