import { digestHex } from '../util/digest.js';
import { ModuleError } from '../util/errors.js';
import { shq } from '../util/shell.js';

/**
 * What a path on the target looks like, read in ONE round trip: existence,
 * type, mode, owner, size, link target, checksum and (when asked) content.
 * Several paths are batched into one command (a copy needs dest, dest/name
 * and the parent directory). Needs GNU coreutils on the target (Debian).
 */

export type FileType = 'file' | 'directory' | 'link' | 'char' | 'block' | 'fifo' | 'socket' | 'other';
export type ChecksumAlgorithm = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'];

export interface FileQuery {
  path: string;
  /** Report the link's target instead of the link (stat -L). Default false (lstat). */
  follow?: boolean;
  /** Checksum of a regular file. Default 'sha256'; false: none. */
  checksum?: ChecksumAlgorithm | false;
  /** Fetch the content (base64) of a regular file up to this many bytes; larger files are flagged, not sent. */
  contentMaxBytes?: number;
  /** Also test readable/writeable/executable for the command's user (stat module). */
  access?: boolean;
}

export interface FileState {
  path: string;
  exists: boolean;
  type?: FileType;
  /** Permission bits as four octal digits, e.g. '0644'. */
  mode?: string;
  uid?: number;
  gid?: number;
  /** User/group names; undefined when the id has no name on the target. */
  owner?: string;
  group?: string;
  size?: number;
  inode?: number;
  dev?: number;
  nlink?: number;
  atime?: number;
  mtime?: number;
  ctime?: number;
  /** readlink of the path when it is a symlink (unresolved, as stored in the link). */
  linkTarget?: string;
  /** readlink -f of the path, when it is a symlink and was queried with follow (else the path is its own real path for writing). */
  realPath?: string;
  checksum?: string;
  checksumAlgorithm?: ChecksumAlgorithm;
  content?: Buffer;
  /** Content was asked for but the file is larger than contentMaxBytes. */
  contentTooLarge?: boolean;
  readable?: boolean;
  writeable?: boolean;
  executable?: boolean;
}

/** Marker prefix so stray output (a noisy .bashrc) is ignored by the parser. */
const TAG = '@drover-fs';

// The probe runs before every file task, and on a target each process costs
// 1–2 ms, so it is built to start as few as possible: existence and access
// come from shell builtins; ONE stat prints every present path's record and
// ONE checksum run covers every regular file (content that is fetched anyway
// is checksummed on the controller instead). Record kinds: A absent, E the
// indexes whose S records follow in order, S stat record, K <alg> the indexes
// whose checksum lines follow in order, L link target, R real path, D content
// (up to max+1 bytes: one more means too large), P access, X error (base64).
// Paths that may hold odd bytes are base64 in the output.
const STAT_FORMAT = String.raw`%f\t%u\t%g\t%U\t%G\t%s\t%i\t%d\t%h\t%X\t%Y\t%Z\n`;

/**
 * Absent or unreadable: builtins decide when the nearest existing ancestor is
 * a searchable directory (its child on the path is then surely missing: a
 * fresh tree's hundreds of paths cost no process) or not a directory;
 * otherwise stat says why.
 */
const ABSENT_FN = String.raw`_dfa() {
  d=${'$'}{2%/*}; [ "$d" = "$2" ] && d=.; [ -z "$d" ] && d=/
  while [ ! -e "$d" ] && [ ! -L "$d" ] && [ "$d" != / ] && [ "$d" != . ]; do e=${'$'}{d%/*}; [ "$e" = "$d" ] && e=.; [ -z "$e" ] && e=/; d=$e; done
  if { [ -d "$d" ] && [ -x "$d" ]; } || { [ -e "$d" ] && [ ! -d "$d" ]; }; then echo "${TAG} $1 A"; return 1; fi
  if s=$(LC_ALL=C stat $3 -c %f -- "$2" 2>&1); then return 0; fi
  case $s in
    *'No such file or directory'*|*'Not a directory'*) echo "${TAG} $1 A";;
    *) echo "${TAG} $1 X $(printf '%s' "$s" | base64 -w0)";;
  esac
  return 1
}`;

