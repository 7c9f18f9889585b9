/**
 * Planning cases as data, the way pyinfra tests its operations: one YAML file
 * per module under cases/, each case
 *
 *   name:           what it shows
 *   args:           the module's arguments (parsed by its schema)
 *   check:          check mode (default false)
 *   earlier_changes: check mode after an earlier task predicted a change on the
 *                   host (default false): what it reads may not be there yet
 *   facts:          the host's facts by name, as parsed values (src/facts/)
 *   changes:        the plan's change summaries, in order
 *   unknown:        the plan cannot predict (pattern of its reason)
 *   error:          planning fails (pattern of the message)
 *   result:         part of what the task registers when nothing runs
 *   reads:          the facts read (name or name:key), in order, when it matters
 *   plan_commands:  commands planning sends besides fact reads (default none)
 *   commands:       what apply sends, in order (apply runs when the plan has
 *                   changes or is unknown, outside check mode); each a string
 *                   (exact), a /pattern/, or {command, stdin, answer}
 *   apply_error:    apply fails (pattern)
 *   apply_result:   part of apply's result
 *   secrets:        values the module must mark secret; no command line, and
 *                   no fact's command line, may contain them
 *   then:           more tasks on the same host afterwards (same facts and
 *                   cache), each a case without facts
 *   read_ahead_misses: the module's readAhead guess differs from the plan's
 *                   first `files` query (else they must be equal)
 *
 * read with drover's own YAML reader; run by this one test.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import '../../../src/modules/index.js';
import { clearSessions } from '../../../src/modules/common/openstack-api.js';
import { allModules, getModule } from '../../../src/modules/registry.js';
import type { Module, Plan, TaskContext } from '../../../src/modules/types.js';
import type { ExecResult } from '../../../src/transport/connection.js';
import { loadYamlFile } from '../../../src/util/yaml.js';
import { curlAnswer, fileFacts } from './case-data.js';
import { recordedContext, type Recorded } from './recorded-context.js';

const CASES = join(__dirname, 'cases');

type Matcher = string;
interface CommandCase {
  command: Matcher;
  stdin?: Matcher;
  answer?: Partial<ExecResult> & { http?: { status: number; headers?: Record<string, string>; body?: unknown } };
}
interface TaskCase {
  name?: string;
  args: Record<string, unknown>;
  check?: boolean;
  earlier_changes?: boolean;
  changes?: Matcher[];
  unknown?: Matcher;
  error?: Matcher;
  result?: Record<string, unknown>;
  reads?: string[];
  plan_commands?: Array<Matcher | CommandCase>;
  commands?: Array<Matcher | CommandCase>;
  apply_error?: Matcher;
  apply_result?: Record<string, unknown>;
  secrets?: string[];
  /** Module.readAhead's guess is not what the plan reads first (why, in the case's name): the task reads alone. */
  read_ahead_misses?: boolean;
}
interface Case extends TaskCase {
  name: string;
  facts?: Record<string, unknown>;
  then?: TaskCase[];
}

/** "/re/flags" is a pattern; anything else is matched exactly. */
function matches(m: Matcher, text: string): boolean {
  const re = /^\/(.*)\/([ims]*)$/s.exec(m);
  return re ? new RegExp(re[1]!, re[2]).test(text) : m === text;
}

function expectMatch(m: Matcher, text: string | undefined, what: string): void {
  expect(text !== undefined && matches(m, text), `${what}: ${JSON.stringify(text)} does not match ${m}`).toBe(true);
}

/** Expected values with /patterns/ in strings, for toMatchObject. */
function patterned(v: unknown): unknown {
  if (typeof v === 'string') {
    const re = /^\/(.*)\/([ims]*)$/s.exec(v);
    return re ? expect.stringMatching(new RegExp(re[1]!, re[2])) : v;
  }
  if (Array.isArray(v)) return v.map(patterned);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, patterned(x)]));
  return v;
}

const asCommand = (c: Matcher | CommandCase): CommandCase => (typeof c === 'string' ? { command: c } : c);

function answerOf(c: CommandCase): Partial<ExecResult> {
  const a = c.answer ?? {};
  if (a.http) return curlAnswer(a.http);
  return a;
}

function expectCommands(sent: Recorded['sent'], want: Array<Matcher | CommandCase>, what: string): void {
  expect(sent.map((s) => s.command).length, `${what}: ${sent.map((s) => s.command).join('\n---\n')}`).toBe(want.length);
  want.map(asCommand).forEach((c, i) => {
    expectMatch(c.command, sent[i]!.command, `${what} ${i + 1}`);
    if (c.stdin !== undefined) expectMatch(c.stdin, sent[i]!.opts?.stdin === undefined ? undefined : String(sent[i]!.opts!.stdin), `${what} ${i + 1} stdin`);
  });
}

