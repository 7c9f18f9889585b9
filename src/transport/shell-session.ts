/**
 * One long-lived shell per (host, user), fed commands on its stdin and framed
 * by random end markers. A new SSH exec channel per command costs ~2.6 ms on
 * loopback (sshd starts a login shell each time); reusing one shell is ~3x
 * cheaper (bench/overhead.ts).
 *
 * Each command runs in a subshell (so `exit`, `cd` or `set -e` never reach the
 * session), as a foreground job: under `set -m` bash gives every job its own
 * process group even without a tty, so a timeout can kill the command and
 * everything it started (dash cannot; on an sh-only target the timeout kills
 * the job's main process only). After the job the shell prints
 * `<token><rc>\n` on stdout and `<token>` on stderr; output is everything
 * before the token, byte for byte.
 *
 * Timeouts are kept on the controller: when one passes, a second, short-lived
 * shell for the same user (ShellStartOptions.kill) signals the jobs of this
 * session's shell. Nothing runs per command for a timeout that never fires
 * (a watchdog armed and disarmed per command cost ~0.1 ms of the ~1 ms a
 * command takes).
 */
import type { Readable, Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { ExecOptions, ExecResult } from './connection.js';
import { CommandTimeoutError, InputError, UnreachableError } from '../util/errors.js';
import { shq } from '../util/shell.js';
import { BecomeError } from './errors.js';
import { StreamCapture, splitBound } from './output-capture.js';

/** The three pipes of a shell process or SSH channel, plus how to end it. */
export interface ShellStreams {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Kill the process / close the channel. */
  destroy(): void;
  /** Called once when the process or channel is gone. */
  onClose(cb: (reason: string) => void): void;
}

export interface ShellStartOptions {
  /** Host name for errors. */
  host: string;
  /** Become user this session runs as (for messages), undefined for the login user. */
  becomeUser?: string;
  /** Typed when sudo shows SUDO_PROMPT; never in argv, never logged. */
  becomePassword?: string;
  /** Fail if the shell is not ready within this time. */
  readyTimeoutMs: number;
  /**
   * Run a short sh script as the session's user, outside the session (its
   * shell is busy waiting for the command that timed out). Resolves when the
   * script has ended.
   */
  kill: (script: string) => Promise<void>;
}

/** Printed by the bootstrap once the shell is about to start; followed by `bash` or `sh` and the shell's PID. */
export const READY_MARK = '__drover_ready_7f3a__';
/** The prompt we ask sudo to print, so we know when (and how often) it wants the password. */
export const SUDO_PROMPT = '__drover_sudo_pw_7f3a__:';

/**
 * The command line that starts the session shell: announce readiness, then
 * replace ourselves by bash without profile or rc files (sh when no bash).
 */
export function bootstrapCommand(): string {
  return (
    `if command -v bash >/dev/null 2>&1; then printf '%s bash %s\\n' ${READY_MARK} $$; exec bash --noprofile --norc -s; ` +
    `else printf '%s sh %s\\n' ${READY_MARK} $$; exec sh -s; fi`
  );
}

/**
 * The bootstrap run through sudo as `user`. With a password, sudo reads it from
 * stdin (-S) after printing our unique prompt; without one, -n fails fast
 * instead of waiting for a password nobody will type.
 */
export function sudoCommand(user: string, withPassword: boolean): string {
  const auth = withPassword ? `-S -p ${shq(SUDO_PROMPT)}` : '-n';
  return `sudo ${auth} -H -u ${shq(user)} -- sh -c ${shq(bootstrapCommand())}`;
}

/** As root: switch user without sudo (no sudoers needed, no password). */
export function runuserCommand(user: string): string {
  return `runuser -u ${shq(user)} -- sh -c ${shq(bootstrapCommand())}`;
}

interface Pending {
  out: StreamCapture;
  err: StreamCapture;
  rcLine?: string;
  /** The controller's timer passed and the job was signalled. */
  timedOut: boolean;
  resolve: (r: { rc: number; timedOut: boolean }) => void;
  reject: (e: Error) => void;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class ShellSession {
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private dead: string | null = null;
  private isBash = true;
  /** PID of the session shell: its children are the jobs a timeout kills. */
  private pid = 0;

  private constructor(
    private streams: ShellStreams,
    readonly host: string,
    readonly becomeUser: string | undefined,
    private readonly kill: (script: string) => Promise<void>,
  ) {}

  /** True until the shell process or channel went away. */
  get alive(): boolean {
    return this.dead === null;
  }

  /** Which shell runs the commands: 'bash' (process groups, timeouts kill the tree) or 'sh'. */
  get shell(): 'bash' | 'sh' {
    return this.isBash ? 'bash' : 'sh';
  }

  /**
   * Wait for the bootstrap to announce itself (typing the sudo password if
   * sudo prompts for it), then set the shell up. Rejects with BecomeError when
   * sudo refuses, UnreachableError when the stream dies first.
   */
  static start(streams: ShellStreams, opts: ShellStartOptions): Promise<ShellSession> {
    const s = new ShellSession(streams, opts.host, opts.becomeUser, opts.kill);
    return s.handshake(opts).then(() => s);
  }

  private handshake(opts: ShellStartOptions): Promise<void> {
    const { stdout, stderr, stdin } = this.streams;
    return new Promise<void>((resolve, reject) => {
      let out = '';
      let err = '';
      let prompts = 0;
      let settled = false;
      const who = opts.becomeUser ? `become ${opts.becomeUser}` : 'shell';
      const finish = (e?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        stdout.off('data', onOut);
        stderr.off('data', onErr);
        if (e) {
          this.dead = e.message;
          this.streams.destroy();
          reject(e);
        } else {
          this.wire();
          resolve();
        }
      };
      const becomeFail = (why: string) =>
        finish(new BecomeError(opts.host, opts.becomeUser ?? '?', `become ${opts.becomeUser} failed: ${why}`, cleanSudo(err)));
      const onOut = (d: Buffer) => {
        out += d.toString('latin1');
        const i = out.indexOf(READY_MARK);
        if (i < 0) return;
        const nl = out.indexOf('\n', i);
        if (nl < 0) return;
        const [shell, pid] = out.slice(i + READY_MARK.length, nl).trim().split(/\s+/);
        this.isBash = shell === 'bash';
        this.pid = Number(pid) || 0;
        // fd 3 keeps the real stderr for jobs; the shell's own stderr (job
        // notices like "Terminated") goes to /dev/null so it never leaks into
        // the next command's stderr.
        stdin.write(sessionPreamble(this.isBash));
        finish();
      };
      const onErr = (d: Buffer) => {
        err += d.toString('utf8');
        const n = countOf(err, SUDO_PROMPT);
        if (n > prompts) {
          prompts = n;
          if (prompts > 1) return becomeFail('incorrect become password (sudo rejected it)');
          if (opts.becomePassword === undefined) return becomeFail('sudo asks for a password; set ansible_become_password');
          stdin.write(opts.becomePassword + '\n');
        }
        if (/is not in the sudoers file|not allowed to execute|may not run sudo/i.test(err))
          return becomeFail(`the login user may not use sudo to become ${opts.becomeUser}`);
        if (/a password is required/i.test(err)) return becomeFail('sudo asks for a password; set ansible_become_password');
        if (/incorrect password attempt|Sorry, try again/i.test(err)) return becomeFail('incorrect become password (sudo rejected it)');
      };
      const timer = setTimeout(() => {
        if (opts.becomeUser && err) becomeFail(`no shell after ${opts.readyTimeoutMs} ms: ${cleanSudo(err)}`);
        else finish(new UnreachableError(opts.host, `${who} did not start within ${opts.readyTimeoutMs} ms${err ? ': ' + err.trim() : ''}`));
      }, opts.readyTimeoutMs);
      stdout.on('data', onOut);
      stderr.on('data', onErr);
      this.streams.onClose((reason) => {
        if (settled) return;
        if (opts.becomeUser && err.trim()) return becomeFail(cleanSudo(err) || reason);
        finish(new UnreachableError(opts.host, `${who} ended before it was ready (${reason})${err ? ': ' + err.trim() : ''}`));
      });
      stdin.on('error', () => {
        /* reported through onClose */
      });
    });
  }

  /** After the handshake: route output to the command in flight. */
  private wire(): void {
    this.streams.stdout.on('data', (d: Buffer) => this.onData(d, 'out'));
    this.streams.stderr.on('data', (d: Buffer) => this.onData(d, 'err'));
    this.streams.onClose((reason) => this.fail(reason));
  }

  private fail(reason: string): void {
    if (this.dead === null) this.dead = reason;
    const p = this.pending;
    this.pending = null;
    p?.reject(new UnreachableError(this.host, `connection lost while a command was running (${reason})`, true));
  }

  private onData(d: Buffer, which: 'out' | 'err'): void {
    const p = this.pending;
    if (!p) return; // output of a daemon a previous command left behind
    const capture = which === 'out' ? p.out : p.err;
    if (capture.done) {
      if (which === 'out') p.rcLine = (p.rcLine ?? '') + d.toString('latin1');
    } else {
      // Output is everything before the token (which may straddle chunks); after it on stdout comes the exit status.
      const rest = capture.push(d);
      if (rest !== undefined && which === 'out') p.rcLine = rest.toString('latin1');
    }
    if (p.out.done && p.err.done && p.rcLine !== undefined && p.rcLine.includes('\n')) {
      const m = /^(\d+)\n/.exec(p.rcLine);
      this.pending = null;
      if (!m) return p.reject(new UnreachableError(this.host, `shell protocol error: bad end line ${JSON.stringify(p.rcLine)}`, true));
      p.resolve({ rc: Number(m[1]), timedOut: p.timedOut });
    }
  }

  /**
   * Run one command line. Commands on one session run one after another.
   * Rejects with CommandTimeoutError when the watchdog killed it, and with a
   * retryable UnreachableError when the shell or connection died meanwhile.
   */
  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const run = this.queue.then(
      () => this.run(command, opts),
      () => this.run(command, opts),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(command: string, opts: ExecOptions): Promise<ExecResult> {
    if (this.dead !== null) throw new UnreachableError(this.host, `shell is gone (${this.dead})`, true);
    const id = randomBytes(12).toString('hex');
    const token = `__drover_end_${id}__`;
    const script = this.frame(command, opts, token);
    const timeoutMs = opts.timeoutMs;
    const bound = opts.maxOutputBytes !== undefined ? splitBound(opts.maxOutputBytes) : undefined;
    const out = new StreamCapture(Buffer.from(token), bound);
    const err = new StreamCapture(Buffer.from(token), bound);
    const r = await new Promise<{ rc: number; timedOut: boolean }>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let backstop: NodeJS.Timeout | undefined;
      const done = <T>(f: (v: T) => void) => (v: T) => {
        clearTimeout(timer);
        clearTimeout(backstop);
        f(v);
      };
      const pending: Pending = { out, err, timedOut: false, resolve: done(resolve), reject: done(reject) };
      this.pending = pending;
      if (timeoutMs && timeoutMs > 0) {
        timer = setTimeout(() => {
          pending.timedOut = true;
          // Without a second shell (or a PID) the backstop below ends the session instead.
          Promise.resolve()
            .then(() => this.kill(killJobsScript(this.pid, this.isBash)))
            .catch(() => undefined);
        }, timeoutMs);
        // If even that cannot end it (no second shell, a process stuck in the kernel), give up on the shell.
        backstop = setTimeout(() => {
          if (this.pending !== pending) return;
          this.pending = null;
          this.dead = 'command did not end after its timeout';
          this.streams.destroy();
          pending.reject(new CommandTimeoutError(this.host, command, timeoutMs));
        }, timeoutMs + 15_000);
      }
      for (const part of script) this.streams.stdin.write(part);
    });
    if (r.timedOut) throw new CommandTimeoutError(this.host, command, timeoutMs ?? 0);
    if (!bound) return { stdout: out.bytes().toString('utf8'), stderr: err.bytes().toString('utf8'), rc: r.rc };
    const o = out.text();
    const e = err.text();
    return { stdout: o.text, stderr: e.text, rc: r.rc, ...(o.omitted || e.omitted ? { omitted: { stdout: o.omitted, stderr: e.omitted } } : {}) };
  }

  /**
   * The shell text for one command: optional stdin, then one call of __drv_run
   * (see sessionPreamble) with the command as a quoted argument (run through
   * eval inside the job, so its syntax error is its own failure, not a broken
   * session). Kept short: bash reads a script from a pipe byte by byte.
   */
  private frame(command: string, opts: ExecOptions, token: string): Buffer[] {
    const bash = this.isBash;
    const pre: string[] = [];
    if (opts.cwd) pre.push(`cd -- ${shq(opts.cwd)}`);
    for (const [k, v] of Object.entries(opts.env ?? {})) {
      if (!ENV_NAME.test(k)) throw new InputError(`invalid environment variable name ${JSON.stringify(k)}`);
      pre.push(`export ${k}=${shq(v)}`);
    }
    // One program with plain words: the job's shell becomes it (exec) instead of forking it.
    const body = isPlainExternalCommand(command) ? `exec ${command}` : pre.length ? `{\n${command}\n}` : command;
    const text = pre.length ? `${pre.join(' && ')} && ${body}` : body;
    let raw: Buffer | undefined;
    let hasStdin = 0;
    const lines: string[] = [];
    const input = opts.stdin !== undefined && opts.stdin.length > 0 ? Buffer.from(opts.stdin) : undefined;
    const doc = input && hereDocument(input, token);
    if (doc) {
      // Small input (a curl config, SQL, a password line) rides in the call as a
      // here-document: the shell feeds it to the job without starting a process.
      return [Buffer.from(`__drv_run ${token} 2 ${shq(text)} <<'${doc}'\n`), input, Buffer.from(`${doc}\n`)];
    }
    if (input) {
      hasStdin = 1;
      // Secrets arrive through the shell's stdin, never through argv.
      if (bash) {
        // bash reads its script from a pipe byte by byte, so `head -c N` can take
        // the next N raw bytes itself: 1 MB in ~30 ms instead of ~700 ms as a heredoc.
        raw = input;
        lines.push(`__drv_s=$(head -c ${raw.length} | base64 -w0)`);
      } else {
        const hd = `__DROVER_EOF_${token}`;
        const b64 = input.toString('base64').replace(/.{1,76}/g, '$&\n');
        lines.push(`__drv_s=$(cat <<'${hd}'`, b64 + hd, ')');
      }
    }
    const call = `__drv_run ${token} ${hasStdin} ${shq(text)}\n`;
    if (!raw) return [Buffer.from(lines.length ? lines.join('\n') + '\n' + call : call)];
    // The raw bytes follow the line that reads them.
    return [Buffer.from(lines.join('\n') + '\n'), raw, Buffer.from('\n' + call)];
  }

  /** End the shell: close its stdin (it exits at EOF), then the stream. */
  async close(): Promise<void> {
    if (this.dead !== null) return;
    this.dead = 'closed';
    try {
      this.streams.stdin.end('exit 0\n');
    } catch {
      /* already closed */
    }
    this.streams.destroy();
  }
}

/**
 * Sent once per session. fd 3 keeps the real stderr for jobs; the shell's own
 * stderr (job notices such as "Terminated") goes to /dev/null so it never
 * leaks into the next command's stderr. `__drv_run TOKEN HAS_STDIN COMMAND`
 * runs COMMAND in a subshell, a foreground job (its own process group under
 * bash's set -m); `set --` keeps the function's arguments out of the
 * command's $1, $2.
 */
export function sessionPreamble(bash: boolean): string {
  const withStdin = bash
    ? `( set --; eval "$__drv_c" ) < <(printf '%s' "$__drv_s" | base64 -d) 2>&3 3>&-`
    : `printf '%s' "$__drv_s" | base64 -d | ( set --; eval "$__drv_c" ) 2>&3 3>&-`;
  return [
    'exec 3>&2 2>/dev/null',
    bash ? 'set -m' : '',
    '__drv_run() {',
    '  __drv_c=$3',
    `  if [ "$2" = 1 ]; then ${withStdin}`,
    // 2: the input is the here-document on this call (the function's stdin).
    `  elif [ "$2" = 2 ]; then ( set --; eval "$__drv_c" ) 2>&3 3>&-`,
    `  else ( set --; eval "$__drv_c" ) </dev/null 2>&3 3>&-; fi`,
    `  printf '%s%s\\n' "$1" "$?"`,
    `  printf '%s' "$1" >&3`,
    '  unset __drv_c __drv_s',
    '}',
    '',
  ].join('\n');
}

/** Input up to this size may travel as a here-document (the shell reads its script a byte at a time: ~1 µs a byte). */
export const HERE_DOC_MAX = 8192;

/**
 * The delimiter for sending `input` as a quoted here-document, or undefined
 * when it cannot go that way byte for byte: a here-document always ends with
 * a newline and cannot hold NUL; larger input is cheaper through `head -c`.
 */
export function hereDocument(input: Buffer, token: string): string | undefined {
  if (input.length > HERE_DOC_MAX || input[input.length - 1] !== 0x0a || input.includes(0)) return undefined;
  const delim = `__DRV_IN_${token}`;
  // The token is random per command; a line equal to it cannot come from chance.
  return input.includes(delim) ? undefined : delim;
}

/**
 * Run from a second shell when a command's timeout passed: TERM the jobs of
 * the session shell PID (the whole process group under bash, the job's main
 * process under sh), then KILL what is left once the job's main process is
 * gone or 3 s later. Children come from /proc (ps where that is missing).
 */
export function killJobsScript(pid: number, bash: boolean): string {
  const sig = (s: string) => (bash ? `kill -${s} -$k 2>/dev/null || kill -${s} $k 2>/dev/null` : `kill -${s} $k 2>/dev/null`);
  // Never a PID of 0 or 1: their "children" are init and every session on the box.
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`no session shell PID to kill the jobs of (got ${pid})`);
  return [
    `m=${pid}`,
    'kids=$(cat /proc/$m/task/$m/children 2>/dev/null) || kids=$(ps -o pid= --ppid $m 2>/dev/null)',
    'k1=; for k in $kids; do [ "$k" -gt 1 ] 2>/dev/null && k1="$k1 $k"; done; kids=$k1',
    `for k in $kids; do ${sig('TERM')}; done`,
    'i=0',
    'while [ $i -lt 30 ]; do',
    '  alive=; for k in $kids; do kill -0 $k 2>/dev/null && alive=1; done',
    '  [ -z "$alive" ] && break',
    '  sleep 0.1; i=$((i + 1))',
    'done',
    `for k in $kids; do ${sig('KILL')}; done`,
    'exit 0',
  ].join('\n');
}

