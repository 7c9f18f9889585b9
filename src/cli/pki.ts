import type { Command } from 'commander';
import type { CommonOpts, CrlOpts, IntermediateOpts, IssueOpts, RenewOpts, RevokeOpts, SignOpts, VerifyOpts } from '../pki/commands.js';

/**
 * `drover pki`: a small private CA for direct use.
 *
 *   drover pki ca --cn "Lab Root CA" --out ca/                  (RSA 4096; --kty EC [--curve P-384], --kty Ed25519)
 *   drover pki intermediate --ca ca/ --cn "Lab Intermediate" --pathlen 0 --out inter/
 *   drover pki issue --ca inter/ --server --cn web1 --san DNS:web1.lab,IP:10.0.0.5 --out certs/
 *   drover pki sign web2.csr --ca inter/ --profile server --out certs/  (a CSR made elsewhere, e.g. openssl req)
 *   drover pki renew certs/web1.crt --ca inter/ --within 30      (same key and names, new validity; only when due)
 *   drover pki revoke certs/alice.crt --ca inter/ --reason keyCompromise  (revoked.json + a new crl.pem in inter/)
 *   drover pki crl --ca inter/                                     (a fresh crl.pem: CRLs expire, default 7 days)
 *   drover pki verify certs/web1.crt --ca ca/ca.crt --untrusted inter/ca.crt
 *   drover pki show certs/web1.crt [--json]
 *
 * A CA directory holds ca.key (0600) and ca.crt; an intermediate's also
 * chain.crt (itself + the intermediates above it) and root.crt. Nothing is
 * overwritten without --force.
 */

/** The actions, loaded only when a pki command runs. */
const actions = () => import('../pki/commands.js');

/** The options every issuing command takes after its own: subject, validity, key size, output. */
/** Validity: --days or --hours, and the back-dated start. */
function validityOptions(cmd: Command, days: string): Command {
  return cmd
    .option('--days <n>', `validity in days (default ${days})`)
    .option('--hours <n>', 'validity in hours instead of days (short-lived certificates)')
    .option('--not-before <time>', 'start of validity: -5m (default, back-dated for clock skew), -1h, +0s, or 20300101000000Z');
}

function issuingOptions(cmd: Command, dflt: { days: string; keySize: string }): Command {
  return validityOptions(cmd.option('--subject <dn>', 'more subject fields, e.g. "O=Lab,C=DE"'), dflt.days)
    .option('--kty <type>', 'key type: RSA, EC or Ed25519 (default RSA)')
    .option('--curve <name>', 'EC curve: P-256 (default) or P-384')
    .option('--key-size <bits>', `RSA key size: 2048, 3072 or 4096 (default ${dflt.keySize})`)
    .requiredOption('--out <dir>', 'output directory')
    .option('--force', 'overwrite existing files');
}

