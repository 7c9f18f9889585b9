import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { loadVarsFile } from '../util/yaml.js';
import { LOCALHOST_NAMES, type InventoryModel, type VarsLayer } from './model.js';
import type { Vars } from './types.js';

/**
 * group_vars/ and host_vars/ beside an inventory (or a playbook), as Ansible's
 * host_group_vars plugin reads them. For a group or host NAME it loads, in
 * this order: `NAME` (a file, or a directory whose files are read recursively
 * in name order), `NAME.yml`, `NAME.yaml`, `NAME.json`. Files for names the
 * inventory does not have are ignored, as Ansible does. Each file must hold a
 * mapping; later files override earlier keys.
 */
const EXTS = ['', '.yml', '.yaml', '.json'];

export type VarsDirKind = 'group_vars' | 'host_vars';

export interface VarsFileEntry {
  /** Absolute path. */
  path: string;
  vars: Vars;
}

/** Vars files in BASE/KIND for the given names: name -> files in load order. */
export async function readVarsDir(baseDir: string, kind: VarsDirKind, names: Iterable<string>): Promise<Map<string, VarsFileEntry[]>> {
  const dir = path.join(baseDir, kind);
  const out = new Map<string, VarsFileEntry[]>();
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return out;
    throw e;
  }
  const present = new Set(entries.filter((e) => !e.startsWith('.')));
  for (const name of names) {
    const files: string[] = [];
    for (const ext of EXTS) {
      const entry = name + ext;
      if (!present.has(entry)) continue;
      const full = path.join(dir, entry);
      const st = await stat(full);
      if (st.isDirectory()) files.push(...(await filesIn(full)));
      else if (st.isFile()) files.push(full);
    }
    if (files.length === 0) continue;
    const loaded: VarsFileEntry[] = [];
    for (const f of files) loaded.push({ path: f, vars: loadVarsFile(f) as Vars });
    out.set(name, loaded);
  }
  return out;
}

/** Files in a vars directory, recursively, sorted, hidden ones and other extensions skipped. */
async function filesIn(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesIn(full)));
    else if (e.isFile() && EXTS.includes(path.extname(e.name))) out.push(full);
  }
  return out;
}

/** Load BASE/group_vars and BASE/host_vars into the inventory at the given precedence layer. */
export async function applyVarsDirs(inv: InventoryModel, baseDir: string, layer: VarsLayer): Promise<void> {
  const groups = await readVarsDir(baseDir, 'group_vars', inv.groups.keys());
  for (const [name, files] of groups) for (const f of files) inv.setGroupVars(name, f.vars, layer);
  const hostNames = new Set([...inv.hosts.keys(), ...LOCALHOST_NAMES]);
  const hosts = await readVarsDir(baseDir, 'host_vars', hostNames);
  for (const [name, files] of hosts) for (const f of files) inv.addHostDirVars(name, f.vars, layer);
}
