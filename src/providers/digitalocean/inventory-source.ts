import path from 'node:path';
import { DoClient } from './api.js';
import { renderDropletInventory } from './inventory-text.js';
import { loadDropletSpec } from './spec.js';
import { resolveApiUrl, resolveToken } from './token.js';

/**
 * The `droplets:SPEC` inventory source: list the spec's droplets (by its
 * ownership tag) and hand back INI text for the inventory layer's own parser,
 * which keeps that layer ignorant of HTTP. Token and API URL come from the
 * environment (DIGITALOCEAN_TOKEN or DIGITALOCEAN_TOKEN_FILE, DIGITALOCEAN_API_URL).
 */
export interface DropletInventoryText {
  /** INI inventory text. */
  text: string;
  /** Name for positions in messages: `droplets:<spec path>`. */
  file: string;
  /** Directory of the spec: its group_vars/ and host_vars/ apply, as beside a file. */
  dir: string;
}

export const DROPLETS_SOURCE_PREFIX = 'droplets:';

export async function dropletInventorySource(source: string, env: NodeJS.ProcessEnv = process.env): Promise<DropletInventoryText> {
  const specFile = source.slice(DROPLETS_SOURCE_PREFIX.length);
  const spec = loadDropletSpec(specFile);
  const client = new DoClient({ baseUrl: resolveApiUrl(undefined, env), token: resolveToken({}, env) });
  const droplets = await client.listDroplets(spec.ownershipTag);
  const text = renderDropletInventory(spec, droplets, `From DigitalOcean: droplets tagged ${spec.ownershipTag} (spec ${specFile}).`);
  return { text, file: `droplets:${specFile}`, dir: path.dirname(spec.file) };
}
