/**
 * A RabbitMQ user as the broker sees it, with one read (erl_call, else one
 * `rabbitmqctl eval`: an Erlang VM start, ~1-2 s on a lab node; three
 * `rabbitmqctl` commands cost three): whether it exists, its tags, its
 * permissions on the vhost, and its salted password hash, which drover
 * checks against the wanted password here (RabbitMQ's own hashing: 4 bytes of
 * salt, then HASH(salt ++ password)), so the password never travels to the
 * target at all. The names go into the
 * Erlang expression base64-encoded: no quoting of user input in Erlang.
 * Right after a boot, when the broker's unit is active but its app still
 * starting, the read waits for it (`await_startup`) once. Read on every use.
 */
import { createHash } from 'node:crypto';
import { ModuleError } from '../util/errors.js';
import { shq } from '../util/shell.js';
import type { Fact } from './fact.js';

export interface RabbitUserState {
  exists: boolean;
  tags: string[];
  /** Permissions on the wanted vhost, if any. */
  perms?: { configure: string; write: string; read: string };
  /** Is the wanted password the stored one? absent: not asked. */
  passwordOk?: boolean;
}

/** The Erlang expression (pure): M, the map of what the broker holds for the user; then `result` of its base64 JSON. */
function evalExpression(user: string, vhost: string, result = (b64Json: string) => `${b64Json}.`): string {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  return [
    `U = base64:decode(<<"${b64(user)}">>), V = base64:decode(<<"${b64(vhost)}">>),`,
    'M = case rabbit_auth_backend_internal:lookup_user(U) of',
    ' {ok, R} -> #{exists => true, tags => [atom_to_binary(T) || T <- internal_user:get_tags(R)],',
    '   hash => base64:encode(internal_user:get_password_hash(R)), algorithm => atom_to_binary(internal_user:get_hashing_algorithm(R)),',
    '   perms => [maps:from_list(P) || P <- rabbit_auth_backend_internal:list_user_permissions(U), proplists:get_value(vhost, P) =:= V]};',
    ' {error, not_found} -> #{exists => false}',
    `end, ${result('base64:encode(rabbit_json:encode(M))')}`,
  ].join(' ');
}

/** erl_call's node option for rabbitmqctl's `-n` (default: rabbit on this host, as rabbitmqctl's). */
function erlCallNode(node?: string): string {
  if (!node) return '-sname rabbit';
  const host = node.includes('@') ? node.slice(node.indexOf('@') + 1) : '';
  return `${host.includes('.') ? '-name' : '-sname'} ${shq(node)}`;
}

/**
 * The read command (pure). First `erl_call` (Erlang's small C client, in
 * erlang-base with the broker): it asks the running broker over Erlang
 * distribution with the broker's own cookie (read from the rabbitmq user's
 * home, never on a command line) in ~15 ms, where `rabbitmqctl eval` starts
 * an Erlang VM (~0.7 s). erl_call prints nothing and exits 0 when the
 * expression fails, so only its binary counts; anything else (no erl_call, a
 * node of another name, a broker still starting) falls back to rabbitmqctl.
 */
export function readCommand(user: string, vhost: string, node?: string): string {
  const ctl = `rabbitmqctl${node ? ` -n ${shq(node)}` : ''} -q`;
  const read = `${ctl} eval ${shq(evalExpression(user, vhost))}`;
  const printed = evalExpression(user, vhost, (b64Json) => `io:format("<<\\"~s\\">>~n", [${b64Json}]).`);
  const quick = `_o=$(printf '%s\\n' ${shq(printed)} | HOME=~rabbitmq erl_call ${erlCallNode(node)} -fetch_stdout -no_result_term -e 2>/dev/null) && case $_o in '<<"'*) printf '%s\\n' "$_o";; *) false;; esac`;
  // Just after a boot the broker's unit is active before its app is: wait for it once, then read again.
  return `${quick} || ${read} 2>/dev/null || { ${ctl} await_startup --timeout 120 >/dev/null && ${read}; }`;
}

/** RabbitMQ's password hashing modules (rabbit_password:hashing_mod/1; undefined = the legacy MD5). */
const HASHES: Readonly<Record<string, string>> = {
  rabbit_password_hashing_sha256: 'sha256',
  rabbit_password_hashing_sha512: 'sha512',
  rabbit_password_hashing_md5: 'md5',
  undefined: 'md5',
};

/** Does `password` match a stored salted hash? undefined: a hashing module drover does not know. */
export function passwordMatches(algorithm: string, hashBase64: string, password: string): boolean | undefined {
  const alg = HASHES[algorithm];
  if (!alg) return undefined;
  const stored = Buffer.from(hashBase64, 'base64');
  if (stored.length <= 4) return false; // no password (clear_password): nothing matches
  const salt = stored.subarray(0, 4);
  return createHash(alg).update(Buffer.concat([salt, Buffer.from(password, 'utf8')])).digest().equals(stored.subarray(4));
}

interface Held {
  exists: boolean;
  tags?: string[];
  hash?: string;
  algorithm?: string;
  perms?: Array<{ vhost: string; configure: string; write: string; read: string }>;
}

/** What eval printed: an Erlang binary `<<"base64">>`, possibly split over lines as `<<"…"\n "…">>`. */
export function parseRead(stdout: string, user: string, vhost: string, password?: string): RabbitUserState {
  const m = /<<([\s\S]*)>>/.exec(stdout);
  if (!m) throw new Error(`no <<"…">> binary in ${JSON.stringify(stdout.slice(0, 200))}`);
  const b64 = [...m[1]!.matchAll(/"([A-Za-z0-9+/=]*)"/g)].map((x) => x[1]).join('');
  const held = JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) as Held;
  if (!held.exists) return { exists: false, tags: [] };
  const out: RabbitUserState = { exists: true, tags: held.tags ?? [] };
  const p = held.perms?.find((x) => x.vhost === vhost);
  if (p) out.perms = { configure: p.configure, write: p.write, read: p.read };
  if (password !== undefined) {
    const ok = passwordMatches(held.algorithm ?? 'undefined', held.hash ?? '', password);
    if (ok === undefined) throw new ModuleError(`RabbitMQ user ${user}'s password is hashed with ${held.algorithm}, which drover cannot check: set update_password: on_create`);
    out.passwordOk = ok;
  }
  return out;
}

export interface RabbitUserParams {
  user: string;
  vhost: string;
  /** Checked here against the stored hash; never sent to the target. */
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
  command: (p) => readCommand(p.user, p.vhost, p.node),
  cached: false,
  parse(r, p) {
    const cmd = readCommand(p.user, p.vhost, p.node);
    if (r.rc !== 0) {
      const msg = `reading RabbitMQ user ${p.user} failed (rc ${r.rc}): ${r.stderr.trim() || r.stdout.trim()}`;
      if (r.rc === 127 || /command not found/.test(r.stderr)) return { not_installed: msg };
      throw new ModuleError(msg, cmd, r.stderr, r.rc);
    }
    try {
      return parseRead(r.stdout, p.user, p.vhost, p.password);
    } catch (e) {
      if (e instanceof ModuleError) throw e;
      throw new ModuleError(`unexpected rabbitmqctl output: ${(e as Error).message}`, cmd, r.stdout);
    }
  },
};
