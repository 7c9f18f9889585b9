import { readFileSync, statSync } from 'node:fs';
import { DEFAULT_API_URL } from './api.js';

/**
 * Where the API token comes from: `--token-file FILE`, else the
 * DIGITALOCEAN_TOKEN environment variable, else DIGITALOCEAN_TOKEN_FILE. It
 * is never taken from the spec (specs are committed; tokens are not), and the
 * caller registers it with a Redactor before anything is printed.
 */
export function resolveToken(opts: { tokenFile?: string }, env: NodeJS.ProcessEnv = process.env): string {
  const file = opts.tokenFile ?? (env.DIGITALOCEAN_TOKEN ? undefined : env.DIGITALOCEAN_TOKEN_FILE);
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new Error(`cannot read the DigitalOcean token file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const token = text.trim();
    if (!token) throw new Error(`the DigitalOcean token file ${file} is empty`);
    if (/\s/.test(token)) throw new Error(`the DigitalOcean token file ${file} holds more than one word; it should hold only the token`);
    try {
      if (statSync(file).mode & 0o077) process.emitWarning(`${file} is readable by other users; chmod 600 it`, { code: 'DROVER_TOKEN_FILE_MODE' });
    } catch {
      /* stat raced a delete: the read above already succeeded */
    }
    return token;
  }
  const token = env.DIGITALOCEAN_TOKEN?.trim();
  if (!token) throw new Error(`no DigitalOcean API token: set DIGITALOCEAN_TOKEN or pass --token-file FILE (a personal access token with the scopes ${TOKEN_SCOPES.map((s) => `\`${s}\``).join(', ')}; \`vpc:read\` if the spec sets vpc_uuid; for labs on droplets also \`vpc:create\`, \`vpc:delete\`)`);
  return token;
}

/**
 * The scopes drover's calls need, as DigitalOcean's OpenAPI specification
 * names them (each operation's `security`, plus the scopes its fields'
 * descriptions require): droplets listed by tag need `tag:read`, created with
 * tags `tag:create` and an image `image:read`; /v2/sizes needs `sizes:read`
 * and `regions:read`; create actions `actions:read`; the droplet limit
 * (/v2/account) `account:read`.
 */
export const TOKEN_SCOPES = ['droplet:*', 'tag:read', 'tag:create', 'image:read', 'ssh_key:*', 'sizes:read', 'regions:read', 'actions:read', 'account:read'] as const;

/** `--api-url`, else DIGITALOCEAN_API_URL, else the public API. */
export function resolveApiUrl(opt: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return opt ?? env.DIGITALOCEAN_API_URL ?? DEFAULT_API_URL;
}
