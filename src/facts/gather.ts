/**
 * Host facts in ONE round trip: a single shell script prints tagged sections,
 * a pure parser turns them into Ansible's fact names (ansible_hostname,
 * ansible_distribution, ansible_default_ipv4 …), returned both flat and under
 * `ansible_facts` without the prefix, so roles written for Ansible read them
 * unchanged. The parser is tested from recorded outputs.
 */
import type { ExecResult } from '../transport/connection.js';

const MARK = '@@drover-fact:';

/**
 * Plain POSIX sh, every probe optional (minimal containers lack `ip`,
 * `systemd-detect-virt`, …). No `exit`: it may run in a long-lived shell.
 * env is base64'd because values may hold newlines. Small files are read
 * with the shell's own `read` (`_drv_cat`), not `cat`: a process start costs
 * 2-8 ms on a VM or container, and the links loop read three files per
 * interface (~50 processes on a lab controller with its bridges and taps).
 */
export const FACTS_SCRIPT = [
  `_drv_cat() { while IFS= read -r _l || [ -n "$_l" ]; do printf '%s\\n' "$_l"; done < "$1"; }`,
  // Lines of a file that start with one of the patterns (grep -E '^(a|b)' without a process).
  `_drv_grep() { _f=$1; shift; while IFS= read -r _l || [ -n "$_l" ]; do for _p in "$@"; do case $_l in "$_p"*) printf '%s\\n' "$_l"; break;; esac; done; done < "$_f"; }`,
  `echo '${MARK}hostname'; _drv_cat /proc/sys/kernel/hostname 2>/dev/null || hostname 2>/dev/null`,
  `echo '${MARK}fqdn'; timeout 3 hostname -f 2>/dev/null`,
  `echo '${MARK}uname'; if [ -r /proc/sys/kernel/ostype ] && [ -r /proc/sys/kernel/version ]; then _drv_cat /proc/sys/kernel/hostname; _drv_cat /proc/sys/kernel/ostype; _drv_cat /proc/sys/kernel/osrelease; uname -m; _drv_cat /proc/sys/kernel/version; else uname -n; uname -s; uname -r; uname -m; uname -v; fi`,
  `echo '${MARK}os_release'; _drv_cat /etc/os-release 2>/dev/null || _drv_cat /usr/lib/os-release 2>/dev/null`,
  `echo '${MARK}debian_version'; _drv_cat /etc/debian_version 2>/dev/null`,
  // The default route from /proc/net/route (the parser reads either); \`ip route\` only where /proc is not there.
  `echo '${MARK}ip_route'; [ -r /proc/net/route ] || ip -4 route show default 2>/dev/null`,
  `echo '${MARK}proc_route'; _drv_cat /proc/net/route 2>/dev/null`,
  // One \`ip\` for both families (the parser splits them); \`hostname -I\` only where there is no \`ip\`.
  `echo '${MARK}ip_addr_all'; ip -o addr show 2>/dev/null; _drv_ip=$?`,
  `echo '${MARK}hostname_i'; [ "$_drv_ip" = 0 ] || hostname -I 2>/dev/null`,
  `echo '${MARK}links'; for d in /sys/class/net/*; do [ -e "$d" ] || continue; _a=; _m=; _o=; read -r _a 2>/dev/null < "$d/address"; read -r _m 2>/dev/null < "$d/mtu"; read -r _o 2>/dev/null < "$d/operstate"; printf '%s %s %s %s\\n' "\${d##*/}" "$_a" "$_m" "$_o"; done`,
  `echo '${MARK}meminfo'; _drv_grep /proc/meminfo MemTotal: MemFree: MemAvailable: SwapTotal: SwapFree: 2>/dev/null`,
  `echo '${MARK}cpu'; _n=0; while IFS= read -r _l; do case $_l in processor*) _n=$((_n + 1));; esac; done 2>/dev/null < /proc/cpuinfo; echo "$_n"; nproc 2>/dev/null`,
  `echo '${MARK}user'; _u=$(id -un); echo "$_u"; id -u; id -g; getent passwd "$_u" 2>/dev/null`,
  `echo '${MARK}env'; env | base64 -w 0; echo`,
  `echo '${MARK}pkg'; for m in apt-get dnf yum zypper apk pacman; do command -v $m >/dev/null 2>&1 && echo $m; done`,
  `echo '${MARK}init'; [ -d /run/systemd/system ] && echo systemd-running; _drv_cat /proc/1/comm 2>/dev/null`,
  // PID 1's container= variable: bash reads NUL-separated words itself; sh needs tr.
  `echo '${MARK}virt'; if command -v systemd-detect-virt >/dev/null 2>&1; then echo "sdv:$(systemd-detect-virt 2>/dev/null)"; fi; [ -e /.dockerenv ] && echo dockerenv; [ -e /run/.containerenv ] && echo podman; if [ -n "$BASH_VERSION" ]; then while IFS= read -r -d '' _l; do case $_l in container=*) printf '%s\\n' "$_l";; esac; done 2>/dev/null </proc/1/environ; else tr '\\0' '\\n' 2>/dev/null </proc/1/environ | grep '^container='; fi`,
  // bash 4.2+ formats the time itself; the UTC forms are computed from the epoch by the parser.
  `echo '${MARK}date'; _f='%s|%Y|%m|%d|%H|%M|%S|%Z|%z|%A|%a|%j|%u|%U'; if [ "\${BASH_VERSINFO:-0}" -gt 4 ] 2>/dev/null; then printf "%($_f)T\\n" -1; else date "+$_f"; fi`,
  `echo '${MARK}resolv'; _drv_grep /etc/resolv.conf nameserver search domain 2>/dev/null`,
  `echo '${MARK}end'`,
].join('\n');

