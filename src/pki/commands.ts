import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../util/errors.js';
import { createIntermediateCa, createRootCa, DEFAULT_NOT_BEFORE, issueLeaf, renewCertificate, signCsr, type KeyAndCert, type LeafKind } from './authority.js';
import { certFacts, parseCertificate, parseTimeSpec, splitPemCertificates } from './cert.js';
import { chainPem, verifyPemChain } from './chain.js';
import { createCrl, crlReason, EMPTY_REVOCATIONS, parseRevocations, revoke, type RevocationList } from './crl.js';
import { describeCertificate } from './describe.js';
import { describeKeySpec, isEncryptedPem, keySpec, keyType, loadPrivateKey, type KeySpec } from './keys.js';
import { refuseOverwrite, writeFileAtomic } from '../util/local-files.js';
import { normalizeExtKeyUsages, normalizeSans, parseSubject, type Subject } from './names.js';

/** The actions behind `drover pki …` (src/cli/pki.ts parses flags and imports this lazily). */

/** Options every issuing command takes (`drover pki ca|intermediate|issue`). */
export interface CommonOpts {
  cn: string;
  subject?: string;
  days?: string;
  /** Validity in hours instead of days (short-lived certificates). */
  hours?: string;
  /** Start of validity: -5m (default: back-dated five minutes for clock skew), -1h, +0s, or 20300101000000Z. */
  notBefore?: string;
  /** Encrypt the new key (ca, intermediate) with the passphrase in this file (its first line). */
  keyPassphraseFile?: string;
  /** The passphrase of the signing CA's key (intermediate, issue, sign), first line of this file. */
  caKeyPassphraseFile?: string;
  /** crlDistributionPoints of the certificate made (intermediate, issue, sign): where its CA publishes crl.pem. */
  crlUrl?: string[];
  keySize?: string;
  /** RSA (default), EC/ECC, Ed25519/OKP. */
  kty?: string;
  /** EC only: P-256 (default) or P-384, also secp256r1/prime256v1/secp384r1. */
  curve?: string;
  out: string;
  force?: boolean;
}
export type IntermediateOpts = CommonOpts & { ca: string; pathlen?: string };
export type IssueOpts = CommonOpts & { ca: string; server?: boolean; client?: boolean; san?: string; name?: string };
export interface SignOpts {
  ca: string;
  profile: string;
  out: string;
  name?: string;
  days?: string;
  hours?: string;
  notBefore?: string;
  caKeyPassphraseFile?: string;
  crlUrl?: string[];
  force?: boolean;
}
export interface RenewOpts {
  ca: string;
  within?: string;
  days?: string;
  hours?: string;
  notBefore?: string;
  caKeyPassphraseFile?: string;
}
export interface CrlOpts {
  ca: string;
  /** nextUpdate: days from now (default 7). */
  crlDays?: string;
  caKeyPassphraseFile?: string;
}
export type RevokeOpts = CrlOpts & { reason?: string };
export interface VerifyOpts {
  ca: string;
  untrusted?: string;
  purpose?: string;
}

function subjectOf(o: CommonOpts): Subject {
  return { ...(o.subject ? parseSubject(o.subject) : {}), CN: o.cn };
}

function intOpt(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InputError(`${flag} ${v}: expected a non-negative integer`);
  return n;
}

/** The key to make: --kty (default RSA), --key-size for RSA (default per command), --curve for EC. */
function keyOf(o: CommonOpts, rsaSize: number): KeySpec {
  const type = keyType(o.kty ?? 'RSA');
  if (type !== 'RSA' && o.keySize !== undefined) throw new InputError(`--key-size is for RSA keys; --kty ${o.kty} ${type === 'ECC' ? 'takes --curve P-256|P-384' : 'has a fixed size'}`);
  if (type !== 'ECC' && o.curve !== undefined) throw new InputError(`--curve is for EC keys (--kty EC), not ${type}`);
  return keySpec(type, { size: intOpt('--key-size', o.keySize, rsaSize), curve: o.curve });
}

/** notAfter as an Ansible time spec: --days N (default per command) or --hours N, not both. */
function notAfterOf(o: { days?: string; hours?: string }, dfltDays: number): string {
  if (o.days !== undefined && o.hours !== undefined) throw new InputError('pass --days or --hours, not both');
  if (o.hours !== undefined) {
    const h = intOpt('--hours', o.hours, 0);
    if (h < 1) throw new InputError('--hours must be at least 1');
    return `+${h}h`;
  }
  const n = intOpt('--days', o.days, dfltDays);
  if (n < 1) throw new InputError('--days must be at least 1');
  return `+${n}d`;
}

