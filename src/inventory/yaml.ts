import { isMap } from 'yaml';
import { InputError } from '../util/errors.js';
import { expandHostEntry } from './host-range.js';
import type { InventoryModel } from './model.js';
import { closestName } from './patterns.js';
import type { Vars } from './types.js';
import { deref, describeNode, isNullNode, keyText, parseYamlText, type ParsedYaml } from './yaml-file.js';

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
  const y = parseYamlText(text, file);
  const root = deref(y.doc.contents, y.doc);
  if (isNullNode(root)) return;
  if (!isMap(root)) {
    throw new InputError(`a YAML inventory is a mapping of group names (all:, web: …), got ${describeNode(root)}`, y.pos(root));
  }
  for (const pair of root.items) parseGroup(y, inv, keyText(pair.key), pair.key, pair.value);
}

const GROUP_KEYS = ['hosts', 'vars', 'children'];

function parseGroup(y: ParsedYaml, inv: InventoryModel, name: string, keyNode: unknown, valueNode: unknown, parent?: string): void {
  const keyPos = y.pos(keyNode);
  if (!name.trim()) throw new InputError('group with an empty name', keyPos);
  if (/\s/.test(name)) throw new InputError(`group name "${name}" contains whitespace`, keyPos);
  inv.ensureGroup(name, keyPos);
  if (parent) inv.addChild(parent, name, keyPos);
  const body = deref(valueNode, y.doc);
  if (isNullNode(body)) return;
  if (!isMap(body)) {
    throw new InputError(`group "${name}" must be a mapping with hosts, vars or children, got ${describeNode(body)}`, y.pos(body));
  }
  for (const pair of body.items) {
    const key = keyText(pair.key);
    const value = deref(pair.value, y.doc);
    if (!GROUP_KEYS.includes(key)) {
      const hint = closestName(key, GROUP_KEYS);
      throw new InputError(`unexpected key "${key}" in group "${name}"`, y.pos(pair.key), hint ? `did you mean "${hint}"?` : 'a group has only hosts, vars and children');
    }
    if (isNullNode(value)) continue;
    if (!isMap(value)) {
      const what = key === 'hosts' ? 'host names (each followed by a colon)' : key === 'vars' ? 'variable names' : 'group names';
      throw new InputError(`"${key}" of group "${name}" must be a mapping of ${what}, got ${describeNode(value)}`, y.pos(value));
    }
    if (key === 'vars') {
      inv.setGroupVars(name, y.plain(value) as Vars);
    } else if (key === 'children') {
      for (const child of value.items) parseGroup(y, inv, keyText(child.key), child.key, child.value, name);
    } else {
      for (const h of value.items) {
        const entry = keyText(h.key);
        const hostPos = y.pos(h.key);
        const hv = deref(h.value, y.doc);
        if (!isNullNode(hv) && !isMap(hv)) {
          throw new InputError(`vars of host "${entry}" must be a mapping, got ${describeNode(hv)}`, y.pos(hv));
        }
        const { names, port } = expandHostEntry(entry, hostPos);
        const vars = isNullNode(hv) ? {} : (y.plain(hv) as Vars);
        for (const n of names) {
          inv.addHostToGroup(name, n, hostPos);
          if (port !== undefined) inv.setHostVars(n, { ansible_port: port });
          inv.setHostVars(n, vars);
        }
      }
    }
  }
}
