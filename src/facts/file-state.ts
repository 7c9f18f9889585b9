import { ModuleError } from '../util/errors.js';
import { shq } from '../util/shell.js';
import type { ExecOptions, ExecResult } from '../transport/connection.js';

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
  /** readlink -f of the path (only with follow). */
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

// One shell function, run once per path inside a subshell (so nothing leaks
// into a long-lived shell). Record kinds: A absent, S stat line, L link
// target, R real path, C checksum, D content, B content too big, P access,
// X error (base64 message). Names/paths that may hold odd bytes are base64.
// Few processes per path (this runs before every file task): existence and
// access come from shell builtins, stat prints its record straight to stdout,
// and only a missing path costs a second stat to tell "absent" from "denied".
const FUNCTION = String.raw`_dfs() {
  i=$1; p=$2; fo=$3; alg=$4; max=$5; acc=$6
  if [ "$fo" = 1 ]; then L=-L; else L=; fi
  if ! { [ -e "$p" ] || { [ -z "$L" ] && [ -L "$p" ]; }; }; then
    if ! s=$(LC_ALL=C stat $L -c %f -- "$p" 2>&1); then
      case $s in
        *'No such file or directory'*|*'Not a directory'*) echo "${TAG} $i A"; return 0;;
      esac
      echo "${TAG} $i X $(printf '%s' "$s" | base64 -w0)"; return 0
    fi
  fi
  if ! LC_ALL=C stat $L --printf "${TAG} $i S\t%f\t%u\t%g\t%U\t%G\t%s\t%i\t%d\t%h\t%X\t%Y\t%Z\n" -- "$p" 2>/dev/null; then
    echo "${TAG} $i X $(printf 'stat failed for %s' "$p" | base64 -w0)"; return 0
  fi
  if [ -L "$p" ]; then printf '${TAG} %s L ' "$i"; readlink -- "$p" | tr -d '\n' | base64 -w0; echo; fi
  if [ "$fo" = 1 ]; then printf '${TAG} %s R ' "$i"; readlink -f -- "$p" | tr -d '\n' | base64 -w0; echo; fi
  if [ "$acc" = 1 ]; then
    r=0; w=0; x=0; [ -r "$p" ] && r=1; [ -w "$p" ] && w=1; [ -x "$p" ] && x=1
    echo "${TAG} $i P $r$w$x"
  fi
  if [ -f "$p" ] && { [ "$fo" = 1 ] || [ ! -L "$p" ]; }; then
    if [ ! -r "$p" ] && { [ -n "$alg" ] || [ "$max" -ge 0 ]; }; then
      echo "${TAG} $i X $(printf '%s: Permission denied' "$p" | base64 -w0)"; return 0
    fi
    if [ -n "$alg" ]; then printf '${TAG} %s C %s ' "$i" "$alg"; "$alg"sum < "$p" || echo; fi
    if [ "$max" -ge 0 ]; then printf '${TAG} %s D ' "$i"; head -c $((max + 1)) -- "$p" | base64 -w0; echo; fi
  fi
  return 0
}`;

/** The shell command that reads every queried path (pure: tested by running it). */
export function fileStateScript(queries: readonly FileQuery[]): string {
  const calls = queries.map((q, i) => {
    const alg = q.checksum === false ? '' : (q.checksum ?? 'sha256');
    if (alg && !CHECKSUM_ALGORITHMS.includes(alg)) throw new Error(`unknown checksum algorithm ${alg}`);
    const max = q.contentMaxBytes === undefined ? -1 : Math.max(0, Math.floor(q.contentMaxBytes));
    return `_dfs ${i} ${shq(q.path)} ${q.follow ? 1 : 0} ${shq(alg)} ${max} ${q.access ? 1 : 0}`;
  });
  return `(\n${FUNCTION}\n${calls.join('\n')}\n)`;
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

/**
 * Parse the output of fileStateScript. Throws a ModuleError when the target
 * reported an error for a path (permission denied …) or a record is missing.
 */
export function parseFileStates(stdout: string, queries: readonly FileQuery[]): FileState[] {
  const states: FileState[] = queries.map((q) => ({ path: q.path, exists: false }));
  const seen = new Set<number>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(TAG + ' ')) continue;
    const rest = line.slice(TAG.length + 1);
    const m = /^(\d+) ([A-Z])(?:[ \t](.*))?$/.exec(rest);
    if (!m) continue;
    const i = Number(m[1]);
    const st = states[i];
    if (!st) continue;
    const kind = m[2];
    const val = m[3] ?? '';
    seen.add(i);
    switch (kind) {
      case 'A':
        st.exists = false;
        break;
      case 'X':
        throw new ModuleError(`cannot read ${st.path}: ${b64(val).trim()}`);
      case 'S': {
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
        break;
      }
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
      case 'C': {
        // "<alg> <hex>  -" (the checksum tool's own output after the tag)
        const [alg, sum] = val.split(' ');
        if (!sum) throw new ModuleError(`cannot checksum ${st.path}`);
        st.checksumAlgorithm = alg as ChecksumAlgorithm;
        st.checksum = sum;
        break;
      }
      case 'D': {
        // At most max+1 bytes are sent: one more than allowed means "too large".
        const content = Buffer.from(val, 'base64');
        const max = queries[i]!.contentMaxBytes;
        if (max !== undefined && content.length > max) st.contentTooLarge = true;
        else st.content = content;
        break;
      }
      case 'B':
        st.contentTooLarge = true;
        break;
    }
  }
  for (let i = 0; i < queries.length; i++) {
    if (!seen.has(i)) throw new ModuleError(`no file state reported for ${queries[i]!.path} (unexpected output)`);
  }
  return states;
}

type Exec = (command: string, opts?: ExecOptions) => Promise<ExecResult>;

/** Read the state of several paths in one command. */
export async function readFileStates(exec: Exec, queries: readonly FileQuery[]): Promise<FileState[]> {
  if (queries.length === 0) return [];
  const cmd = fileStateScript(queries);
  const r = await exec(cmd);
  if (r.rc !== 0) {
    throw new ModuleError(`reading file state of ${queries.map((q) => q.path).join(', ')} failed (rc ${r.rc})`, cmd, r.stderr, r.rc);
  }
  return parseFileStates(r.stdout, queries);
}

export async function readFileState(exec: Exec, query: FileQuery): Promise<FileState> {
  return (await readFileStates(exec, [query]))[0]!;
}
