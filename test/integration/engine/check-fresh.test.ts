/**
 * Check mode on a fresh host predicts the run that follows it (engine/prediction.ts
 * decides): a run whose first tasks generate a file (credentials) that later tasks
 * protect, load with include_vars and use. Check mode cannot know what the file
 * will hold, so those tasks are unknown — never a failure the real run does not
 * have, never a prediction it contradicts; without the generating task, check
 * mode fails where the real run fails. Real runs on a local-connection host.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { comparePrediction } from '../../../src/engine/prediction.js';
import { runPlaybookCollecting } from '../../helpers/play.js';

const generate = `
    - name: Generate the secrets (once)
      shell: |
        umask 077; printf 'APP_PASSWORD: "%s"\\n' s3cret-pw > {{ dir }}/creds.yaml
      args: { creates: "{{ dir }}/creds.yaml" }`;
const rest = `
    - name: The secrets are private
      file: { path: "{{ dir }}/creds.yaml", mode: "0600" }
    - name: Load the secrets
      include_vars: { file: "{{ dir }}/creds.yaml" }
    - name: A copy of the generated file (src on the controller)
      copy: { src: "{{ dir }}/creds.yaml", dest: "{{ dir }}/creds.copy", mode: "0600" }
    - name: The app's configuration uses them
      copy: { content: "password={{ APP_PASSWORD }}\\n", dest: "{{ dir }}/app.conf", mode: "0600" }
      register: app_conf
    - name: Not about the secrets
      copy: { content: "plain\\n", dest: "{{ dir }}/plain.conf" }
    - name: A probe that runs in check mode too reads what the run will have written
      command: grep -c password= {{ dir }}/app.conf
      check_mode: false
      changed_when: false`;

function setup(tasks: string) {
  const dir = mkdtempSync(join(tmpdir(), 'drover-check-fresh-'));
  writeFileSync(join(dir, 'hosts.ini'), `[app]\nh1 ansible_connection=local dir=${dir}\n`);
  writeFileSync(join(dir, 'site.yaml'), `- hosts: app\n  gather_facts: false\n  tasks:${tasks}\n`);
  const run = (check: boolean) => runPlaybookCollecting({ playbook: join(dir, 'site.yaml'), inventory: [join(dir, 'hosts.ini')], stateDir: join(dir, '.drover'), check });
  return { dir, run };
}

describe('check mode on a fresh host, where an earlier task creates what later ones read', () => {
  it('what depends on the generated file is unknown; the rest is predicted; the run does what was predicted', async () => {
    const { dir, run } = setup(generate + rest);
    const check = await run(true);
    expect(check.summary.exitCode, JSON.stringify(check.results.map((r) => [r.task, r.status, r.msg]))).toBe(0);
    const status = Object.fromEntries(check.results.map((r) => [r.task, r.status]));
    expect(status).toEqual({
      'Generate the secrets (once)': 'unknown',
      'The secrets are private': 'unknown',
      'Load the secrets': 'unknown',
      'A copy of the generated file (src on the controller)': 'unknown',
      "The app's configuration uses them": 'unknown',
      'Not about the secrets': 'changed',
      'A probe that runs in check mode too reads what the run will have written': 'unknown',
    });
    expect(check.results.find((r) => r.task.startsWith('A probe'))!.msg).toMatch(/it failed here \(.*\), on a host earlier tasks would change first/);
    expect(check.results.find((r) => r.task === 'Load the secrets')!.msg).toMatch(/creds.yaml is not on the controller yet/);
    expect(check.results.find((r) => r.task === "The app's configuration uses them")!.msg).toMatch(/APP_PASSWORD.*an earlier task check mode could not predict may define it/);
    expect(() => statSync(join(dir, 'creds.yaml'))).toThrow(); // nothing written

    const real = await run(false);
    expect(real.summary.exitCode).toBe(0);
    expect(readFileSync(join(dir, 'app.conf'), 'utf8')).toBe('password=s3cret-pw\n');
    expect(comparePrediction(check.summary, real.summary)).toEqual({ over: [], under: [] });

    // Converged: check mode knows everything again.
    const again = await run(true);
    expect(again.summary.changed).toEqual([]);
    expect(again.summary.unknown).toEqual([]);
  });

  it('a handler only tasks check mode cannot predict notified is unknown; one a predicted change notified would run', async () => {
    const { run } = setup(`
    - name: A command check mode cannot predict
      command: "true"
      notify: reload app
    - name: A file check mode can predict
      copy: { content: "x\\n", dest: "{{ dir }}/x.conf" }
      notify: restart app
  handlers:
    - name: reload app
      file: { path: "{{ dir }}/reloaded", state: touch }
    - name: restart app
      file: { path: "{{ dir }}/restarted", state: touch }`);
    const check = await run(true);
    const status = Object.fromEntries(check.results.map((r) => [r.task, r.status]));
    expect(status['reload app']).toBe('unknown');
    expect(check.results.find((r) => r.task === 'reload app')!.msg).toMatch(/notified only by tasks check mode could not predict/);
    expect(status['restart app']).toBe('changed');
    const real = await run(false);
    expect(comparePrediction(check.summary, real.summary)).toEqual({ over: [], under: [] });
  });

  it('a probe that runs in check mode too (check_mode: false) and fails, with nothing predicted before it, fails as the run does', async () => {
    const { run } = setup(`
    - name: A probe
      command: grep -c password= {{ dir }}/app.conf
      check_mode: false
      changed_when: false`);
    expect((await run(true)).results[0]!.status).toBe('failed');
    expect((await run(false)).results[0]!.status).toBe('failed');
  });

  it('without a task that may create it, a missing vars file fails check mode as it fails the run', async () => {
    const { run } = setup(rest);
    const check = await run(true);
    const load = check.results.find((r) => r.task === 'Load the secrets');
    const protect = check.results.find((r) => r.task === 'The secrets are private');
    expect(protect?.status).toBe('failed');
    expect(load).toBeUndefined(); // the host failed before it, as in the real run
    const real = await run(false);
    expect(real.results.find((r) => r.task === 'The secrets are private')?.status).toBe('failed');
  });
});
