/**
 * Differential runner for the core modules: each case file under
 * test/differential/cases/modules/ is run by ansible-core (the oracle) and by
 * drover on fresh, identical, seeded directories, and compared case by case:
 *
 *  1. the run: changed/failed per task, chosen result fields, and the bytes,
 *     mode, owner and type of everything under the case's directory;
 *  2. a second run on the result (changed per task must agree; for idempotent
 *     tasks that is ok/0 changed in both);
 *  3. a --check run on fresh seeds: predicted changed/failed per task, and
 *     that --check wrote nothing.
 *
 * All cases of a file run in ONE ansible-playbook invocation per run: one
 * host per case (all ansible_connection=local), each including its own tasks
 * file, so a failing case ends only its own host. drover runs in-process,
 * one playbook per case, on the same task text.
 *
 * A case is `{name, tasks, seed?, fields?, differs?, todo?}`: `tasks` is
 * Ansible task text where DIR stands for the case's own fresh directory
 * (substituted literally, so both tools read the same YAML text); `seed` maps
 * a path under DIR to its content (a string: UTF-8; write bytes like a BOM or
 * CRLF as escapes in a double-quoted YAML string) or to
 * `{content?, base64?, mode?, dir?, link?}`; `fields` names dotted paths in
 * each task's result to compare (e.g. stat.mode). `differs: <reason>` marks a
 * deliberate, documented difference; `todo: <what differs>` marks a known bug
 * still to fix. Both are asserted to STILL differ, so a fix forces removing
 * the mark.
 *
 * ansible-core's outcomes are recorded (cases/modules/oracle/<file>.json,
 * keyed by its version and a hash of each case) because it costs ~0.5 s of CPU
 * per task; a case without a matching recording is run live. See
 * "recordings" below for DROVER_DIFF_LIVE / DROVER_DIFF_RECORD, and
 * DROVER_DIFF_VERBOSE=1 prints every difference (todo and documented too).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, InputErrors } from '../../../src/util/errors.js';
import { loadYamlFile, parseYaml } from '../../../src/util/yaml.js';
import { runPlaybookCollecting } from '../../helpers/play.js';

type SeedEntry = string | { content?: string; base64?: string; mode?: string; dir?: boolean; link?: string };

export interface ModuleCase {
  name: string;
  tasks: unknown[];
  seed?: Record<string, SeedEntry>;
  fields?: string[];
  differs?: string;
  todo?: string;
}

interface LoadedCase extends ModuleCase {
  /** The tasks' YAML text as written in the case file, dedented, with DIR still in it. */
  tasksText: string;
}

interface TaskOutcome {
  status: string;
  msg?: string;
  result: Record<string, unknown>;
}

interface Entry {
  type: 'file' | 'dir' | 'link';
  mode: number;
  /** 'runner' for the uid:gid this test runs as (so a recording made as root reads the same for any runner), else uid:gid. */
  owner: string;
  bytes?: Buffer;
  link?: string;
}
type Snapshot = Map<string, Entry>;

interface ToolRuns {
  seed: Snapshot;
  run1: TaskOutcome[];
  after1: Snapshot;
  run2: TaskOutcome[];
  after2: Snapshot;
  check: TaskOutcome[];
  afterCheck: Snapshot;
  checkSeed: Snapshot;
}

const CASES_DIR = join(import.meta.dirname, '..', 'cases', 'modules');
const CALLBACKS = join(import.meta.dirname, 'callback_plugins');

/** The Python that runs ansible-playbook (its shebang). */
export function ansiblePython(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v ansible-playbook'], { encoding: 'utf8' });
  if (which.status !== 0) return undefined;
  const first = readFileSync(which.stdout.trim(), 'utf8').split('\n')[0]!;
  return /^#!\s*(\S+)/.exec(first)?.[1];
}

// ---------------------------------------------------------------- case files

