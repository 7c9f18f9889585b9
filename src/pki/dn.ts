import forge from 'node-forge';
import { SUBJECT_FIELDS, type Subject, type SubjectField } from './names.js';

/** Subject <-> node-forge attribute lists. */

const FORGE_NAME: Record<SubjectField, { shortName?: string; name?: string }> = {
  C: { shortName: 'C' },
  ST: { shortName: 'ST' },
  L: { shortName: 'L' },
  O: { shortName: 'O' },
  OU: { shortName: 'OU' },
  CN: { shortName: 'CN' },
  emailAddress: { name: 'emailAddress' },
};

export function toForgeAttributes(s: Subject): forge.pki.CertificateField[] {
  return SUBJECT_FIELDS.filter((f) => s[f] !== undefined && s[f] !== '').map((f) => ({ ...FORGE_NAME[f], value: s[f] }));
}

export function fromForgeAttributes(attrs: readonly forge.pki.CertificateField[]): Subject {
  const out: Subject = {};
  for (const a of attrs) {
    const key = a.name === 'emailAddress' || a.shortName === 'E' ? 'emailAddress' : (a.shortName as SubjectField | undefined);
    if (key && (SUBJECT_FIELDS as readonly string[]).includes(key)) out[key] = String(a.value);
  }
  return out;
}