async function runTask(r: Recorded, answers: Array<Partial<ExecResult>>, m: Module, t: TaskCase): Promise<void> {
  // The first `files` query the plan makes: what Module.readAhead must guess from the args.
  let firstFiles: { queries: unknown } | undefined;
  const ctx: TaskContext = {
    ...r.ctx,
    check: t.check ?? false,
    earlierChangesPredicted: t.earlier_changes ?? false,
    fact: (def, params) => {
      if (def.name === 'files') firstFiles ??= params as { queries: unknown };
      return r.ctx.fact(def, params);
    },
  };
  const args = m.schema.parse(t.args);
  const guessed = m.readAhead?.(args, ctx.diff);
  const readsBefore = r.reads.length;
  answers.push(...(t.plan_commands ?? []).map((c) => answerOf(asCommand(c))));
  let plan: Plan;
  const expectGuessed = () => {
    if (guessed && firstFiles && !t.read_ahead_misses) expect(guessed, 'Module.readAhead guesses what the plan reads first').toEqual(firstFiles.queries);
    if (t.read_ahead_misses) expect(guessed && firstFiles && JSON.stringify(guessed) !== JSON.stringify(firstFiles.queries), 'read_ahead_misses: the guess differs').toBe(true);
  };
  try {
    plan = await m.plan(ctx, args);
    expectGuessed();
  } catch (e) {
    expectGuessed();
    if (t.error === undefined) throw e;
    expectMatch(t.error, (e as Error).message, 'planning error');
    return;
  }
  expect(t.error, 'the plan was expected to fail').toBeUndefined();
  expect(plan.changes.length, `changes: ${JSON.stringify(plan.changes.map((c) => c.summary))}`).toBe((t.changes ?? []).length);
  (t.changes ?? []).forEach((c, i) => expectMatch(c, plan.changes[i]!.summary, `change ${i + 1}`));
  if (t.unknown !== undefined) expectMatch(t.unknown, plan.unknown, 'unknown');
  else expect(plan.unknown).toBeUndefined();
  if (t.result) expect(plan.result).toMatchObject(patterned(t.result) as object);
  if (t.reads) expect(r.reads.slice(readsBefore).map((x) => x.key)).toEqual(t.reads);
  expectCommands(r.sent, t.plan_commands ?? [], 'planning sent');
  r.sent.length = 0;

  const applies = !ctx.check && (plan.changes.length > 0 || plan.unknown !== undefined);
  if (!applies) expect(t.commands ?? [], 'nothing is applied, so no commands').toEqual([]);
  else {
    expect(t.commands !== undefined || t.apply_error !== undefined, 'a plan with changes: give the commands apply sends').toBe(true);
    answers.push(...(t.commands ?? []).map((c) => answerOf(asCommand(c))));
    try {
      const res = await m.apply(ctx, args, plan);
      expect(t.apply_error, 'apply was expected to fail').toBeUndefined();
      if (t.apply_result) expect(res).toMatchObject(patterned(t.apply_result) as object);
    } catch (e) {
      if (t.apply_error === undefined) throw e;
      expectMatch(t.apply_error, (e as Error).message, 'apply error');
    }
    expectCommands(r.sent, t.commands ?? [], 'apply sent');
  }
  for (const s of t.secrets ?? []) expect(r.secrets, `${s} is marked secret`).toContain(s);
  const lines = [...r.sent.map((s) => s.command), ...r.reads.map((x) => x.command)];
  for (const s of r.secrets.filter((x): x is string => typeof x === 'string' && x.length > 0)) {
    for (const l of lines) expect(l.includes(s), `a secret on a command line: ${l}`).toBe(false);
  }
  r.sent.length = 0;
  answers.length = 0;
}

const files = readdirSync(CASES).filter((f) => f.endsWith('.yaml')).sort();

afterEach(() => clearSessions());

for (const file of files) {
  const moduleName = file.replace(/\.yaml$/, '');
  const cases = loadYamlFile(join(CASES, file)).value as Case[];
  describe(moduleName, () => {
    const m = getModule(moduleName);
    it('is a registered module', () => expect(m?.name).toBe(moduleName));
    for (const c of cases) {
      it(c.name, async () => {
        const answers: Array<Partial<ExecResult>> = [];
        const r = recordedContext(answers, {}, fileFacts(c.facts ?? {}, CASES));
        await runTask(r, answers, m!, c);
        for (const t of c.then ?? []) await runTask(r, answers, m!, t);
      });
    }
  });
}

/**
 * Modules that read no host state, or whose planning is tested elsewhere —
 * each with the reason. Every other registered module must have a case file.
 */
const WITHOUT_CASES: Record<string, string> = {
  assert: 'controller-side: evaluates expressions, no host state',
  debug: 'controller-side',
  fail: 'controller-side',
  set_fact: 'controller-side',
  include_vars: 'controller-side: reads a controller file',
  pause: 'controller-side',
  ping: 'sends one command, plans nothing',
  setup: 'gathers facts (src/facts/gather.ts, tested in test/unit/facts)',
  command: 'plans from creates/removes only: command.test.ts',
  shell: 'plans from creates/removes only: command.test.ts',
  wait_for: 'polls; its planning is wait_for.test.ts',
  x509_crl: 'its fact is a signed CRL read with the CA key at hand: planned in test/integration/pki/x509-crl-module.test.ts and against community.crypto in test/differential/cases/modules/x509_crl.yaml',
};

describe('coverage', () => {
  it('every registered module that plans against host state has planning cases', () => {
    const have = new Set(files.map((f) => f.replace(/\.yaml$/, '')));
    const missing = allModules()
      .map((m) => m.name)
      .filter((n) => !have.has(n) && !Object.hasOwn(WITHOUT_CASES, n));
    expect(missing).toEqual([]);
  });
});
