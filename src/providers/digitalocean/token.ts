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
  if (!token) throw new Error('no DigitalOcean API token: set DIGITALOCEAN_TOKEN or pass --token-file FILE (a personal access token with droplet, ssh_key, size and action scopes)');
  return token;
}

/** `--api-url`, else DIGITALOCEAN_API_URL, else the public API. */
export function resolveApiUrl(opt: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return opt ?? env.DIGITALOCEAN_API_URL ?? DEFAULT_API_URL;
}