/** --not-before, checked (a bad spec fails before any key is made). */
function notBeforeOf(o: { notBefore?: string }): string {
  const spec = o.notBefore ?? DEFAULT_NOT_BEFORE;
  parseTimeSpec(spec);
  return spec;
}

/** The first line of a passphrase file, as `openssl -passin file:` reads it. */
function readPassphrase(path: string, flag: string): string {
  if (!existsSync(path)) throw new InputError(`${flag} ${path} does not exist`);
  const line = readFileSync(path, 'utf8').split(/\r?\n/)[0] ?? '';
  if (!line) throw new InputError(`${flag} ${path}: the first line is empty`);
  return line;
}

function readText(path: string, what: string): string {
  if (!existsSync(path)) throw new InputError(`${what} ${path} does not exist`);
  return readFileSync(path, 'utf8');
}

interface CaDir extends KeyAndCert {
  /** Intermediates from this CA up, not the root (empty for a root). */
  chain: string[];
  root: string;
}

function loadCaDir(dir: string, passphraseFile?: string): CaDir {
  const certPem = readText(join(dir, 'ca.crt'), 'CA certificate');
  const keyPem = readText(join(dir, 'ca.key'), 'CA key');
  const passphrase = passphraseFile ? readPassphrase(passphraseFile, '--ca-key-passphrase-file') : undefined;
  if (isEncryptedPem(keyPem) && !passphrase) throw new InputError(`the CA key ${join(dir, 'ca.key')} is encrypted`, undefined, 'pass --ca-key-passphrase-file FILE (the passphrase on its first line)');
  try {
    loadPrivateKey(keyPem, passphrase); // a wrong passphrase fails here, before any new key is made
  } catch (e) {
    throw new InputError(`the CA key ${join(dir, 'ca.key')}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const chainFile = join(dir, 'chain.crt');
  const chain = existsSync(chainFile) ? splitPemCertificates(readFileSync(chainFile, 'utf8')) : [];
  const rootFile = join(dir, 'root.crt');
  const root = existsSync(rootFile) ? readFileSync(rootFile, 'utf8') : certPem;
  return { certPem, keyPem, passphrase, chain, root };
}

/** --crl-url (repeatable): absolute http(s) URLs. */
function crlUrls(o: { crlUrl?: string[] }): string[] | undefined {
  for (const u of o.crlUrl ?? []) {
    if (!/^https?:\/\/[^\s/]+/.test(u)) throw new InputError(`--crl-url ${u}: expected an http:// or https:// URL`, undefined, 'where the issuing CA\'s crl.pem is published, e.g. http://pki.lab/inter.crl');
  }
  return o.crlUrl?.length ? o.crlUrl : undefined;
}

function newKeyPassphrase(o: CommonOpts): string | undefined {
  return o.keyPassphraseFile ? readPassphrase(o.keyPassphraseFile, '--key-passphrase-file') : undefined;
}

/** File-name stem from a CN: lower case, safe characters. */
function stemOf(cn: string): string {
  return cn.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '');
}

/** The chain file after a leaf: the issuing CA when it is an intermediate, then the intermediates above it. */
function leafChain(leafPem: string, ca: CaDir): string {
  const isRoot = ca.chain.length === 0 && ca.root === ca.certPem;
  return chainPem(leafPem, isRoot ? [] : ca.chain.length ? ca.chain : [ca.certPem]);
}

function say(line: string): void {
  process.stdout.write(line + '\n');
}

export async function runCa(o: CommonOpts): Promise<void> {
  const out = resolve(o.out);
  const files = [join(out, 'ca.key'), join(out, 'ca.crt')];
  refuseOverwrite(files, !!o.force);
  const key = keyOf(o, 4096);
  const ca = await createRootCa({ subject: subjectOf(o), notAfter: notAfterOf(o, 3650), notBefore: notBeforeOf(o), key, keyPassphrase: newKeyPassphrase(o) });
  mkdirSync(out, { recursive: true, mode: 0o755 });
  writeFileAtomic(files[0]!, ca.keyPem, 0o600);
  writeFileAtomic(files[1]!, ca.certPem, 0o644);
  say(`root CA "${o.cn}": ${files[1]} (${describeKeySpec(key)} key ${files[0]}, 0600)`);
}

