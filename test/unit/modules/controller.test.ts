import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertModule } from '../../../src/modules/assert.js';
import { debugModule, lookupPath, NOT_DEFINED } from '../../../src/modules/debug.js';
import { failModule } from '../../../src/modules/fail.js';
import { includeVarsModule } from '../../../src/modules/include_vars.js';
import { pauseModule } from '../../../src/modules/pause.js';
import { pingModule } from '../../../src/modules/ping.js';
import { setFactModule } from '../../../src/modules/set_fact.js';
import { setupModule, filterFacts } from '../../../src/modules/setup.js';
import { InputError, ModuleError } from '../../../src/util/errors.js';
import type { Module, TaskContext } from '../../../src/modules/types.js';
import { recordedContext } from './recorded-context.js';
import { readFileSync } from 'node:fs';

type Evaluate = (expr: string, vars: Record<string, unknown>) => boolean;

/** The real `when` evaluator (src/template), so assert is tested with the language users write. */
async function realEvaluator(): Promise<Evaluate> {
  for (const p of ['../../../src/template/index.js', '../../../src/template/expression/index.js']) {
    try {
      const m = (await import(/* @vite-ignore */ p)) as { evaluateCondition?: Evaluate };
      if (m.evaluateCondition) return m.evaluateCondition;
    } catch {
      /* try the next */
    }
  }
  throw new Error('no evaluateCondition in src/template');
}

async function planOf<A>(m: Module<A>, args: unknown, over: Partial<TaskContext> = {}) {
  const parsed = m.schema.parse(args);
  const { ctx, sent, secrets } = recordedContext([], over);
  return { plan: await m.plan(ctx, parsed), sent, secrets };
}

describe('debug', () => {
  const vars = { result: { stdout_lines: ['a', 'b'], rc: 0, 'odd-key': 1 }, hosts: [{ name: 'c1' }], empty: null };

  it('shows msg (default Hello world!) and never changes or contacts the host', async () => {
    expect((await planOf(debugModule, {})).plan.result).toEqual({ changed: false, msg: 'Hello world!' });
    const { plan, sent } = await planOf(debugModule, { msg: ['any', { value: 1 }] });
    expect(plan).toEqual({ changes: [], result: { changed: false, msg: ['any', { value: 1 }] } });
    expect(sent).toEqual([]);
    expect(debugModule.runsOn).toBe('controller');
  });

  it('shows a variable by path, or VARIABLE IS NOT DEFINED!', async () => {
    expect((await planOf(debugModule, { var: 'result.stdout_lines' }, { vars })).plan.result).toEqual({ changed: false, 'result.stdout_lines': ['a', 'b'] });
    expect(lookupPath(vars, "hosts[0]['name']")).toEqual({ found: true, value: 'c1' });
    expect(lookupPath(vars, 'result["odd-key"]')).toEqual({ found: true, value: 1 });
    expect(lookupPath(vars, 'hosts.0.name').value).toBe('c1');
    expect(lookupPath(vars, 'empty')).toEqual({ found: true, value: null });
    expect((await planOf(debugModule, { var: 'result.nope' }, { vars })).plan.result).toEqual({ changed: false, 'result.nope': NOT_DEFINED });
    expect(() => lookupPath(vars, 'a + b')).toThrow(InputError);
  });

  it('rejects msg and var together', () => {
    expect(debugModule.schema.safeParse({ msg: 'x', var: 'y' }).success).toBe(false);
  });
});

describe('assert (with the real condition evaluator)', async () => {
  const evaluateCondition = await realEvaluator();
  const vars = { creds: { stat: { exists: false } }, count: { stdout: '1' }, result: { changed: true }, n: 3 };
  const over = { vars, evaluate: (e: string) => evaluateCondition(e, vars) };

  it('passes when every expression holds', async () => {
    const { plan } = await planOf(assertModule, { that: ['not creds.stat.exists', 'count.stdout == "1"', 'result.changed and n > 2'] }, over);
    expect(plan).toEqual({ changes: [], result: { changed: false, msg: 'All assertions passed', evaluated_to: true } });
    expect((await planOf(assertModule, { that: 'n == 3', success_msg: 'fine', quiet: 'yes' }, over)).plan.result?.msg).toBe('');
    expect((await planOf(assertModule, { that: 'n == 3', success_msg: 'fine' }, over)).plan.result?.msg).toBe('fine');
  });

  it('fails on the first false expression, naming it, with fail_msg when given', async () => {
    const a = await planOf(assertModule, { that: ['n == 3', 'count.stdout != "1"', 'n == 4'] }, over);
    expect(a.plan.result).toEqual({ changed: false, failed: true, msg: 'Assertion failed: count.stdout != "1"', assertion: 'count.stdout != "1"', evaluated_to: false });
    const b = await planOf(assertModule, { that: 'creds.stat.exists', fail_msg: 'no credentials yet' }, over);
    expect(b.plan.result).toMatchObject({ failed: true, msg: 'no credentials yet' });
    expect((await planOf(assertModule, { that: [false], msg: 'literal' }, over)).plan.result).toMatchObject({ failed: true, msg: 'literal' });
  });

  it('lets an undefined variable surface as an input error', async () => {
    await expect(planOf(assertModule, { that: 'missing.attr == 1' }, over)).rejects.toThrow(/missing/);
  });
});

