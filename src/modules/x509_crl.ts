/**
 * `x509_crl` (community.crypto.x509_crl): a Certificate Revocation List signed
 * with the CA's key, listing the certificates given by path, content or
 * serial number, with revocation date, reason and invalidity date. As the
 * real module decides it, the CRL is made anew only when what it would say
 * differs from the file: issuer, lastUpdate/nextUpdate (unless
 * ignore_timestamps; relative times never match), digest and the entries (all
 * of them for crl_mode generate; at least the given ones for update, which
 * keeps the others). A CRL that matches but is in the other format is
 * converted, not re-signed. Like community.crypto, the CRL carries exactly
 * what the arguments say (no cRLNumber or authorityKeyIdentifier); `drover
 * pki crl` makes the CA-managed kind. One writer for both: src/pki/crl.ts.
 */
import { z } from 'zod';
import { certFacts, parseCertificate, parseTimeSpec } from '../pki/cert.js';
import { crlPem, crlReason, normalizeSerial, readCrl, signCrl, type CrlEntry, type CrlFacts, type CrlReason } from '../pki/crl.js';
import { LONG_NAMES, namePairs, toOrderedName } from '../pki/dn.js';
import { loadPrivateKey } from '../pki/keys.js';
import { subjectField, type SubjectField } from '../pki/names.js';
import type { WebHash } from '../pki/x509.js';
import { ModuleError } from '../util/errors.js';
import { attrArgs, bool, modeArg } from './common/args.js';
import * as files from './openssl-common.js';
import { registerModule } from './registry.js';
import type { Module, Plan, TaskContext } from './types.js';

/** Ansible's reason names, in its order. */
const REASONS = ['unspecified', 'key_compromise', 'ca_compromise', 'affiliation_changed', 'superseded', 'cessation_of_operation', 'certificate_hold', 'privilege_withdrawn', 'aa_compromise', 'remove_from_crl'] as const;
/** drover's (openssl's) reason name -> Ansible's. */
const ANSIBLE_REASON = Object.fromEntries(REASONS.map((r) => [crlReason(r), r])) as Record<CrlReason, string>;

const DIGESTS: Record<string, WebHash> = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' };

const timeSpec = (what: string) =>
  z.string().superRefine((v, ctx) => {
    try {
      parseTimeSpec(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `${what}: ${e instanceof Error ? e.message : String(e)}` });
    }
  });

/** Ansible's int: a number, or text of one (YAML leaves integers beyond 2^53 as text); hex as 0x…. */
const serialArg = z.union([z.number().int().nonnegative(), z.string().regex(/^(\d+|0x[0-9a-fA-F]+)$/, 'a serial number: decimal digits, or hex as 0x…')]);

const nameValue = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const revokedSchema = z
  .strictObject({
    path: z.string().min(1).optional().describe('A certificate (PEM) on the target: its serial number is revoked.'),
    content: z.string().min(1).optional().describe('A certificate (PEM) given inline.'),
    serial_number: serialArg.optional().describe('The serial number, as an integer (YAML 0x… for hex).'),
    revocation_date: timeSpec('revocation_date').default('+0s').describe('When it was revoked: relative (+0s) or ASN.1 time (20190331202428Z).'),
    issuer: z.unknown().optional().describe('Not supported: the certificateIssuer of indirect CRLs.'),
    issuer_critical: bool.default(false).describe('Not supported (see issuer).'),
    reason: z.enum(REASONS).optional().describe('The CRLReason: unspecified, key_compromise, ca_compromise, affiliation_changed, superseded, cessation_of_operation, certificate_hold, privilege_withdrawn, aa_compromise, remove_from_crl.'),
    reason_critical: bool.default(false).describe('Mark the reason extension critical.'),
    invalidity_date: timeSpec('invalidity_date').optional().describe('When the key was (suspected) compromised. Always compared, even with ignore_timestamps.'),
    invalidity_date_critical: bool.default(false).describe('Mark the invalidity date extension critical.'),
  })
  .superRefine((r, ctx) => {
    const given = (['path', 'content', 'serial_number'] as const).filter((k) => r[k] !== undefined);
    if (given.length !== 1) ctx.addIssue({ code: 'custom', message: given.length ? `${given.join(' and ')} are mutually exclusive` : 'one of path, content, serial_number is required' });
    if (r.issuer !== undefined) ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'the certificateIssuer entry extension (indirect CRLs) is not supported: list only certificates this CA issued' });
  });

