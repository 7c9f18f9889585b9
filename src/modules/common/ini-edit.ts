/**
 * ini_file's editing as a pure function, following community.general.ini_file
 * so roles written for Ansible produce the same files (OpenStack's
 * keystone.conf, nova.conf …): comments and layout are preserved, only the
 * touched lines change.
 * - An option line is `option = value` (`option=value` with no_extra_spaces).
 * - present: a line (active or commented out, `#option = v`) already holding
 *   the value is normalised in place; else the first active occurrence is
 *   rewritten; other active occurrences of the option are removed (exclusive);
 *   else the option is added after the section's last non-comment line.
 * - A missing section is appended at the end of the file.
 * - absent without option removes the whole section.
 * drover differences: a new section appended to a non-empty file is preceded
 * by a blank line, and a new file does not start with an empty line.
 */

export interface IniOptions {
  /** undefined/null: options before the first section header. */
  section?: string | null;
  option?: string;
  value?: string;
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

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `( |\t)*([#;]?)( |\t)*(option)( |\t)*(=|$)( |\t)*(.*)` — also matches commented-out options. */
function matchOpt(option: string, line: string): RegExpExecArray | null {
  return new RegExp(`^[ \\t]*([#;]?)[ \\t]*(${escapeRe(option)})[ \\t]*(=|$)[ \\t]*(.*)`).exec(line.replace(/\r?\n$/, ''));
}

function matchActiveOpt(option: string, line: string): RegExpExecArray | null {
  return new RegExp(`^()[ \\t]*(${escapeRe(option)})[ \\t]*(=|$)[ \\t]*(.*)`).exec(line.replace(/\r?\n$/, ''));
}

const BLANK_OR_COMMENT = /^[ \t]*([#;].*)?$/;

export function editIni(text: string, o: IniOptions): IniEditResult {
  const exclusive = o.exclusive ?? true;
  const fmt = (v: string | undefined) =>
    v === undefined ? `${o.option}\n` : o.no_extra_spaces ? `${o.option}=${v}\n` : `${o.option} = ${v}\n`;
  let changed = false;
  let msg = 'OK';

  const lines = text === '' ? [] : text.split(/(?<=\n)/);
  // A last line without newline gets one (Ansible does the same, and reports it as a change).
  if (lines.length && !lines[lines.length - 1]!.endsWith('\n')) {
    lines[lines.length - 1] += '\n';
    changed = true;
  }

  // Locate the section: [start, end) including its header; start = -1 when missing.
  const hasSection = o.section !== undefined && o.section !== null;
  const header = hasSection ? new RegExp(`^\\[\\s*${escapeRe(o.section!.trim())}\\s*\\]`) : undefined;
  let start = -1;
  let end = lines.length;
  if (!header) {
    start = 0;
    const first = lines.findIndex((l) => l.startsWith('['));
    end = first === -1 ? lines.length : first;
  } else {
    for (let i = 0; i < lines.length; i++) {
      if (start === -1 && header.test(lines[i]!)) start = i;
      else if (start !== -1 && lines[i]!.startsWith('[')) {
        end = i;
        break;
      }
    }
  }

  if (start === -1) {
    // Section missing.
    if (o.state === 'absent') return { text: lines.join(''), changed, msg: changed ? 'newline added' : 'OK' };
    const add: string[] = [`[${o.section}]\n`];
    if (o.option !== undefined && o.value !== undefined) add.push(fmt(o.value));
    else if (o.option !== undefined && o.allow_no_value) add.push(fmt(undefined));
    if (lines.length && lines[lines.length - 1]!.trim() !== '') lines.push('\n');
    lines.push(...add);
    return { text: lines.join(''), changed: true, msg: add.length > 1 ? 'section and option added' : 'only section added' };
  }

  // Work on the section body (without its header, which is never an option).
  const bodyStart = header ? start + 1 : start;
  let body = lines.slice(bodyStart, end);
  const touched = new Array<boolean>(body.length).fill(false);
  const set = (i: number, newline: string) => {
    touched[i] = true;
    if (body[i] !== newline) {
      body[i] = newline;
      changed = true;
      msg = 'option changed';
    }
  };

  if (o.state === 'present' && o.option !== undefined) {
    let pending: string | undefined | null = o.value; // null: done
    let noValuePresent = false;
    for (let i = 0; i < body.length; i++) {
      const m = matchOpt(o.option, body[i]!);
      if (!m) continue;
      if (pending !== undefined && pending !== null && m[4] === pending) {
        set(i, fmt(pending));
        pending = null;
        break;
      }
      if (pending === undefined && o.allow_no_value) {
        set(i, fmt(undefined));
        noValuePresent = true;
        break;
      }
    }
    if (exclusive && !o.allow_no_value) {
      if (pending !== undefined && pending !== null) {
        const i = body.findIndex((l, k) => !touched[k] && matchActiveOpt(o.option!, l));
        if (i !== -1) {
          set(i, fmt(pending));
          pending = null;
        }
      }
      // Remove every other active occurrence.
      for (let i = body.length - 1; i >= 0; i--) {
        if (!touched[i] && matchActiveOpt(o.option, body[i]!)) {
          body.splice(i, 1);
          touched.splice(i, 1);
          changed = true;
          msg = 'option changed';
        }
      }
    }
    const needLine = (pending !== undefined && pending !== null) || (pending === undefined && o.allow_no_value && !noValuePresent);
    if (needLine) {
      // After the last line that is neither blank nor a comment (or right after the header).
      let at = body.length;
      while (at > 0 && BLANK_OR_COMMENT.test(body[at - 1]!.replace(/\r?\n$/, ''))) at--;
      body.splice(at, 0, fmt(pending ?? undefined));
      changed = true;
      msg = 'option added';
    }
  } else if (o.state === 'absent') {
    if (o.option !== undefined) {
      const keep = body.filter((l) => {
        const m = matchActiveOpt(o.option!, l);
        if (!m) return true;
        return !(exclusive || o.value === undefined || m[4] === o.value);
      });
      if (keep.length !== body.length) {
        body = keep;
        changed = true;
        msg = 'option changed';
      }
    } else if (header) {
      // Drop the entire section, header included.
      lines.splice(start, end - start);
      return { text: lines.join(''), changed: true, msg: 'section removed' };
    }
  }

  const out = [...lines.slice(0, bodyStart), ...body, ...lines.slice(end)];
  return { text: out.join(''), changed, msg };
}
