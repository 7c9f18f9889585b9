import type { Command } from 'commander';
import { EXIT, InputError, isInputError } from '../util/errors.js';
import { wholeNumber, positiveNumber } from './flag-values.js';

interface CommonFlags {
  tokenFile?: string;
  apiUrl?: string;
  events?: string;
  requestTimeout: number;
}

interface Session {
  client: import('../providers/digitalocean/api.js').DoClient;
  report: import('../providers/digitalocean/provision.js').Reporter;
  out: (s: string) => void;
  err: (s: string) => void;
  close: () => void;
}

/**
 * Everything printed or logged goes through one Redactor holding the token,
 * so neither a message from the API nor an error can show it.
 */
async function session(o: CommonFlags): Promise<Session> {
  const { Redactor } = await import('../util/redact.js');
  const { DoClient } = await import('../providers/digitalocean/api.js');
  const { resolveApiUrl, resolveToken } = await import('../providers/digitalocean/token.js');
  const { openSync, writeSync, closeSync } = await import('node:fs');
  const redactor = new Redactor();
  const token = resolveToken({ tokenFile: o.tokenFile });
  redactor.add(token);
  const out = (s: string) => void process.stdout.write(redactor.redact(s));
  const err = (s: string) => void process.stderr.write(redactor.redact(s));
  const fd = o.events ? openSync(o.events, 'a', 0o600) : undefined;
  const report = {
    info: (line: string) => out(`${line}\n`),
    warn: (line: string) => err(`warning: ${line}\n`),
    event: (e: Record<string, unknown>) => {
      if (fd !== undefined) writeSync(fd, redactor.redact(JSON.stringify({ ts: new Date().toISOString(), ...e })) + '\n');
    },
  };
  const client = new DoClient({
    baseUrl: resolveApiUrl(o.apiUrl),
    token,
    timeoutMs: o.requestTimeout * 1000,
    onWait: (w) => {
      const what = w.reason === 'rate-limit' ? 'rate limited by DigitalOcean' : w.reason === 'server-error' ? 'DigitalOcean server error' : 'network error';
      report.warn(`${what} on ${w.method} ${w.path} (${w.detail}); retrying in ${(w.waitMs / 1000).toFixed(1)}s`);
      report.event({ type: 'api_wait', reason: w.reason, wait_ms: w.waitMs, method: w.method, path: w.path, detail: w.detail });
    },
  });
  return { client, report, out, err, close: () => fd !== undefined && closeSync(fd) };
}

/** Run an action; API and runtime errors are printed redacted (bad input still exits 4 via main). */
async function guarded(o: CommonFlags, body: (s: Session) => Promise<number>): Promise<void> {
  let s: Session | undefined;
  try {
    s = await session(o);
    process.exitCode = await body(s);
  } catch (e) {
    if (isInputError(e) || !s) throw e;
    s.report.event({ type: 'error', message: e instanceof Error ? e.message : String(e) });
    s.err(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = EXIT.usage;
  } finally {
    s?.close();
  }
}

function common(cmd: Command): Command {
  return cmd
    .option('--token-file <file>', 'read the API token from this file (default: $DIGITALOCEAN_TOKEN)')
    .option('--api-url <url>', 'API origin (default: $DIGITALOCEAN_API_URL or https://api.digitalocean.com)')
    .option('--events <file>', 'append JSON-lines events (creates, deletes, waits, errors)')
    .option('--request-timeout <seconds>', 'time limit per API request', (v) => parseFloat(v), 30);
}

async function confirmOnTty(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim().toLowerCase() === 'yes';
  } finally {
    rl.close();
  }
}

