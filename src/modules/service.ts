/**
 * `service` (alias `systemd`, `systemd_service`): a systemd unit started /
 * stopped / restarted / reloaded, enabled or not, masked or not.
 *
 * One round trip reads everything the plan needs: LoadState, ActiveState,
 * UnitFileState, NeedDaemonReload (`systemctl show`) and `systemctl
 * is-enabled` (which also understands SysV scripts wrapped by systemd).
 * daemon_reload is a change only when systemd says a unit file changed on
 * disk (NeedDaemonReload=yes). restarted/reloaded always change.
 * A unit that fails to start fails the task with `systemctl status` and the
 * last 20 lines of its journal in the message.
 */
import { z } from 'zod';
import { unitStateFact, type UnitState } from '../facts/systemd.js';
import { InputError, ModuleError } from '../util/errors.js';
import { shq } from '../util/shell.js';
import { bool } from './common/args.js';
import { registerModule } from './registry.js';
import type { Change, Module } from './types.js';

const schema = z
  .strictObject({
    name: z.string().min(1).describe('Unit name (".service" may be left out).'),
    state: z.enum(['started', 'stopped', 'restarted', 'reloaded']).optional().describe('started, stopped: make it so; restarted, reloaded: restart or reload it.'),
    enabled: bool.optional().describe('Start at boot.'),
    daemon_reload: bool.default(false).describe('Run systemctl daemon-reload when systemd reports changed unit files.'),
    daemon_reexec: bool.optional().describe('Accepted for compatibility; ignored.'),
    masked: bool.optional().describe('Whether the unit is masked.'),
    no_block: bool.default(false).describe('Do not wait for the start/stop job to finish.'),
    scope: z.enum(['system']).optional().describe('Only the system scope is supported.'),
    arguments: z.string().optional().describe('Accepted for compatibility (SysV); ignored.'),
    pattern: z.string().optional().describe('Accepted for compatibility; ignored.'),
    sleep: z.unknown().optional().describe('Accepted for compatibility; ignored.'),
  })
  .superRefine((a, ctx) => {
    if (a.state === undefined && a.enabled === undefined && a.masked === undefined && !a.daemon_reload) {
      ctx.addIssue({ code: 'custom', message: 'one of state, enabled, masked or daemon_reload is required' });
    }
  });

export type ServiceArgs = z.infer<typeof schema>;

const RUNNING = new Set(['active', 'activating', 'reloading']);
/** is-enabled answers for which `enabled: true` has nothing to do. */
const ENABLED = new Set(['enabled', 'enabled-runtime', 'static', 'alias', 'indirect', 'generated']);

export interface ServicePlanData {
  unit: string;
  steps: Array<'daemon-reload' | 'unmask' | 'enable' | 'disable' | 'start' | 'stop' | 'restart' | 'reload' | 'mask'>;
}

/** Pure: the steps for these args, given the unit's state (undefined: not installed yet, check mode). */
export function decideService(a: ServiceArgs, s: UnitState | undefined, unit: string): { steps: ServicePlanData['steps']; changes: Change[] } {
  const steps: ServicePlanData['steps'] = [];
  const changes: Change[] = [];
  const add = (step: ServicePlanData['steps'][number], summary: string) => {
    steps.push(step);
    changes.push({ summary });
  };
  const masked = s ? s.loadState === 'masked' || s.unitFileState === 'masked' || s.isEnabled === 'masked' : false;
  const running = s ? RUNNING.has(s.activeState) : false;
  if (a.daemon_reload && s?.needDaemonReload) add('daemon-reload', 'systemctl daemon-reload (unit files changed on disk)');
  if (a.masked === false && masked) add('unmask', `unmask ${unit}`);
  const willBeMasked = a.masked === true || (masked && a.masked !== false);
  if (a.enabled === true && (!s || !ENABLED.has(s.isEnabled))) {
    if (willBeMasked) throw new ModuleError(`${unit} is masked: it cannot be enabled (set masked: false)`);
    add('enable', `enable ${unit}`);
  }
  if (a.enabled === false && s && ['enabled', 'enabled-runtime', 'alias', 'generated'].includes(s.isEnabled)) add('disable', `disable ${unit}`);
  switch (a.state) {
    case 'started':
      if (!running) {
        if (willBeMasked) throw new ModuleError(`${unit} is masked: it cannot be started (set masked: false)`);
        add('start', `start ${unit}${s ? ` (now ${s.activeState})` : ''}`);
      }
      break;
    case 'stopped':
      if (running || s?.activeState === 'deactivating') add('stop', `stop ${unit}`);
      break;
    case 'restarted':
      add('restart', `restart ${unit}`);
      break;
    case 'reloaded':
      // Ansible: reloading a stopped service starts it.
      add(running ? 'reload' : 'start', running ? `reload ${unit}` : `start ${unit} (reload of a stopped service)`);
      break;
  }
  if (a.masked === true && !masked) add('mask', `mask ${unit}`);
  return { steps, changes };
}