const schema = z
  .strictObject({
    path: z.string().min(1).describe('Where the CRL is written on the target.'),
    state: files.stateArg.describe('present, or absent to remove the CRL.'),
    crl_mode: z.enum(['generate', 'update']).optional().describe('generate (default): exactly revoked_certificates; update: those plus the entries the existing CRL has.'),
    // community.crypto 2.x: `mode: generate|update` is the old name of crl_mode; any other mode is the file's.
    mode: z.union([z.enum(['generate', 'update']), modeArg]).optional().describe("The file's permissions ('0644'); generate or update here is the old name of crl_mode."),
    owner: attrArgs.owner,
    group: attrArgs.group,
    force: bool.default(false).describe('Sign a new CRL even when the existing one matches.'),
    backup: bool.default(false).describe('Keep a timestamped copy of the old CRL.'),
    format: z.enum(['pem', 'der']).default('pem').describe('pem or der. A CRL that matches in all but format is converted.'),
    privatekey_path: z.string().min(1).optional().describe("The CA's private key on the target."),
    privatekey_content: z.string().min(1).optional().describe("The CA's private key itself (PEM)."),
    privatekey_passphrase: z.string().optional().describe('Passphrase of the private key.'),
    issuer: z.record(z.string(), nameValue).optional().describe("The CRL's issuer: the CA certificate's subject (CN, O, C …), in the certificate's order; a list value repeats the field."),
    issuer_ordered: z.array(z.record(z.string(), nameValue)).optional().describe('The issuer as a list of one-key mappings, compared in order.'),
    last_update: timeSpec('last_update').default('+0s').describe('thisUpdate: relative (+0s) or ASN.1 time. Relative times never match an existing CRL unless ignore_timestamps.'),
    next_update: timeSpec('next_update').optional().describe('nextUpdate: relative (+7d) or ASN.1 time; required with state present.'),
    digest: z.enum(['sha256', 'sha384', 'sha512']).default('sha256').describe('Signature digest for RSA and EC keys (Ed25519 has none).'),
    revoked_certificates: z.array(revokedSchema).optional().describe('The certificates to list (path, content or serial_number, with revocation_date, reason, invalidity_date); required with state present.'),
    ignore_timestamps: bool.default(false).describe('Leave last_update, next_update and revocation dates out of the comparison (for relative times).'),
    return_content: bool.default(false).describe('Return the CRL as `crl` (PEM text, or base64 of DER).'),
    name_encoding: z.enum(['ignore', 'idna', 'unicode']).default('ignore').describe('Accepted for compatibility: names are returned as stored.'),
  })
  .superRefine((a, ctx) => {
    if (legacyMode(a) && a.crl_mode) ctx.addIssue({ code: 'custom', path: ['mode'], message: 'You cannot use both `mode` and `crl_mode`. Use `crl_mode`.' });
    if (a.state === 'absent') return;
    const need = (ok: boolean, message: string) => ok || ctx.addIssue({ code: 'custom', message });
    need((a.privatekey_path === undefined) !== (a.privatekey_content === undefined), 'state present needs one of privatekey_path, privatekey_content (not both)');
    need((a.issuer === undefined) !== (a.issuer_ordered === undefined), 'state present needs one of issuer, issuer_ordered (not both)');
    need(a.next_update !== undefined, 'state present needs next_update');
    need(a.revoked_certificates !== undefined, 'state present needs revoked_certificates (a list, may be empty)');
    try {
      issuerPairs(a);
    } catch (e) {
      ctx.addIssue({ code: 'custom', path: [a.issuer ? 'issuer' : 'issuer_ordered'], message: e instanceof Error ? e.message : String(e) });
    }
  });

/** `mode: generate|update`, the old name of crl_mode. */
function legacyMode(a: { mode?: string | number }): 'generate' | 'update' | undefined {
  return a.mode === 'generate' || a.mode === 'update' ? a.mode : undefined;
}

/** crl_mode, and the file's mode, with the old spelling sorted out. */
function modes(a: CrlArgs): { crlMode: 'generate' | 'update'; fileMode?: string | number } {
  const legacy = legacyMode(a);
  return { crlMode: a.crl_mode ?? legacy ?? 'generate', fileMode: legacy ? undefined : a.mode };
}

export type CrlArgs = z.infer<typeof schema>;

/** The issuer as [given key, field, value] in order (a list value repeats the field). */
function issuerPairs(a: Pick<CrlArgs, 'issuer' | 'issuer_ordered'>): { key: string; field: SubjectField; value: string }[] {
  const flat = (m: Record<string, string | string[]>) => Object.entries(m).flatMap(([key, v]) => (Array.isArray(v) ? v : [v]).map((value) => ({ key, field: subjectField(key), value })));
  if (a.issuer) return flat(a.issuer);
  return (a.issuer_ordered ?? []).flatMap((m, i) => {
    if (Object.keys(m).length !== 1) throw new Error(`entry #${i + 1} must be a mapping with exactly one key`);
    return flat(m);
  });
}

