/**
 * ini_file's editing as a pure function: a line-by-line port of
 * community.general 6.6.2's `do_ini` (the ini_file Debian ships with
 * ansible-core 2.14), so roles written for Ansible leave the same bytes
 * (OpenStack's keystone.conf, nova.conf …):
 * - The file is read as Python reads it: a UTF-8 BOM at the start is dropped
 *   and CRLF / CR line ends become LF. When nothing changes the file is left
 *   exactly as it was (BOM, CRLF); when something does, it is written back
 *   whole, without BOM and with LF.
 * - An option line is `option = value` (`option=value` with no_extra_spaces);
 *   `#option = v` and `;option = v` (commented out, as in OpenStack's shipped
 *   configs) count as occurrences of the option for state=present.
 * - present: (1) every occurrence, commented or not, whose value is one of
 *   the values is rewritten in place (uncommented, normalised); (2) with
 *   exclusive, the remaining values overwrite the remaining occurrences in
 *   order, commented ones included, and (3) the occurrences left over are
 *   removed; (4) values still unwritten are added after the section's last
 *   line that is neither blank nor a comment.
 * - A missing section is appended right after the last line; a missing or
 *   empty file starts with an empty line ("\n[s]\n…"), and an option without
 *   section in a new file is followed by one ("k = v\n\n").
 * - absent removes the active occurrences (all, or with exclusive=false only
 *   those holding one of the values); without option, the whole section.
 * drover difference: a section header matches with spaces inside the
 * brackets (`[ s ]` is section s), as community.general does since its
 * bug fix PR #8075 (2024); 6.6.2 appends a second `[s]`.
 */

export interface IniOptions {
  /** undefined/null/'': options before the first section header. */
  section?: string | null;
  option?: string;
  /** One value (Ansible's `value`); `values` wins when both are given. */
  value?: string;
  /** Several values: one line each (Ansible's `values`). */
  values?: string[];
  state: 'present' | 'absent';
  no_extra_spaces?: boolean;
  allow_no_value?: boolean;
  /** present: remove other occurrences of option; absent: remove all occurrences regardless of value. Default true. */
  exclusive?: boolean;
}

export interface IniEditResult {
  text: string;
  changed: boolean;
  msg: string;
}