/** Gather facts with one command; `exec` is the host's command runner (ctx.exec or conn.exec). */
export async function gatherFacts(exec: (cmd: string) => Promise<ExecResult>): Promise<Record<string, unknown>> {
  const r = await exec(FACTS_SCRIPT);
  if (!r.stdout.includes(`${MARK}end`)) {
    throw new Error(`gathering facts failed (rc ${r.rc}): ${r.stderr.trim() || 'no output'}`);
  }
  return parseFacts(r.stdout);
}

/** Split the script output into its sections. */
export function sections(stdout: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let cur: string[] | null = null;
  for (const line of stdout.split('\n')) {
    if (line.startsWith(MARK)) {
      cur = [];
      out.set(line.slice(MARK.length).trim(), cur);
    } else if (cur) {
      cur.push(line);
    }
  }
  for (const [k, v] of out) {
    while (v.length && v[v.length - 1]!.trim() === '') v.pop();
    out.set(k, v);
  }
  return out;
}

/** Distribution names as Ansible spells them, by os-release ID. */
const DISTRO_NAMES: Record<string, string> = {
  debian: 'Debian',
  ubuntu: 'Ubuntu',
  linuxmint: 'Linux Mint',
  raspbian: 'Debian',
  kali: 'Kali',
  devuan: 'Devuan',
  pop: 'Pop!_OS',
  centos: 'CentOS',
  rhel: 'RedHat',
  fedora: 'Fedora',
  rocky: 'Rocky',
  almalinux: 'AlmaLinux',
  ol: 'OracleLinux',
  amzn: 'Amazon',
  alpine: 'Alpine',
  arch: 'Archlinux',
  'opensuse-leap': 'openSUSE Leap',
  'opensuse-tumbleweed': 'openSUSE Tumbleweed',
  sles: 'SLES',
};

const OS_FAMILY: Record<string, string> = {
  Debian: 'Debian',
  Ubuntu: 'Debian',
  'Linux Mint': 'Debian',
  Kali: 'Debian',
  Devuan: 'Debian',
  'Pop!_OS': 'Debian',
  CentOS: 'RedHat',
  RedHat: 'RedHat',
  Fedora: 'RedHat',
  Rocky: 'RedHat',
  AlmaLinux: 'RedHat',
  OracleLinux: 'RedHat',
  Amazon: 'RedHat',
  Alpine: 'Alpine',
  Archlinux: 'Archlinux',
  'openSUSE Leap': 'Suse',
  'openSUSE Tumbleweed': 'Suse',
  SLES: 'Suse',
};

const FAMILY_BY_ID_LIKE: Record<string, string> = { debian: 'Debian', ubuntu: 'Debian', rhel: 'RedHat', fedora: 'RedHat', suse: 'Suse', arch: 'Archlinux' };

