import { didYouMean } from '../util/did-you-mean.js';
import { InputError } from '../util/errors.js';
import { keyPosOf, posOf } from '../util/source-positions.js';
import type { SourcePos } from '../util/source.js';
import { describeYamlValue, isYamlMapping, parseYaml } from '../util/yaml.js';
import { expandHostEntry } from './host-range.js';
import type { InventoryModel } from './model.js';
import type { Vars } from './types.js';

/**
 * Ansible's YAML inventory:
 *
 *   all:
 *     vars: { ansible_user: vagrant }
 *     children:
 *       controller_nodes:
 *         hosts:
 *           controller: { mgmt_ip: 192.168.1.11, ansible_port: 8222 }
 *
 * Top-level keys are groups (usually just `all`); a group has `hosts` (a
 * mapping of host -> vars), `vars` and `children` (a mapping of group -> group),
 * each optional. Host keys may use ranges (`web[01:03]`) and ports
 * (`host:2222`). Anything else is an InputError at its position.
 */
export function parseYamlInventory(text: string, file: string, inv: InventoryModel): void {
  const y = parseYaml(text, file);
  if (y.value === null) return;
  if (!isYamlMapping(y.value)) {
    throw new InputError(`a YAML inventory is a mapping of group names (all:, web: …), got ${describeYamlValue(y.value)}`, y.pos);
  }
  for (const name of Object.keys(y.value)) parseGroup(inv, y.value, name, y.pos);
}

const GROUP_KEYS = ['hosts', 'vars', 'children'];

/** The group `name` in the mapping `within` (the document, or a parent's children). */
function parseGroup(inv: InventoryModel, within: Record<string, unknown>, name: string, fallback: SourcePos, parent?: string): void {
  const keyPos = keyPosOf(within, name) ?? fallback;
  if (!name.trim()) throw new InputError('group with an empty name', keyPos);
  if (/\s/.test(name)) throw new InputError(`group name "${name}" contains whitespace`, keyPos);
  inv.ensureGroup(name, keyPos);
  if (parent) inv.addChild(parent, name, keyPos);
  const body = within[name];
  if (body === null) return;
  if (!isYamlMapping(body)) {
    throw new InputError(`group "${name}" must be a mapping with hosts, vars or children, got ${describeYamlValue(body)}`, posOf(within, name) ?? keyPos);
  }
  for (const [key, value] of Object.entries(body)) {
    if (!GROUP_KEYS.includes(key)) {
      const hint = didYouMean(key, GROUP_KEYS, { fragments: true });
      throw new InputError(`unexpected key "${key}" in group "${name}"`, keyPosOf(body, key) ?? keyPos, hint ? `did you mean "${hint}"?` : 'a group has only hosts, vars and children');
    }
    if (value === null) continue;
    const valuePos = posOf(body, key) ?? keyPos;
    if (!isYamlMapping(value)) {
      const what = key === 'hosts' ? 'host names (each followed by a colon)' : key === 'vars' ? 'variable names' : 'group names';
      throw new InputError(`"${key}" of group "${name}" must be a mapping of ${what}, got ${describeYamlValue(value)}`, valuePos);
    }
    if (key === 'vars') {
      inv.setGroupVars(name, value as Vars);
    } else if (key === 'children') {
      for (const child of Object.keys(value)) parseGroup(inv, value, child, valuePos, name);
    } else {
      for (const [entry, hv] of Object.entries(value)) {
        const hostPos = keyPosOf(value, entry) ?? valuePos;
        if (hv !== null && !isYamlMapping(hv)) {
          throw new InputError(`vars of host "${entry}" must be a mapping, got ${describeYamlValue(hv)}`, posOf(value, entry) ?? hostPos);
        }
        const { names, port } = expandHostEntry(entry, hostPos);
        const vars = hv === null ? {} : (hv as Vars);
        for (const n of names) {
          inv.addHostToGroup(name, n, hostPos);
          if (port !== undefined) inv.setHostVars(n, { ansible_port: port });
          inv.setHostVars(n, vars);
        }
      }
    }
  }
}
