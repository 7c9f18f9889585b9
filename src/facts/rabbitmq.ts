/**
 * A RabbitMQ user as `rabbitmqctl` sees it, in one round trip: the users
 * (`list_users --formatter json`), the user's permissions, and whether the
 * wanted password is the current one — `rabbitmqctl authenticate_user USER`
 * with the password on stdin (3.10 reads it from stdin when the argument is
 * left out), so a changed password is detected without reading any hash.
 * Right after a boot, when the broker's unit is active but its app still
 * starting, the read waits for it (`await_startup`) once. Read on every use.
 */
import { ModuleError } from '../util/errors.js';
import { shq } from '../util/shell.js';
import type { Fact } from './fact.js';

export interface RabbitUserState {
  exists: boolean;
  tags: string[];
  /** Permissions on the wanted vhost, if any. */
  perms?: { configure: string; write: string; read: string };
  /** Did authenticate_user accept the wanted password? absent: not asked. */
  passwordOk?: boolean;
}

const MARK = '@drover-rmq';

/** The read command (pure). stdin: the wanted password (when one is given). */
export function readCommand(user: string, vhost: string, withPassword: boolean, node?: string): string {
  const ctl = `rabbitmqctl${node ? ` -n ${shq(node)}` : ''}`;
  const u = shq(user);
  return [
    withPassword ? 'IFS= read -r pw' : ':',
    // Just after a boot the broker's unit is active before its app is: wait for it once, then read again.
    `echo "${MARK} users"; ${ctl} -q list_users --formatter json 2>/dev/null || { ${ctl} -q await_startup --timeout 120 >/dev/null && ${ctl} -q list_users --formatter json; } || exit $?`,
    `echo "${MARK} perms"; ${ctl} -q list_user_permissions ${u} --formatter json 2>/dev/null`,
    withPassword ? `echo "${MARK} auth"; printf '%s' "$pw" | ${ctl} -q authenticate_user ${u} >/dev/null 2>&1; echo "rc=$?"; pw=` : ':',
    `echo "${MARK} end"`,
  ].join('\n');
}

export function parseRead(stdout: string, user: string, vhost: string): RabbitUserState {
  const parts = new Map<string, string>();
  let cur: string | undefined;
  for (const line of stdout.split('\n')) {
    const m = new RegExp(`^${MARK} (\\w+)$`).exec(line);
    if (m) {
      cur = m[1];
      parts.set(cur!, '');
    } else if (cur) parts.set(cur, parts.get(cur)! + line + '\n');
  }
  const users = JSON.parse(parts.get('users')?.trim() || '[]') as Array<{ user: string; tags: string[] | string }>;
  const me = users.find((u) => u.user === user);
  if (!me) return { exists: false, tags: [] };
  const tags = Array.isArray(me.tags) ? me.tags : String(me.tags).split(/[\s,]+/).filter(Boolean);
  const out: RabbitUserState = { exists: true, tags };
  const permText = parts.get('perms')?.trim();
  if (permText) {
    const list = JSON.parse(permText) as Array<{ vhost: string; configure: string; write: string; read: string }>;
    const p = list.find((x) => x.vhost === vhost);
    if (p) out.perms = { configure: p.configure, write: p.write, read: p.read };
  }
  const auth = /rc=(\d+)/.exec(parts.get('auth') ?? '');
  if (auth) out.passwordOk = auth[1] === '0';
  return out;
}

export interface RabbitUserParams {
  user: string;
  vhost: string;
  /** Checked with authenticate_user; travels on stdin. */
  password?: string;
  node?: string;
}

/** RabbitMQ is not installed (yet): check mode may predict an earlier task installs it. */
export interface RabbitMissing {
  not_installed: string;
}

/** `rabbitmq.user` (key: user@vhost). */
export const rabbitUserFact: Fact<RabbitUserParams, RabbitUserState | RabbitMissing> = {
  name: 'rabbitmq.user',
  key: (p) => `${p.user}@${p.vhost}`,
  command: (p) => readCommand(p.user, p.vhost, p.password !== undefined, p.node),
  stdin: (p) => (p.password !== undefined ? `${p.password}\n` : undefined),
  cached: false,
  parse(r, p) {
    const cmd = readCommand(p.user, p.vhost, p.password !== undefined, p.node);
    if (r.rc !== 0 || !r.stdout.includes(`${MARK} end`)) {
      const msg = `reading RabbitMQ user ${p.user} failed (rc ${r.rc}): ${r.stderr.trim() || r.stdout.trim()}`;
      if (r.rc === 127 || /command not found/.test(r.stderr)) return { not_installed: msg };
      throw new ModuleError(msg, cmd, r.stderr, r.rc);
    }
    try {
      return parseRead(r.stdout, p.user, p.vhost);
    } catch (e) {
      throw new ModuleError(`unexpected rabbitmqctl output: ${(e as Error).message}`, cmd, r.stdout);
    }
  },
};