describe('fail', () => {
  it('fails with msg (also in check mode)', async () => {
    expect((await planOf(failModule, {})).plan.result).toEqual({ changed: false, failed: true, msg: 'Failed as requested from task' });
    expect((await planOf(failModule, { msg: 'stop here' }, { check: true })).plan.result).toMatchObject({ failed: true, msg: 'stop here' });
  });
});

describe('set_fact', () => {
  it('returns every key as facts, ignoring cacheable', async () => {
    const { plan } = await planOf(setFactModule, { mgmt_ip: '10.0.0.5', cfg: { a: [1] }, cacheable: true });
    expect(plan.result).toEqual({ changed: false, facts: { mgmt_ip: '10.0.0.5', cfg: { a: [1] } }, ansible_facts: { mgmt_ip: '10.0.0.5', cfg: { a: [1] } } });
  });
  it('rejects invalid names and an empty set', () => {
    expect(setFactModule.schema.safeParse({ 'bad-name': 1 }).success).toBe(false);
    expect(setFactModule.schema.safeParse({ cacheable: true }).success).toBe(false);
  });
});

describe('include_vars', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-vars-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'vars', 'conf.d', 'deeper'), { recursive: true });
  writeFileSync(join(dir, 'vars', 'main.yaml'), 'db_host: 10.0.0.5\ndb_password: hunter2-secret\nports: [3306, 4567]\n');
  writeFileSync(join(dir, 'vars', 'conf.d', '10-a.yml'), 'a: 1\nshared: from-a\n');
  writeFileSync(join(dir, 'vars', 'conf.d', '20-b.json'), '{"b": 2, "shared": "from-b"}');
  writeFileSync(join(dir, 'vars', 'conf.d', 'notes.txt'), 'ignored');
  writeFileSync(join(dir, 'vars', 'conf.d', 'deeper', '30-c.yaml'), 'c: 3\n');
  writeFileSync(join(dir, 'vars', 'broken.yaml'), 'ok: 1\nbad: [unclosed\nnext: 2\n');
  writeFileSync(join(dir, 'vars', 'list.yaml'), '- a\n- b\n');
  const findFile = (kind: string, p: string) => join(dir, kind, p);

  it('loads a file found via findFile, masking secret-looking values', async () => {
    const { plan, secrets } = await planOf(includeVarsModule, { file: 'main.yaml' }, { findFile });
    expect(plan.result?.facts).toEqual({ db_host: '10.0.0.5', db_password: 'hunter2-secret', ports: [3306, 4567] });
    expect(plan.result?.ansible_included_var_files).toEqual([join(dir, 'vars', 'main.yaml')]);
    expect(secrets).toEqual(['hunter2-secret']);
  });

  it('puts the variables under name', async () => {
    const { plan } = await planOf(includeVarsModule, { file: 'main.yaml', name: 'db' }, { findFile });
    expect(plan.result?.facts).toEqual({ db: { db_host: '10.0.0.5', db_password: 'hunter2-secret', ports: [3306, 4567] } });
  });

  it('loads a directory in name order, later files winning, recursing by depth', async () => {
    const all = await planOf(includeVarsModule, { dir: 'conf.d', ignore_unknown_extensions: true }, { findFile });
    expect(all.plan.result?.facts).toEqual({ a: 1, b: 2, shared: 'from-b', c: 3 });
    const shallow = await planOf(includeVarsModule, { dir: 'conf.d', depth: 1, files_matching: '^\\d+-', ignore_files: ['20-b.json'] }, { findFile });
    expect(shallow.plan.result?.facts).toEqual({ a: 1, shared: 'from-a' });
    await expect(planOf(includeVarsModule, { dir: 'conf.d' }, { findFile })).rejects.toThrow(/notes\.txt has an extension/);
  });

  it('reports bad files as input errors with file:line:col', async () => {
    const e = await planOf(includeVarsModule, { file: 'broken.yaml' }, { findFile }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toMatch(new RegExp(`^${join(dir, 'vars', 'broken.yaml')}:\\d+:\\d+: YAML syntax error`));
    expect((e as InputError).pos?.line).toBeGreaterThanOrEqual(2);
    await expect(planOf(includeVarsModule, { file: 'list.yaml' }, { findFile })).rejects.toThrow(/list.yaml:1:1: a vars file must hold a mapping.*list/);
    await expect(planOf(includeVarsModule, { file: 'nope.yaml' }, { findFile })).rejects.toThrow(/could not find vars file "nope.yaml"/);
    expect(includeVarsModule.schema.safeParse({}).success).toBe(false);
  });
});