/** The shell command that reads every queried path (pure: tested by running it). */
export function fileStateScript(queries: readonly FileQuery[]): string {
  const out: string[] = [ABSENT_FN, 'E=; K=; set --'];
  const present = (q: FileQuery, p: string) => (q.follow ? `[ -e ${p} ]` : `{ [ -e ${p} ] || [ -L ${p} ]; }`);
  // 1. Which paths are there: lstat records of all of them in one stat run; followed paths one by one.
  queries.forEach((q, i) => {
    const p = shq(q.path);
    const probe = `${present(q, p)} || _dfa ${i} ${p} ${q.follow ? '-L' : "''"}`;
    if (q.follow) {
      // Only a symlink needs its own stat -L and real path; anything else joins the one stat run.
      out.push(
        `if ${probe}; then P${i}=1; if [ -L ${p} ]; then printf '${TAG} %s ' ${i}; LC_ALL=C stat -L --printf 'S\t${STAT_FORMAT}' -- ${p};` +
          ` printf '${TAG} %s R ' ${i}; readlink -f -- ${p} | tr -d '\n' | base64 -w0; echo; else E="$E ${i}"; set -- "$@" ${p}; fi; fi`,
      );
    } else {
      out.push(`if ${probe}; then P${i}=1; E="$E ${i}"; set -- "$@" ${p}; fi`);
    }
  });
  out.push(`if [ $# -gt 0 ]; then echo "${TAG} E$E"; LC_ALL=C stat --printf '${TAG} S\t${STAT_FORMAT}' -- "$@" || echo "${TAG} Z"; fi`);
  out.push('set --');
  // 2. Links, access, content, checksum lists: builtins, and processes only where asked for.
  const sums = queries.filter((q) => q.checksum !== false && q.contentMaxBytes === undefined);
  const primary = sums.length ? alg(sums[0]!) : undefined;
  queries.forEach((q, i) => {
    const p = shq(q.path);
    const parts: string[] = [];
    parts.push(`if [ -L ${p} ]; then printf '${TAG} %s L ' ${i}; readlink -- ${p} | tr -d '\n' | base64 -w0; echo; fi`);
    if (q.access) parts.push(`r=0; w=0; x=0; [ -r ${p} ] && r=1; [ -w ${p} ] && w=1; [ -x ${p} ] && x=1; echo "${TAG} ${i} P $r$w$x"`);
    let reader: string | undefined;
    if (q.contentMaxBytes !== undefined) {
      reader = `printf '${TAG} %s D ' ${i}; head -c ${Math.max(0, Math.floor(q.contentMaxBytes)) + 1} -- ${p} | base64 -w0; echo`;
    } else if (q.checksum !== false) {
      const a = alg(q);
      reader = a === primary ? `K="$K ${i}"; set -- "$@" ${p}` : `echo "${TAG} K ${a} ${i}"; LC_ALL=C ${a}sum -- ${p} || echo "${TAG} Z"`;
    }
    if (reader) {
      const regular = q.follow ? `[ -f ${p} ]` : `[ -f ${p} ] && [ ! -L ${p} ]`;
      parts.push(`if ${regular}; then if [ -r ${p} ]; then ${reader}; else echo "${TAG} ${i} X $(printf '%s: Permission denied' ${p} | base64 -w0)"; fi; fi`);
    }
    if (parts.length) out.push(`if [ -n "$P${i}" ]; then ${parts.join('; ')}; fi`);
  });
  // 3. One checksum run for all regular files.
  if (primary) out.push(`if [ $# -gt 0 ]; then echo "${TAG} K ${primary}$K"; LC_ALL=C ${primary}sum -- "$@" || echo "${TAG} Z"; fi`);
  return out.join('\n');
}

function alg(q: FileQuery): ChecksumAlgorithm {
  const a = q.checksum === false || q.checksum === undefined ? 'sha256' : q.checksum;
  if (!CHECKSUM_ALGORITHMS.includes(a)) throw new Error(`unknown checksum algorithm ${a}`);
  return a;
}

/** File type from the st_mode type bits. */
function typeOf(rawMode: number): FileType {
  switch (rawMode & 0o170000) {
    case 0o100000: return 'file';
    case 0o040000: return 'directory';
    case 0o120000: return 'link';
    case 0o020000: return 'char';
    case 0o060000: return 'block';
    case 0o010000: return 'fifo';
    case 0o140000: return 'socket';
    default: return 'other';
  }
}

export function formatMode(bits: number): string {
  return (bits & 0o7777).toString(8).padStart(4, '0');
}

const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