export function register(program: Command): void {
  const pki = program.command('pki').description('Private CA (RSA, EC P-256/P-384, Ed25519): root, intermediate, server/client certificates; sign CSRs, renew, revoke and CRLs; verify and show certificates');

  issuingOptions(
    pki
      .command('ca')
      .description('create a self-signed root CA (CA:TRUE critical, keyCertSign/cRLSign) in --out')
      .requiredOption('--cn <name>', 'common name')
      .option('--key-passphrase-file <file>', 'encrypt ca.key (PKCS#8, AES-256) with the passphrase on the first line of this file'),
    { days: '3650', keySize: '4096' },
  ).action(async (o: CommonOpts) => (await actions()).runCa(o));

  issuingOptions(
    pki
      .command('intermediate')
      .description('create an intermediate CA signed by --ca')
      .requiredOption('--ca <dir>', 'directory of the signing CA (ca.key, ca.crt)')
      .option('--ca-key-passphrase-file <file>', "the signing CA key's passphrase (first line of this file)")
      .requiredOption('--cn <name>', 'common name')
      .option('--pathlen <n>', 'pathlen constraint (0: may only issue end-entity certificates)')
      .option('--crl-url <url>', "crlDistributionPoints: where the issuing CA's crl.pem is published (repeatable)", (v: string, prev: string[] = []) => [...prev, v])
      .option('--key-passphrase-file <file>', 'encrypt the new ca.key with the passphrase on the first line of this file'),
    { days: '1825', keySize: '3072' },
  ).action(async (o: IntermediateOpts) => (await actions()).runIntermediate(o));

  issuingOptions(
    pki
      .command('issue')
      .description('issue a server or client certificate: <name>.key (0600), <name>.crt, <name>-chain.crt')
      .requiredOption('--ca <dir>', 'directory of the issuing CA')
      .option('--ca-key-passphrase-file <file>', "the CA key's passphrase (first line of this file)")
      .option('--server', 'server certificate (serverAuth)')
      .option('--client', 'client certificate (clientAuth)')
      .requiredOption('--cn <name>', 'common name')
      .option('--san <list>', 'subjectAltNames, e.g. DNS:web1.lab,IP:10.0.0.5 (server default: DNS:<cn>)')
      .option('--crl-url <url>', "crlDistributionPoints: where the issuing CA's crl.pem is published (repeatable)", (v: string, prev: string[] = []) => [...prev, v])
      .option('--name <file>', 'file name stem (default: from the CN)'),
    { days: '365', keySize: '2048' },
  ).action(async (o: IssueOpts) => (await actions()).runIssue(o));

  validityOptions(
    pki
      .command('sign <csr>')
      .description('sign a CSR made elsewhere (openssl req, a device): the CN and SANs are copied, usages come from --profile; writes <name>.crt and <name>-chain.crt')
      .requiredOption('--ca <dir>', 'directory of the issuing CA')
      .option('--ca-key-passphrase-file <file>', "the CA key's passphrase (first line of this file)")
      .requiredOption('--profile <p>', 'server (serverAuth) or client (clientAuth)')
      .option('--crl-url <url>', "crlDistributionPoints: where the issuing CA's crl.pem is published (repeatable)", (v: string, prev: string[] = []) => [...prev, v])
      .requiredOption('--out <dir>', 'output directory')
      .option('--name <file>', 'file name stem (default: from the CN)')
      .option('--force', 'overwrite existing files'),
    '365',
  ).action(async (csr: string, o: SignOpts) => (await actions()).runSign(csr, o));

  pki
    .command('renew <cert>')
    .description('re-issue a certificate --ca issued: same key, subject and extensions, new serial and validity (the old lifetime unless --days/--hours); rewrites <cert> and its -chain.crt')
    .requiredOption('--ca <dir>', 'directory of the CA that issued it')
    .option('--ca-key-passphrase-file <file>', "the CA key's passphrase (first line of this file)")
    .option('--within <days>', 'only when it expires within this many days (else leave it, exit 0)')
    .option('--days <n>', 'new validity in days (default: the old lifetime)')
    .option('--hours <n>', 'new validity in hours')
    .option('--not-before <time>', 'start of validity: -5m (default), -1h, +0s, or 20300101000000Z')
    .action(async (cert: string, o: RenewOpts) => (await actions()).runRenew(cert, o));

  pki
    .command('revoke <cert>')
    .description("revoke a certificate --ca issued: add it to the CA directory's revoked.json and sign a new crl.pem")
    .requiredOption('--ca <dir>', 'directory of the CA that issued it')
    .option('--ca-key-passphrase-file <file>', "the CA key's passphrase (first line of this file)")
    .option('--reason <r>', 'keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation, certificateHold, privilegeWithdrawn, …')
    .option('--crl-days <n>', 'the CRL is valid for this many days (nextUpdate, default 7)')
    .action(async (cert: string, o: RevokeOpts) => (await actions()).runRevoke(cert, o));

  pki
    .command('crl')
    .description("sign a fresh crl.pem for --ca from its revoked.json (a CRL expires: re-run before nextUpdate)")
    .requiredOption('--ca <dir>', 'directory of the CA')
    .option('--ca-key-passphrase-file <file>', "the CA key's passphrase (first line of this file)")
    .option('--crl-days <n>', 'the CRL is valid for this many days (nextUpdate, default 7)')
    .action(async (o: CrlOpts) => (await actions()).runCrl(o));

  pki
    .command('verify <cert>')
    .description('verify a certificate (or chain file) against a root; exits 2 with the reason when it does not verify')
    .requiredOption('--ca <file>', 'trusted root certificate(s), PEM')
    .option('--untrusted <file>', 'intermediate certificate(s), PEM')
    .option('--purpose <p>', 'require serverAuth or clientAuth on the leaf')
    .action(async (cert: string, o: VerifyOpts) => (await actions()).runVerify(cert, o));

  pki
    .command('show <cert>')
    .description('readable dump of a certificate or bundle: subject, issuer, validity, serial, key, SAN, usages, constraints, key ids, fingerprint')
    .option('--json', 'print a JSON array, one object per certificate')
    .action(async (cert: string, o: { json?: boolean }) => (await actions()).runShow(cert, o));
}
