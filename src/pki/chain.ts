import { certificateDer, certSignedBy, parseCertificate, sameName, splitPemCertificates, type Certificate } from './cert.js';
import { authorityKeyId, readExtensions, subjectKeyId } from './extensions.js';
import { fromName } from './dn.js';
import { ekuLabel, formatSubject } from './names.js';

/**
 * Chain building and verification with reasons a person can act on. openssl
 * says "unable to get local issuer certificate"; we say which certificate, which
 * issuer we looked for, and what was wrong with the candidates.
 */

export type ChainFailure =
  | 'expired'
  | 'not_yet_valid'
  | 'issuer_not_found'
  | 'untrusted_root'
  | 'signature'
  | 'not_ca'
  | 'key_usage'
  | 'pathlen'
  | 'purpose'
  | 'too_long';

export interface ChainVerdict {
  ok: boolean;
  code?: ChainFailure;
  reason?: string;
  /** Subjects from the leaf up to where building stopped (the trusted root when ok). */
  path: string[];
}

export interface VerifyOptions {
  /** Trust anchors. */
  roots: Certificate[];
  /** Intermediates that may be used to build the path (not trusted by themselves). */
  untrusted?: Certificate[];
  /** Check validity at this time (default now). */
  at?: Date;
  /** Require this extendedKeyUsage on the leaf when it has an EKU extension (serverAuth, clientAuth). */
  purpose?: string;
}

const name = (c: Certificate): string => formatSubject(fromName(c.subjectName)) || '(empty subject)';

function sameCert(a: Certificate, b: Certificate): boolean {
  return certificateDer(a).equals(certificateDer(b));
}

const selfIssued = (c: Certificate): boolean => sameName(c.subjectName, c.issuerName);

function signatureVerifies(issuer: Certificate, child: Certificate): boolean {
  try {
    return certSignedBy(child, issuer);
  } catch {
    return false;
  }
}

export function verifyChain(leaf: Certificate, o: VerifyOptions): ChainVerdict {
  const at = o.at ?? new Date();
  const pool = [...(o.untrusted ?? []), ...o.roots];
  const path: Certificate[] = [leaf];
  const fail = (code: ChainFailure, reason: string): ChainVerdict => ({ ok: false, code, reason, path: path.map(name) });

  if (o.purpose) {
    const eku = readExtensions(leaf.extensions).extendedKeyUsage;
    if (eku.length && !eku.includes(o.purpose)) {
      return fail('purpose', `"${name(leaf)}" is not valid for ${ekuLabel(o.purpose)}: its extendedKeyUsage is ${eku.map(ekuLabel).join(', ')}`);
    }
  }

  for (let depth = 0; depth < 10; depth++) {
    const cur = path[path.length - 1]!;
    if (at > cur.notAfter) return fail('expired', `"${name(cur)}" expired on ${cur.notAfter.toISOString()}`);
    if (at < cur.notBefore) return fail('not_yet_valid', `"${name(cur)}" is not valid before ${cur.notBefore.toISOString()}`);
    if (o.roots.some((r) => sameCert(r, cur))) return { ok: true, path: path.map(name) };

    // Candidates: subject equals our issuer; prefer the one whose SKI equals our AKI.
    const aki = authorityKeyId(cur.extensions);
    const byName = pool.filter((c) => sameName(c.subjectName, cur.issuerName) && !sameCert(c, cur));
    const candidates = [...byName].sort((a, b) => Number(subjectKeyId(b.extensions) === aki) - Number(subjectKeyId(a.extensions) === aki));
    if (candidates.length === 0) {
      if (selfIssued(cur) && signatureVerifies(cur, cur)) {
        return fail('untrusted_root', `"${name(cur)}" is self-signed and not among the trusted roots`);
      }
      const issuerName = formatSubject(fromName(cur.issuerName));
      return fail('issuer_not_found', `no certificate for the issuer "${issuerName}" of "${name(cur)}" among the trusted roots${o.untrusted?.length ? ' or the untrusted intermediates' : ''} (${path.length === 1 ? 'pass the intermediate with --untrusted, or check the CA file' : 'is the right root in the CA file?'})`);
    }
    const issuer = candidates.find((c) => signatureVerifies(c, cur));
    if (!issuer) {
      const ski = subjectKeyId(candidates[0]!.extensions);
      const keyHint = aki && ski && aki !== ski ? ` (its authorityKeyIdentifier ${aki} names a different key than "${name(candidates[0]!)}"'s ${ski}: signed by another CA with the same name?)` : '';
      return fail('signature', `the signature of "${name(cur)}" does not verify with the public key of "${name(candidates[0]!)}"${keyHint}`);
    }
    const ix = readExtensions(issuer.extensions);
    if (!ix.basicConstraints?.ca) {
      return fail('not_ca', `"${name(issuer)}" signed "${name(cur)}" but is not a CA (basicConstraints ${ix.basicConstraints ? 'CA:FALSE' : 'missing'})`);
    }
    if (ix.keyUsage.length && !ix.keyUsage.includes('keyCertSign')) {
      return fail('key_usage', `"${name(issuer)}" signed "${name(cur)}" but its keyUsage (${ix.keyUsage.join(', ')}) lacks keyCertSign`);
    }
    // Intermediate CAs between this issuer and the leaf, self-issued ones not counted (RFC 5280 6.1.4).
    const below = path.slice(1).filter((c) => !selfIssued(c)).length;
    if (ix.basicConstraints.pathlen !== undefined && below > ix.basicConstraints.pathlen) {
      return fail('pathlen', `"${name(issuer)}" has pathlen:${ix.basicConstraints.pathlen} but ${below} CA certificate(s) below it (${path.slice(1).map((c) => `"${name(c)}"`).join(', ')}): it may only sign end-entity certificates`);
    }
    path.push(issuer);
  }
  return fail('too_long', 'chain longer than 10 certificates');
}

/** Convenience over PEM text: verify `leafPem` against root and intermediate bundles. */
export function verifyPemChain(leafPem: string, rootsPem: string, untrustedPem = '', opts: { at?: Date; purpose?: string } = {}): ChainVerdict {
  const [leaf, ...extra] = splitPemCertificates(leafPem).map(parseCertificate);
  if (!leaf) return { ok: false, code: 'issuer_not_found', reason: 'no certificate in the input', path: [] };
  return verifyChain(leaf, {
    roots: splitPemCertificates(rootsPem).map(parseCertificate),
    // A chain file (leaf + intermediates) supplies its own intermediates.
    untrusted: [...extra, ...splitPemCertificates(untrustedPem).map(parseCertificate)],
    ...opts,
  });
}

/** A server-chain file: the leaf followed by the intermediates, leaf first, root left out. */
export function chainPem(leafPem: string, intermediatesPem: readonly string[]): string {
  return [leafPem, ...intermediatesPem].map((p) => p.trim() + '\n').join('');
}