/** A command that runs `systemctl VERB unit` and, on failure, appends its status and journal to stderr. */
export function actionCommand(verb: string, unit: string, noBlock: boolean): string {
  const u = shq(unit);
  const diag = `{ echo "--- systemctl status ${unit}" >&2; systemctl status --no-pager -l -- ${u} >&2; echo "--- journalctl -u ${unit} -n 20" >&2; journalctl -u ${u} -n 20 --no-pager >&2; }`;
  const nb = noBlock ? ' --no-block' : '';
  if (verb === 'start' || verb === 'restart' || verb === 'reload') {
    // A unit can die right after a "successful" start (Type=simple): look once more.
    return `if systemctl${nb} ${verb} -- ${u}; then st=$(systemctl is-active -- ${u}); if [ "$st" = failed ]; then echo "${unit} failed right after ${verb}" >&2; ${diag}; exit 1; fi; else rc=$?; ${diag}; exit $rc; fi`;
  }
  return `systemctl${nb} ${verb} -- ${u} || { rc=$?; ${diag}; exit $rc; }`;
}

export const serviceModule: Module<ServiceArgs, ServicePlanData> = {
  name: 'service',
  doc: {
    short: 'Start, stop, restart or reload a systemd unit; enable or mask it.',
    examples: `
- name: Started now and at boot
  service:
    name: nginx
    state: started
    enabled: true

- name: Restart after a unit file change
  service: name=app state=restarted daemon_reload=yes
`,
  },
  aliases: ['systemd', 'systemd_service', 'ansible.builtin.systemd', 'ansible.builtin.systemd_service'],
  schema,
  async plan(ctx, a) {
    if (/[\s/]/.test(a.name)) throw new InputError(`service: ${JSON.stringify(a.name)} is not a unit name`);
    const unit = a.name;
    const s = await ctx.fact(unitStateFact, { unit });
    const notFound = s.loadState === 'not-found';
    if (notFound && a.masked !== true) {
      // Check mode after a predicted change: an earlier task (apt) may install it. Otherwise
      // the unit is as missing when the real run gets here, and that run fails: so does this.
      if (!ctx.check || !ctx.earlierChangesPredicted) throw new ModuleError(`could not find the requested service ${unit}: systemd has no unit ${unit} (LoadState=not-found)`);
      const d = decideService(a, undefined, unit);
      // A restart or reload changes something whatever the package did; whether the package
      // starts and enables its unit itself (Debian's do) is known only once it is installed.
      if (a.state !== 'restarted' && a.state !== 'reloaded') {
        return { changes: [], unknown: `${unit} is not installed yet: whether its package starts or enables it is known only once it is`, data: { unit, steps: d.steps } };
      }
      return {
        changes: d.changes.map((c) => ({ summary: `${c.summary} (not installed yet: an earlier task must install it)` })),
        data: { unit, steps: d.steps },
      };
    }
    const d = decideService(a, s, unit);
    const status = { ActiveState: s.activeState, SubState: s.subState, UnitFileState: s.unitFileState, LoadState: s.loadState };
    return {
      changes: d.changes,
      data: { unit, steps: d.steps },
      result: { changed: false, name: unit, state: a.state ?? (RUNNING.has(s.activeState) ? 'started' : 'stopped'), enabled: ENABLED.has(s.isEnabled), status },
    };
  },
  async apply(ctx, a, plan) {
    const { unit, steps } = plan.data!;
    for (const step of steps) {
      const cmd =
        step === 'daemon-reload'
          ? 'systemctl daemon-reload'
          : step === 'enable' || step === 'disable' || step === 'mask' || step === 'unmask'
            ? `systemctl ${step} -- ${shq(unit)}`
            : actionCommand(step, unit, a.no_block);
      const r = await ctx.exec(cmd);
      if (r.rc !== 0) {
        const what = step === 'daemon-reload' ? 'systemctl daemon-reload' : `systemctl ${step} ${unit}`;
        throw new ModuleError(`${what} failed (rc ${r.rc}):\n${r.stderr.trim()}`, cmd, r.stderr, r.rc);
      }
    }
    return { changed: true, name: unit, state: a.state, steps };
  },
};

registerModule(serviceModule);
