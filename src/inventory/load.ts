import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../util/errors.js';
import { readTextFileAsync } from '../util/text-input.js';
import { displayPath, type SourcePos } from '../util/source.js';
import { expandHostEntry } from './host-range.js';
import { parseIniInventory } from './ini.js';
import { InventoryModel } from './model.js';
import type { Inventory } from './types.js';
import { applyVarsDirs } from './vars-dirs.js';
import { parseYamlInventory } from './yaml.js';

export interface LoadInventoryOptions {
  /** Directory of the playbook: its group_vars/ and host_vars/ override the inventory's. */
  playbookDir?: string;
}

/**
 * Read inventory sources into one Inventory, as `ansible -i A -i B` does:
 *  - a file: INI or YAML (by extension, else by content);
 *  - a directory: every inventory file in it, in name order (group_vars/,
 *    host_vars/, hidden files and backup/README-like files skipped);
 *  - a host list `host1,host2,` (anything with a comma that is not a path):
 *    those hosts, ungrouped;
 *  - `droplets:SPEC`: the DigitalOcean droplets of a droplet spec, listed now.
 * Later sources add to and override earlier ones. group_vars/ and host_vars/
 * beside each file source (inside each directory source) are read next, then
 * those beside the playbook, which win.
 */
export async function loadInventory(sources: string[], opts: LoadInventoryOptions = {}): Promise<Inventory> {
  const inv = new InventoryModel();
  const varsBases: string[] = [];
  if (sources.length === 0) throw new InputError('no inventory given', undefined, 'pass -i FILE, -i DIR or -i host1,host2,');
  for (const source of sources) {
    if (source.startsWith('droplets:')) {
      // DigitalOcean droplets of a spec: the provider lists them and hands back INI text.
      const { dropletInventorySource } = await import('../providers/digitalocean/inventory-source.js');
      const r = await dropletInventorySource(source);
      inv.currentSource = source;
      addInventoryText(inv, r.text, r.file, 'ini');
      varsBases.push(r.dir);
      inv.sources.push(source);
      continue;
    }
    let st;
    try {
      st = await stat(source);
    } catch {
      st = undefined;
    }
    if (st?.isDirectory()) {
      await loadDirectory(source, inv);
      varsBases.push(path.resolve(source));
    } else if (st?.isFile()) {
      await loadFile(source, inv);
      varsBases.push(path.dirname(path.resolve(source)));
    } else if (source.includes(',')) {
      inv.currentSource = source;
      loadHostList(source, inv);
    } else {
      throw new InputError(`inventory source not found: ${source}`, undefined, 'a file, a directory, or a comma-separated host list such as "host1,host2,"');
    }
    inv.sources.push(source);
  }
  inv.currentSource = undefined;
  const seen = new Set<string>();
  for (const base of varsBases) {
    if (seen.has(base)) continue;
    seen.add(base);
    await applyVarsDirs(inv, base, 'inventoryDir');
  }
  if (opts.playbookDir) await applyVarsDirs(inv, path.resolve(opts.playbookDir), 'playbookDir');
  return inv.finalize();
}

/** Parse inventory text (no vars dirs): for tests and for generated inventories. */
export function parseInventoryText(text: string, file: string, format?: 'ini' | 'yaml'): Inventory {
  const inv = new InventoryModel();
  inv.currentSource = path.resolve(file);
  addInventoryText(inv, text, file, format);
  inv.currentSource = undefined;
  inv.sources.push(file);
  return inv.finalize();
}

function addInventoryText(inv: InventoryModel, text: string, file: string, format?: 'ini' | 'yaml'): void {
  const display = displayPath(file);
  if ((format ?? sniffFormat(file, text)) === 'yaml') parseYamlInventory(text, display, inv);
  else parseIniInventory(text, display, inv);
}

// Ansible's default INVENTORY_IGNORE_EXTS, plus its ignored names.
const IGNORED_EXTS = ['.pyc', '.pyo', '.swp', '.bak', '~', '.rpm', '.md', '.txt', '.rst', '.orig', '.cfg', '.retry'];
const IGNORED_NAMES = new Set(['group_vars', 'host_vars', 'vars_plugins']);

async function loadDirectory(dir: string, inv: InventoryModel): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.') || IGNORED_NAMES.has(e.name) || IGNORED_EXTS.some((x) => e.name.endsWith(x))) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) await loadDirectory(full, inv);
    else if (e.isFile()) await loadFile(full, inv);
  }
}

async function loadFile(file: string, inv: InventoryModel): Promise<void> {
  const text = await readTextFileAsync(file, displayPath(file), 'inventory');
  if (text.startsWith('#!')) {
    const st = await stat(file);
    if (st.mode & 0o111) {
      throw new InputError('dynamic inventory scripts are not supported', { file: displayPath(file), line: 1, col: 1 }, 'run the script and save its output as a YAML inventory');
    }
  }
  inv.currentSource = path.resolve(file);
  addInventoryText(inv, text, file);
}

/**
 * INI or YAML? `.yml/.yaml/.json` are YAML, `.ini` is INI. Otherwise the first
 * meaningful line decides: `[section]` or a host line is INI, `name:` on its
 * own (or `---`, `{`) is YAML.
 */
export function sniffFormat(file: string, text: string): 'ini' | 'yaml' {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.yml' || ext === '.yaml' || ext === '.json') return 'yaml';
  if (ext === '.ini') return 'ini';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    if (line === '---' || line.startsWith('{')) return 'yaml';
    if (/^[^\s#;=[\]]+:\s*(#.*)?$/.test(line) || /^[^\s#;=[\]]+:\s+\S/.test(line)) return 'yaml';
    return 'ini';
  }
  return 'ini';
}

/** `host1,host2:2222,` — Ansible's host_list source. */
function loadHostList(source: string, inv: InventoryModel): void {
  const file = '<host list>';
  let offset = 0;
  for (const part of source.split(',')) {
    const name = part.trim();
    const pos: SourcePos = { file, line: 1, col: offset + (part.length - part.trimStart().length) + 1 };
    offset += part.length + 1;
    if (!name) continue;
    if (/\s/.test(name)) throw new InputError(`host "${name}" in the host list contains whitespace`, pos);
    // Host lists take plain names and host:port, no ranges (as in Ansible).
    if (/[[\]]/.test(name) && !/^\[[0-9a-fA-F:.]+\]:\d+$/.test(name)) {
      throw new InputError(`host ranges are not allowed in a host list: ${name}`, pos);
    }
    const { names, port } = expandHostEntry(name, pos);
    for (const n of names) {
      inv.addHostToGroup('ungrouped', n, pos);
      if (port !== undefined) inv.setHostVars(n, { ansible_port: port });
    }
  }
}