function applyStat(st: FileState, val: string): void {
  const f = val.split('\t');
  if (f.length < 12) throw new ModuleError(`unexpected stat output for ${st.path}: ${val}`);
  const raw = parseInt(f[0]!, 16);
  st.exists = true;
  st.type = typeOf(raw);
  st.mode = formatMode(raw);
  st.uid = Number(f[1]);
  st.gid = Number(f[2]);
  st.owner = f[3] === 'UNKNOWN' ? undefined : f[3];
  st.group = f[4] === 'UNKNOWN' ? undefined : f[4];
  st.size = Number(f[5]);
  st.inode = Number(f[6]);
  st.dev = Number(f[7]);
  st.nlink = Number(f[8]);
  st.atime = Number(f[9]);
  st.mtime = Number(f[10]);
  st.ctime = Number(f[11]);
}

/**
 * Parse the output of fileStateScript. Throws a ModuleError when the target
 * reported an error for a path (permission denied …) or a record is missing.
 */
export function parseFileStates(stdout: string, queries: readonly FileQuery[]): FileState[] {
  const states: FileState[] = queries.map((q) => ({ path: q.path, exists: false }));
  const seen = new Set<number>();
  // Batched records (one stat run, one checksum run) come in the order an E / K line announced.
  let statQueue: number[] = [];
  let sumQueue: { alg: ChecksumAlgorithm; indexes: number[] } = { alg: 'sha256', indexes: [] };
  const record = (i: number, kind: string, val: string) => {
    const st = states[i];
    if (!st) return;
    seen.add(i);
    switch (kind) {
      case 'A':
        st.exists = false;
        break;
      case 'X':
        throw new ModuleError(`cannot read ${st.path}: ${b64(val).trim()}`);
      case 'S':
        applyStat(st, val);
        break;
      case 'L':
        st.linkTarget = b64(val);
        break;
      case 'R':
        st.realPath = b64(val);
        break;
      case 'P':
        st.readable = val[0] === '1';
        st.writeable = val[1] === '1';
        st.executable = val[2] === '1';
        break;
      case 'D': {
        // At most max+1 bytes are sent: one more than allowed means "too large".
        const content = Buffer.from(val, 'base64');
        const q = queries[i]!;
        if (q.contentMaxBytes !== undefined && content.length > q.contentMaxBytes) st.contentTooLarge = true;
        else {
          st.content = content;
          // Fetched anyway: checksummed here instead of by another process on the target.
          if (q.checksum !== false) {
            st.checksumAlgorithm = alg(q);
            st.checksum = digestHex(content, st.checksumAlgorithm);
          }
        }
        break;
      }
      case 'B':
        st.contentTooLarge = true;
        break;
    }
  };
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(TAG + ' ')) {
      // A checksum tool's line: "<hex>  <name>" (a leading backslash when the name was escaped).
      if (sumQueue.indexes.length && line) {
        const i = sumQueue.indexes.shift()!;
        const sum = line.replace(/^\\/, '').split(' ')[0]!;
        if (!/^[0-9a-f]+$/.test(sum)) throw new ModuleError(`cannot checksum ${queries[i]!.path}: ${line}`);
        states[i]!.checksumAlgorithm = sumQueue.alg;
        states[i]!.checksum = sum;
      }
      continue;
    }
    const rest = line.slice(TAG.length + 1);
    if (rest === 'Z') throw new ModuleError(`reading ${queries.map((q) => q.path).join(', ')} failed: a path changed while it was read`);
    let m = /^E((?: \d+)*)$/.exec(rest);
    if (m) {
      statQueue = m[1]!.trim().split(' ').filter(Boolean).map(Number);
      continue;
    }
    m = /^K (\w+)((?: \d+)*)$/.exec(rest);
    if (m) {
      sumQueue = { alg: m[1] as ChecksumAlgorithm, indexes: m[2]!.trim().split(' ').filter(Boolean).map(Number) };
      continue;
    }
    if (rest.startsWith('S\t')) {
      const i = statQueue.shift();
      if (i === undefined) throw new ModuleError('unexpected stat record (no path announced)');
      record(i, 'S', rest.slice(2));
      continue;
    }
    m = /^(\d+) ([A-Z])(?:[ \t](.*))?$/.exec(rest);
    if (m) record(Number(m[1]), m[2]!, m[3] ?? '');
  }
  if (statQueue.length || sumQueue.indexes.length) {
    throw new ModuleError(`incomplete file state for ${queries.map((q) => q.path).join(', ')} (unexpected output)`);
  }
  for (let i = 0; i < queries.length; i++) {
    if (!seen.has(i)) throw new ModuleError(`no file state reported for ${queries[i]!.path} (unexpected output)`);
  }
  return states;
}