describe('pause', () => {
  it('waits the given time, but not in check mode', async () => {
    let t = Date.now();
    const { plan } = await planOf(pauseModule, { seconds: 0.3 });
    expect(Date.now() - t).toBeGreaterThanOrEqual(290);
    expect(plan.result).toMatchObject({ changed: false, user_input: '' });
    t = Date.now();
    await planOf(pauseModule, { minutes: 5 }, { check: true });
    expect(Date.now() - t).toBeLessThan(200);
  });
  it('refuses prompts (drover runs unattended)', () => {
    expect(pauseModule.schema.safeParse({ prompt: 'Press enter' }).error?.issues[0]?.message).toMatch(/prompts are not supported/);
    expect(pauseModule.schema.safeParse({}).success).toBe(false);
  });
});

describe('ping and setup (from recorded answers)', () => {
  it('ping: one round trip, pong, never changes', async () => {
    const { ctx, sent } = recordedContext([{ stdout: 'pong\n' }]);
    expect(await pingModule.plan(ctx, pingModule.schema.parse({}))).toEqual({ changes: [], result: { changed: false, ping: 'pong' } });
    expect(sent.map((s) => s.command)).toEqual(['echo pong']);
    const bad = recordedContext([{ stdout: '', stderr: 'sh: echo: I/O error', rc: 1 }]);
    await expect(pingModule.plan(bad.ctx, pingModule.schema.parse({}))).rejects.toBeInstanceOf(ModuleError);
    const crash = recordedContext([{ stdout: 'pong\n' }]);
    await expect(pingModule.plan(crash.ctx, pingModule.schema.parse({ data: 'crash' }))).rejects.toThrow(/boom/);
  });

  it('setup: facts from one round trip, filterable by glob', async () => {
    const rec = readFileSync(join(__dirname, '..', 'facts', 'fixtures', 'debian12.txt'), 'utf8');
    const { ctx, sent } = recordedContext([{ stdout: rec }]);
    const plan = await setupModule.plan(ctx, setupModule.schema.parse({}));
    expect(sent).toHaveLength(1);
    const facts = plan.result?.facts as Record<string, unknown>;
    expect(facts.ansible_distribution_release).toBe('bookworm');
    expect((facts.ansible_facts as Record<string, unknown>).os_family).toBe('Debian');
    expect(plan.result?.changed).toBe(false);
    expect(filterFacts(facts, ['ansible_distribution*', 'ansible_eth?'])).toEqual({
      ansible_distribution: 'Debian',
      ansible_distribution_major_version: '12',
      ansible_distribution_release: 'bookworm',
      ansible_distribution_version: '12.11',
      ansible_eth0: facts.ansible_eth0,
      ansible_facts: { distribution: 'Debian', distribution_major_version: '12', distribution_release: 'bookworm', distribution_version: '12.11', eth0: facts.ansible_eth0 },
    });
  });
});

describe('every module of this set exports a JSON Schema (drover schema, editors)', async () => {
  const { z } = await import('zod');
  const { getModule } = await import('../../../src/modules/registry.js');
  await import('../../../src/modules/command.js');
  await import('../../../src/modules/shell.js');
  await import('../../../src/modules/wait_for.js');
  for (const name of ['command', 'shell', 'ping', 'wait_for', 'debug', 'assert', 'fail', 'set_fact', 'include_vars', 'pause', 'setup']) {
    it(name, () => {
      const m = getModule(name)!;
      expect(m.name).toBe(name);
      const js = z.toJSONSchema(m.schema, { io: 'input', unrepresentable: 'any' }) as { type?: string; properties?: Record<string, unknown> };
      expect(js.type).toBe('object');
      if (name !== 'set_fact') expect(Object.keys(js.properties ?? {}).length).toBeGreaterThan(0);
    });
  }
});
