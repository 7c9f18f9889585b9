import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../util/errors.js';
import { createIntermediateCa, createRootCa, issueLeaf, type KeyAndCert } from './authority.js';
import { parseCertificate, splitPemCertificates } from './cert.js';
import { chainPem, verifyPemChain } from './chain.js';
import { describeCertificate } from './describe.js';
import { describeKeySpec, keySpec, keyType, type KeySpec } from './keys.js';
import { refuseOverwrite, writeFileAtomic } from '../util/local-files.js';
import { normalizeExtKeyUsages, normalizeSans, parseSubject, type Subject } from './names.js';

/** The actions behind `drover pki …` (src/cli/pki.ts parses flags and imports this lazily). */

/** Options every issuing command takes (`drover pki ca|intermediate|issue`). */
export interface CommonOpts {
  cn: string;
  subject?: string;
  days?: string;
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

function days(o: CommonOpts, dflt: number): string {
  const n = intOpt('--days', o.days, dflt);
  if (n < 1) throw new InputError('--days must be at least 1');
  return `+${n}d`;
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

function loadCaDir(dir: string): CaDir {
  const certPem = readText(join(dir, 'ca.crt'), 'CA certificate');
  const keyPem = readText(join(dir, 'ca.key'), 'CA key');
  const chainFile = join(dir, 'chain.crt');
  const chain = existsSync(chainFile) ? splitPemCertificates(readFileSync(chainFile, 'utf8')) : [];
  const rootFile = join(dir, 'root.crt');
  const root = existsSync(rootFile) ? readFileSync(rootFile, 'utf8') : certPem;
  return { certPem, keyPem, chain, root };
}

function say(line: string): void {
  process.stdout.write(line + '\n');
}

export async function runCa(o: CommonOpts): Promise<void> {
  const out = resolve(o.out);
  const files = [join(out, 'ca.key'), join(out, 'ca.crt')];
  refuseOverwrite(files, !!o.force);
  const key = keyOf(o, 4096);
  const ca = await createRootCa({ subject: subjectOf(o), notAfter: days(o, 3650), key });
  mkdirSync(out, { recursive: true, mode: 0o755 });
  writeFileAtomic(files[0]!, ca.keyPem, 0o600);
  writeFileAtomic(files[1]!, ca.certPem, 0o644);
  say(`root CA "${o.cn}": ${files[1]} (${describeKeySpec(key)} key ${files[0]}, 0600)`);
}

export async function runIntermediate(o: IntermediateOpts): Promise<void> {
  const parent = loadCaDir(resolve(o.ca));
  const out = resolve(o.out);
  const files = ['ca.key', 'ca.crt', 'chain.crt', 'root.crt'].map((f) => join(out, f));
  refuseOverwrite(files, !!o.force);
  const pathlen = o.pathlen === undefined ? undefined : intOpt('--pathlen', o.pathlen, 0);
  const key = keyOf(o, 3072);
  const inter = await createIntermediateCa(parent, { subject: subjectOf(o), pathlen, notAfter: days(o, 1825), key });
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
  const ca = loadCaDir(resolve(o.ca));
  const stem = o.name ?? o.cn.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '');
  if (!stem) throw new InputError(`pki issue: cannot derive a file name from --cn "${o.cn}"`, undefined, 'pass --name');
  const out = resolve(o.out);
  const files = [`${stem}.key`, `${stem}.crt`, `${stem}-chain.crt`].map((f) => join(out, f));
  refuseOverwrite(files, !!o.force);
  const san = o.san ? normalizeSans(o.san) : undefined;
  const key = keyOf(o, 2048);
  const leaf = await issueLeaf(ca, { kind, subject: subjectOf(o), san, notAfter: days(o, 365), key });
  mkdirSync(out, { recursive: true, mode: 0o755 });
  writeFileAtomic(files[0]!, leaf.keyPem, 0o600);
  writeFileAtomic(files[1]!, leaf.certPem, 0o644);
  // Leaf, then the issuing CA when it is an intermediate, then the intermediates above it.
  const isRoot = ca.chain.length === 0 && ca.root === ca.certPem;
  writeFileAtomic(files[2]!, chainPem(leaf.certPem, isRoot ? [] : ca.chain.length ? ca.chain : [ca.certPem]), 0o644);
  say(`${kind} certificate "${o.cn}": ${files[1]} (${describeKeySpec(key)} key ${files[0]}, 0600; chain ${files[2]})`);
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

export async function runShow(certPath: string): Promise<void> {
  const pems = splitPemCertificates(readText(certPath, 'certificate'));
  if (!pems.length) throw new InputError(`${certPath} contains no PEM certificate`);
  process.stdout.write(pems.map((p) => describeCertificate(parseCertificate(p))).join('\n'));
}
