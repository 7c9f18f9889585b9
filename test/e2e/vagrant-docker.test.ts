import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, drover as run, isRoot, recapSeconds, seedBaseImage } from './lab-helpers.js';

/**
 * drover's Vagrant path end to end through the real `vagrant` (Debian's
 * 2.3.4) and its docker provider: systemd-booted containers built offline
 * from the cached Debian base. `drover lab up lab1` → `lab test lab1`
 * (converge, changed=0 re-run, --check 0, verify) → `lab status / ssh /
 * down / destroy`. Needs root; scripts/docker-setup.sh installs vagrant and
 * docker.io and starts dockerd when it is not running.
 *
 * Isolation: its own DROVER_HOME and VAGRANT_DOTFILE_PATH (so no one's
 * .vagrant/ machines are touched); the containers get Vagrant's unique names
 * and the Vagrantfile's networks (192.168.1.0/24, 172.16.0.0/24), which
 * `vagrant destroy` removes again. Nothing is left running at the end.
 */
const HOME = process.env.DROVER_E2E_VAGRANT_HOME ?? '/var/lib/drover-e2e-vagrant';
const DOTFILE = join(HOME, 'vagrant-dotfile');
const ENV = { ...process.env, DROVER_HOME: HOME, DROVER_PROVIDER: 'vagrant:docker', VAGRANT_DOTFILE_PATH: DOTFILE };
const measured: Record<string, string> = {};
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function drover(args: string[], timeoutMs = 3_600_000) {
  return run(args, timeoutMs, ENV).then((r) => ({ code: r.status ?? 1, out: r.out, ms: r.ms }));
}

/** Container ids of this test's machines, as Vagrant records them in its dotfile directory. */
function machineIds(): string[] {
  return ['controller', 'compute1', 'compute2'].flatMap((m) => {
    try {
      return [readFileSync(join(DOTFILE, 'machines', m, 'docker', 'id'), 'utf8').trim()];
    } catch {
      return [];
    }
  });
}

/** Which of these containers docker still has, with their state. */
function dockerStates(ids: readonly string[]): string[] {
  const all = spawnSync('docker', ['ps', '-a', '-q', '--no-trunc'], { encoding: 'utf8' }).stdout.split('\n');
  return ids.filter((id) => all.includes(id)).map((id) => spawnSync('docker', ['inspect', '-f', '{{.State.Status}}', id], { encoding: 'utf8' }).stdout.trim());
}

function vagrant(args: string[], env: NodeJS.ProcessEnv = ENV) {
  return spawnSync('vagrant', args, { cwd: ROOT, env, encoding: 'utf8' });
}