const isRelative = (spec: string) => /^\s*[+-]/.test(spec);
const asn1Time = (d: Date) => d.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
/** Whole seconds: what a CRL can hold. */
const seconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

/** The wanted entry, and the value it is compared by. */
interface Wanted {
  entry: CrlEntry;
  /** Relative revocation/invalidity dates never match an existing entry (Ansible counts them from the microsecond). */
  relativeRevocation: boolean;
  relativeInvalidity: boolean;
}

/** The comparable form of an entry (Ansible's _compress_entry). */
function entryKey(e: CrlEntry, o: { ignoreTimestamps: boolean; relativeRevocation?: boolean; relativeInvalidity?: boolean }): string {
  const t = (d: Date | undefined, relative: boolean | undefined) => (d === undefined ? null : relative ? 'relative' : d.getTime());
  return JSON.stringify([
    e.serial,
    o.ignoreTimestamps ? null : t(e.revocationDate, o.relativeRevocation),
    e.otherIssuer ?? false,
    e.reason ?? null,
    e.reason ? (e.reasonCritical ?? false) : false,
    t(e.invalidityDate, o.relativeInvalidity),
    e.invalidityDate ? (e.invalidityCritical ?? false) : false,
  ]);
}

/** Ansible's revoked_certificates result entry. */
function dumpEntry(e: CrlEntry): Record<string, unknown> {
  const n = BigInt('0x' + e.serial);
  return {
    // JSON numbers are doubles: a serial beyond 2^53 is returned as decimal text.
    serial_number: n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString(),
    revocation_date: asn1Time(e.revocationDate),
    issuer: null,
    issuer_critical: false,
    reason: e.reason ? ANSIBLE_REASON[e.reason] : null,
    reason_critical: e.reasonCritical ?? false,
    invalidity_date: e.invalidityDate ? asn1Time(e.invalidityDate) : null,
    invalidity_date_critical: e.invalidityCritical ?? false,
  };
}

/** Result fields of an existing (or just written) CRL, as the real module reports them. */
function dumpCrl(a: CrlArgs, f: CrlFacts, bytes: Buffer): Record<string, unknown> {
  const issuer = namePairs(f.issuer).map(([k, v]) => [LONG_NAMES[k as SubjectField] ?? k, v]);
  return {
    filename: a.path,
    privatekey: a.privatekey_path ?? null,
    format: a.format,
    last_update: asn1Time(f.thisUpdate),
    next_update: f.nextUpdate ? asn1Time(f.nextUpdate) : null,
    digest: f.signatureAlgorithm,
    issuer_ordered: issuer,
    issuer: Object.fromEntries(issuer),
    revoked_certificates: f.entries.map(dumpEntry),
    ...(a.return_content ? { crl: f.format === 'pem' ? bytes.toString('utf8') : bytes.toString('base64') } : {}),
  };
}

/** Check mode's result: what the CRL would say (as the real module's check mode reports it). */
function wantedResult(a: CrlArgs, wanted: Wanted[], now: Date): Record<string, unknown> {
  const issuer = issuerPairs(a).map((p) => [p.key, p.value]);
  return {
    filename: a.path,
    privatekey: a.privatekey_path ?? null,
    format: a.format,
    last_update: asn1Time(parseTimeSpec(a.last_update, now)),
    next_update: asn1Time(parseTimeSpec(a.next_update!, now)),
    digest: a.digest,
    issuer_ordered: issuer,
    issuer: Object.fromEntries(issuer),
    revoked_certificates: wanted.map((w) => dumpEntry(w.entry)),
  };
}

interface Data extends files.FilePlanData<'generate' | 'convert' | 'attrs'> {
  keyPem?: string;
  /** The entries from certificates read while planning (by path or content), in argument order. */
  wanted?: Wanted[];
  existing?: { facts: CrlFacts; bytes: Buffer };
}

function pending(ctx: TaskContext, path: string, what: string, summary: string): Plan<Data> {
  if (ctx.check) return { changes: [{ summary: `${summary} (${what} ${path} does not exist yet)` }], data: { action: 'generate' } };
  throw new ModuleError(`x509_crl: ${what} ${path} does not exist`);
}

function serialOf(v: number | string): string {
  return normalizeSerial(BigInt(v).toString(16));
}

