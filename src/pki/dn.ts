import { x509 } from './x509.js';
import { SUBJECT_FIELDS, type Subject, type SubjectField } from './names.js';

/** Subject <-> X.509 Name. One attribute per RDN, in SUBJECT_FIELDS order (openssl's). */

const ATTR: Record<SubjectField, string> = { C: 'C', ST: 'ST', L: 'L', O: 'O', OU: 'OU', CN: 'CN', emailAddress: 'E' };
const FIELD: Record<string, SubjectField> = Object.fromEntries(Object.entries(ATTR).map(([f, a]) => [a, f as SubjectField]));

export function toName(s: Subject): x509.Name {
  // Explicit string types: the library would otherwise read "#…" as hex and strip quotes.
  const rdns = SUBJECT_FIELDS.filter((f) => s[f] !== undefined && s[f] !== '').map((f) => {
    const v = s[f]!;
    const value = f === 'emailAddress' ? { ia5String: v } : x509.Name.isPrintableString(v) ? { printableString: v } : { utf8String: v };
    return { [ATTR[f]]: [value] };
  });
  return new x509.Name(rdns as x509.JsonNameParams);
}

export function fromName(n: x509.Name): Subject {
  const out: Subject = {};
  for (const rdn of n.toJSON()) {
    for (const [type, values] of Object.entries(rdn)) {
      const key = FIELD[type] ?? (type === '1.2.840.113549.1.9.1' ? 'emailAddress' : undefined);
      if (key && values.length) out[key] = String(values[0]);
    }
  }
  return out;
}

/** The long names openssl and Ansible's results give the fields (commonName …). */
export const LONG_NAMES: Record<SubjectField, string> = {
  C: 'countryName',
  ST: 'stateOrProvinceName',
  L: 'localityName',
  O: 'organizationName',
  OU: 'organizationalUnitName',
  CN: 'commonName',
  emailAddress: 'emailAddress',
};

/**
 * A Name in the given order, one attribute per RDN, each string typed as
 * Python's cryptography types it (UTF8String; countryName PrintableString;
 * emailAddress IA5String), so a CRL issuer is encoded as community.crypto
 * encodes it. openssl compares names after canonicalising, so a CRL's issuer
 * matches its CA either way.
 */
export function toOrderedName(pairs: ReadonlyArray<readonly [SubjectField, string]>): x509.Name {
  const rdns = pairs.map(([f, v]) => ({ [ATTR[f]]: [f === 'C' ? { printableString: v } : f === 'emailAddress' ? { ia5String: v } : { utf8String: v }] }));
  return new x509.Name(rdns as x509.JsonNameParams);
}

/** A Name's attributes in order, as [field, value]; a type drover has no field for keeps its name or OID. */
export function namePairs(n: x509.Name): [SubjectField | string, string][] {
  return n.toJSON().flatMap((rdn) =>
    Object.entries(rdn).flatMap(([type, values]) => values.map((v) => [FIELD[type] ?? (type === '1.2.840.113549.1.9.1' ? 'emailAddress' : type), String(v)] as [string, string])),
  );
}
