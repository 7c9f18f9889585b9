/**
 * Shared helpers for the benchmark scripts (bench/*.ts). Benchmarks are
 * scripts that print tables, never timed tests: they are not run by `npm test`.
 *
 * Targets are either the nodes of a running local lab (`drover lab up lab1`,
 * its generated inventory) or hosts on a loopback sshd (test/helpers/sshd.ts,
 * login user drover-t1: a plain user with stock bash; never benchmark SSH as
 * root here, root's ~/.bashrc runs pyenv). Each host and tool gets its own
 * working directory so runs never collide.
 */
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync, readdirSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DROVER_BIN = join(ROOT, 'bin', 'drover.js');

/** One target host as both tools see it. */
export interface BenchHost {
  name: string;
  address: string;
  port: number;
  user: string;
  keyFile: string;
  knownHostsFile: string;
  /** Base directory on the target; each tool works in `${base}/${tool}`. */
  base: string;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function fmtMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

/** A plain-text table (also valid Markdown). */
export function table(header: string[], rows: (string | number)[][]): string {
  const all = [header, ...rows.map((r) => r.map(String))];
  const w = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  return [line(header), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...all.slice(1).map(line)].join('\n');
}

/**
 * The environment benchmarked commands run in: this one without NODE_EXTRA_CA_CERTS
 * (unless DROVER_BENCH_KEEP_ENV=1). With it every Node process reads and parses that CA
 * bundle before any JavaScript runs (~50 ms a start on the project's machine, whose
 * sandbox sets it); a fresh Debian machine has no such variable.
 */
export const benchEnv: NodeJS.ProcessEnv = { ...process.env };
if (process.env.DROVER_BENCH_KEEP_ENV !== '1') delete benchEnv.NODE_EXTRA_CA_CERTS;

export function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  let os = 'linux';
  try {
    os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os;
  } catch {
    /* not Linux */
  }
  const ssh = spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim();
  return `${os}, ${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, node ${process.version}${benchEnv.NODE_EXTRA_CA_CERTS ? ' (NODE_EXTRA_CA_CERTS kept)' : ''}, ${ssh}, load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`;
}

/** argv flags: `--name value` and `--flag`. */
export function flags(argv = process.argv.slice(2)): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) m.set(a.slice(2, eq), a.slice(eq + 1));
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) m.set(a.slice(2), argv[++i]!);
    else m.set(a.slice(2), 'true');
  }
  return m;
}

/** dist/ and its bundle must be current: the CLI runs them. Rebuilds when a src file is newer. */
export function ensureBuilt(): void {
  const bundle = join(ROOT, 'dist', 'bundle', 'drover.cjs');
  const newest = (dir: string): number => {
    let t = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }
    return t;
  };
  if (existsSync(bundle) && statSync(bundle).mtimeMs >= newest(join(ROOT, 'src'))) return;
  process.stderr.write('building dist/ (npm run build)…\n');
  try {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch {
    // Type errors still emit JS; only a missing bundle is fatal.
    if (!existsSync(bundle)) throw new Error('build failed: dist/bundle/drover.cjs missing');
  }
}

export interface ChildRun {
  wallMs: number;
  /** Peak RSS of the process in KiB (GNU time's %M). */
  maxRssKb: number;
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a process under GNU time; wall time is measured here, around the whole process. */
export function runChild(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<ChildRun> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '__BENCH_TIME__ %e %M', cmd, ...args], {
      env: opts.env ?? benchEnv,
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a capped run is killed with everything it started.
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }, opts.timeoutMs)
      : undefined;
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const wallMs = performance.now() - t0;
      const m = /__BENCH_TIME__ [\d.]+ (\d+)/.exec(stderr);
      stderr = stderr.replace(/.*__BENCH_TIME__.*\n?/, '').replace(/^Command exited with non-zero status \d+\n?/m, '');
      resolvePromise({ wallMs, maxRssKb: m ? Number(m[1]) : 0, code: signal ? 128 : (code ?? 1), stdout, stderr });
    });
  });
}

/** drover's CLI as a child process, like a user runs it. */
export function runDrover(playbook: string, inventory: string, extra: string[] = [], timeoutMs = 300_000): Promise<ChildRun> {
  return runChild(process.execPath, [DROVER_BIN, 'play', playbook, '-i', inventory, ...extra], { cwd: dirname(inventory), timeoutMs });
}

/** A throw-away ansible home: its own ansible.cfg, HOME (so ~/.ansible/cp is writable), ANSIBLE_* env. */
export interface AnsibleEnv {
  dir: string;
  env: NodeJS.ProcessEnv;
}

export function ansibleEnv(forks: number): AnsibleEnv {
  const dir = mkdtempSync(join(tmpdir(), 'drover-bench-ansible-'));
  const cfg = join(dir, 'ansible.cfg');
  writeFileSync(
    cfg,
    [
      '[defaults]',
      `forks = ${forks}`,
      'gathering = explicit',
      'host_key_checking = True',
      'interpreter_python = /usr/bin/python3',
      'retry_files_enabled = False',
      'stdout_callback = default',
      `local_tmp = ${dir}/tmp`,
      '',
      '[ssh_connection]',
      'pipelining = True',
      `control_path_dir = ${dir}/.ansible/cp`,
      'ssh_args = -o ControlMaster=auto -o ControlPersist=60s',
      '',
    ].join('\n'),
  );
  mkdirSync(join(dir, '.ansible', 'cp'), { recursive: true });
  // Only what ansible needs from our environment: not root's pyenv shims.
  const env: NodeJS.ProcessEnv = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: dir,
    LANG: 'C.UTF-8',
    ANSIBLE_CONFIG: cfg,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
  };
  return { dir, env };
}

