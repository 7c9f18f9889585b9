/**
 * The unit read's shell branching, run by sh and bash against a recording
 * `systemctl` on PATH: `is-enabled` (a second process) runs exactly when
 * show's UnitFileState may not be its answer. That the two agree otherwise
 * was checked against real systemd on every unit file of a lab controller
 * (bench/RESULTS.md, 2026-12-06 "fewer processes"); the node smoke tests run
 * the service module on real systemd.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseUnitState, unitStateCommand } from '../../../src/facts/systemd.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-unit-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'systemctl'),
  `#!/bin/sh\necho "$*" >> "$LOG"\ncase "$1" in show) printf '%s\\n' "$FAKE_SHOW"; exit "\${FAKE_SHOW_RC:-0}";; is-enabled) printf '%s\\n' "$FAKE_IS_ENABLED";; esac\n`,
  { mode: 0o755 },
);

const cases = [
  { name: 'a unit named by its Id, enabled', unit: 'chrony', id: 'chrony.service', file: 'enabled', isEnabled: 'enabled', asks: false },
  { name: 'a unit named with its suffix, disabled', unit: 'chrony.service', id: 'chrony.service', file: 'disabled', isEnabled: 'disabled', asks: false },
  { name: 'a socket', unit: 'ssh.socket', id: 'ssh.socket', file: 'disabled', isEnabled: 'disabled', asks: false },
  { name: 'an alias (show answers for its target)', unit: 'mysql', id: 'mariadb.service', file: 'enabled', isEnabled: 'alias', asks: true },
  { name: 'a SysV script', unit: 'old', id: 'old.service', file: 'generated', isEnabled: 'enabled', asks: true },
  { name: 'enabled-runtime is not enabled', unit: 'x', id: 'x.service', file: 'enabled-runtime', isEnabled: 'enabled-runtime', asks: true },
  { name: 'static', unit: 'x', id: 'x.service', file: 'static', isEnabled: 'static', asks: true },
  { name: 'a name with a space is quoted', unit: 'a b', id: 'a b.service', file: 'enabled', isEnabled: 'enabled', asks: false },
];

describe('unitStateCommand: is-enabled only where show cannot answer', () => {
  for (const shell of ['sh', 'bash']) {
    for (const c of cases) {
      it(`${shell}: ${c.name}`, () => {
        const log = join(dir, `log-${shell}-${c.unit.replace(/\W/g, '_')}-${c.file}`);
        const show = `Id=${c.id}\nLoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=${c.file}\nNeedDaemonReload=no`;
        const out = execFileSync(shell, ['-c', unitStateCommand(c.unit)], {
          encoding: 'utf8',
          env: { PATH: `${dir}:/usr/bin:/bin`, LOG: log, FAKE_SHOW: show, FAKE_IS_ENABLED: c.isEnabled },
        });
        const calls = readFileSync(log, 'utf8').trim().split('\n');
        expect(calls.some((l) => l.startsWith('is-enabled'))).toBe(c.asks);
        expect(parseUnitState(out)).toMatchObject({ unitFileState: c.file, isEnabled: c.isEnabled, activeState: 'active' });
      });
    }
    it(`${shell}: a failing show makes the command fail`, () => {
      let rc = 0;
      try {
        execFileSync(shell, ['-c', unitStateCommand('x')], { encoding: 'utf8', env: { PATH: `${dir}:/usr/bin:/bin`, LOG: join(dir, 'log-fail'), FAKE_SHOW: '', FAKE_SHOW_RC: '1', FAKE_IS_ENABLED: '' } });
      } catch (e) {
        rc = (e as { status: number }).status;
      }
      expect(rc).toBe(1);
    });
  }
});
