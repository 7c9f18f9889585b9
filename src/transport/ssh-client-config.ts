/**
 * OpenSSH client configuration (~/.ssh/config, /etc/ssh/ssh_config, or the
 * file given with -F), read with the `ssh-config` package: Host and Match
 * blocks, first value obtained wins (ssh_config(5)). drover honours the
 * directives that shape a connection it can make with ssh2: HostName, User,
 * Port, IdentityFile, ProxyJump (one hop), ProxyCommand ("ssh -W %h:%p …"),
 * StrictHostKeyChecking, UserKnownHostsFile, ConnectTimeout,
 * ServerAliveInterval; Include is followed. Other directives are left to
 * OpenSSH (nothing here changes how drover connects).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import SSHConfig from 'ssh-config';

/** The directives of one host, as drover uses them (paths expanded; values as written otherwise). */
export interface SshHostConfig {
  hostName?: string;
  user?: string;
  port?: string;
  identityFiles: string[];
  proxyJump?: string;
  proxyCommand?: string;
  strictHostKeyChecking?: string;
  userKnownHostsFiles: string[];
  connectTimeout?: string;
  serverAliveInterval?: string;
}

export interface SshClientConfig {
  /** The files read, in order (for messages). */
  files: string[];
  /** The settings for `host` (the name drover connects to: ansible_host, else the inventory name). */
  lookup(host: string): SshHostConfig;
}

/** The files OpenSSH reads: `-F FILE` alone when given, else ~/.ssh/config then /etc/ssh/ssh_config. */
export function sshConfigFiles(explicit?: string, home: string = homedir()): string[] {
  if (explicit) return [explicit];
  return [join(home, '.ssh', 'config'), '/etc/ssh/ssh_config'].filter((f) => existsSync(f));
}

/** Parse the files (an explicit file that cannot be read throws). */
export function loadSshClientConfig(files: string[], home: string = homedir()): SshClientConfig {
  const parsed = files.map((f) => SSHConfig.parse(withIncludes(f, home, f.startsWith('/etc/ssh/') ? '/etc/ssh' : join(home, '.ssh'), 0)));
  return {
    files,
    lookup(host: string): SshHostConfig {
      // One file after the other, first value obtained wins across them too (ssh reads user then system config).
      const merged: Record<string, string | string[]> = {};
      for (const c of parsed) {
        const got = c.compute(host, { ignoreCase: true }) as Record<string, string | string[]>;
        for (const [k, v] of Object.entries(got)) {
          if (k === 'identityfile' || k === 'userknownhostsfile') merged[k] = [...((merged[k] as string[] | undefined) ?? []), ...(Array.isArray(v) ? v : [v])];
          else if (merged[k] === undefined) merged[k] = v;
        }
      }
      const one = (k: string): string | undefined => {
        const v = merged[k];
        return Array.isArray(v) ? v[0] : v;
      };
      const many = (k: string): string[] => {
        const v = merged[k];
        // UserKnownHostsFile takes several files on one line.
        return (Array.isArray(v) ? v : v === undefined ? [] : [v]).flatMap((x) => x.split(/\s+/)).filter(Boolean);
      };
      const hostName = one('hostname') !== undefined ? expandTokens(one('hostname')!, { host, home }) : undefined;
      const target = hostName ?? host;
      const user = one('user');
      const port = one('port');
      const tok = { host: target, home, ...(user !== undefined ? { user } : {}), ...(port !== undefined ? { port } : {}) };
      const path = (p: string) => expandPath(expandTokens(p, tok), home);
      const out: SshHostConfig = {
        identityFiles: many('identityfile').filter((f) => f.toLowerCase() !== 'none').map(path),
        userKnownHostsFiles: many('userknownhostsfile').filter((f) => f.toLowerCase() !== 'none').map(path),
      };
      if (hostName !== undefined) out.hostName = hostName;
      if (user !== undefined) out.user = user;
      if (port !== undefined) out.port = port;
      for (const [k, field] of [
        ['proxyjump', 'proxyJump'],
        ['proxycommand', 'proxyCommand'],
        ['stricthostkeychecking', 'strictHostKeyChecking'],
        ['connecttimeout', 'connectTimeout'],
        ['serveraliveinterval', 'serverAliveInterval'],
      ] as const) {
        const v = one(k);
        if (v !== undefined) out[field] = field === 'proxyCommand' ? expandTokens(v, tok) : v;
      }
      return out;
    },
  };
}

/**
 * The file's text with its `Include` lines replaced by the files they name
 * (globs in the last path component, sorted; relative paths from ~/.ssh or
 * /etc/ssh; at most 16 levels, as OpenSSH). Inlined as text: an Include at
 * the top of the file, where it usually is, means exactly what OpenSSH reads.
 */
function withIncludes(file: string, home: string, relDir: string, depth: number): string {
  if (depth > 16) throw new Error(`${file}: Include nested more than 16 levels`);
  const text = readFileSync(file, 'utf8');
  if (!/^\s*include[\s=]/im.test(text)) return text;
  return text
    .split(/\r?\n/)
    .map((line) => {
      const m = /^\s*include\s*(?:=\s*|\s)(.*)$/i.exec(line);
      if (!m) return line;
      const parts: string[] = [];
      for (const pattern of m[1]!.trim().split(/\s+/).filter(Boolean)) {
        const p = pattern.replace(/^"|"$/g, '');
        const abs = p === '~' || p.startsWith('~/') ? join(home, p.slice(1)) : isAbsolute(p) ? p : join(relDir, p);
        for (const f of globLast(abs)) parts.push(withIncludes(f, home, relDir, depth + 1));
      }
      return parts.join('\n');
    })
    .join('\n');
}

/** Files matching `path` whose last component may hold * and ? (sorted, as glob(3)); a plain path if it exists. */
function globLast(path: string): string[] {
  const dir = dirname(path);
  const base = basename(path);
  if (!/[*?]/.test(base)) return existsSync(path) ? [path] : [];
  const re = new RegExp(`^${base.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  try {
    return readdirSync(dir)
      .filter((n) => re.test(n) && !n.startsWith('.'))
      .sort()
      .map((n) => join(dir, n))
      .filter((f) => statSync(f).isFile());
  } catch {
    return [];
  }
}

/** ssh_config(5) TOKENS drover can know: %% %d %h %n %p %r %u. */
function expandTokens(s: string, t: { host: string; home: string; user?: string; port?: string }): string {
  return s.replace(/%([%dhnpru])/g, (_m, c: string) => {
    switch (c) {
      case '%':
        return '%';
      case 'd':
        return t.home;
      case 'h':
      case 'n':
        return t.host;
      case 'p':
        return t.port ?? '22';
      case 'r':
        return t.user ?? userInfo().username;
      default:
        return userInfo().username;
    }
  });
}

function expandPath(p: string, home: string): string {
  if (p === '~' || p.startsWith('~/')) return join(home, p.slice(1));
  return isAbsolute(p) ? p : join(home, '.ssh', p);
}