export function runAnsible(a: AnsibleEnv, playbook: string, inventory: string, forks: number, timeoutMs = 300_000): Promise<ChildRun> {
  return runChild('ansible-playbook', ['-i', inventory, '-f', String(forks), playbook], { env: a.env, cwd: a.dir, timeoutMs });
}

/** Close ansible's ControlPersist masters (so no ssh process outlives the bench). */
export function stopAnsibleMasters(a: AnsibleEnv): void {
  const cp = join(a.dir, '.ansible', 'cp');
  if (!existsSync(cp)) return;
  for (const sock of readdirSync(cp)) {
    try {
      execFileSync('ssh', ['-o', `ControlPath=${join(cp, sock)}`, '-O', 'exit', 'dummy'], { stdio: 'ignore', timeout: 5000 });
    } catch {
      /* already gone */
    }
  }
}

/** INI inventory for drover: strict host keys against the host's known_hosts file. */
export function droverInventory(hosts: BenchHost[], tool: string, path: string, group = 'bench'): string {
  const lines = [`[${group}]`];
  for (const h of hosts) {
    lines.push(
      `${h.name} ansible_host=${h.address} ansible_port=${h.port} ansible_user=${h.user} ansible_ssh_private_key_file=${h.keyFile} drover_known_hosts_file=${h.knownHostsFile} workdir=${h.base}/${tool}`,
    );
  }
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

/**
 * INI inventory for Ansible: the same hosts, host key checking on against the
 * same known_hosts file. Each inventory host gets its own ControlPersist
 * master (ControlPath named after it): by default ssh would share one master
 * among loopback "hosts" that have the same address, port and user, which no
 * set of real hosts could do.
 */
export function ansibleInventory(hosts: BenchHost[], tool: string, path: string, a: AnsibleEnv, group = 'bench'): string {
  const lines = [`[${group}]`];
  for (const h of hosts) {
    lines.push(
      `${h.name} ansible_host=${h.address} ansible_port=${h.port} ansible_user=${h.user} ansible_ssh_private_key_file=${h.keyFile} ` +
        `ansible_ssh_args='-o ControlMaster=auto -o ControlPersist=60s -o ControlPath=${a.dir}/.ansible/cp/${h.name}' ` +
        `ansible_ssh_common_args='-o UserKnownHostsFile=${h.knownHostsFile} -o StrictHostKeyChecking=yes' workdir=${h.base}/${tool}`,
    );
  }
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

/** Run a shell command on a target with the system ssh client (setup and reset only, never timed). */
export function sshRun(h: BenchHost, command: string): void {
  execFileSync(
    'ssh',
    ['-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${h.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes', '-i', h.keyFile, '-p', String(h.port), `${h.user}@${h.address}`, command],
    { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 },
  );
}

/** Hosts of a running local lab (`drover lab up LAB`), from its generated inventory. */
export function labHosts(lab: string, count: number): BenchHost[] | undefined {
  const inv = `/var/lib/drover/labs/${lab}/inventory.ini`;
  if (!existsSync(inv)) return undefined;
  const hosts: BenchHost[] = [];
  for (const line of readFileSync(inv, 'utf8').split('\n')) {
    if (!line.trim() || /^[#;[]/.test(line.trim())) continue;
    const [name, ...kv] = line.trim().split(/\s+/);
    const v = Object.fromEntries(kv.map((p) => p.split('=', 2) as [string, string]));
    if (!v.ansible_host) continue;
    hosts.push({
      name: name!,
      address: v.ansible_host,
      port: Number(v.ansible_port ?? 22),
      user: v.ansible_user ?? 'root',
      keyFile: v.ansible_ssh_private_key_file!,
      knownHostsFile: v.drover_known_hosts_file!,
      base: '/tmp/drover-bench',
    });
  }
  if (hosts.length < count) return undefined;
  const chosen = hosts.slice(0, count);
  // Reachable right now? (the lab may be going down).
  try {
    for (const h of chosen) sshRun(h, 'true');
  } catch {
    return undefined;
  }
  return chosen;
}

/** Loopback hosts on one sshd: each gets a directory owned by the login user. */
export function loopbackHosts(sshd: { host: string; port: number; user: string; keyFile: string; knownHostsFile: string }, names: string[]): { hosts: BenchHost[]; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'drover-bench-targets-'));
  chmodSync(dir, 0o755);
  const hosts = names.map((n) => {
    const base = join(dir, n);
    mkdirSync(base, { recursive: true });
    return { name: n, address: sshd.host, port: sshd.port, user: sshd.user, keyFile: sshd.keyFile, knownHostsFile: sshd.knownHostsFile, base };
  });
  execFileSync('chown', ['-R', `${sshd.user}:${sshd.user}`, dir]);
  return { hosts, dir };
}

/** Empty a tool's working directory on every host (a "first run" starts from nothing). */
export function resetWorkdirs(hosts: BenchHost[], tool: string, loopback: boolean): void {
  if (loopback) {
    for (const h of hosts) rmSync(join(h.base, tool), { recursive: true, force: true });
    return;
  }
  for (const h of hosts) sshRun(h, `rm -rf ${h.base}/${tool}; mkdir -p ${h.base}`);
}

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(d, 0o755);
  return d;
}
