import { InputError } from '../../util/errors.js';
import { formatMode, type FileState } from '../../facts/file-state.js';
import type { Change } from '../types.js';

/**
 * Pure planning of mode/owner/group. Modes are accepted the ways Ansible
 * users write them: '0644', '644', 0o644 (= 420), 'u=rw,g=r,o=r', 'u+x',
 * 'preserve' (copy/template only, resolved by the caller).
 */

export type ModeSpec =
  | { kind: 'absolute'; bits: number }
  | { kind: 'symbolic'; clauses: SymbolicClause[]; text: string };

interface SymbolicClause {
  who: number; // mask of u/g/o bits: 0o4700 | 0o2070 | 0o1007 as selected
  ops: { op: '=' | '+' | '-'; perms: string }[];
}

/**
 * Normalise a mode argument. Numbers are the mode's value (420 = 0o644 = '0644'),
 * as in Ansible. A three-digit number that looks octal and is ≥ 512 (644, 755,
 * 600 …) is rejected: it is almost surely an unquoted '0644' that YAML read as
 * decimal, and taken literally it would set the sticky/setgid bits.
 */
export function parseMode(mode: string | number): ModeSpec {
  if (typeof mode === 'number') {
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new InputError(`invalid mode ${mode}`, undefined, "write it as a quoted octal string, e.g. '0644'");
    if (/^[0-7]{3}$/.test(String(mode)) && mode >= 512) {
      throw new InputError(`mode ${mode} is a decimal number (= octal ${formatMode(mode)})`, undefined, `quote it: mode: '0${mode}'`);
    }
    return { kind: 'absolute', bits: mode };
  }
  const s = mode.trim();
  if (/^0o?[0-7]{1,4}$/i.test(s) || /^[0-7]{1,4}$/.test(s)) {
    return { kind: 'absolute', bits: parseInt(s.replace(/^0o/i, ''), 8) };
  }
  return { kind: 'symbolic', clauses: parseSymbolic(s), text: s };
}

const WHO: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o1007, a: 0o7777 };

function parseSymbolic(s: string): SymbolicClause[] {
  const clauses: SymbolicClause[] = [];
  for (const part of s.split(',')) {
    const m = /^([ugoa]*)((?:[-+=][rwxXstugo]*)+)$/.exec(part);
    if (!m) throw new InputError(`invalid mode '${s}'`, undefined, "use octal like '0644' or symbolic like 'u=rw,g=r,o=r'");
    // No "who" means all (Ansible's reading; chmod would apply the umask).
    let who = 0;
    for (const c of m[1] || 'a') who |= WHO[c]!;
    const ops = [...m[2]!.matchAll(/([-+=])([rwxXstugo]*)/g)].map((x) => ({ op: x[1] as '=' | '+' | '-', perms: x[2]! }));
    clauses.push({ who, ops });
  }
  return clauses;
}

/** Apply a mode spec to the current permission bits (new files: their default mode). */
export function applyMode(spec: ModeSpec, current: number, isDir: boolean): number {
  if (spec.kind === 'absolute') return spec.bits;
  let mode = current & 0o7777;
  for (const { who, ops } of spec.clauses) {
    for (const { op, perms } of ops) {
      let bits = 0;
      for (const p of perms) {
        if (p === 'r') bits |= 0o444;
        else if (p === 'w') bits |= 0o222;
        else if (p === 'x') bits |= 0o111;
        else if (p === 'X') { if (isDir || mode & 0o111) bits |= 0o111; }
        else if (p === 's') bits |= 0o6000;
        else if (p === 't') bits |= 0o1000;
        else {
          // Copy another class's bits (g=u).
          const src = p === 'u' ? (mode >> 6) & 7 : p === 'g' ? (mode >> 3) & 7 : mode & 7;
          bits |= (src << 6) | (src << 3) | src;
        }
      }
      // Special bits belong to their class (WHO includes them): s for u/g, t for o.
      bits &= who;
      if (op === '=') mode = (mode & ~who) | bits;
      else if (op === '+') mode |= bits;
      else mode &= ~bits;
    }
  }
  return mode & 0o7777;
}

/** The mode a chmod on the target should receive: '0644', or the symbolic text. */
export function chmodArg(spec: ModeSpec): string {
  if (spec.kind === 'absolute') return formatMode(spec.bits);
  // Make "who-less" clauses explicit so chmod does not apply its umask.
  return spec.text.split(',').map((c) => (/^[ugoa]/.test(c) ? c : `a${c}`)).join(',');
}

export interface WantedAttrs {
  mode?: string | number;
  owner?: string;
  group?: string;
}

export interface AttrPlan {
  changes: Change[];
  /** Argument for `chmod` (undefined: mode stays). */
  chmod?: string;
  /** `owner`, `owner:group` or `:group` for chown (undefined: ownership stays). */
  chown?: string;
  /** The resulting mode, when it can be known. */
  mode?: string;
}

function sameId(want: string, name: string | undefined, id: number | undefined): boolean {
  return want === name || (/^\d+$/.test(want) && Number(want) === id);
}

/**
 * What must change so that an existing path has the wanted attributes.
 * `label` prefixes the change summaries (e.g. the path).
 */
export function planAttrs(state: FileState, want: WantedAttrs, label = state.path): AttrPlan {
  const plan: AttrPlan = { changes: [] };
  if (!state.exists) throw new Error(`planAttrs on absent ${state.path}`);
  const owner = want.owner !== undefined && !sameId(want.owner, state.owner, state.uid) ? want.owner : undefined;
  const group = want.group !== undefined && !sameId(want.group, state.group, state.gid) ? want.group : undefined;
  if (owner !== undefined) plan.changes.push({ summary: `${label}: owner ${state.owner ?? state.uid} -> ${owner}` });
  if (group !== undefined) plan.changes.push({ summary: `${label}: group ${state.group ?? state.gid} -> ${group}` });
  if (owner !== undefined || group !== undefined) plan.chown = `${owner ?? ''}${group !== undefined ? ':' + group : ''}`;
  if (want.mode !== undefined && state.type !== 'link') {
    const spec = parseMode(want.mode);
    const current = parseInt(state.mode ?? '0', 8);
    // chown clears setuid/setgid bits on files: re-apply the mode after it.
    const after = applyMode(spec, current, state.type === 'directory');
    plan.mode = formatMode(after);
    if (after !== current) {
      plan.changes.push({ summary: `${label}: mode ${state.mode} -> ${formatMode(after)}` });
      plan.chmod = formatMode(after);
    } else if (plan.chown && after & 0o6000 && state.type !== 'directory') {
      plan.chmod = formatMode(after);
    }
  } else {
    plan.mode = state.mode;
  }
  return plan;
}

/** Shell commands (in order: chown, then chmod) that carry out an AttrPlan on `path`. */
export function attrCommands(path: string, plan: Pick<AttrPlan, 'chmod' | 'chown'>, shq: (s: string) => string, noDereference = false): string[] {
  const cmds: string[] = [];
  if (plan.chown) cmds.push(`chown ${noDereference ? '-h ' : ''}-- ${shq(plan.chown)} ${shq(path)}`);
  if (plan.chmod) cmds.push(`chmod -- ${shq(plan.chmod)} ${shq(path)}`);
  return cmds;
}