export async function runIntermediate(o: IntermediateOpts): Promise<void> {
  const parent = loadCaDir(resolve(o.ca), o.caKeyPassphraseFile);
  const out = resolve(o.out);
  const files = ['ca.key', 'ca.crt', 'chain.crt', 'root.crt'].map((f) => join(out, f));
  refuseOverwrite(files, !!o.force);
  const pathlen = o.pathlen === undefined ? undefined : intOpt('--pathlen', o.pathlen, 0);
  const key = keyOf(o, 3072);
  const inter = await createIntermediateCa(parent, { subject: subjectOf(o), pathlen, notAfter: notAfterOf(o, 1825), notBefore: notBeforeOf(o), key, keyPassphrase: newKeyPassphrase(o), crlUrls: crlUrls(o) });
  mkdirSync(out, { recursive: true, mode: 0o755 });
  writeFileAtomic(files[0]!, inter.keyPem, 0o600);
  writeFileAtomic(files[1]!, inter.certPem, 0o644);
  writeFileAtomic(files[2]!, chainPem(inter.certPem, parent.chain), 0o644);
  writeFileAtomic(files[3]!, parent.root, 0o644);
  say(`intermediate CA "${o.cn}"${pathlen !== undefined ? ` (pathlen:${pathlen})` : ''}: ${files[1]} (${describeKeySpec(key)}), chain ${files[2]}, root ${files[3]}`);
}

export async function runIssue(o: IssueOpts): Promise<void> {
  if (!!o.server === !!o.client) throw new InputError('pki issue: pass exactly one of --server or --client');
  const kind = o.server ? 'server' : 'client';
  const ca = loadCaDir(resolve(o.ca), o.caKeyPassphraseFile);
  const stem = o.name ?? stemOf(o.cn);
  if (!stem) throw new InputError(`pki issue: cannot derive a file name from --cn "${o.cn}"`, undefined, 'pass --name');
  const out = resolve(o.out);
  const files = [`${stem}.key`, `${stem}.crt`, `${stem}-chain.crt`].map((f) => join(out, f));
  refuseOverwrite(files, !!o.force);
  const san = o.san ? normalizeSans(o.san) : undefined;
  const key = keyOf(o, 2048);
  const leaf = await issueLeaf(ca, { kind, subject: subjectOf(o), san, notAfter: notAfterOf(o, 365), notBefore: notBeforeOf(o), key, crlUrls: crlUrls(o) });
  mkdirSync(out, { recursive: true, mode: 0o755 });
  writeFileAtomic(files[0]!, leaf.keyPem, 0o600);
  writeFileAtomic(files[1]!, leaf.certPem, 0o644);
  writeFileAtomic(files[2]!, leafChain(leaf.certPem, ca), 0o644);
  say(`${kind} certificate "${o.cn}": ${files[1]} (${describeKeySpec(key)} key ${files[0]}, 0600; chain ${files[2]})`);
}