/** Why the existing CRL does not say what is wanted (Ansible's check()); empty when it does. */
function mismatches(a: CrlArgs, f: CrlFacts, wanted: Wanted[], keyType: string | undefined, now: Date): string[] {
  const why: string[] = [];
  if (!a.ignore_timestamps) {
    if (isRelative(a.last_update) || parseTimeSpec(a.last_update, now).getTime() !== f.thisUpdate.getTime()) why.push('last_update differs');
    if (isRelative(a.next_update!) || parseTimeSpec(a.next_update!, now).getTime() !== f.nextUpdate?.getTime()) why.push('next_update differs');
  }
  if (keyType === 'ed25519' ? f.digest !== null : f.digest !== a.digest) why.push(`signed with ${f.signatureAlgorithm}, not ${keyType === 'ed25519' ? 'Ed25519' : a.digest}`);
  const want = issuerPairs(a).map((p) => JSON.stringify([p.field, p.value]));
  const have = namePairs(f.issuer).map((p) => JSON.stringify(p));
  const sameIssuer = a.issuer_ordered ? JSON.stringify(want) === JSON.stringify(have) : new Set(want).size === new Set(have).size && want.every((w) => have.includes(w));
  if (!sameIssuer) why.push('issuer differs');
  const ignoreTimestamps = a.ignore_timestamps;
  const old = f.entries.map((e) => entryKey(e, { ignoreTimestamps }));
  const neu = wanted.map((w) => entryKey(w.entry, { ignoreTimestamps, relativeRevocation: w.relativeRevocation, relativeInvalidity: w.relativeInvalidity }));
  if (modes(a).crlMode === 'update') {
    const left = [...old];
    for (const n of neu) {
      const i = left.indexOf(n);
      if (i < 0) {
        why.push('an entry to add is not on it');
        break;
      }
      left.splice(i, 1);
    }
  } else if (JSON.stringify(old) !== JSON.stringify(neu)) why.push('revoked certificates differ');
  return why;
}

