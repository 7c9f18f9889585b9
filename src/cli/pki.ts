import type { Command } from 'commander';

/**
 * `drover pki`: a small private CA for direct use.
 *
 *   drover pki ca --cn "Lab Root CA" --out ca/
 *   drover pki intermediate --ca ca/ --cn "Lab Intermediate" --pathlen 0 --out inter/
 *   drover pki issue --ca inter/ --server --cn web1 --san DNS:web1.lab,IP:10.0.0.5 --out certs/
 *   drover pki verify certs/web1.crt --ca ca/ca.crt --untrusted inter/ca.crt
 *   drover pki show certs/web1.crt
 *
 * A CA directory holds ca.key (0600) and ca.crt; an intermediate's also
 * chain.crt (itself + the intermediates above it) and root.crt. Nothing is
 * overwritten without --force.
 */

interface CommonOpts {
  cn: string;
  subject?: string;
  days?: string;
  keySize?: string;
  out: string;
  force?: boolean;
}

export function register(program: Command): void {
  const pki = program.command('pki').description('Private CA: root, intermediate, server/client certificates; verify and show certificates');

  pki
    .command('ca')
    .description('create a self-signed root CA (CA:TRUE critical, keyCertSign/cRLSign) in --out')
    .requiredOption('--cn <name>', 'common name')
    .option('--subject <dn>', 'more subject fields, e.g. "O=Lab,C=DE"')
    .option('--days <n>', 'validity in days', '3650')
    .option('--key-size <bits>', 'RSA key size: 2048, 3072 or 4096', '4096')
    .requiredOption('--out <dir>', 'output directory')
    .option('--force', 'overwrite existing files')
    .action(async (o: CommonOpts) => {
      const { runCa } = await import('../pki/commands.js');
      await runCa(o);
    });

  pki
    .command('intermediate')
    .description('create an intermediate CA signed by --ca')
    .requiredOption('--ca <dir>', 'directory of the signing CA (ca.key, ca.crt)')
    .requiredOption('--cn <name>', 'common name')
    .option('--pathlen <n>', 'pathlen constraint (0: may only issue end-entity certificates)')
    .option('--subject <dn>', 'more subject fields, e.g. "O=Lab,C=DE"')
    .option('--days <n>', 'validity in days', '1825')
    .option('--key-size <bits>', 'RSA key size', '3072')
    .requiredOption('--out <dir>', 'output directory')
    .option('--force', 'overwrite existing files')
    .action(async (o: CommonOpts & { ca: string; pathlen?: string }) => {
      const { runIntermediate } = await import('../pki/commands.js');
      await runIntermediate(o);
    });

  pki
    .command('issue')
    .description('issue a server or client certificate: <name>.key (0600), <name>.crt, <name>-chain.crt')
    .requiredOption('--ca <dir>', 'directory of the issuing CA')
    .option('--server', 'server certificate (serverAuth)')
    .option('--client', 'client certificate (clientAuth)')
    .requiredOption('--cn <name>', 'common name')
    .option('--san <list>', 'subjectAltNames, e.g. DNS:web1.lab,IP:10.0.0.5 (server default: DNS:<cn>)')
    .option('--name <file>', 'file name stem (default: from the CN)')
    .option('--subject <dn>', 'more subject fields, e.g. "O=Lab,C=DE"')
    .option('--days <n>', 'validity in days', '365')
    .option('--key-size <bits>', 'RSA key size', '2048')
    .requiredOption('--out <dir>', 'output directory')
    .option('--force', 'overwrite existing files')
    .action(async (o: CommonOpts & { ca: string; server?: boolean; client?: boolean; san?: string; name?: string }) => {
      const { runIssue } = await import('../pki/commands.js');
      await runIssue(o);
    });

  pki
    .command('verify <cert>')
    .description('verify a certificate (or chain file) against a root; exits 2 with the reason when it does not verify')
    .requiredOption('--ca <file>', 'trusted root certificate(s), PEM')
    .option('--untrusted <file>', 'intermediate certificate(s), PEM')
    .option('--purpose <p>', 'require serverAuth or clientAuth on the leaf')
    .action(async (cert: string, o: { ca: string; untrusted?: string; purpose?: string }) => {
      const { runVerify } = await import('../pki/commands.js');
      await runVerify(cert, o);
    });

  pki
    .command('show <cert>')
    .description('readable dump of a certificate or bundle: subject, issuer, validity, serial, SAN, usages, constraints, key ids, fingerprint')
    .action(async (cert: string) => {
      const { runShow } = await import('../pki/commands.js');
      await runShow(cert);
    });
}