export function parseOsRelease(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2]!;
    if (/^".*"$/.test(v)) v = v.slice(1, -1).replace(/\\(["$`\\])/g, '$1');
    else if (/^'.*'$/.test(v)) v = v.slice(1, -1);
    out[m[1]!] = v;
  }
  return out;
}

function distribution(osr: Record<string, string>, debianVersion: string | undefined, system: string) {
  const id = (osr.ID ?? '').toLowerCase();
  const name = DISTRO_NAMES[id] ?? (osr.NAME ? osr.NAME.split(/\s+/)[0]! : system);
  let version = osr.VERSION_ID ?? '';
  // Ansible reports Debian's point release from /etc/debian_version (12.5, not 12).
  if (name === 'Debian' && debianVersion && /^\d+(\.\d+)*$/.test(debianVersion)) version = debianVersion;
  if (name === 'Debian' && !version && debianVersion) version = debianVersion; // testing/sid: "trixie/sid"
  const release = osr.VERSION_CODENAME ?? osr.UBUNTU_CODENAME ?? (/\(([a-z]+)\)/i.exec(osr.VERSION ?? '')?.[1]?.toLowerCase() ?? '');
  let family = OS_FAMILY[name];
  if (!family) {
    for (const like of (osr.ID_LIKE ?? '').split(/\s+/)) {
      if (FAMILY_BY_ID_LIKE[like]) {
        family = FAMILY_BY_ID_LIKE[like];
        break;
      }
    }
  }
  return {
    distribution: name,
    distribution_version: version || 'NA',
    distribution_major_version: version ? version.split(/[./]/)[0]! : 'NA',
    distribution_release: release || 'NA',
    os_family: family ?? name,
  };
}

interface Ipv4 {
  address: string;
  netmask: string;
  network: string;
  broadcast?: string;
  prefix: string;
}

function prefixToMask(prefix: number): string {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 255).join('.');
}

function networkOf(address: string, prefix: number): string {
  const a = address.split('.').map(Number);
  const m = prefixToMask(prefix).split('.').map(Number);
  return a.map((x, i) => x & m[i]!).join('.');
}

/** `ip -o -4 addr show` lines -> addresses per interface, in order. */
export function parseIpAddr(lines: string[]): Map<string, Ipv4[]> {
  const out = new Map<string, Ipv4[]>();
  for (const line of lines) {
    const m = /^\d+:\s+(\S+?)(?:@\S+)?\s+inet\s+(\d+\.\d+\.\d+\.\d+)\/(\d+)(?:\s+brd\s+(\S+))?/.exec(line);
    if (!m) continue;
    const prefix = Number(m[3]);
    const entry: Ipv4 = { address: m[2]!, netmask: prefixToMask(prefix), network: networkOf(m[2]!, prefix), prefix: m[3]!, ...(m[4] ? { broadcast: m[4] } : {}) };
    const list = out.get(m[1]!) ?? [];
    list.push(entry);
    out.set(m[1]!, list);
  }
  return out;
}

/** `ip -o -6 addr show` lines -> addresses per interface. */
export function parseIp6Addr(lines: string[]): Map<string, Array<{ address: string; prefix: string; scope: string }>> {
  const out = new Map<string, Array<{ address: string; prefix: string; scope: string }>>();
  for (const line of lines) {
    const m = /^\d+:\s+(\S+?)(?:@\S+)?\s+inet6\s+([0-9a-f:]+)\/(\d+)(?:.*?scope\s+(\S+))?/i.exec(line);
    if (!m) continue;
    const list = out.get(m[1]!) ?? [];
    list.push({ address: m[2]!, prefix: m[3]!, scope: m[4] ?? 'global' });
    out.set(m[1]!, list);
  }
  return out;
}

/** Default route: from `ip -4 route show default`, else from /proc/net/route (hex, little-endian). */
export function parseDefaultRoute(ipRoute: string[], procRoute: string[]): { interface: string; gateway: string } | null {
  for (const line of ipRoute) {
    const m = /^default\s+via\s+(\S+)\s+dev\s+(\S+)/.exec(line.trim());
    if (m) return { gateway: m[1]!, interface: m[2]! };
    const d = /^default\s+dev\s+(\S+)/.exec(line.trim());
    if (d) return { gateway: '', interface: d[1]! };
  }
  for (const line of procRoute.slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 3 && f[1] === '00000000') {
      const hex = f[2]!;
      const gw = [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
      return { interface: f[0]!, gateway: gw === '0.0.0.0' ? '' : gw };
    }
  }
  return null;
}

function serviceMgr(init: string[]): string {
  if (init.includes('systemd-running')) return 'systemd';
  const comm = init.filter((l) => l !== 'systemd-running')[0]?.trim() ?? '';
  const known: Record<string, string> = { systemd: 'systemd', init: 'sysvinit', 'runit-init': 'runit', runit: 'runit', 'openrc-init': 'openrc', upstart: 'upstart' };
  return known[comm] ?? 'service';
}