export const x509CrlModule: Module<CrlArgs, Data> = {
  name: 'x509_crl',
  aliases: ['community.crypto.x509_crl'],
  doc: {
    short: 'Generate or update a Certificate Revocation List (CRL) signed by your CA key.',
    examples: `
- name: A CRL listing one revoked certificate, valid for a week
  x509_crl:
    path: /etc/ssl/ca/crl.pem
    privatekey_path: /etc/ssl/ca/ca.key
    issuer:
      CN: My CA
    last_update: "+0s"
    next_update: "+7d"
    ignore_timestamps: true
    revoked_certificates:
      - path: /etc/ssl/certs/old-client.crt
        reason: key_compromise
      - serial_number: 4660
        revocation_date: 20250101000000Z

- name: Add one more to the CRL, keeping what it lists
  x509_crl:
    path: /etc/ssl/ca/crl.pem
    crl_mode: update
    privatekey_path: /etc/ssl/ca/ca.key
    issuer:
      CN: My CA
    next_update: "+7d"
    ignore_timestamps: true
    revoked_certificates:
      - path: /etc/ssl/certs/laptop.crt
        reason: superseded
`,
  },
  schema,
  secretArgs: ['privatekey_content', 'privatekey_passphrase'],
  async plan(ctx, a) {
    const revoked = a.revoked_certificates ?? [];
    const certPaths = revoked.flatMap((r) => (r.path ? [r.path] : []));
    const paths = [a.path, ...(a.privatekey_path ? [a.privatekey_path] : []), ...certPaths];
    const states = await files.readTargetFiles(ctx, paths);
    const existingBytes = files.bytesOf(states.get(a.path), 'CRL');
    if (a.state === 'absent') return { changes: files.removalChanges(states, [a.path]), data: { action: 'remove' }, result: { filename: a.path } };

    const verb = `sign CRL ${a.path}`;
    const keyPem = a.privatekey_content ?? files.textOf(states.get(a.privatekey_path!), 'CA private key');
    if (keyPem === undefined) return pending(ctx, a.privatekey_path!, 'CA private key', verb);
    ctx.secret(keyPem);
    let keyType: string | undefined;
    try {
      keyType = loadPrivateKey(keyPem, a.privatekey_passphrase).asymmetricKeyType;
    } catch (e) {
      throw new ModuleError(`x509_crl: CA private key ${a.privatekey_path ?? '(privatekey_content)'}: ${e instanceof Error ? e.message : String(e)}`);
    }

    const now = new Date();
    const wanted: Wanted[] = [];
    for (const [i, r] of revoked.entries()) {
      let serial: string;
      if (r.serial_number !== undefined) serial = serialOf(r.serial_number);
      else {
        const pem = r.content ?? files.textOf(states.get(r.path!), `revoked_certificates[${i}].path`);
        if (pem === undefined) return pending(ctx, r.path!, `revoked_certificates[${i}].path`, verb);
        try {
          serial = normalizeSerial(certFacts(parseCertificate(pem)).serial);
        } catch (e) {
          throw new ModuleError(`x509_crl: revoked_certificates[${i}].${r.content ? 'content' : `path ${r.path}`}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      wanted.push({
        entry: {
          serial,
          revocationDate: seconds(parseTimeSpec(r.revocation_date, now)),
          ...(r.reason ? { reason: crlReason(r.reason), reasonCritical: r.reason_critical } : {}),
          ...(r.invalidity_date ? { invalidityDate: seconds(parseTimeSpec(r.invalidity_date, now)), invalidityCritical: r.invalidity_date_critical } : {}),
        },
        relativeRevocation: isRelative(r.revocation_date),
        relativeInvalidity: r.invalidity_date !== undefined && isRelative(r.invalidity_date),
      });
    }

    let existing: Data['existing'];
    let why: string[];
    if (existingBytes === undefined) why = [];
    else {
      try {
        existing = { facts: readCrl(existingBytes), bytes: existingBytes };
        why = a.force ? ['force: yes'] : mismatches(a, existing.facts, wanted, keyType, now);
      } catch (e) {
        why = [`existing file is not a CRL: ${e instanceof Error ? e.message : String(e)}`];
      }
    }
    const data: Data = { action: 'generate', keyPem, wanted, existing };
    const predicted = wantedResult(a, wanted, now);
    if (existingBytes === undefined) return { changes: [{ summary: verb }], data, result: predicted };
    if (why.length) return { changes: [{ summary: `re-${verb} (${why.join('; ')})` }], data, result: predicted };
    const result = dumpCrl(a, existing!.facts, existingBytes);
    if (existing!.facts.format !== a.format) return { changes: [{ summary: `convert CRL ${a.path} to ${a.format.toUpperCase()}` }], data: { ...data, action: 'convert' }, result };
    return files.keptFilePlan(states.get(a.path)!, { mode: modes(a).fileMode, owner: a.owner, group: a.group }, result);
  },
  async apply(ctx, a, plan) {
    const done = await files.applyRemoveOrAttrs(ctx, a.path, plan);
    if (done) return done;
    const d = plan.data!;
    let der: Buffer;
    if (d.action === 'convert') der = d.existing!.facts.der;
    else {
      if (!d.keyPem || !d.wanted) throw new ModuleError('x509_crl: inputs missing (the CA key or a certificate did not exist when planning)');
      const now = new Date();
      const entries = d.wanted.map((w) => w.entry);
      if (modes(a).crlMode === 'update' && d.existing) {
        // Keep the existing entries the new ones do not restate (Ansible's order: those first).
        const ignoreTimestamps = a.ignore_timestamps;
        const restated = new Set(d.wanted.map((w) => entryKey(w.entry, { ignoreTimestamps, relativeRevocation: w.relativeRevocation, relativeInvalidity: w.relativeInvalidity })));
        const kept = d.existing.facts.entries.filter((e) => !restated.has(entryKey(e, { ignoreTimestamps })));
        if (kept.some((e) => e.otherIssuer)) throw new ModuleError(`x509_crl: ${a.path} has entries of an indirect CRL (certificateIssuer): drover cannot keep them in update mode`);
        entries.unshift(...kept);
      }
      const dup = entries.map((e) => e.serial).find((s, i, all) => all.indexOf(s) !== i);
      if (dup) throw new ModuleError(`x509_crl: serial number ${BigInt('0x' + dup).toString()} would be listed twice (with different dates or reasons): a CRL lists each certificate once`);
      der = await signCrl({
        issuer: toOrderedName(issuerPairs(a).map((p) => [p.field, p.value] as const)),
        key: loadPrivateKey(d.keyPem, a.privatekey_passphrase),
        digest: DIGESTS[a.digest],
        thisUpdate: seconds(parseTimeSpec(a.last_update, now)),
        nextUpdate: seconds(parseTimeSpec(a.next_update!, now)),
        entries,
      });
    }
    const bytes = a.format === 'pem' ? Buffer.from(crlPem(der)) : der;
    const backupFile = await files.writeTargetFile(ctx, { path: a.path, content: bytes, mode: modes(a).fileMode, owner: a.owner, group: a.group, backup: a.backup });
    return { changed: true, ...dumpCrl(a, readCrl(bytes), bytes), ...(backupFile ? { backup_file: backupFile } : {}) };
  },
};

registerModule(x509CrlModule);