describe.skipIf(!isRoot)('lab1 on Vagrant machines (real vagrant, docker provider)', () => {
  const creds = mkdtempSync(join(tmpdir(), 'drover-vagrant-creds-'));

  beforeAll(async () => {
    const setup = spawnSync('bash', [join(ROOT, 'scripts/docker-setup.sh')], { encoding: 'utf8' });
    if (setup.status !== 0) throw new Error(`scripts/docker-setup.sh failed:\n${setup.stdout}${setup.stderr}`);
    seedBaseImage(HOME);
    const d = await drover(['lab', 'destroy', 'lab1']);
    if (d.code !== 0) throw new Error(`lab destroy failed:\n${d.out}`);
  });

  afterAll(async () => {
    await drover(['lab', 'destroy', 'lab1']);
    rmSync(creds, { recursive: true, force: true });
    console.log('\nlab1 on Vagrant (docker provider), measured:\n' + Object.entries(measured).map(([k, v]) => `  ${k}: ${v}`).join('\n'));
  });

  it('`vagrant validate` passes for every provider the Vagrantfile configures', () => {
    for (const provider of ['docker', 'libvirt']) {
      const r = vagrant(['validate'], { ...ENV, VAGRANT_DEFAULT_PROVIDER: provider });
      expect(r.status, `${provider}: ${r.stdout}${r.stderr}`).toBe(0);
    }
    // VirtualBox cannot be installed here; Vagrant validates its block once `VBoxManage --version`
    // answers, so a stand-in that prints a version lets it check the settings (not run them).
    const bin = mkdtempSync(join(tmpdir(), 'drover-vbox-'));
    writeFileSync(join(bin, 'VBoxManage'), '#!/bin/sh\necho 7.0.14r161095\n');
    chmodSync(join(bin, 'VBoxManage'), 0o755);
    try {
      const r = vagrant(['validate'], { ...ENV, VAGRANT_DEFAULT_PROVIDER: 'virtualbox', PATH: `${bin}:${process.env.PATH}` });
      expect(r.status, r.stdout + r.stderr).toBe(0);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('lab up: three machines running, an inventory from `vagrant ssh-config` with container settings', async () => {
    const up = await drover(['lab', 'up', 'lab1']);
    expect(up.code, up.out).toBe(0);
    measured['lab up (image + vagrant up + probe)'] = secs(up.ms);
    expect(up.out).toMatch(/started controller, compute1, compute2 \(vagrant provider/);
    expect(up.out).toMatch(/^lab1\s+controller\s+running/m);
    expect(dockerStates(machineIds())).toEqual(['running', 'running', 'running']);
    const inv = readFileSync(join(HOME, 'vagrant/lab1/inventory.ini'), 'utf8');
    expect(inv).toMatch(/^controller mgmt_ip=192\.168\.1\.11 ansible_host=127\.0\.0\.1 ansible_port=\d+ .*vm_network_device=eth2$/m);
    expect(inv).toMatch(/^ansible_user=vagrant$/m);
    expect(inv).toMatch(/^compute_driver=fake\.FakeDriver$/m);
  });

  it('lab test lab1: converges as check mode predicted, converges again with changed=0, check mode predicts nothing, verify passes', async () => {
    const r = await drover(['lab', 'test', 'lab1', '-e', `credentials_dir=${creds}`]);
    if (r.code !== 0) console.log(r.out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/lab lab1: converged as check mode predicted, idempotent, check mode clean, verified/);
    const [predict, converge, again, check, verify] = recapSeconds(r.out);
    Object.assign(measured, {
      'check mode (fresh machines)': `${predict} s`,
      'converge (fresh machines)': `${converge} s`,
      'second converge (changed=0)': `${again} s`,
      'check mode': `${check} s`,
      verify: `${verify} s`,
    });
    const recaps = r.out.split(/^== /m).slice(1);
    expect(recaps[2]).toMatch(/converge again/);
    for (const block of [recaps[2]!, recaps[3]!]) {
      for (const line of block.split('\n').filter((l) => /^(controller|compute1|compute2)\s+\d/.test(l))) {
        expect(line.trim().split(/\s+/)[2], line).toBe('0');
      }
    }
  });

  it('the machines show what the blog tells the reader to check (lab ssh)', async () => {
    const ssh = (node: string, cmd: string) => drover(['lab', 'ssh', '--lab', 'lab1', node, cmd]);
    const t0 = Date.now();
    const ping = await ssh('controller', 'getent hosts compute1; ping -c1 -W2 compute1 >/dev/null && ping -c1 -W2 compute2 >/dev/null && echo pong');
    measured['lab ssh (one command)'] = secs(Date.now() - t0);
    expect(ping.out).toMatch(/^192\.168\.1\.21\s+compute1$/m);
    expect(ping.out).toMatch(/pong/);
    const users = await ssh('controller', 'sudo rabbitmqctl -q list_users');
    expect(users.out).toMatch(/^openstack\s/m);
    const chrony = await ssh('compute2', 'chronyc -n sources');
    expect(chrony.out).toMatch(/^\^\*\s+192\.168\.1\.11\s/m);
    const vmnet = await ssh('compute1', 'cat /sys/class/net/eth2/operstate');
    expect(vmnet.out.trim()).toBe('up');
  });

  it('lab down stops the machines, lab up starts them again, lab destroy removes containers and networks', async () => {
    let t0 = Date.now();
    const down = await drover(['lab', 'down', 'lab1']);
    expect(down.code, down.out).toBe(0);
    expect(dockerStates(machineIds())).toEqual(['exited', 'exited', 'exited']);
    measured['lab down'] = secs(Date.now() - t0);
    const stopped = await drover(['lab', 'status', 'lab1', '--json']);
    expect(JSON.parse(stopped.out.slice(stopped.out.indexOf('['))).map((s: { state: string }) => s.state)).toEqual(['stopped', 'stopped', 'stopped']);
    t0 = Date.now();
    const again = await drover(['lab', 'up', 'lab1']);
    expect(again.code, again.out).toBe(0);
    measured['lab up (stopped machines)'] = secs(Date.now() - t0);
    expect(again.out).toMatch(/^lab1\s+compute2\s+running/m);
    const ids = machineIds();
    expect(dockerStates(ids)).toEqual(['running', 'running', 'running']);
    t0 = Date.now();
    const destroy = await drover(['lab', 'destroy', 'lab1']);
    expect(destroy.code, destroy.out).toBe(0);
    measured['lab destroy'] = secs(Date.now() - t0);
    expect(ids).toHaveLength(3);
    expect(dockerStates(ids)).toEqual([]);
    const nets = spawnSync('docker', ['network', 'ls', '--format', '{{.Name}}'], { encoding: 'utf8' }).stdout;
    expect(nets).not.toMatch(/vagrant_network_192\.168\.1\.0/);
    const gone = await drover(['lab', 'status', 'lab1', '--json']);
    expect(JSON.parse(gone.out.slice(gone.out.indexOf('['))).map((s: { state: string }) => s.state)).toEqual(['absent', 'absent', 'absent']);
  });
});