/** Ansible's stand-in section for the lines before the first header (a commit hash: it matches nothing real). */
const FAKE_SECTION = 'ad01e11446efb704fcdbdb21f2c43757423d91c5';

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A line without its final '\n' (Python's `$` matches before it; `.` is everything but '\n'). */
const body = (line: string) => (line.endsWith('\n') ? line.slice(0, -1) : line);

/**
 * The option's matchers, compiled once per edit (a 350 KiB nova.conf has
 * 10,000 lines): `[#;]?( |\t)*(option)( |\t)*(=|$)( |\t)*(.*)` is an
 * occurrence, commented out or not, the same without `[#;]?` an active one;
 * [1] is its value.
 */
function optionMatchers(option: string) {
  const occurrence = new RegExp(`^[#;]?[ \\t]*${escapeRe(option)}[ \\t]*(?:=|$)[ \\t]*([^\\n]*)`);
  const active = new RegExp(`^[ \\t]*${escapeRe(option)}[ \\t]*(?:=|$)[ \\t]*([^\\n]*)`);
  // Most lines do not contain the option at all: skip the regex for them.
  return {
    matchOpt: (line: string): RegExpExecArray | null => (line.includes(option) ? occurrence.exec(body(line)) : null),
    matchActiveOpt: (line: string): RegExpExecArray | null => (line.includes(option) ? active.exec(body(line)) : null),
  };
}

const BLANK_OR_COMMENT = /^[ \t]*([#;][^\n]*)?$/;

/** The file's lines as Python's text mode reads them (utf-8-sig, universal newlines), each with its '\n'. */
function readLines(text: string): string[] {
  if (text === lastRead.text) return [...lastRead.lines];
  const t = (text.startsWith('\uFEFF') ? text.slice(1) : text).replace(/\r\n?/g, '\n');
  const lines: string[] = [];
  for (let at = 0; at < t.length; ) {
    const nl = t.indexOf('\n', at);
    const end = nl < 0 ? t.length : nl + 1;
    lines.push(t.slice(at, end));
    at = end;
  }
  lastRead = { text, lines };
  return [...lines];
}
/** The last file split: a loop's items edit the same text one after another. */
let lastRead: { text: string; lines: string[] } = { text: '', lines: [] };

export function editIni(text: string, o: IniOptions): IniEditResult {
  const exclusive = o.exclusive ?? true;
  const allowNoValue = o.allow_no_value ?? false;
  const option = o.option === '' ? undefined : o.option;
  const fmt = (v: string) => (o.no_extra_spaces ? `${option}=${v}\n` : `${option} = ${v}\n`);
  const bare = () => `${option}\n`;
  const { matchOpt, matchActiveOpt } = optionMatchers(option ?? '');

  // Deduplicated, as Ansible does.
  const values: string[] = [];
  for (const v of o.values ?? (o.value !== undefined ? [o.value] : [])) if (!values.includes(v)) values.push(v);

  let changed = false;
  let msg = 'OK';
  let lines = readLines(text);
  if (!lines.length) lines.push('\n');
  if (!lines[lines.length - 1]!.endsWith('\n')) {
    lines[lines.length - 1] += '\n';
    changed = true;
  }
  // A fake section at the top holds the options before the first header; a '[' at the bottom ends the last section.
  lines = [`[${FAKE_SECTION}]`, ...lines, '['];

  const named = o.section !== undefined && o.section !== null && o.section !== '';
  const header = named ? new RegExp(`^\\[\\s*${escapeRe(o.section!.trim())}\\s*\\]`) : undefined;
  const isHeader = header ? (line: string) => line.startsWith('[') && header.test(line) : (line: string) => line.startsWith(`[${FAKE_SECTION}]`);

  let within = false;
  let start = 0;
  let end = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (isHeader(line)) {
      within = true;
      start = i;
    } else if (line.startsWith('[') && within) {
      end = i;
      break;
    }
  }
  const before = lines.slice(0, start);
  let section = lines.slice(start, end); // header included; empty when the section is missing
  const after = lines.slice(end);
  const touched = new Array<boolean>(section.length).fill(false);
  const update = (i: number, newline: string) => {
    if (section[i] !== newline) {
      changed = true;
      msg = 'option changed';
    }
    section[i] = newline;
    touched[i] = true;
  };

  let noValuePresent = false;
  if (o.state === 'present' && option !== undefined) {
    // 1. Occurrences (commented ones too) already holding one of the values.
    for (let i = 0; i < section.length; i++) {
      const m = matchOpt(section[i]!);
      if (!m) continue;
      const current = m[1]!;
      if (values.length && values.includes(current)) {
        if (current === '' && allowNoValue) {
          update(i, bare());
          noValuePresent = true;
        } else update(i, fmt(current));
        values.splice(values.indexOf(current), 1);
      } else if (!values.length && allowNoValue) {
        update(i, bare());
        noValuePresent = true;
        break;
      }
    }
  }

  if (o.state === 'present' && option !== undefined && exclusive && !allowNoValue) {
    // 2. The other values overwrite the other occurrences, in order.
    if (values.length) {
      for (let i = 0; i < section.length; i++) {
        if (!touched[i] && matchOpt(section[i]!)) {
          update(i, fmt(values.shift()!));
          if (!values.length) break;
        }
      }
    }
    // 3. The occurrences left over go (the header, index 0, never is one).
    for (let i = section.length - 1; i > 0; i--) {
      if (!touched[i] && matchOpt(section[i]!)) {
        section.splice(i, 1);
        touched.splice(i, 1);
        changed = true;
        msg = 'option changed';
      }
    }
  }

  if (o.state === 'present') {
    // 4. What is still missing goes after the last line that is neither blank nor a comment.
    for (let i = section.length; i > 0; i--) {
      if (BLANK_OR_COMMENT.test(body(section[i - 1]!))) continue;
      if (option !== undefined && values.length) {
        section.splice(i, 0, ...values.map(fmt));
        msg = 'option added';
        changed = true;
      } else if (option !== undefined && allowNoValue && !noValuePresent) {
        section.splice(i, 0, bare());
        msg = 'option added';
        changed = true;
      }
      break;
    }
  }

  if (o.state === 'absent') {
    if (option !== undefined) {
      const keep = exclusive
        ? section.filter((l) => !matchActiveOpt(l))
        : values.length
          ? section.filter((l) => {
              const m = matchActiveOpt(l);
              return !(m && values.includes(m[1]!));
            })
          : section;
      if (keep.length !== section.length) {
        changed = true;
        msg = 'option changed';
        section = keep;
      }
    } else if (section.length) {
      section = [];
      msg = 'section removed';
      changed = true;
    }
  }

  const out = [...before, ...section, ...after].slice(1, -1);

  if (!within && o.state === 'present') {
    out.push(`[${o.section}]\n`);
    msg = 'section and option added';
    if (option !== undefined && values.length) out.push(...values.map(fmt));
    else if (option !== undefined && allowNoValue) out.push(bare());
    else msg = 'only section added';
    changed = true;
  }

  // Unchanged: Ansible does not write, so the file keeps its BOM and line ends.
  return changed ? { text: out.join(''), changed, msg } : { text, changed, msg };
}