function virtualization(lines: string[]): { type: string; role: string } {
  const sdv = lines.find((l) => l.startsWith('sdv:'))?.slice(4).trim();
  if (sdv && sdv !== 'none') return { type: sdv, role: 'guest' };
  const env = lines.find((l) => l.startsWith('container='))?.slice('container='.length).trim();
  if (env) return { type: env, role: 'guest' };
  if (lines.includes('dockerenv')) return { type: 'docker', role: 'guest' };
  if (lines.includes('podman')) return { type: 'podman', role: 'guest' };
  if (sdv === 'none') return { type: 'none', role: 'host' };
  return { type: 'NA', role: 'NA' };
}

function parseEnv(b64: string): Record<string, string> {
  const text = Buffer.from(b64.trim(), 'base64').toString('utf8');
  const out: Record<string, string> = {};
  // `env` prints NAME=value per line; a value with newlines continues on lines without NAME=.
  let last: string | null = null;
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(line);
    if (m) {
      out[m[1]!] = m[2]!;
      last = m[1]!;
    } else if (last && line !== '') {
      out[last] += '\n' + line;
    }
  }
  return out;
}

function dateTime(lines: string[]): Record<string, string> {
  const [local = '', utc = ''] = lines;
  const [epoch, year, month, day, hour, minute, second, tz, tzOffset, weekday, weekdayShort, julian, weekdayNumber, weeknumber] = local.split('|');
  if (!epoch) return {};
  // The UTC forms follow from the epoch (older recordings carry a second `date -u` line).
  const iso = new Date(Number(epoch) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const [iso8601, iso8601Basic] = utc ? utc.split('|') : [iso, iso.replace(/[-:]/g, '')];
  return {
    epoch: epoch!,
    year: year!,
    month: month!,
    day: day!,
    hour: hour!,
    minute: minute!,
    second: second!,
    date: `${year}-${month}-${day}`,
    time: `${hour}:${minute}:${second}`,
    tz: tz!,
    tz_offset: tzOffset!,
    weekday: weekday!,
    weekday_number: weekdayNumber ?? '',
    weeknumber: weeknumber ?? '',
    julian_day: julian ?? '',
    iso8601: iso8601 ?? '',
    iso8601_basic_short: iso8601Basic ?? '',
    weekday_short: weekdayShort ?? '',
  };
}

/** Turn the script's output into facts, flat (`ansible_x`) and under `ansible_facts` (`x`). Pure. */
export function parseFacts(stdout: string): Record<string, unknown> {
  const s = sections(stdout);
  const get = (k: string): string[] => s.get(k) ?? [];
  const first = (k: string): string => get(k)[0]?.trim() ?? '';

  const [nodename = '', system = 'Linux', kernel = '', machine = '', kernelVersion = ''] = get('uname').map((l) => l.trim());
  const fullHostname = first('hostname') || nodename;
  const hostname = fullHostname.split('.')[0]!;
  const fqdn = first('fqdn') || fullHostname;
  const domain = fqdn.includes('.') ? fqdn.slice(fqdn.indexOf('.') + 1) : '';

  const osr = parseOsRelease(get('os_release'));
  const dist = distribution(osr, first('debian_version') || undefined, system);

  // `ip -o addr show` of both families (older recordings: one section per family).
  const all = get('ip_addr_all');
  const addrs = parseIpAddr(all.length ? all : get('ip_addr'));
  const addrs6 = parseIp6Addr(all.length ? all : get('ip6_addr'));
  const links = new Map<string, { mac: string; mtu: number; operstate: string }>();
  for (const line of get('links')) {
    const [name, mac = '', mtu = '', operstate = ''] = line.trim().split(/\s+/);
    if (name) links.set(name, { mac, mtu: Number(mtu) || 0, operstate });
  }
  const interfaces = [...new Set([...links.keys(), ...addrs.keys()])].sort();
  let allV4 = [...addrs.values()].flat().map((a) => a.address);
  if (allV4.length === 0) allV4 = first('hostname_i').split(/\s+/).filter((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a));
  allV4 = allV4.filter((a) => !a.startsWith('127.'));
  const allV6 = [...addrs6.values()].flat().filter((a) => a.scope !== 'host').map((a) => a.address);

  const route = parseDefaultRoute(get('ip_route'), get('proc_route'));
  let defaultIpv4: Record<string, unknown> = {};
  if (route) {
    const a = addrs.get(route.interface)?.[0];
    const link = links.get(route.interface);
    defaultIpv4 = {
      interface: route.interface,
      alias: route.interface,
      gateway: route.gateway,
      address: a?.address ?? allV4[0] ?? '',
      ...(a ? { netmask: a.netmask, network: a.network, prefix: a.prefix, ...(a.broadcast ? { broadcast: a.broadcast } : {}) } : {}),
      ...(link ? { macaddress: link.mac, mtu: link.mtu } : {}),
      type: route.interface === 'lo' ? 'loopback' : 'ether',
    };
  }

  // Per-interface facts (ansible_eth0.ipv4.address): Ansible names them with '-' and '.' as '_'.
  const perInterface: Record<string, unknown> = {};
  for (const name of interfaces) {
    const v4 = addrs.get(name) ?? [];
    const link = links.get(name);
    perInterface[name.replace(/[-.:]/g, '_')] = {
      device: name,
      active: link ? link.operstate !== 'down' : true,
      ...(link ? { macaddress: link.mac, mtu: link.mtu } : {}),
      type: name === 'lo' ? 'loopback' : 'ether',
      ...(v4[0] ? { ipv4: v4[0] } : {}),
      ...(v4.length > 1 ? { ipv4_secondaries: v4.slice(1) } : {}),
      ...(addrs6.get(name) ? { ipv6: addrs6.get(name) } : {}),
    };
  }

  const mem: Record<string, number> = {};
  for (const line of get('meminfo')) {
    const m = /^(\w+):\s+(\d+)/.exec(line);
    if (m) mem[m[1]!] = Math.floor(Number(m[2]) / 1024);
  }
  const [cpuinfoCount = '', nproc = ''] = get('cpu').map((l) => l.trim());
  const vcpus = Number(cpuinfoCount) || Number(nproc) || 0;

  const [userId = '', uid = '', gid = '', passwd = ''] = get('user').map((l) => l.trim());
  const pw = passwd.split(':');
  const env = parseEnv(get('env').join(''));

  const pkgOrder = ['apt-get', 'dnf', 'yum', 'zypper', 'apk', 'pacman'];
  const pkgFound = get('pkg').map((l) => l.trim());
  const pkgNames: Record<string, string> = { 'apt-get': 'apt', dnf: 'dnf', yum: 'yum', zypper: 'zypper', apk: 'apk', pacman: 'pacman' };
  const pkg = pkgOrder.find((p) => pkgFound.includes(p));

  const virt = virtualization(get('virt').map((l) => l.trim()));

  const dns: Record<string, unknown> = { nameservers: [] as string[], search: [] as string[] };
  for (const line of get('resolv')) {
    const [k, ...rest] = line.trim().split(/\s+/);
    if (k === 'nameserver' && rest[0]) (dns.nameservers as string[]).push(rest[0]);
    else if (k === 'search') dns.search = rest;
    else if (k === 'domain' && rest[0]) dns.domain = rest[0];
  }

  const facts: Record<string, unknown> = {
    hostname,
    nodename,
    fqdn,
    domain,
    system,
    kernel,
    kernel_version: kernelVersion,
    machine,
    architecture: machine,
    ...dist,
    os_release: osr,
    default_ipv4: defaultIpv4,
    all_ipv4_addresses: allV4,
    all_ipv6_addresses: allV6,
    interfaces,
    ...perInterface,
    memtotal_mb: mem.MemTotal ?? 0,
    memfree_mb: mem.MemFree ?? 0,
    memavailable_mb: mem.MemAvailable ?? 0,
    swaptotal_mb: mem.SwapTotal ?? 0,
    swapfree_mb: mem.SwapFree ?? 0,
    processor_vcpus: vcpus,
    processor_nproc: Number(nproc) || vcpus,
    user_id: userId,
    user_uid: Number(uid),
    user_gid: Number(gid),
    user_dir: pw[5] ?? env.HOME ?? '',
    user_shell: pw[6] ?? env.SHELL ?? '',
    env,
    pkg_mgr: pkg ? pkgNames[pkg] : 'unknown',
    service_mgr: serviceMgr(get('init').map((l) => l.trim())),
    virtualization_type: virt.type,
    virtualization_role: virt.role,
    date_time: dateTime(get('date').map((l) => l.trim())),
    dns,
  };

  const flat: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(facts)) flat[`ansible_${k}`] = v;
  return { ...flat, ansible_facts: facts };
}
