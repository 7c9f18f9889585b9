/**
 * A systemd unit's state in one round trip: LoadState, ActiveState,
 * SubState, UnitFileState, NeedDaemonReload (`systemctl show`) and
 * `systemctl is-enabled` (which also understands SysV scripts wrapped by
 * systemd). Read on every use: a `copy` of a unit file or a package install
 * changes it without telling the service module.
 */
import { ModuleError } from '../util/errors.js';
import { shq } from '../util/shell.js';
import type { Fact } from './fact.js';

export interface UnitState {
  loadState: string;
  activeState: string;
  subState: string;
  unitFileState: string;
  needDaemonReload: boolean;
  /** `systemctl is-enabled` output: enabled, disabled, static, masked, generated, … ("" if unknown). */
  isEnabled: string;
}

/**
 * The single read command (pure). `systemctl is-enabled` (a second process)
 * runs only when show's UnitFileState may not be its answer: show reports an
 * alias's target (is-enabled says "alias"), a SysV script as "generated".
 * For a unit named by its own Id whose UnitFileState is enabled or disabled,
 * the two agree (checked on every unit file of a lab controller).
 */
export function unitStateCommand(unit: string): string {
  const u = shq(unit);
  const line = (text: string) => `*"$_n"${text}"$_n"*`;
  return [
    `_n='
'; _s=$(systemctl show -p Id -p LoadState -p ActiveState -p SubState -p UnitFileState -p NeedDaemonReload -- ${u}); _r=$?; printf '%s\\n' "$_s"`,
    `_e=; case "$_n$_s$_n" in ${line(`Id=${u}`)}|${line(`Id=${u}.service`)}) case "$_n$_s$_n" in ${line('UnitFileState=enabled')}) _e=enabled;; ${line('UnitFileState=disabled')}) _e=disabled;; esac;; esac`,
    `[ -n "$_e" ] || _e=$(systemctl is-enabled -- ${u} 2>/dev/null); printf 'IsEnabled=%s\\n' "$_e"; [ "$_r" = 0 ]`,
  ].join('; ');
}

export function parseUnitState(stdout: string): UnitState {
  const kv = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  if (!kv.has('LoadState')) throw new Error(`unexpected output from systemctl show: ${JSON.stringify(stdout)}`);
  return {
    loadState: kv.get('LoadState')!,
    activeState: kv.get('ActiveState') ?? '',
    subState: kv.get('SubState') ?? '',
    unitFileState: kv.get('UnitFileState') ?? '',
    needDaemonReload: kv.get('NeedDaemonReload') === 'yes',
    isEnabled: (kv.get('IsEnabled') ?? '').split('\n')[0]!,
  };
}

/** `systemd.unit` (key: the unit name). */
export const unitStateFact: Fact<{ unit: string }, UnitState> = {
  name: 'systemd.unit',
  key: (p) => p.unit,
  command: (p) => unitStateCommand(p.unit),
  cached: false,
  parse(r, p) {
    if (r.rc !== 0 && !/LoadState=/.test(r.stdout)) {
      throw new ModuleError(`systemctl show ${p.unit} failed (rc ${r.rc}): ${r.stderr.trim()}`, unitStateCommand(p.unit), r.stderr, r.rc);
    }
    return parseUnitState(r.stdout);
  },
};
