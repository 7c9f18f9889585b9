import { posix } from 'node:path';
import { ModuleError } from '../../util/errors.js';
import { shq } from '../../util/shell.js';
import type { ExecOptions, ExecResult } from '../../transport/connection.js';

/**
 * Atomic file writes on the target. The content travels on stdin (never in
 * argv: it may hold secrets); the script writes a temp file in the target's
 * directory, fsyncs it, gives it its final owner and mode, optionally
 * validates it, then renames it over the target. A reader sees the old file
 * or the new one, never a half-written file or one with wrong permissions.
 * On any failure (disk full, validation) the temp file is removed and the
 * original is untouched.
 */

export interface AtomicWriteOptions {
  dest: string;
  /** New content, sent on stdin. */
  content?: Buffer | string;
  /** Or: copy this file that is already on the target (copy remote_src). */
  remoteSource?: string;
  /** chmod argument ('0644' or symbolic). Undefined: keep dest's mode, or 0666 & ~umask for a new file. */
  mode?: string;
  /** Undefined: keep dest's owner/group (when permitted), or the writer's for a new file. */
  owner?: string;
  group?: string;
  /** Copy the old file to dest.PID.DATE@TIME~ first (Ansible's naming). */
  backup?: boolean;
  /** Command run on the temp file before the rename; `%s` is its path (e.g. 'visudo -cf %s'). */
  validate?: string;
  /**
   * Ansible's unsafe_writes: when the rename cannot replace dest (a bind-mounted
   * file such as Docker's /etc/hosts: EBUSY), write the content into dest in place.
   */
  unsafeWrites?: boolean;
}

export interface AtomicWriteResult {
  backupFile?: string;
}

/** Exit status of the script when `validate` rejected the new content. */
export const VALIDATE_FAILED = 3;

const DONE = '@drover-written';
const BACKUP = '@drover-backup ';

/** The shell script that performs the write (pure; run by atomicWrite). */
export function atomicWriteScript(o: AtomicWriteOptions): string {
  if ((o.content === undefined) === (o.remoteSource === undefined)) throw new Error('atomicWrite needs exactly one of content, remoteSource');
  const dir = posix.dirname(o.dest);
  const base = posix.basename(o.dest);
  const lines = [
    `d=${shq(dir)}; dest=${shq(o.dest)}`,
    `um=$(umask)`,
    // Hidden temp name in the same directory: rename within a filesystem is atomic.
    `tmp=$(mktemp -- "$d/.${base.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60)}.drover-XXXXXX") || { echo "drover: cannot create a temporary file in $d" >&2; exit 1; }`,
    `trap 'rm -f -- "$tmp"' EXIT`,
    `trap 'exit 143' HUP INT TERM`,
    `fail() { echo "drover: $*" >&2; exit 1; }`,
    o.content !== undefined
      ? `cat > "$tmp" || fail "writing $dest failed: cannot write temporary file $tmp (disk full?)"`
      : `cat -- ${shq(o.remoteSource!)} > "$tmp" || fail "copying ${o.remoteSource} to $dest failed (disk full?)"`,
    `sync -- "$tmp" || fail "fsync of $tmp failed"`,
    // Start from dest's current owner and mode (or the default mode of a new file) …
    `if [ -e "$dest" ]; then chown --reference="$dest" -- "$tmp" 2>/dev/null; chmod --reference="$dest" -- "$tmp" || fail "chmod of $tmp failed"`,
    `else chmod -- "$(printf '%o' $(( 0666 & ~0$um )))" "$tmp" || fail "chmod of $tmp failed"; fi`,
  ];
  // … then the wanted owner and mode: chown first, it may clear setuid bits.
  if (o.owner !== undefined || o.group !== undefined) {
    const spec = `${o.owner ?? ''}${o.group !== undefined ? ':' + o.group : ''}`;
    lines.push(`chown -- ${shq(spec)} "$tmp" || fail ${shq(`chown ${spec} failed`)}`);
  }
  if (o.mode !== undefined) lines.push(`chmod -- ${shq(o.mode)} "$tmp" || fail ${shq(`chmod ${o.mode} failed`)}`);
  if (o.validate !== undefined) {
    const cmd = o.validate.replaceAll('%s', '"$tmp"');
    // Exported: a %s inside single quotes (`sh -c 'nginx -t -c %s'`) is expanded by the inner shell.
    lines.push('export tmp');
    lines.push(`{ ${cmd} ; } >&2 || { rc=$?; echo ${shq(`drover: validation failed: ${o.validate}`)}" (rc $rc)" >&2; exit ${VALIDATE_FAILED}; }`);
  }
  if (o.backup) {
    lines.push(
      `if [ -e "$dest" ]; then b="$dest.$$.$(date +%Y-%m-%d@%H:%M:%S)~"; cp -p -- "$dest" "$b" || fail "backup of $dest failed"; echo "${BACKUP}$b"; fi`,
    );
  }
  lines.push(
    o.unsafeWrites
      ? `mv -f -- "$tmp" "$dest" 2>/dev/null || { echo "drover: cannot rename over $dest (a mount point?): writing it in place (unsafe_writes)" >&2; cat -- "$tmp" > "$dest" || fail "writing $dest in place failed"; }`
      : `mv -f -- "$tmp" "$dest" || fail "rename of $tmp to $dest failed (a mount point such as Docker's /etc/hosts? set unsafe_writes: true)"`,
  );
  // Make the rename itself durable; best effort (not every fs allows fsync on a directory).
  lines.push(`sync -- "$d" 2>/dev/null`);
  lines.push(`echo ${DONE}`);
  // A subshell: exit and traps stay inside, even in a long-lived shell.
  return `(\n${lines.join('\n')}\n)`;
}

type Exec = (command: string, opts?: ExecOptions) => Promise<ExecResult>;

/** Write a file atomically on the target; throws a ModuleError naming the step and stderr. */
export async function atomicWrite(exec: Exec, o: AtomicWriteOptions): Promise<AtomicWriteResult> {
  const script = atomicWriteScript(o);
  const r = await exec(script, o.content !== undefined ? { stdin: o.content } : undefined);
  const stderr = r.stderr.trim();
  if (r.rc !== 0 || !r.stdout.includes(DONE)) {
    const why = r.rc === VALIDATE_FAILED ? 'validation failed' : 'write failed';
    throw new ModuleError(`${why} for ${o.dest}: ${stderr || `rc ${r.rc}`}`, `atomic write of ${o.dest}`, r.stderr, r.rc);
  }
  const m = r.stdout.split('\n').find((l) => l.startsWith(BACKUP));
  return m ? { backupFile: m.slice(BACKUP.length) } : {};
}
