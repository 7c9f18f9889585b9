import { InputError } from '../util/errors.js';
import type { SourcePos } from '../util/source.js';
import { ShellWordsError, shellWordsAt, type ShellWord } from '../util/shell-words.js';
import { expandHostEntry } from './host-range.js';
import type { InventoryModel } from './model.js';
import { pythonLiteral } from '../util/py-literal.js';
import type { Vars } from './types.js';

/**
 * Ansible's INI inventory format, read as Ansible reads it:
 *
 *   host0 x=1                    # hosts before any section are `ungrouped`
 *   [web]                        # a group; each line a host (or range) + key=value vars
 *   web[01:03] ansible_port=2222
 *   [web:vars]                   # one key=value per line
 *   [all:vars]
 *   [prod:children]              # one group name per line
 *
 * Host lines are split like a shell (quotes group, `#` starts a comment);
 * values are Python literals where they parse as one (`8222` is a number,
 * `True` a boolean, `"x"` the string x) and their text otherwise. Lines
 * starting with `#` or `;` are comments. Every error is an InputError at
 * file:line:col.
 */
type SectionKind = 'hosts' | 'vars' | 'children';

export function parseIniInventory(text: string, file: string, inv: InventoryModel): void {
  // Groups that exist for this file: from earlier sources, or declared by a header here.
  const declared = new Set(inv.groups.keys());
  const varsSections: { group: string; pos: SourcePos }[] = [];
  const childLinks: { parent: string; child: string; pos: SourcePos }[] = [];

  let group = 'ungrouped';
  let kind: SectionKind = 'hosts';
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    const lineNo = n + 1;
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    const at = (col0: number): SourcePos => ({ file, line: lineNo, col: col0 + 1 });
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;

    if (line.startsWith('[') && !looksLikeIPv6Host(line)) {
      const m = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$/.exec(line);
      if (!m) {
        throw new InputError(`invalid section header: ${line}`, at(indent), 'write [group], [group:vars] or [group:children], without spaces');
      }
      group = m[1]!;
      const suffix = m[2];
      if (suffix !== undefined && suffix !== 'vars' && suffix !== 'children' && suffix !== 'hosts') {
        throw new InputError(`section [${group}:${suffix}] has unknown type "${suffix}"`, at(indent + 1 + group.length + 1), 'expected :vars or :children');
      }
      kind = (suffix ?? 'hosts') as SectionKind;
      const pos = at(indent + 1);
      if (kind === 'vars') {
        varsSections.push({ group, pos });
      } else {
        declared.add(group);
        inv.ensureGroup(group, pos);
      }
      continue;
    }

    if (kind === 'hosts') {
      parseHostLine(raw, lineNo, file, group, inv);
    } else if (kind === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0) throw new InputError(`expected key=value in [${group}:vars], got: ${line}`, at(indent));
      const key = line.slice(0, eq).trim();
      if (!key) throw new InputError(`variable with no name in [${group}:vars]`, at(indent));
      if (/\s/.test(key)) throw new InputError(`variable name "${key}" contains whitespace`, at(indent));
      inv.setGroupVars(group, { [key]: pythonLiteral(line.slice(eq + 1).trim()) });
    } else {
      const m = /^([^:\]\s]+)\s*(?:[#;].*)?$/.exec(line);
      if (!m) throw new InputError(`expected a group name in [${group}:children], got: ${line}`, at(indent), 'one group name per line');
      childLinks.push({ parent: group, child: m[1]!, pos: at(indent) });
    }
  }

  // References are resolved at the end of the file: a group may be declared after it is used.
  const problems: InputError[] = [];
  for (const v of varsSections) {
    if (!declared.has(v.group)) {
      problems.push(new InputError(`section [${v.group}:vars] is for a group that is never defined`, v.pos, `add a [${v.group}] or [${v.group}:children] section`));
    }
  }
  for (const c of childLinks) {
    if (!declared.has(c.child)) {
      problems.push(new InputError(`section [${c.parent}:children] includes undefined group "${c.child}"`, c.pos, `add a [${c.child}] section`));
    }
  }
  problems.sort((a, b) => a.pos!.line - b.pos!.line || a.pos!.col - b.pos!.col);
  if (problems.length) throw problems[0];
  for (const c of childLinks) inv.addChild(c.parent, c.child, c.pos);
}

/** `[::1]` or `[fe80::1]:22` as a host line is an address, not a section. */
function looksLikeIPv6Host(line: string): boolean {
  return /^\[[0-9a-fA-F:.]*:[0-9a-fA-F:.]*\](:\d+)?(\s|$)/.test(line);
}

function parseHostLine(raw: string, lineNo: number, file: string, group: string, inv: InventoryModel): void {
  const at = (col0: number): SourcePos => ({ file, line: lineNo, col: col0 + 1 });
  // A host line is split as Ansible does: shlex.split(line, comments=True).
  let tokens: ShellWord[];
  try {
    tokens = shellWordsAt(raw, { comments: true });
  } catch (e) {
    if (e instanceof ShellWordsError) throw new InputError(`${e.message} in host line`, at(e.col));
    throw e;
  }
  if (tokens.length === 0) return; // only a comment
  const first = tokens[0]!;
  if (first.text.includes('=') || first.text === '') {
    throw new InputError(`host line has no host name (it starts with "${first.text}")`, at(first.col), 'put the host name first: NAME key=value …');
  }
  const vars: Vars = {};
  for (const t of tokens.slice(1)) {
    const eq = t.text.indexOf('=');
    if (eq < 0) throw new InputError(`expected key=value host variable, got: ${t.text}`, at(t.col), 'separate hosts by lines, variables by spaces');
    if (eq === 0) throw new InputError(`host variable with no name: ${t.text}`, at(t.col));
    vars[t.text.slice(0, eq)] = pythonLiteral(t.text.slice(eq + 1));
  }
  const { names, port } = expandHostEntry(first.text, at(first.col));
  for (const name of names) {
    inv.addHostToGroup(group, name, at(first.col));
    if (port !== undefined) inv.setHostVars(name, { ansible_port: port });
    inv.setHostVars(name, vars);
  }
}

