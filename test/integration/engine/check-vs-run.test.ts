/**
 * `drover check` never accepts what the run rejects (and never rejects what
 * the run and Ansible accept), on the cases in
 * test/fixtures/check-vs-run/cases.yaml: check is loadAndValidate (what `drover
 * check` and `drover play` both call), the run is runPlaybook in check mode on
 * a local-connection host, and ansible-playbook --check on the same directory
 * is the oracle for which cases are really mistakes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAndValidate } from '../../../src/engine/run.js';
import { InputError, InputErrors } from '../../../src/util/errors.js';
import { loadYamlFile } from '../../../src/util/yaml.js';
import { runPlaybookCollecting } from '../../helpers/play.js';

interface Case {
  name: string;
  expect: 'accept' | 'reject';
  /** What ansible-playbook does, where drover differs on purpose (then `why` says why); skip: not run (it would not end). */
  ansible?: 'accept' | 'reject' | 'skip';
  why?: string;
  /** Accepted by check, but the run must fail on input with this message: what only the run can know (a dynamic include cycle). */
  runFails?: string;
  files: Record<string, string>;
}

const cases = loadYamlFile(resolve('test/fixtures/check-vs-run/cases.yaml')).value as Case[];
const hasAnsible = spawnSync('ansible-playbook', ['--version']).status === 0;
const root = mkdtempSync(join(tmpdir(), 'drover-check-vs-run-'));

function writeCase(c: Case, i: number): string {
  const dir = join(root, String(i));
  for (const [name, text] of Object.entries({ ...c.files, 'hosts.ini': '[web]\nh1 ansible_connection=local\n' })) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const options = (dir: string) => ({ playbook: join(dir, 'site.yaml'), inventory: [join(dir, 'hosts.ini')], stateDir: join(dir, '.drover'), check: true });

/** check's verdict: the messages it rejects the case with (none: accepted). */
async function check(dir: string): Promise<string[]> {
  try {
    await loadAndValidate(options(dir));
    return [];
  } catch (e) {
    if (e instanceof InputErrors) return e.errors.map((x) => x.message);
    if (e instanceof InputError) return [e.message];
    throw e;
  }
}

/** ansible-playbook --check on the same directory: did it finish without a failure? */
function ansibleAccepts(dir: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((done) => {
    const p = spawn('ansible-playbook', ['-i', 'hosts.ini', '--check', 'site.yaml'], { cwd: dir, env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: '0' } });
    let output = '';
    p.stdout.on('data', (d: Buffer) => (output += d.toString()));
    p.stderr.on('data', (d: Buffer) => (output += d.toString()));
    p.on('close', (code) => done({ ok: code === 0, output }));
  });
}

describe('check and the run agree on every case', () => {
  cases.forEach((c, i) => {
    it(`${c.name}: ${c.expect}`, async () => {
      const dir = writeCase(c, i);
      const ansible = (hasAnsible || process.env.CI) && c.ansible !== 'skip' ? ansibleAccepts(dir) : undefined;
      const rejected = await check(dir);
      if (c.expect === 'reject') {
        expect(rejected, 'check accepted a case marked reject').not.toEqual([]);
      } else {
        expect(rejected, 'check rejected a case marked accept').toEqual([]);
        const { results } = await runPlaybookCollecting(options(dir));
        const inputFailures = results.filter((r) => r.inputError).map((r) => `${r.task}: ${r.msg}`);
        if (c.runFails) {
          expect(inputFailures.join('\n')).toMatch(new RegExp(c.runFails));
        } else {
          expect(inputFailures, 'check accepted, the run failed on input').toEqual([]);
          expect(results.filter((r) => r.status === 'failed').map((r) => `${r.task}: ${r.msg}`)).toEqual([]);
        }
      }
      if (ansible) {
        const a = await ansible;
        expect(a.ok, `ansible-playbook --check ${a.ok ? 'accepted' : 'rejected'} it:\n${a.output.slice(-1500)}`).toBe((c.ansible ?? c.expect) === 'accept');
      }
    });
  });
});