export async function runSign(csrPath: string, o: SignOpts): Promise<void> {
  const profile = o.profile as LeafKind;
  if (profile !== 'server' && profile !== 'client') throw new InputError(`pki sign: --profile ${o.profile}`, undefined, 'server (serverAuth) or client (clientAuth)');
  const csrPem = readText(csrPath, 'CSR');
  const ca = loadCaDir(resolve(o.ca), o.caKeyPassphraseFile);
  const notAfter = notAfterOf(o, 365);
  const notBefore = notBeforeOf(o);
  let signed;
  try {
    signed = await signCsr(ca, csrPem, { profile, notAfter, notBefore, crlUrls: crlUrls(o) });
  } catch (e) {
    throw new InputError(`pki sign ${csrPath}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const stem = o.name ?? (signed.subject.CN ? stemOf(signed.subject.CN) : '');
  if (!stem) throw new InputError(`pki sign: cannot derive a file name from the CSR`, undefined, 'pass --name');
  const out = resolve(o.out);
  const files = [`${stem}.crt`, `${stem}-chain.crt`].map((f) => join(out, f));
  refuseOverwrite(files, !!o.force);
  mkdirSync(out, { recursive: true, mode: 0o755 });
  writeFileAtomic(files[0]!, signed.certPem, 0o644);
  writeFileAtomic(files[1]!, leafChain(signed.certPem, ca), 0o644);
  say(`${profile} certificate "${signed.subject.CN ?? signed.san[0]}" from ${csrPath}: ${files[0]} (chain ${files[1]}; SAN ${signed.san.join(', ') || 'none'})`);
  if (signed.ignored.length) say(`  not taken from the CSR (the ${profile} profile decides): ${signed.ignored.join('; ')}`);
}

export async function runRenew(certPath: string, o: RenewOpts): Promise<void> {
  const certPem = readText(certPath, 'certificate');
  const ca = loadCaDir(resolve(o.ca), o.caKeyPassphraseFile);
  const within = o.within === undefined ? undefined : intOpt('--within', o.within, 0) * 86400;
  const notAfter = o.days === undefined && o.hours === undefined ? undefined : notAfterOf(o, 0);
  let r;
  try {
    r = await renewCertificate(ca, certPem, { notAfter, notBefore: notBeforeOf(o), within });
  } catch (e) {
    throw new InputError(`pki renew ${certPath}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!r.certPem) {
    say(`${certPath}: ${r.reason}; left alone`);
    return;
  }
  writeFileAtomic(certPath, r.certPem, 0o644);
  // The chain file `pki issue`/`pki sign` wrote beside it, when there is one.
  const chainFile = certPath.replace(/\.crt$/, '') + '-chain.crt';
  const also = existsSync(chainFile) && chainFile !== certPath;
  if (also) writeFileAtomic(chainFile, leafChain(r.certPem, ca), 0o644);
  say(`${certPath}: renewed (${r.reason}), now valid until ${r.notAfter}${also ? `; ${chainFile} rewritten` : ''}`);
}

function loadRevocations(dir: string): RevocationList {
  const file = join(dir, 'revoked.json');
  if (!existsSync(file)) return EMPTY_REVOCATIONS;
  try {
    return parseRevocations(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Sign a fresh crl.pem for the list and store both (the list with its advanced cRLNumber). */
async function writeCrl(dir: string, ca: CaDir, list: RevocationList, o: CrlOpts): Promise<string> {
  const days = intOpt('--crl-days', o.crlDays, 7);
  if (days < 1) throw new InputError('--crl-days must be at least 1');
  const { pem, list: next } = await createCrl(ca, list, { days });
  writeFileAtomic(join(dir, 'revoked.json'), JSON.stringify(next, null, 2) + '\n', 0o644);
  writeFileAtomic(join(dir, 'crl.pem'), pem, 0o644);
  return `${join(dir, 'crl.pem')} (CRL number ${next.crlNumber}, ${next.revoked.length} revoked, next update in ${days} days)`;
}

export async function runRevoke(certPath: string, o: RevokeOpts): Promise<void> {
  const dir = resolve(o.ca);
  const ca = loadCaDir(dir, o.caKeyPassphraseFile);
  const reason = o.reason ? crlReason(o.reason) : undefined;
  let r;
  try {
    r = revoke(loadRevocations(dir), ca.certPem, readText(certPath, 'certificate'), { reason });
  } catch (e) {
    throw new InputError(`pki revoke ${certPath}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const crl = await writeCrl(dir, ca, r.list, o);
  say(`${certPath}: ${r.already ? 'already revoked' : 'revoked'} ("${r.entry.subject}", serial ${r.entry.serial}${r.entry.reason ? `, ${r.entry.reason}` : ''}); ${crl}`);
}

export async function runCrl(o: CrlOpts): Promise<void> {
  const dir = resolve(o.ca);
  const ca = loadCaDir(dir, o.caKeyPassphraseFile);
  say(await writeCrl(dir, ca, loadRevocations(dir), o));
}

export async function runVerify(certPath: string, o: VerifyOpts): Promise<void> {
  const purpose = o.purpose ? normalizeExtKeyUsages([o.purpose])[0] : undefined;
  const verdict = verifyPemChain(
    readText(certPath, 'certificate'),
    readText(o.ca, 'CA file'),
    o.untrusted ? readText(o.untrusted, 'untrusted file') : '',
    { purpose },
  );
  if (verdict.ok) {
    say(`${certPath}: OK (${verdict.path.map((p) => `"${p}"`).join(' <- ')})`);
  } else {
    process.stderr.write(`${certPath}: FAILED (${verdict.code}): ${verdict.reason}\n  path built: ${verdict.path.map((p) => `"${p}"`).join(' <- ')}\n`);
    process.exitCode = 2;
  }
}

export async function runShow(certPath: string, o: { json?: boolean } = {}): Promise<void> {
  const pems = splitPemCertificates(readText(certPath, 'certificate'));
  if (!pems.length) throw new InputError(`${certPath} contains no PEM certificate`);
  if (o.json) {
    // Always an array (a file may be a bundle), one object per certificate, in file order.
    const now = Date.now();
    const out = pems.map((p) => {
      const f = certFacts(parseCertificate(p));
      const left = new Date(f.notAfter).getTime() - now;
      return { ...f, expired: left <= 0, secondsLeft: Math.max(0, Math.floor(left / 1000)) };
    });
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return;
  }
  process.stdout.write(pems.map((p) => describeCertificate(parseCertificate(p))).join('\n'));
}
