import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shq } from '../../util/shell.js';
import { BASE_VERSION, ensureBaseImage } from '../local/base-image.js';
import { loadConfig, paths } from '../local/config.js';
import { run } from '../local/exec.js';
import { CHRONY_DROP_IN, CHRONY_DROP_IN_PATH } from '../local/node-files.js';
import { HostSetupError, ensureHostPackages } from '../local/host-setup.js';

/**
 * The image Vagrant's docker provider boots for the lab machines: the local
 * provider's cached Debian base (no download: it is debootstrapped once and
 * kept as a tarball), plus what a Vagrant box has — a `vagrant` user with
 * passwordless sudo and Vagrant's insecure public key (Vagrant swaps it for a
 * generated key on first boot) — systemd as PID 1, and the container drop-ins
 * local nodes get. Host keys are made per container at first boot, never
 * baked into the image.
 *
 * The tag changes whenever what goes into it changes (IMAGE_REVISION or the
 * base's BASE_VERSION), so a stale image is never reused. The Vagrantfile's
 * default (DROVER_DOCKER_IMAGE) must name the same tag: a unit test holds them
 * together.
 */
export const IMAGE_REVISION = 2;
export const DOCKER_IMAGE = `drover/vagrant-debian-bookworm:v${BASE_VERSION}.${IMAGE_REVISION}`;
const BASE_TAG = `drover/debian-bookworm-base:v${BASE_VERSION}`;

export const DOCKERFILE = `FROM ${BASE_TAG}
ENV container=docker
COPY vagrant.pub /tmp/vagrant.pub
# The same container quirks as local nodes (see node-files.ts): chrony without CAP_SYS_TIME.
COPY chrony-container.conf /${CHRONY_DROP_IN_PATH}
RUN useradd --create-home --shell /bin/bash vagrant \\
 && printf 'vagrant ALL=(ALL) NOPASSWD:ALL\\n' > /etc/sudoers.d/vagrant && chmod 0440 /etc/sudoers.d/vagrant \\
 && install -d -m 0700 -o vagrant -g vagrant /home/vagrant/.ssh \\
 && install -m 0600 -o vagrant -g vagrant /tmp/vagrant.pub /home/vagrant/.ssh/authorized_keys \\
 && rm /tmp/vagrant.pub \\
 && printf '[Unit]\\nDescription=SSH host keys of this machine\\nBefore=ssh.service\\nConditionPathExists=!/etc/ssh/ssh_host_ed25519_key\\n[Service]\\nType=oneshot\\nExecStart=/usr/bin/ssh-keygen -A\\n[Install]\\nWantedBy=multi-user.target\\n' > /etc/systemd/system/ssh-host-keys.service \\
 && systemctl enable ssh ssh-host-keys.service \\
 && systemctl mask getty@tty1.service console-getty.service systemd-networkd.service systemd-networkd.socket
STOPSIGNAL SIGRTMIN+3
CMD ["/lib/systemd/systemd"]
`;

/** Where Vagrant installations keep keys/vagrant.pub: Debian's package, HashiCorp's, a gem. */
const VAGRANT_GEM_DIRS = ['/usr/share/rubygems-integration/all/gems', '/opt/vagrant/embedded/gems/gems', '/opt/vagrant/embedded/gems/2.3.4/gems', '/var/lib/gems'];

/** Vagrant's insecure public key, read from the installed Vagrant (the key every box ships). */
export function vagrantInsecurePublicKey(dirs: readonly string[] = VAGRANT_GEM_DIRS): string {
  for (const dir of dirs) {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    for (const e of entries.filter((n) => /^vagrant-\d/.test(n)).sort().reverse()) {
      const p = join(dir, e, 'keys', 'vagrant.pub');
      if (existsSync(p)) return readFileSync(p, 'utf8');
    }
  }
  throw new HostSetupError(`Vagrant's insecure public key (keys/vagrant.pub) was not found under ${dirs.join(', ')}: is vagrant installed?`);
}

async function dockerAnswers(): Promise<void> {
  const r = await run(['docker', 'info', '--format', '{{.ServerVersion}}'], { allowFail: true });
  if (r.rc !== 0) {
    throw new HostSetupError(
      `the docker provider needs a running Docker engine, and \`docker info\` failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ')}. ` +
        'Start it (`systemctl start docker`, or `dockerd &` where there is no systemd) or pick another provider.',
    );
  }
}

async function imageExists(tag: string): Promise<boolean> {
  return (await run(['docker', 'image', 'inspect', '--format', '{{.Id}}', tag], { allowFail: true })).rc === 0;
}

/**
 * Make sure `tag` exists, building drover's image when it is the default tag.
 * Returns whether it was built now.
 */
export async function ensureDockerImage(env: NodeJS.ProcessEnv, log: (msg: string) => void, tag = DOCKER_IMAGE): Promise<boolean> {
  await dockerAnswers();
  if (await imageExists(tag)) return false;
  if (tag !== DOCKER_IMAGE) throw new HostSetupError(`docker image ${tag} (DROVER_DOCKER_IMAGE) does not exist; drover builds only ${DOCKER_IMAGE}`);
  const cfg = loadConfig(env);
  if (!(await imageExists(BASE_TAG))) {
    await ensureHostPackages(log);
    const base = await ensureBaseImage({ cacheDir: paths(cfg).cacheDir, suite: 'bookworm', mirror: cfg.mirror }, log);
    log(`importing the Debian base into docker as ${BASE_TAG}`);
    await run(['sh', '-c', `zstd -dc ${shq(base.path)} | docker import - ${shq(BASE_TAG)}`]);
  }
  const ctx = mkdtempSync(join(tmpdir(), 'drover-docker-image-'));
  try {
    writeFileSync(join(ctx, 'Dockerfile'), DOCKERFILE);
    writeFileSync(join(ctx, 'vagrant.pub'), vagrantInsecurePublicKey());
    writeFileSync(join(ctx, 'chrony-container.conf'), CHRONY_DROP_IN);
    log(`building docker image ${tag} for Vagrant's docker provider (offline, ~10 s)`);
    const r = await run(['docker', 'build', '-q', '-t', tag, ctx], { allowFail: true });
    if (r.rc !== 0) throw new HostSetupError(`docker build of ${tag} failed (exit ${r.rc}):\n${(r.stdout + r.stderr).trim().split('\n').slice(-10).join('\n')}`);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
  return true;
}
