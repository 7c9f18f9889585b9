import { isIP } from 'node:net';
import { InputError } from '../util/errors.js';

/**
 * The vocabulary of certificate requests, normalised so that two requests that
 * mean the same thing compare equal: Ansible spellings ("Digital Signature",
 * "digitalSignature", "TLS Web Server Authentication", "serverAuth") map to one
 * canonical name, SAN entries are "DNS:x" / "IP:x" / "email:x" / "URI:x".
 */

/** Distinguished-name fields we support, in the order openssl prints them. */
export const SUBJECT_FIELDS = ['C', 'ST', 'L', 'O', 'OU', 'CN', 'emailAddress'] as const;
export type SubjectField = (typeof SUBJECT_FIELDS)[number];
export type Subject = Partial<Record<SubjectField, string>>;

/**
 * Each DN field: its Ansible argument (openssl_csr's common_name …) and the
 * names Ansible also accepts for that argument (CN, commonName …).
 */
export const SUBJECT_NAMES: ReadonlyArray<{ field: SubjectField; arg: string; aliases: readonly string[] }> = [
  { field: 'C', arg: 'country_name', aliases: ['C', 'countryName'] },
  { field: 'ST', arg: 'state_or_province_name', aliases: ['ST', 'stateOrProvinceName'] },
  { field: 'L', arg: 'locality_name', aliases: ['L', 'localityName'] },
  { field: 'O', arg: 'organization_name', aliases: ['O', 'organizationName'] },
  { field: 'OU', arg: 'organizational_unit_name', aliases: ['OU', 'organizationalUnitName'] },
  { field: 'CN', arg: 'common_name', aliases: ['CN', 'commonName'] },
  { field: 'emailAddress', arg: 'email_address', aliases: ['E', 'emailAddress'] },
];

/** Ansible argument name -> DN short name. */
export const SUBJECT_ARGS: Record<string, SubjectField> = Object.fromEntries(SUBJECT_NAMES.map((n) => [n.arg, n.field]));

/** Spelling of a field in a `subject:` mapping (case, '_' and spaces ignored) -> the field. */
const subjectKey = (name: string) => name.replace(/[_\s]/g, '').toLowerCase();
const SUBJECT_ALIASES: Record<string, SubjectField> = Object.fromEntries([
  ...SUBJECT_NAMES.flatMap((n) => n.aliases.map((a) => [subjectKey(a), n.field] as const)),
  ['email', 'emailAddress'],
]);

export function subjectField(name: string): SubjectField {
  const f = SUBJECT_ALIASES[subjectKey(name)];
  if (!f) throw new InputError(`unknown subject field "${name}"`, undefined, `one of ${SUBJECT_FIELDS.join(', ')}`);
  return f;
}

/** "CN=x, O=y" or "/CN=x/O=y" -> Subject. */
export function parseSubject(text: string): Subject {
  const out: Subject = {};
  const parts = text.startsWith('/') ? text.slice(1).split('/') : text.split(/\s*,\s*/);
  for (const part of parts) {
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq < 1) throw new InputError(`bad subject component "${part}"`, undefined, 'expected NAME=value, e.g. CN=server');
    out[subjectField(part.slice(0, eq).trim())] = part.slice(eq + 1).trim();
  }
  return out;
}

/** One line, openssl style: "C=DE, L=Big city, O=…, CN=Server". */
export function formatSubject(s: Subject): string {
  return SUBJECT_FIELDS.filter((f) => s[f] !== undefined).map((f) => `${f}=${s[f]}`).join(', ');
}

export function sameSubject(a: Subject, b: Subject): boolean {
  return SUBJECT_FIELDS.every((f) => (a[f] ?? '') === (b[f] ?? ''));
}

// --- subjectAltName ---------------------------------------------------------

/** Normalise one SAN entry ("dns:x", "IP:10.0.0.1", "email:a@b") to canonical "DNS:x". */
export function normalizeSan(entry: string): string {
  const m = /^\s*([A-Za-z]+)\s*:\s*(.+?)\s*$/.exec(entry);
  if (!m) throw new InputError(`bad subject_alt_name entry "${entry}"`, undefined, 'expected DNS:name, IP:address, email:address or URI:uri');
  const kind = m[1]!.toLowerCase();
  const value = m[2]!;
  switch (kind) {
    case 'dns':
      return `DNS:${value.toLowerCase()}`;
    case 'ip':
      if (!isIP(value)) throw new InputError(`subject_alt_name "${entry}": "${value}" is not an IP address`);
      return `IP:${value}`;
    case 'email':
      return `email:${value}`;
    case 'uri':
      return `URI:${value}`;
    default:
      throw new InputError(`subject_alt_name "${entry}": unsupported type "${m[1]}"`, undefined, 'DNS, IP, email or URI');
  }
}

/** "DNS:a,IP:b" or a list -> sorted, de-duplicated canonical entries. */
export function normalizeSans(entries: string | readonly string[] | undefined): string[] {
  if (entries === undefined) return [];
  const list = typeof entries === 'string' ? entries.split(',').filter((s) => s.trim()) : entries;
  return [...new Set(list.map(normalizeSan))].sort();
}

/** A SAN entry for a bare name: IPs become IP:, the rest DNS:. */
export function sanForName(name: string): string {
  return isIP(name) ? `IP:${name}` : `DNS:${name.toLowerCase()}`;
}

// --- keyUsage ---------------------------------------------------------------

