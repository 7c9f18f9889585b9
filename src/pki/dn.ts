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
