/**
 * The one way an integration test file gets its SSH test server: call
 * `useSshd()` (or `useSshdTarget()`) at the top of the file. It registers the
 * vitest beforeAll that starts the sshd (and opens the connection) and the
 * afterAll that closes and stops everything, and returns a handle that is
 * filled in when beforeAll has run: read it inside hooks and tests only.
 * Hooks the file registers after the call run after the sshd is up, and
 * their afterAll before it is stopped (vitest runs after-hooks in reverse).
 */
import { afterAll, beforeAll } from 'vitest';
import type { TaskContext } from '../../src/modules/types.js';
import { SshConnection } from '../../src/transport/ssh.js';
import { sshSpec, startSshd, type Sshd } from './sshd.js';
import { makeTaskContext, type TaskContextOptions } from './task-context.js';

/** A loopback sshd for this test file (started in beforeAll, stopped in afterAll). */
export function useSshd(): Sshd {
  let sshd: Sshd | undefined;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });
  return new Proxy({} as Sshd, {
    get(_, key) {
      if (!sshd) throw new Error(`useSshd: sshd.${String(key)} read before beforeAll started the sshd`);
      return Reflect.get(sshd, key);
    },
  });
}

/** A target for module tests: a sshd, one open connection to it, a work directory on it. */
export interface SshdTarget {
  readonly sshd: Sshd;
  /** Logged in as the sshd's user (drover-t1, NOPASSWD sudo). */
  readonly conn: SshConnection;
  /** A directory made on the target for this file (removed, with sudo, in afterAll). */
  readonly work: string;
  /** Run a shell command on the target; its stdout. */
  sh(command: string): Promise<string>;
  /** A fresh directory under `work`, one per call. */
  fresh(): Promise<string>;
  /** The sorted names in a target directory (`ls -A`). */
  listing(dir: string): Promise<string[]>;
  /** A TaskContext over `conn` (see makeTaskContext). */
  ctx(o?: TaskContextOptions): TaskContext;
}

/** `useSshd()` plus an open connection and a work directory `/tmp/drover-<name>-XXXXXX` on the target. */
export function useSshdTarget(name: string): SshdTarget {
  const sshd = useSshd();
  let conn: SshConnection | undefined;
  let work: string | undefined;
  let n = 0;
  beforeAll(async () => {
    conn = new SshConnection(sshSpec(sshd, { name: 'target' }));
    await conn.open();
    work = (await conn.exec(`mktemp -d /tmp/drover-${name}-XXXXXX`)).stdout.trim();
  });
  afterAll(async () => {
    if (work) await conn?.exec(`sudo rm -rf ${work}`);
    await conn?.close();
  });
  const ready = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`useSshdTarget: ${what} read before beforeAll set it up`);
    return v;
  };
  const target: SshdTarget = {
    sshd,
    get conn() {
      return ready(conn, 'conn');
    },
    get work() {
      return ready(work, 'work');
    },
    sh: async (command) => (await target.conn.exec(command)).stdout,
    fresh: async () => (await target.sh(`d=${target.work}/t${++n}; mkdir -p $d; echo $d`)).trim(),
    listing: async (dir) => (await target.sh(`ls -A ${dir}`)).split('\n').filter(Boolean).sort(),
    ctx: (o = {}) => makeTaskContext(target.conn, o),
  };
  return target;
}