/** Canonical keyUsage names (RFC 5280's, as KeyUsageFlags in @peculiar/x509), with their openssl display names. */
export const KEY_USAGES = {
  digitalSignature: 'Digital Signature',
  nonRepudiation: 'Non Repudiation',
  keyEncipherment: 'Key Encipherment',
  dataEncipherment: 'Data Encipherment',
  keyAgreement: 'Key Agreement',
  keyCertSign: 'Certificate Sign',
  cRLSign: 'CRL Sign',
  encipherOnly: 'Encipher Only',
  decipherOnly: 'Decipher Only',
} as const;
export type KeyUsage = keyof typeof KEY_USAGES;

const KU_LOOKUP = new Map<string, KeyUsage>();
for (const [k, v] of Object.entries(KEY_USAGES)) {
  KU_LOOKUP.set(k.toLowerCase(), k as KeyUsage);
  KU_LOOKUP.set(v.replace(/\s/g, '').toLowerCase(), k as KeyUsage);
}
KU_LOOKUP.set('contentcommitment', 'nonRepudiation');
KU_LOOKUP.set('certsign', 'keyCertSign');
KU_LOOKUP.set('crlsign', 'cRLSign');

export function normalizeKeyUsages(list: readonly string[] | undefined): KeyUsage[] {
  const out = new Set<KeyUsage>();
  for (const name of list ?? []) {
    const k = KU_LOOKUP.get(name.replace(/[\s_-]/g, '').toLowerCase());
    if (!k) throw new InputError(`unknown key_usage "${name}"`, undefined, `one of ${Object.keys(KEY_USAGES).join(', ')}`);
    out.add(k);
  }
  return [...out].sort();
}

// --- extendedKeyUsage -------------------------------------------------------

/** Canonical EKU names (RFC 5280's), their OIDs and openssl display names. */
export const EXT_KEY_USAGES = {
  serverAuth: { oid: '1.3.6.1.5.5.7.3.1', label: 'TLS Web Server Authentication' },
  clientAuth: { oid: '1.3.6.1.5.5.7.3.2', label: 'TLS Web Client Authentication' },
  codeSigning: { oid: '1.3.6.1.5.5.7.3.3', label: 'Code Signing' },
  emailProtection: { oid: '1.3.6.1.5.5.7.3.4', label: 'E-mail Protection' },
  timeStamping: { oid: '1.3.6.1.5.5.7.3.8', label: 'Time Stamping' },
  OCSPSigning: { oid: '1.3.6.1.5.5.7.3.9', label: 'OCSP Signing' },
} as const;
const EKU_LOOKUP = new Map<string, string>();
for (const [k, v] of Object.entries(EXT_KEY_USAGES)) {
  EKU_LOOKUP.set(k.toLowerCase(), k);
  EKU_LOOKUP.set(v.label.replace(/[\s-]/g, '').toLowerCase(), k);
  EKU_LOOKUP.set(v.oid, k);
}

/** Known names become canonical; dotted OIDs pass through (unknown purposes are allowed). */
export function normalizeExtKeyUsages(list: readonly string[] | undefined): string[] {
  const out = new Set<string>();
  for (const name of list ?? []) {
    const k = EKU_LOOKUP.get(name.replace(/[\s_-]/g, '').toLowerCase()) ?? (/^\d+(\.\d+)+$/.test(name) ? name : undefined);
    if (!k) throw new InputError(`unknown extended_key_usage "${name}"`, undefined, `one of ${Object.keys(EXT_KEY_USAGES).join(', ')} or a dotted OID`);
    out.add(k);
  }
  return [...out].sort();
}

export function ekuOid(name: string): string {
  return (EXT_KEY_USAGES as Record<string, { oid: string }>)[name]?.oid ?? name;
}

export function ekuLabel(name: string): string {
  return (EXT_KEY_USAGES as Record<string, { label: string }>)[name]?.label ?? name;
}

// --- basicConstraints -------------------------------------------------------

export interface BasicConstraints {
  ca: boolean;
  pathlen?: number;
}

/** Ansible's list form: ["CA:TRUE", "pathlen:0"]. */
export function parseBasicConstraints(list: readonly string[] | undefined): BasicConstraints | undefined {
  if (!list || list.length === 0) return undefined;
  const bc: BasicConstraints = { ca: false };
  for (const item of list) {
    const m = /^\s*(ca|pathlen)\s*:\s*(\S+)\s*$/i.exec(item);
    if (!m) throw new InputError(`bad basic_constraints entry "${item}"`, undefined, 'expected CA:TRUE, CA:FALSE or pathlen:N');
    if (m[1]!.toLowerCase() === 'ca') {
      const v = m[2]!.toLowerCase();
      if (v !== 'true' && v !== 'false') throw new InputError(`bad basic_constraints entry "${item}"`, undefined, 'CA:TRUE or CA:FALSE');
      bc.ca = v === 'true';
    } else {
      const n = Number(m[2]);
      if (!Number.isInteger(n) || n < 0) throw new InputError(`bad basic_constraints entry "${item}"`, undefined, 'pathlen must be a non-negative integer');
      bc.pathlen = n;
    }
  }
  if (bc.pathlen !== undefined && !bc.ca) throw new InputError('basic_constraints: pathlen is only meaningful with CA:TRUE');
  return bc;
}

export function formatBasicConstraints(bc: BasicConstraints): string {
  return `CA:${bc.ca ? 'TRUE' : 'FALSE'}${bc.pathlen !== undefined ? `, pathlen:${bc.pathlen}` : ''}`;
}
