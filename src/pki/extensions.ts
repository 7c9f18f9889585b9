import { x509 } from './x509.js';
import { ekuOid, normalizeExtKeyUsages, KEY_USAGES, type BasicConstraints, type KeyUsage } from './names.js';

/**
 * The request-level extensions we manage, in canonical form (sorted lists),
 * read from and written to X.509 extension objects. Used for CSRs and
 * certificates alike, so "does the certificate still carry what the request
 * asks for" is a plain comparison of two of these.
 */
export interface ExtensionSpec {
  subjectAltName: string[];
  keyUsage: KeyUsage[];
  keyUsageCritical: boolean;
  extendedKeyUsage: string[];
  extendedKeyUsageCritical: boolean;
  basicConstraints?: BasicConstraints;
  basicConstraintsCritical: boolean;
}

export const EMPTY_EXTENSIONS: ExtensionSpec = {
  subjectAltName: [],
  keyUsage: [],
  keyUsageCritical: false,
  extendedKeyUsage: [],
  extendedKeyUsageCritical: false,
  basicConstraintsCritical: false,
};

export type Extension = x509.Extension;

export const OID_SAN = '2.5.29.17';
const OID_KU = '2.5.29.15';
const OID_EKU = '2.5.29.37';
const OID_BC = '2.5.29.19';
export const OID_SKI = '2.5.29.14';
export const OID_AKI = '2.5.29.35';

/** The library's typed view of an extension (it parses known ones into classes; raw ones are re-read). */
function typed<T extends x509.Extension>(e: x509.Extension, cls: new (raw: ArrayBuffer) => T): T {
  return e instanceof cls ? e : new cls(e.rawData);
}

function sanEntry(n: x509.GeneralName): string {
  switch (n.type) {
    case 'dns':
      return `DNS:${n.value.toLowerCase()}`;
    case 'ip':
      return `IP:${n.value}`;
    case 'email':
      return `email:${n.value}`;
    case 'url':
      return `URI:${n.value}`;
    default:
      return `${n.type}:${n.value}`;
  }
}

/** Read the managed extensions out of a parsed extension list. */
export function readExtensions(exts: readonly x509.Extension[]): ExtensionSpec {
  const spec: ExtensionSpec = { ...EMPTY_EXTENSIONS, subjectAltName: [], keyUsage: [], extendedKeyUsage: [] };
  for (const e of exts) {
    if (e.type === OID_SAN) {
      spec.subjectAltName = [...new Set(typed(e, x509.SubjectAlternativeNameExtension).names.items.map(sanEntry))].sort();
    } else if (e.type === OID_KU) {
      const flags = typed(e, x509.KeyUsagesExtension).usages;
      spec.keyUsage = (Object.keys(KEY_USAGES) as KeyUsage[]).filter((k) => flags & x509.KeyUsageFlags[k]).sort();
      spec.keyUsageCritical = e.critical;
    } else if (e.type === OID_EKU) {
      spec.extendedKeyUsage = normalizeExtKeyUsages(typed(e, x509.ExtendedKeyUsageExtension).usages.map(String));
      spec.extendedKeyUsageCritical = e.critical;
    } else if (e.type === OID_BC) {
      const bc = typed(e, x509.BasicConstraintsExtension);
      spec.basicConstraints = { ca: bc.ca };
      if (typeof bc.pathLength === 'number') spec.basicConstraints.pathlen = bc.pathLength;
      spec.basicConstraintsCritical = e.critical;
    }
  }
  return spec;
}

/** Build extension objects for a spec (only those that are set). */
export function buildExtensions(spec: ExtensionSpec): x509.Extension[] {
  const out: x509.Extension[] = [];
  if (spec.basicConstraints) out.push(new x509.BasicConstraintsExtension(spec.basicConstraints.ca, spec.basicConstraints.pathlen, spec.basicConstraintsCritical));
  if (spec.keyUsage.length) out.push(new x509.KeyUsagesExtension(spec.keyUsage.reduce((n, k) => n | x509.KeyUsageFlags[k], 0), spec.keyUsageCritical));
  if (spec.extendedKeyUsage.length) out.push(new x509.ExtendedKeyUsageExtension(spec.extendedKeyUsage.map(ekuOid), spec.extendedKeyUsageCritical));
  if (spec.subjectAltName.length) {
    out.push(
      new x509.SubjectAlternativeNameExtension(
        spec.subjectAltName.map((s) => {
          const i = s.indexOf(':');
          const kind = s.slice(0, i);
          const value = s.slice(i + 1);
          const type = kind === 'DNS' ? 'dns' : kind === 'IP' ? 'ip' : kind === 'email' ? 'email' : 'url';
          return { type, value } as x509.JsonGeneralName;
        }),
        false,
      ),
    );
  }
  return out;
}

/** The keyIdentifier of an authorityKeyIdentifier extension, hex, lower case. */
export function authorityKeyId(exts: readonly x509.Extension[]): string | undefined {
  const e = exts.find((x) => x.type === OID_AKI);
  return e ? typed(e, x509.AuthorityKeyIdentifierExtension).keyId?.toLowerCase() : undefined;
}

export function subjectKeyId(exts: readonly x509.Extension[]): string | undefined {
  const e = exts.find((x) => x.type === OID_SKI);
  return e ? typed(e, x509.SubjectKeyIdentifierExtension).keyId.toLowerCase() : undefined;
}
