import forge from 'node-forge';
import {
  ekuOid,
  normalizeExtKeyUsages,
  KEY_USAGES,
  type BasicConstraints,
  type KeyUsage,
} from './names.js';

const { asn1 } = forge;

/**
 * The request-level extensions we manage, in canonical form (sorted lists),
 * read from and written to node-forge extension objects. Used for CSRs and
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

/** A raw forge extension as parsed from a certificate or CSR. */
export interface ForgeExtension {
  id: string;
  name?: string;
  critical?: boolean;
  value: string | forge.asn1.Asn1;
  [k: string]: unknown;
}

const OID_SAN = '2.5.29.17';
const OID_KU = '2.5.29.15';
const OID_EKU = '2.5.29.37';
const OID_BC = '2.5.29.19';
export const OID_SKI = '2.5.29.14';
export const OID_AKI = '2.5.29.35';

/** Read the managed extensions out of forge's parsed extension list. */
export function readExtensions(exts: readonly ForgeExtension[]): ExtensionSpec {
  const spec: ExtensionSpec = { ...EMPTY_EXTENSIONS, subjectAltName: [], keyUsage: [], extendedKeyUsage: [] };
  for (const e of exts) {
    if (e.id === OID_SAN) {
      const names = (e.altNames as Array<{ type: number; value: string; ip?: string }>) ?? [];
      spec.subjectAltName = [
        ...new Set(
          names.map((n) => {
            if (n.type === 2) return `DNS:${n.value.toLowerCase()}`;
            if (n.type === 7) return `IP:${n.ip}`;
            if (n.type === 1) return `email:${n.value}`;
            if (n.type === 6) return `URI:${n.value}`;
            return `othername:${n.type}`;
          }),
        ),
      ].sort();
    } else if (e.id === OID_KU) {
      spec.keyUsage = (Object.keys(KEY_USAGES) as KeyUsage[]).filter((k) => e[k] === true).sort();
      spec.keyUsageCritical = !!e.critical;
    } else if (e.id === OID_EKU) {
      // forge sets a flag per purpose, named when it knows the OID, else the dotted OID.
      const flags = Object.keys(e).filter((k) => e[k] === true && k !== 'critical');
      spec.extendedKeyUsage = normalizeExtKeyUsages(flags.filter((f) => f !== 'id' && f !== 'name'));
      spec.extendedKeyUsageCritical = !!e.critical;
    } else if (e.id === OID_BC) {
      spec.basicConstraints = { ca: !!e.cA };
      if (typeof e.pathLenConstraint === 'number') spec.basicConstraints.pathlen = e.pathLenConstraint;
      spec.basicConstraintsCritical = !!e.critical;
    }
  }
  return spec;
}

/** Build forge extension objects for a spec (only those that are set). */
export function buildExtensions(spec: ExtensionSpec): ForgeExtension[] {
  const out: ForgeExtension[] = [];
  if (spec.basicConstraints) {
    // forge computes `value` from these fields when it is absent.
    const e: Record<string, unknown> = { id: OID_BC, name: 'basicConstraints', critical: spec.basicConstraintsCritical, cA: spec.basicConstraints.ca };
    if (spec.basicConstraints.pathlen !== undefined) e.pathLenConstraint = spec.basicConstraints.pathlen;
    out.push(e as ForgeExtension);
  }
  if (spec.keyUsage.length) {
    const e: Record<string, unknown> = { id: OID_KU, name: 'keyUsage', critical: spec.keyUsageCritical };
    for (const k of spec.keyUsage) e[k] = true;
    out.push(e as ForgeExtension);
  }
  if (spec.extendedKeyUsage.length) {
    // Encoded by hand so OIDs forge does not know are kept too.
    const seq = asn1.create(
      asn1.Class.UNIVERSAL,
      asn1.Type.SEQUENCE,
      true,
      spec.extendedKeyUsage.map((n) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(ekuOid(n)).getBytes())),
    );
    out.push({ id: OID_EKU, name: 'extKeyUsage', critical: spec.extendedKeyUsageCritical, value: seq });
  }
  if (spec.subjectAltName.length) {
    out.push({
      id: OID_SAN,
      name: 'subjectAltName',
      critical: false,
      altNames: spec.subjectAltName.map((s) => {
        const i = s.indexOf(':');
        const kind = s.slice(0, i);
        const value = s.slice(i + 1);
        if (kind === 'DNS') return { type: 2, value };
        if (kind === 'IP') return { type: 7, ip: value };
        if (kind === 'email') return { type: 1, value };
        return { type: 6, value };
      }),
    } as unknown as ForgeExtension);
  }
  return out;
}

/** The keyIdentifier of an authorityKeyIdentifier extension, hex, lower case (forge does not parse it). */
export function authorityKeyId(exts: readonly ForgeExtension[]): string | undefined {
  const e = exts.find((x) => x.id === OID_AKI);
  if (!e || typeof e.value !== 'string') return undefined;
  const seq = asn1.fromDer(e.value);
  for (const item of seq.value as forge.asn1.Asn1[]) {
    if (item.tagClass === asn1.Class.CONTEXT_SPECIFIC && item.type === 0) return forge.util.bytesToHex(item.value as string);
  }
  return undefined;
}

export function subjectKeyId(exts: readonly ForgeExtension[]): string | undefined {
  const e = exts.find((x) => x.id === OID_SKI);
  return typeof e?.subjectKeyIdentifier === 'string' ? e.subjectKeyIdentifier.toLowerCase() : undefined;
}