/** Cases of one file, each with its tasks' source text (so both tools read the same YAML, not a re-serialisation). */
export function loadCases(file: string): LoadedCase[] {
  const path = join(CASES_DIR, file);
  const cases = loadYamlFile(path).value as ModuleCase[];
  const lines = readFileSync(path, 'utf8').split('\n');
  const starts = lines.flatMap((l, i) => (/^- name:/.test(l) ? [i] : []));
  if (starts.length !== cases.length) throw new Error(`${file}: ${cases.length} cases but ${starts.length} lines starting '- name:' (start each case with it)`);
  const names = new Set<string>();
  return cases.map((c, k) => {
    if (names.has(c.name)) throw new Error(`${file}: case name '${c.name}' is used twice`);
    names.add(c.name);
    const body = lines.slice(starts[k], starts[k + 1] ?? lines.length);
    const at = body.findIndex((l) => /^ {2}tasks:\s*$/.test(l));
    if (at < 0) throw new Error(`${file}: case '${c.name}': write 'tasks:' on a line of its own, the list below it indented by 4`);
    const rest = body.slice(at + 1);
    const end = rest.findIndex((l) => /^ {0,2}\S/.test(l));
    const taskLines = rest.slice(0, end < 0 ? rest.length : end);
    while (taskLines.length && /^\s*(#.*)?$/.test(taskLines.at(-1)!)) taskLines.pop();
    const tasksText = taskLines.map((l) => l.slice(Math.min(4, l.length - l.trimStart().length))).join('\n') + '\n';
    const reparsed = parseYaml(tasksText, '<tasks>').value;
    if (JSON.stringify(reparsed) !== JSON.stringify(c.tasks)) throw new Error(`${file}: case '${c.name}': the tasks text does not read back as the case's tasks (indent the list by 4 under 'tasks:')`);
    return { ...c, tasksText };
  });
}

// ---------------------------------------------------------------- directories

function seedDir(dir: string, seed: Record<string, SeedEntry> | undefined): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  for (const [rel, e] of Object.entries(seed ?? {})) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    const spec = typeof e === 'string' ? { content: e } : e;
    if (spec.link !== undefined) {
      symlinkSync(spec.link, p);
      continue;
    }
    if (spec.dir) mkdirSync(p, { recursive: true });
    else writeFileSync(p, spec.base64 !== undefined ? Buffer.from(spec.base64, 'base64') : Buffer.from(spec.content ?? '', 'utf8'));
    chmodSync(p, parseInt(spec.mode ?? (spec.dir ? '0755' : '0644'), 8));
  }
}

function snapshot(dir: string): Snapshot {
  const out: Snapshot = new Map();
  const walk = (abs: string, rel: string): void => {
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st) return;
    const me = process.getuid?.() === st.uid && process.getgid?.() === st.gid;
    const base = { mode: st.mode & 0o7777, owner: me ? 'runner' : `${st.uid}:${st.gid}` };
    if (st.isSymbolicLink()) out.set(rel, { type: 'link', ...base, link: readlinkSync(abs) });
    else if (st.isDirectory()) {
      out.set(rel, { type: 'dir', ...base });
      for (const n of readdirSync(abs).sort()) walk(join(abs, n), rel === '.' ? n : `${rel}/${n}`);
    } else out.set(rel, { type: 'file', ...base, bytes: readFileSync(abs) });
  };
  walk(dir, '.');
  return out;
}

/** The tool's own directory path replaced by DIR, in text and in result values. */
function unDir<T>(v: T, dir: string): T {
  if (typeof v === 'string') return v.replaceAll(dir, 'DIR') as T;
  if (Buffer.isBuffer(v)) return Buffer.from(v.toString('latin1').replaceAll(dir, 'DIR'), 'latin1') as T;
  if (Array.isArray(v)) return v.map((x) => unDir(x, dir)) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unDir(x, dir)])) as T;
  return v;
}

function unDirSnapshot(s: Snapshot, dir: string): Snapshot {
  return new Map([...s].map(([k, e]) => [k, { ...e, bytes: e.bytes && unDir(e.bytes, dir), link: e.link && unDir(e.link, dir) }]));
}