/** `drover droplet up|list|down`: DigitalOcean droplets from a spec file, and their inventory. */
export function register(program: Command): void {
  const droplet = program.command('droplet').description('create, list and delete DigitalOcean droplets from a spec (droplets.yaml)');

  common(
    droplet
      .command('up')
      .description('create the droplets the spec names that do not exist yet, wait until they are active, write the inventory')
      .argument('<spec>', 'droplet spec (YAML)')
      .option('--dry-run', 'print what would be created and what it costs; change nothing')
      .option('--poll-interval <ms>', 'first wait between status polls (grows ×1.5 up to 15 s)', wholeNumber('--poll-interval', 1), 2000)
      .option('--wait-timeout <seconds>', 'give up waiting for droplets to become active after this long', positiveNumber('--wait-timeout'), 600),
  ).action(async (specFile: string, o: CommonFlags & { dryRun?: boolean; pollInterval: number; waitTimeout: number }) => {
    const { loadDropletSpec } = await import('../providers/digitalocean/spec.js');
    const spec = loadDropletSpec(specFile);
    await guarded(o, async ({ client, report, err }) => {
      const { dropletsUp } = await import('../providers/digitalocean/provision.js');
      const r = await dropletsUp(spec, client, report, { dryRun: o.dryRun, pollMs: o.pollInterval, waitTimeoutMs: o.waitTimeout * 1000 });
      if (r.failed.length) {
        err(`error: ${r.failed.length} droplet(s) not ready:\n${r.failed.map((f) => `  ${f.name}: ${f.error}`).join('\n')}\nRe-run \`drover droplet up ${specFile}\` to create what is missing.\n`);
        return EXIT.taskFailed;
      }
      return EXIT.ok;
    });
  });

  common(
    droplet
      .command('list')
      .description("list a spec's droplets (without a spec: every droplet drover owns)")
      .argument('[spec]', 'droplet spec (YAML)')
      .option('--format <format>', 'table, json (one object per droplet) or ini (the inventory `up` writes; needs a spec)', 'table')
      .option('--json', 'print JSON (same as --format json)'),
  ).action(async (specFile: string | undefined, o: CommonFlags & { json?: boolean; format: string }) => {
    const { loadDropletSpec } = await import('../providers/digitalocean/spec.js');
    const format = o.json ? 'json' : o.format;
    if (!['table', 'json', 'ini'].includes(format)) throw new InputError(`--format ${format}: expected table, json or ini`);
    if (format === 'ini' && !specFile) throw new InputError('--format ini needs a spec', undefined, 'the inventory takes ssh_user, the key and vars from it: drover droplet list SPEC --format ini');
    const spec = specFile ? loadDropletSpec(specFile) : undefined;
    await guarded(o, async ({ client, out }) => {
      const { dropletsList, formatDropletTable } = await import('../providers/digitalocean/provision.js');
      if (format === 'ini') {
        const { renderDropletInventory } = await import('../providers/digitalocean/inventory-text.js');
        out(renderDropletInventory(spec!, await client.listDroplets(spec!.ownershipTag), `From DigitalOcean: droplets tagged ${spec!.ownershipTag} (spec ${specFile}).`));
        return EXIT.ok;
      }
      const rows = await dropletsList(client, spec);
      out(format === 'json' ? JSON.stringify(rows, null, 2) + '\n' : formatDropletTable(rows));
      return EXIT.ok;
    });
  });

  common(
    droplet
      .command('ssh')
      .description("open a shell on a droplet by name (OpenSSH's host-key checking applies), as `doctl compute ssh`")
      .argument('<name>', 'droplet name')
      .argument('[command...]', 'command to run instead of a shell')
      .option('--spec <spec>', "the droplet spec's droplet, with its ssh_user and ssh_private_key_file (default: the droplet of that name in the account, as root)"),
  ).action(async (name: string, command: string[], o: CommonFlags & { spec?: string }) => {
    const { loadDropletSpec } = await import('../providers/digitalocean/spec.js');
    const spec = o.spec ? loadDropletSpec(o.spec) : undefined;
    await guarded(o, async ({ client }) => {
      const { dropletSshTarget, sshArgv } = await import('../providers/digitalocean/provision.js');
      const argv = sshArgv(await dropletSshTarget(client, name, spec), command);
      const { spawnSync } = await import('node:child_process');
      const r = spawnSync(argv[0]!, argv.slice(1), { stdio: 'inherit' });
      if (r.error) throw new Error(`cannot run ssh: ${r.error.message}`);
      return r.status ?? EXIT.usage;
    });
  });

  common(
    droplet
      .command('down')
      .description('delete exactly the droplets carrying the spec\'s drover tag')
      .argument('<spec>', 'droplet spec (YAML)')
      .option('-y, --yes', 'do not ask for confirmation')
      .option('--dry-run', 'print what would be deleted; change nothing')
      .option('--poll-interval <ms>', 'first wait between polls while deletions finish', wholeNumber('--poll-interval', 1), 2000),
  ).action(async (specFile: string, o: CommonFlags & { yes?: boolean; dryRun?: boolean; pollInterval: number }) => {
    const { loadDropletSpec } = await import('../providers/digitalocean/spec.js');
    const spec = loadDropletSpec(specFile);
    await guarded(o, async ({ client, report, err }) => {
      const { dropletsDown } = await import('../providers/digitalocean/provision.js');
      const r = await dropletsDown(spec, client, report, {
        dryRun: o.dryRun,
        pollMs: o.pollInterval,
        confirm: async (targets) => {
          for (const d of targets) report.info(`will delete: ${d.name} (id ${d.id})`);
          if (o.yes) return true;
          if (!process.stdin.isTTY) {
            err(`error: refusing to delete ${targets.length} droplet(s) without confirmation: not a terminal; pass --yes\n`);
            return false;
          }
          const ok = await confirmOnTty(`Delete these ${targets.length} droplet(s) of ${spec.name}? Type "yes": `);
          if (!ok) err('aborted; nothing deleted\n');
          return ok;
        },
      });
      if (r.aborted) return EXIT.usage;
      if (r.failed.length) {
        err(`error: ${r.failed.length} droplet(s) not deleted; re-run \`drover droplet down ${specFile}\`\n`);
        return EXIT.taskFailed;
      }
      return EXIT.ok;
    });
  });
}