/** bash builtins and keywords: `exec` of these would run another program or fail. */
const SHELL_WORDS = new Set(
  (
    '. : [ alias bg bind break builtin caller cd command compgen complete compopt continue declare dirs disown echo enable eval exec exit ' +
    'export false fc fg getopts hash help history jobs kill let local logout mapfile popd printf pushd pwd read readarray readonly return ' +
    'set shift shopt source suspend test times trap true type typeset ulimit umask unalias unset wait ' +
    'if then else elif fi case esac for select while until do done in function time { } ! [[ ]] coproc'
  ).split(' '),
);
const PLAIN_WORD = String.raw`(?:[A-Za-z0-9_./:@%+,=-]|'[^']*'|\\')+`;
const PLAIN_COMMAND = new RegExp(`^${PLAIN_WORD}(?: +${PLAIN_WORD})*$`);

/**
 * True for one external program with literal words (what `shq` produces: no
 * expansions, redirections, operators or assignments): the shell may exec it
 * in place of the job's subshell. Builtins, keywords and anything else keep
 * the subshell.
 */
export function isPlainExternalCommand(command: string): boolean {
  if (!PLAIN_COMMAND.test(command)) return false;
  const first = command.split(' ', 1)[0]!;
  if (first.includes('=')) return false;
  const name = first.replace(/'([^']*)'/g, '$1').replace(/\\'/g, "'");
  return !SHELL_WORDS.has(name) && !name.startsWith('__drv');
}

function countOf(s: string, sub: string): number {
  let n = 0;
  for (let i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length)) n++;
  return n;
}

function cleanSudo(err: string): string {
  return err.split(SUDO_PROMPT).join('').trim();
}
