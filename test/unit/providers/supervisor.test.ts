import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SUPERVISOR_SCRIPT, type PlacedNode } from '../../../src/providers/local/node-files.js';
import { startNode, stopNode, supervisorPid, type NodeContext } from '../../../src/providers/local/node.js';

// The node supervisor is a real bash process here; only systemd-nspawn is replaced
// by a stand-in that boots "instantly", asks for one reboot (exit 133), then runs
// until SIGTERM and records a clean poweroff. It tests the restart loop and the
// signal forwarding without needing a container.
const FAKE_NSPAWN = `#!/bin/bash
n=$(cat "$FAKE_DIR/boots" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$FAKE_DIR/boots"
echo "$*" >> "$FAKE_DIR/args"
mode=$(cat "$FAKE_DIR/mode")
if [ "$mode" = crash ]; then exit 1; fi
if [ $n -eq 1 ]; then exit 133; fi
trap 'sleep 0.2; echo poweroff >> "$FAKE_DIR/args"; exit 0' TERM
# The test stops the node only once the trap is set (a busy machine starts bash slowly).
echo $n > "$FAKE_DIR/ready"
while :; do sleep 0.05; done
`;

const read = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : '');
const until = async (f: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('node supervisor (restart loop, clean stop)', () => {
  let dir: string;
  let ctx: NodeContext;
  const savedPath = process.env.PATH;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'drover-sup-'));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'systemd-nspawn'), FAKE_NSPAWN);
    chmodSync(join(bin, 'systemd-nspawn'), 0o755);
    writeFileSync(join(dir, 'node-supervisor.sh'), SUPERVISOR_SCRIPT);
    chmodSync(join(dir, 'node-supervisor.sh'), 0o755);
    process.env.PATH = `${bin}:${savedPath}`;
    process.env.FAKE_DIR = dir;
    const node: PlacedNode = { name: 'n1', group: 'compute_nodes', ip: '10.77.0.31' };
    const nodeDir = join(dir, 'node');
    mkdirSync(join(nodeDir, 'rootfs'), { recursive: true });
    ctx = { dir: nodeDir, node, all: [node], prefix: 24, bridge: 'br-test', bridgeIp: '10.77.0.1', proxyPort: 3142, publicKey: 'ssh-ed25519 AAAA test', supervisorScript: join(dir, 'node-supervisor.sh') };
  });

  afterEach(async () => {
    await stopNode(ctx.dir, 3000);
    process.env.PATH = savedPath;
    delete process.env.FAKE_DIR;
    rmSync(dir, { recursive: true, force: true });
  });

  it('boots again after exit 133, forwards SIGTERM, and cleans its pid files', async () => {
    writeFileSync(join(dir, 'mode'), 'reboot');
    const pid = startNode(ctx);
    await until(() => read(join(dir, 'ready')).trim() === '2' && existsSync(join(ctx.dir, 'nspawn.pid')));
    expect(supervisorPid(ctx.dir)).toBe(pid);
    const args = readFileSync(join(dir, 'args'), 'utf8').trim().split('\n');
    expect(args[0]).toBe(`-b -D ${ctx.dir}/rootfs -M n1 --register=no --keep-unit --network-bridge=br-test --console=read-only --resolv-conf=off`);
    // Files that follow the lab were written before boot.
    expect(readFileSync(join(ctx.dir, 'rootfs/etc/systemd/network/10-host0.network'), 'utf8')).toContain('Address=10.77.0.31/24');
    expect(readFileSync(join(ctx.dir, 'rootfs/etc/resolv.conf'), 'utf8')).toContain('nameserver 127.0.0.1');

    expect(await stopNode(ctx.dir, 5000)).toBe(true);
    expect(readFileSync(join(dir, 'args'), 'utf8')).toMatch(/poweroff\n$/); // nspawn got SIGTERM and finished its poweroff
    expect(supervisorPid(ctx.dir)).toBeUndefined();
    expect(existsSync(join(ctx.dir, 'supervisor.pid'))).toBe(false);
    expect(readFileSync(join(dir, 'boots'), 'utf8').trim()).toBe('2'); // no boot after the stop
    expect(await stopNode(ctx.dir, 1000)).toBe(false); // already stopped
  });

  it('gives the node a second veth on the VM bridge, attached again at every boot', async () => {
    // A stand-in `ip` that records its calls; `ip link show` finds the veth nspawn would have made.
    writeFileSync(join(dir, 'bin', 'ip'), '#!/bin/bash\necho "$*" >> "$FAKE_DIR/ip"\n');
    chmodSync(join(dir, 'bin', 'ip'), 0o755);
    writeFileSync(join(dir, 'mode'), 'reboot');
    ctx.vm = { bridge: 'br-test-vm', veth: 'vm-n1', device: 'eth1' };
    startNode(ctx);
    await until(() => read(join(dir, 'boots')).trim() === '2' && read(join(dir, 'ip')).split('link set vm-n1 up').length === 3);
    const args = readFileSync(join(dir, 'args'), 'utf8').trim().split('\n');
    expect(args[0]).toBe(
      `-b -D ${ctx.dir}/rootfs -M n1 --register=no --keep-unit --network-bridge=br-test --network-veth-extra=vm-n1:eth1 --console=read-only --resolv-conf=off`,
    );
    expect(args[1]).toBe(args[0]);
    // Each boot's fresh veth is put on the VM bridge (the first boot ended in a reboot).
    const attach = 'link show vm-n1\nlink set vm-n1 master br-test-vm\nlink set vm-n1 up\n';
    expect(readFileSync(join(dir, 'ip'), 'utf8')).toBe(attach + attach);
    expect(await stopNode(ctx.dir, 5000)).toBe(true);
  });

  it('does not boot again when the node fails (exit other than 133)', async () => {
    writeFileSync(join(dir, 'mode'), 'crash');
    startNode(ctx);
    await until(() => existsSync(join(dir, 'boots')) && !existsSync(join(ctx.dir, 'supervisor.pid')));
    await new Promise((r) => setTimeout(r, 300));
    expect(readFileSync(join(dir, 'boots'), 'utf8').trim()).toBe('1');
    expect(readFileSync(join(ctx.dir, 'console.log'), 'utf8')).toMatch(/systemd-nspawn exited with 1/);
  });
});
