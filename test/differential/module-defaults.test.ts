/**
 * Where drover and the Ansible module both declare a default for an
 * argument, the two are the same value (ansible-doc of the collections
 * Debian's `ansible` installs is the oracle): a role written for Ansible that
 * leaves an argument out must mean there what it means under Ansible.
 * os_user's and rabbitmq_user's `update_password` were `always` where the
 * collections say `on_create`; this test would have said so. Accepted
 * differences are data: test/differential/cases/module-defaults.yaml.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../../src/modules/index.js';
import { getModule, moduleNames } from '../../src/modules/registry.js';
import type { Module } from '../../src/modules/types.js';
import { moduleArgDocs } from '../../src/playbook/module-doc.js';
import { loadYamlFile } from '../../src/util/yaml.js';

interface Accepted {
  module: string;
  option: string;
  ansible: unknown;
  drover: unknown;
  why: string;
}

const haveAnsibleDoc = spawnSync('sh', ['-c', 'command -v ansible-doc'], { encoding: 'utf8' }).status === 0;
const accepted = loadYamlFile(join(import.meta.dirname, 'cases/module-defaults.yaml')).value as Accepted[];

function ansibleDoc(args: string[]): any {
  const r = spawnSync('ansible-doc', args, { encoding: 'utf8', maxBuffer: 128 << 20, env: { ...process.env, ANSIBLE_DEPRECATION_WARNINGS: '0', ANSIBLE_CONFIG: '/nonexistent/ansible.cfg' } });
  if (r.status !== 0) throw new Error(`ansible-doc ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** One value for both sides: Ansible's yes/no and numeric strings, and escapes in its docs' strings ("\\n"). */
function normal(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (v === 'yes' || v === 'true' || v === 'True') return true;
  if (v === 'no' || v === 'false' || v === 'False') return false;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  if (typeof v === 'string') return v.replace(/\\([nrt])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c]!);
  return v;
}

describe.skipIf(!haveAnsibleDoc)("declared argument defaults are the Ansible module's", () => {
  it('every module with an Ansible counterpart, every argument both declare a default for', { timeout: 120_000 }, () => {
    const modules = [...new Set(moduleNames().map((n) => getModule(n)!))];
    const installed = new Set(Object.keys(ansibleDoc(['-l', '-j'])));
    // The Ansible module: a collection name among the aliases (the current one first), else ansible.builtin's.
    const counterpart = new Map<Module, string>();
    for (const m of modules) {
      const names = [...(m.aliases ?? []).filter((a) => a.includes('.')), `ansible.builtin.${m.name}`].filter((n) => installed.has(n));
      if (names[0]) counterpart.set(m, names[0]);
    }
    expect(counterpart.size).toBeGreaterThan(30);
    const docs = ansibleDoc(['-j', ...new Set(counterpart.values())]);
    const found: Array<Omit<Accepted, 'why'>> = [];
    let compared = 0;
    for (const [m, name] of counterpart) {
      const options = (docs[name]?.doc?.options ?? {}) as Record<string, { default?: unknown }>;
      for (const arg of moduleArgDocs(m)) {
        const theirs = normal(options[arg.name]?.default);
        const ours = normal(arg.default);
        if (theirs === null || ours === null) continue;
        compared++;
        if (JSON.stringify(theirs) !== JSON.stringify(ours)) found.push({ module: m.name, option: arg.name, ansible: options[arg.name]!.default, drover: arg.default });
      }
    }
    expect(compared).toBeGreaterThan(100);
    const key = (d: { module: string; option: string }) => `${d.module}.${d.option}`;
    const listed = new Set(accepted.map(key));
    expect(found.filter((d) => !listed.has(key(d))), 'defaults that differ from Ansible without a reason in cases/module-defaults.yaml').toEqual([]);
    const stale = accepted.filter((a) => !found.some((d) => key(d) === key(a)));
    expect(stale, 'listed differences that no longer differ (remove them)').toEqual([]);
  });
});