/** A message's first line, short, without the tool's directory. */
function shortMsg(msg: string | undefined, dir: string): string | undefined {
  return msg === undefined ? undefined : unDir(msg.split('\n')[0]!.slice(0, 300), dir);
}

/** Only the result fields a case compares (dotted paths), so recordings stay small and stable. */
function pick(result: Record<string, unknown>, fields: string[] | undefined, dir: string): Record<string, unknown> {
  return Object.fromEntries((fields ?? []).map((f) => [f, unDir(get(result, f), dir)]));
}

// ---------------------------------------------------------------- ansible

function runProcess(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const p = spawn(cmd, args, { cwd, env });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', fail);
    p.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** One ansible-playbook run over all cases: host c<i> includes tasks/c<i>.yml. Results per case, in order. */
async function ansibleRun(play: string, cases: LoadedCase[], dirOf: (i: number) => string, check: boolean): Promise<TaskOutcome[][]> {
  mkdirSync(join(play, 'tasks'), { recursive: true });
  const python = ansiblePython() ?? '/usr/bin/python3';
  writeFileSync(join(play, 'hosts.ini'), ['[cases]', ...cases.map((_, i) => `c${i} ansible_connection=local ansible_python_interpreter=${python}`), ''].join('\n'));
  writeFileSync(
    join(play, 'site.yml'),
    ['- hosts: all', '  gather_facts: false', '  tasks:', '    - name: __case__', '      include_tasks: "tasks/{{ inventory_hostname }}.yml"', ''].join('\n'),
  );
  cases.forEach((c, i) => writeFileSync(join(play, 'tasks', `c${i}.yml`), c.tasksText.replaceAll('DIR', dirOf(i))));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ANSIBLE_CONFIG: join(play, 'none.cfg'),
    ANSIBLE_STDOUT_CALLBACK: 'drover_diff',
    ANSIBLE_CALLBACK_PLUGINS: CALLBACKS,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    ANSIBLE_DEPRECATION_WARNINGS: '0',
    ANSIBLE_LOCALHOST_WARNING: '0',
    ANSIBLE_FORKS: '16',
    ANSIBLE_LOCAL_TEMP: join(play, 'tmp'),
    ANSIBLE_REMOTE_TEMP: join(play, 'rtmp'),
  };
  const r = await runProcess('ansible-playbook', ['-i', 'hosts.ini', ...(check ? ['--check'] : []), 'site.yml'], play, env);
  const per: TaskOutcome[][] = cases.map(() => []);
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const ev = JSON.parse(line) as { host: string; action: string; status: string; result: Record<string, unknown> };
    const i = Number(ev.host.slice(1));
    const include = /(^|\.)include_tasks$/.test(ev.action);
    if (include && ev.status !== 'failed') continue;
    const msg = typeof ev.result.msg === 'string' ? ev.result.msg : undefined;
    per[i]!.push({ status: ev.status, msg: shortMsg(include ? `(including the tasks) ${msg ?? ''}` : msg, dirOf(i)), result: pick(ev.result, cases[i]!.fields, dirOf(i)) });
  }
  if (per.every((p) => p.length === 0)) throw new Error(`ansible-playbook produced no results (exit ${r.code}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  return per;
}

// ---------------------------------------------------------------- drover

async function droverRun(play: string, c: LoadedCase, dir: string, check: boolean): Promise<TaskOutcome[]> {
  mkdirSync(play, { recursive: true });
  writeFileSync(join(play, 'hosts.ini'), `[cases]\n${basename(play)} ansible_connection=local\n`);
  const tasks = c.tasksText
    .replaceAll('DIR', dir)
    .split('\n')
    .map((l) => (l ? `    ${l}` : l))
    .join('\n');
  writeFileSync(join(play, 'site.yml'), `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks}`);
  try {
    const { results } = await runPlaybookCollecting({ playbook: join(play, 'site.yml'), inventory: [join(play, 'hosts.ini')], stateDir: join(play, '.drover'), check });
    return results.map((e) => ({ status: e.status, msg: shortMsg(e.msg, dir), result: pick(e.result ?? {}, c.fields, dir) }));
  } catch (e) {
    if (e instanceof InputError || e instanceof InputErrors) return [{ status: 'failed', msg: `(rejected before the run) ${unDir(e.message, dir)}`, result: {} }];
    throw e;
  }
}

// ---------------------------------------------------------------- comparison

function get(o: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);
}

/**
 * Check mode: a command that would run cannot be predicted. Ansible says so as
 * "Command would have run if not in check mode" (skipped without
 * creates/removes, changed with them); drover says unknown (ARCHITECTURE.md,
 * principle 1). Same meaning.
 */
function statusOf(o: TaskOutcome, tool: 'ansible' | 'drover', check: boolean): string {
  if (check && tool === 'ansible' && (o.status === 'skipped' || o.status === 'changed') && o.msg === 'Command would have run if not in check mode') return 'unknown';
  return o.status;
}

function compareOutcomes(what: string, d: TaskOutcome[], a: TaskOutcome[], fields: string[], check: boolean): string[] {
  const out: string[] = [];
  const n = Math.max(d.length, a.length);
  for (let t = 0; t < n; t++) {
    const dt = d[t];
    const at = a[t];
    const ds = dt ? statusOf(dt, 'drover', check) : '(not run)';
    const as = at ? statusOf(at, 'ansible', check) : '(not run)';
    if (ds !== as) {
      const why = (o: TaskOutcome | undefined) => (o?.status === 'failed' && o.msg ? `: ${o.msg.split('\n')[0]!.slice(0, 200)}` : '');
      out.push(`${what}: task ${t + 1}: drover ${ds}${why(dt)} / ansible ${as}${why(at)}`);
      continue;
    }
    // In --check results are predictions (Ansible fills in rc 0 and empty output): compare the status only.
    if (!dt || !at || check) continue;
    for (const f of fields) {
      const dv = JSON.stringify(dt.result[f]);
      const av = JSON.stringify(at.result[f]);
      if (dv !== av) out.push(`${what}: task ${t + 1}: ${f}: drover ${dv} / ansible ${av}`);
    }
  }
  return out;
}

const show = (b: Buffer) => JSON.stringify(b.toString('utf8'));

function compareSnapshots(what: string, d: Snapshot, a: Snapshot): string[] {
  const out: string[] = [];
  for (const k of [...new Set([...d.keys(), ...a.keys()])].sort()) {
    const de = d.get(k);
    const ae = a.get(k);
    if (!de || !ae) {
      out.push(`${what}: ${k}: only ${de ? 'drover' : 'ansible'} has it (${(de ?? ae)!.type})`);
      continue;
    }
    if (de.type !== ae.type) out.push(`${what}: ${k}: drover made a ${de.type}, ansible a ${ae.type}`);
    if (de.mode !== ae.mode) out.push(`${what}: ${k}: mode drover ${de.mode.toString(8).padStart(4, '0')} / ansible ${ae.mode.toString(8).padStart(4, '0')}`);
    if (de.owner !== ae.owner) out.push(`${what}: ${k}: owner drover ${de.owner} / ansible ${ae.owner}`);
    if (de.link !== ae.link) out.push(`${what}: ${k}: link drover ${de.link} / ansible ${ae.link}`);
    if (de.bytes && ae.bytes && !de.bytes.equals(ae.bytes)) {
      let off = 0;
      while (off < de.bytes.length && off < ae.bytes.length && de.bytes[off] === ae.bytes[off]) off++;
      const line = de.bytes.subarray(0, off).toString('latin1').split('\n').length;
      const lineOf = (b: Buffer) => {
        const s = off === 0 ? 0 : b.lastIndexOf(10, off - 1) + 1;
        const e = b.indexOf(10, off);
        return show(b.subarray(s, e < 0 ? b.length : e + 1));
      };
      out.push(
        `${what}: ${k}: bytes differ at offset ${off} (line ${line}); sizes drover ${de.bytes.length} / ansible ${ae.bytes.length}\n` +
          `      drover  line: ${lineOf(de.bytes)}\n      ansible line: ${lineOf(ae.bytes)}\n` +
          `      drover  file: ${show(de.bytes)}\n      ansible file: ${show(ae.bytes)}`,
      );
    }
  }
  return out;
}

/** Every difference between the tools on a case (empty: the same). */
function differences(c: LoadedCase, d: ToolRuns, a: ToolRuns): string[] {
  const f = c.fields ?? [];
  return [
    ...compareOutcomes('run', d.run1, a.run1, f, false),
    ...compareSnapshots('after the run', d.after1, a.after1),
    ...compareOutcomes('second run', d.run2, a.run2, f, false),
    ...compareSnapshots('after the second run', d.after2, a.after2),
    ...compareOutcomes('--check', d.check, a.check, f, true),
    ...compareSnapshots('drover --check wrote (vs the seed)', d.afterCheck, d.checkSeed),
    ...compareSnapshots('ansible --check wrote (vs the seed)', a.afterCheck, a.checkSeed),
  ];
}

// ---------------------------------------------------------------- recordings

/**
 * ansible-core costs ~0.5 s of CPU per task (a forked worker and a Python
 * process each), so its outcomes are recorded per case in
 * cases/modules/oracle/<file>.json, keyed by the ansible-core and
 * community.general versions and a hash of the case. A case whose hash (or
 * the installed Ansible) does not match is run live. DROVER_DIFF_LIVE=1 runs
 * every case live; DROVER_DIFF_RECORD=1 writes the file anew from this run.
 */
interface Recording {
  ansible: string;
  cases: Record<string, { name: string; runs: SerialRuns }>;
}
type SerialEntry = Omit<Entry, 'bytes'> & { base64?: string };
type SerialSnapshot = Record<string, SerialEntry>;
interface SerialRuns {
  run1: TaskOutcome[];
  after1: SerialSnapshot;
  run2: TaskOutcome[];
  after2: SerialSnapshot;
  check: TaskOutcome[];
  afterCheck: SerialSnapshot;
  checkSeed: SerialSnapshot;
}

/** Bump when what is recorded (or how a case is run) changes. */
const PROTOCOL = 1;

function caseHash(c: LoadedCase): string {
  return createHash('sha256')
    .update(JSON.stringify({ PROTOCOL, tasks: c.tasksText, seed: c.seed ?? null, fields: c.fields ?? [] }))
    .digest('hex')
    .slice(0, 16);
}

function installedAnsible(): string | undefined {
  const python = ansiblePython();
  if (!python) return undefined;
  const code = [
    'import json, os, ansible.release as r',
    'try:',
    '    import ansible_collections.community.general as g',
    "    cg = json.load(open(os.path.join(list(g.__path__)[0], 'MANIFEST.json')))['collection_info']['version']",
    'except Exception:',
    "    cg = 'none'",
    "print('ansible-core %s, community.general %s' % (r.__version__, cg))",
  ].join('\n');
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

const toSerial = (s: Snapshot): SerialSnapshot =>
  Object.fromEntries([...s].map(([k, { bytes, ...e }]) => [k, bytes ? { ...e, base64: bytes.toString('base64') } : e]));
const fromSerial = (s: SerialSnapshot): Snapshot =>
  new Map(Object.entries(s).map(([k, { base64, ...e }]) => [k, base64 !== undefined ? { ...e, bytes: Buffer.from(base64, 'base64') } : e]));

const recordingPath = (file: string) => join(CASES_DIR, 'oracle', file.replace(/\.ya?ml$/, '.json'));

function readRecording(file: string): Recording | undefined {
  const p = recordingPath(file);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Recording) : undefined;
}

// ---------------------------------------------------------------- the suite

/** vitest suite for one case file: all runs in beforeAll, one test per case, a table at the end. */
export function moduleSuite(file: string): void {
  const cases = loadCases(file);
  const hashes = cases.map(caseHash);
  const recording = readRecording(file);
  const version = installedAnsible();
  const forceLive = Boolean(process.env.DROVER_DIFF_LIVE);
  const recorded = (i: number) => (!forceLive && recording && (version === undefined || recording.ansible === version) ? recording.cases[hashes[i]!]?.runs : undefined);
  const complete = cases.every((_, i) => recorded(i));
  const canRun = complete || version !== undefined || process.env.CI !== undefined;

  describe.skipIf(!canRun)(`modules vs ansible-core: ${file}`, () => {
    const verdicts: string[][] = [];
    let root = '';
    let liveCount = 0;
    beforeAll(async () => {
      const started = Date.now();
      root = mkdtempSync(join(tmpdir(), `drover-diff-${basename(file, '.yaml')}-`));
      // Equal-length roots, so byte offsets in paths written into files line up.
      const dirs = (tool: 'A' | 'D', pass: '1' | 'C') => (i: number) => join(root, `${tool}${pass}`, `c${i}`);
      const snap = (f: (i: number) => string, i: number) => unDirSnapshot(snapshot(f(i)), f(i));

      // ansible-core, live for the cases without a recording.
      const live = cases.flatMap((_, i) => (recorded(i) ? [] : [i]));
      liveCount = live.length;
      if (live.length && !version) throw new Error(`${live.length} cases have no recording and ansible-core is not installed (scripts/test-setup.sh installs it)`);
      const ansible = (async (): Promise<Map<number, SerialRuns>> => {
        const out = new Map<number, SerialRuns>();
        if (!live.length) return out;
        const sub = live.map((i) => cases[i]!);
        const A1 = (k: number) => dirs('A', '1')(live[k]!);
        const AC = (k: number) => dirs('A', 'C')(live[k]!);
        const checkSeed: Snapshot[] = [];
        sub.forEach((c, k) => {
          seedDir(A1(k), c.seed);
          seedDir(AC(k), c.seed);
          checkSeed.push(snap(AC, k));
        });
        const [run1, check] = await Promise.all([ansibleRun(join(root, 'play-A1'), sub, A1, false), ansibleRun(join(root, 'play-AC'), sub, AC, true)]);
        const after1 = sub.map((_, k) => snap(A1, k));
        const run2 = await ansibleRun(join(root, 'play-A1'), sub, A1, false);
        live.forEach((i, k) =>
          out.set(i, {
            run1: run1[k]!,
            after1: toSerial(after1[k]!),
            run2: run2[k]!,
            after2: toSerial(snap(A1, k)),
            check: check[k]!,
            afterCheck: toSerial(snap(AC, k)),
            checkSeed: toSerial(checkSeed[k]!),
          }),
        );
        return out;
      })();

      // drover, in-process, one playbook per case; cases 16 at a time (a run mostly waits on its commands).
      const drover = (async (): Promise<ToolRuns[]> => {
        const D1 = dirs('D', '1');
        const DC = dirs('D', 'C');
        const out: ToolRuns[] = [];
        const one = async (i: number): Promise<void> => {
          const c = cases[i]!;
          seedDir(D1(i), c.seed);
          seedDir(DC(i), c.seed);
          const seed = snap(D1, i);
          const checkSeed = snap(DC, i);
          const run1 = await droverRun(join(root, 'play-D1', `c${i}`), c, D1(i), false);
          const after1 = snap(D1, i);
          const run2 = await droverRun(join(root, 'play-D1', `c${i}`), c, D1(i), false);
          const after2 = snap(D1, i);
          const check = await droverRun(join(root, 'play-DC', `c${i}`), c, DC(i), true);
          out[i] = { seed, run1, after1, run2, after2, check, afterCheck: snap(DC, i), checkSeed };
        };
        let next = 0;
        // Each in-process run listens for Ctrl-C while it runs: 16 at once is by design, not a leak.
        process.setMaxListeners(Math.max(process.getMaxListeners(), 32));
        await Promise.all(Array.from({ length: 16 }, async () => {
          while (next < cases.length) await one(next++);
        }));
        return out;
      })();

      const [liveRuns, d] = await Promise.all([ansible, drover]);
      const a = (i: number): SerialRuns => (liveRuns.get(i) ?? recorded(i))!;
      cases.forEach((c, i) => {
        const r = a(i);
        const seed = fromSerial(r.checkSeed);
        const tool: ToolRuns = { seed, run1: r.run1, after1: fromSerial(r.after1), run2: r.run2, after2: fromSerial(r.after2), check: r.check, afterCheck: fromSerial(r.afterCheck), checkSeed: seed };
        verdicts.push(differences(c, d[i]!, tool));
      });
      if (process.env.DROVER_DIFF_RECORD) {
        if (!version) throw new Error('DROVER_DIFF_RECORD needs ansible-core installed');
        const rec: Recording = { ansible: version, cases: {} };
        cases.forEach((c, i) => (rec.cases[hashes[i]!] = { name: c.name, runs: a(i) }));
        mkdirSync(dirname(recordingPath(file)), { recursive: true });
        // One line per case, so a re-recording shows in git as the cases that changed.
        const lines = Object.entries(rec.cases).map(([h, r]) => `  ${JSON.stringify(h)}: ${JSON.stringify(r)}`);
        writeFileSync(recordingPath(file), `{\n "ansible": ${JSON.stringify(rec.ansible)},\n "cases": {\n${lines.join(',\n')}\n }\n}\n`);
      }
      console.log(`${file}: ${cases.length} cases (${live.length} run live by ansible-core, ${cases.length - live.length} from its recording), ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }, 1_800_000); // live ansible-core runs take minutes on a loaded machine

    afterAll(() => {
      if (verdicts.length !== cases.length) return;
      const count = { same: 0, documented: 0, todo: 0, differs: 0, stale: 0 };
      cases.forEach((c, i) => {
        const d = verdicts[i]!.length > 0;
        if (c.differs) d ? count.documented++ : count.stale++;
        else if (c.todo) d ? count.todo++ : count.stale++;
        else d ? count.differs++ : count.same++;
      });
      const row = (cells: (string | number)[]) => cells.map((x, k) => String(x).padStart(k === 0 ? 22 : 10)).join(' ');
      console.log(
        [
          row(['case file', 'cases', 'same', 'documented', 'todo', 'differs', 'stale mark', 'live']),
          row([file, cases.length, count.same, count.documented, count.todo, count.differs, count.stale, liveCount]),
        ].join('\n'),
      );
      if (process.env.DROVER_DIFF_VERBOSE) {
        cases.forEach((c, i) => {
          const d = verdicts[i]!;
          if (d.length) console.log(`--- ${file}: ${c.name}${c.todo ? ` [todo: ${c.todo}]` : c.differs ? ` [differs: ${c.differs}]` : ''}\n  ${d.join('\n  ')}`);
        });
      }
      if (process.env.DROVER_DIFF_KEEP) console.log(`kept: ${root}`);
      else rmSync(root, { recursive: true, force: true });
    });

    cases.forEach((c, i) => {
      const mark = c.differs ? ` (documented: ${c.differs})` : c.todo ? ` (todo: ${c.todo})` : '';
      it(`${c.name}${mark}`, () => {
        const v = verdicts[i];
        if (!v) throw new Error('the runs did not finish (see beforeAll)');
        if (c.differs || c.todo) {
          expect(v.length, `marked ${c.differs ? 'differs' : 'todo'} but drover and ansible-core now agree: remove the mark`).toBeGreaterThan(0);
        } else {
          expect(v, `drover and ansible-core differ:\n  ${v.join('\n  ')}`).toEqual([]);
        }
      });
    });
  });
}
