/**
 * node_setup's OpenStack release table, evaluated through drover's own
 * variable layering (lazy templates) and expression language, from the
 * role's actual files: defaults/main.yaml (the table and the default
 * release), vars/<distribution>.yaml (the cloud-archive line, loaded by
 * include_vars) and the two asserts in tasks/main.yaml.
 *
 * Pairs: Ubuntu's published ones (wiki.ubuntu.com/OpenStack/CloudArchive):
 * focal ships ussuri, UCA victoria…yoga; jammy ships yoga, UCA zed…caracal;
 * noble ships caracal, UCA dalmatian…flamingo. Debian 12 ships zed, no UCA.
 */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeVars } from '../../../src/engine/vars.js';
import { loadVarsFile, loadYamlFile } from '../../../src/util/yaml.js';
import { evaluateCondition, renderString } from '../../../src/template/index.js';

const ROLE = resolve(import.meta.dirname, '..', '..', '..', 'roles', 'node_setup');
const defaults = loadVarsFile(join(ROLE, 'defaults', 'main.yaml'));
const tasks = loadYamlFile(join(ROLE, 'tasks', 'main.yaml')).value as Array<Record<string, unknown>>;
// The asserts about the release table (node_setup has others, e.g. for vm_network_device).
const asserts = tasks
  .filter((t) => t.assert !== undefined && JSON.stringify(t.assert).includes('node_setup_openstack_releases'))
  .map((t) => t.assert as { that: string[]; fail_msg: string });
const repoTask = tasks.find((t) => t.apt_repository !== undefined)!;

const UCA = 'http://ubuntu-cloud.archive.canonical.com/ubuntu';

/** The node's variables as a task in node_setup sees them after include_vars; `release` as -e would set it. */
function nodeVars(distribution: 'Ubuntu' | 'Debian', codename: string, release?: string) {
  return mergeVars({
    roleDefaults: defaults,
    inventory: {},
    facts: { ansible_distribution: distribution, ansible_distribution_release: codename },
    playVars: {},
    varsFiles: {},
    scopeVars: [],
    runtime: loadVarsFile(join(ROLE, 'vars', `${distribution}.yaml`)),
    extra: release === undefined ? {} : { openstack_release: release },
    magic: {},
  });
}

/** What the role does: the first assert that fails (its rendered message), else the repository line it adds ("" = none). */
function outcome(distribution: 'Ubuntu' | 'Debian', codename: string, release?: string): { failed: string } | { repo: string } {
  const vars = nodeVars(distribution, codename, release);
  for (const a of asserts) {
    for (const cond of a.that) if (!evaluateCondition(cond, vars)) return { failed: String(renderString(a.fail_msg, vars)) };
  }
  const when = repoTask.when as string;
  return { repo: evaluateCondition(when, vars) ? String(renderString((repoTask.apt_repository as { repo: string }).repo, vars)) : '' };
}

const PUBLISHED: Record<string, { native: string; uca: string[] }> = {
  focal: { native: 'ussuri', uca: ['victoria', 'wallaby', 'xena', 'yoga'] },
  jammy: { native: 'yoga', uca: ['zed', 'antelope', 'bobcat', 'caracal'] },
  noble: { native: 'caracal', uca: ['dalmatian', 'epoxy', 'flamingo'] },
};

describe('node_setup: OpenStack release per distribution release', () => {
  it('the role has the two asserts and the repository task this test evaluates', () => {
    expect(asserts).toHaveLength(2);
    expect(repoTask.when).toBe('node_setup_cloud_archive != ""');
  });

  for (const [codename, { native, uca }] of Object.entries(PUBLISHED)) {
    it(`${codename}: the default release is its own (${native}), with no repository line`, () => {
      expect(nodeVars('Ubuntu', codename).openstack_release).toBe(native);
      expect(outcome('Ubuntu', codename)).toEqual({ repo: '' });
      expect(outcome('Ubuntu', codename, native)).toEqual({ repo: '' });
    });

    for (const release of uca) {
      it(`${codename} + ${release}: the cloud archive pocket ${codename}-updates/${release}`, () => {
        expect(outcome('Ubuntu', codename, release)).toEqual({ repo: `deb ${UCA} ${codename}-updates/${release} main` });
      });
    }
  }

  it('jammy + yoga never gets the non-existent jammy-updates/yoga pocket', () => {
    expect(outcome('Ubuntu', 'jammy', 'yoga')).toEqual({ repo: '' });
  });

  it('an Ubuntu LTS with a release it does not offer fails, naming the pair', () => {
    for (const [codename, release] of [['jammy', 'ussuri'], ['jammy', 'dalmatian'], ['focal', 'zed'], ['noble', 'yoga'], ['focal', 'stein']] as const) {
      const r = outcome('Ubuntu', codename, release);
      expect(r, `${codename} + ${release}`).toHaveProperty('failed');
      expect((r as { failed: string }).failed).toContain(`OpenStack '${release}' is not available on Ubuntu ${codename}`);
      expect((r as { failed: string }).failed).toContain('jammy: yoga (own), zed, antelope, bobcat, caracal');
    }
  });

  it('a distribution release the table does not know fails, naming it (bionic: the blog\'s stein)', () => {
    const r = outcome('Ubuntu', 'bionic', 'stein');
    expect(r).toHaveProperty('failed');
    expect((r as { failed: string }).failed).toMatch(/^Ubuntu bionic is not in node_setup_openstack_releases \(known: bookworm: zed \(own\); focal: /);
    // Without a release given, the default is empty and the same assert fails first.
    expect(nodeVars('Ubuntu', 'bionic').openstack_release).toBe('');
    expect(outcome('Ubuntu', 'bionic')).toHaveProperty('failed');
  });

  it('Debian 12 defaults to zed, its own release, and never gets a repository', () => {
    expect(nodeVars('Debian', 'bookworm').openstack_release).toBe('zed');
    expect(outcome('Debian', 'bookworm')).toEqual({ repo: '' });
    const r = outcome('Debian', 'bookworm', 'antelope');
    expect((r as { failed: string }).failed).toContain("OpenStack 'antelope' is not available on Debian bookworm");
  });
});
