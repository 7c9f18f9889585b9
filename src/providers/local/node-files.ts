/**
 * The text of every file the local provider writes into a node or beside it.
 * Pure functions: unit-tested byte for byte, no machine needed.
 */

/** A node as placed on the lab network. */
export interface PlacedNode {
  name: string;
  group: 'controller_nodes' | 'compute_nodes';
  ip: string;
}

/** /etc/hosts: no DNS in the nodes, so every node of the lab is named here. */
export function hostsFile(nodes: readonly PlacedNode[]): string {
  const lines = [
    '# Written by drover (local provider): every node of the lab.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    '',
    // "IP name", the very line the node_setup role keeps there: a converged node's
    // first run after a boot (this file is rewritten before each) changes nothing.
    ...nodes.map((n) => `${n.ip} ${n.name}`),
  ];
  return lines.join('\n') + '\n';
}

/**
 * No DNS in the nodes (nothing outside is reachable): names come from
 * /etc/hosts, and lookups of anything else fail at once on the node's own
 * loopback instead of waiting for the host's resolver (nspawn would copy it in).
 */
export const RESOLV_CONF = [
  '# Written by drover (local provider): lab nodes have no DNS; names come from /etc/hosts.',
  'nameserver 127.0.0.1',
  'options timeout:1 attempts:1',
  '',
].join('\n');

/** systemd-networkd config for the veth nspawn puts on the bridge (host0 inside the node). */
export function networkFile(ip: string, prefix: number, gateway: string): string {
  return [
    '# Written by drover (local provider).',
    '[Match]',
    'Name=host0',
    '',
    '[Network]',
    `Address=${ip}/${prefix}`,
    `Gateway=${gateway}`,
    // No IPv6 autoconfiguration on the lab bridge: nothing answers and boot waits less.
    'LinkLocalAddressing=no',
    'IPv6AcceptRA=no',
    '',
  ].join('\n');
}

/** apt goes through apt-cacher-ng on the bridge (the blog's apt-cache trick). */
export function aptProxyFile(bridgeIp: string, port: number): string {
  return `// Written by drover (local provider): apt through the lab's apt-cacher-ng.\nAcquire::http::Proxy "http://${bridgeIp}:${port}";\n`;
}

/**
 * Container-only quirk: chrony's unit requires CAP_SYS_TIME, which a container
 * lacks, so it would stay inactive. Drop the condition and run chronyd with -x
 * (never step the clock shared with the host). Lives here, not in the chrony role.
 */
export const CHRONY_DROP_IN = [
  '# Written by drover (local provider): nodes are containers sharing the host clock.',
  '[Unit]',
  'ConditionCapability=',
  '',
  '[Service]',
  'ExecStart=',
  'ExecStart=!/usr/sbin/chronyd $DAEMON_OPTS -x',
  '',
].join('\n');

export const CHRONY_DROP_IN_PATH = 'etc/systemd/system/chrony.service.d/container.conf';

/** sshd offers exactly the host keys drover generated (and wrote into known_hosts). */
export const SSHD_HOSTKEYS = [
  '# Written by drover (local provider).',
  'HostKey /etc/ssh/ssh_host_ed25519_key',
  'HostKey /etc/ssh/ssh_host_ecdsa_key',
  '',
].join('\n');

export const SOURCES_LIST = (mirror: string, suite: string) =>
  [
    `deb ${mirror} ${suite} main`,
    `deb ${mirror} ${suite}-updates main`,
    `deb ${mirror.replace(/\/debian\/?$/, '/debian-security')} ${suite}-security main`,
    '',
  ].join('\n');

export interface InventoryInput {
  lab: string;
  nodes: readonly PlacedNode[];
  privateKeyFile: string;
  knownHostsFile: string;
  /** The nodes' interface on the unnumbered VM network (vm_network_device); none when absent. */
  vmNetworkDevice?: string;
}

/**
 * The lab's inventory in Ansible INI, shaped like the blog's hosts.ini (groups
 * controller_nodes and compute_nodes, mgmt_ip per host) plus what drover needs
 * to connect with strict host key checking.
 */
export function inventoryIni(inv: InventoryInput): string {
  // Paths are quoted only when they must be (a DROVER_HOME with spaces).
  const path = (p: string) => (/[\s"'#\\=]/.test(p) ? JSON.stringify(p) : p);
  const hostLine = (n: PlacedNode) =>
    [
      n.name,
      `mgmt_ip=${n.ip}`,
      `ansible_host=${n.ip}`,
      'ansible_user=root',
      `ansible_ssh_private_key_file=${path(inv.privateKeyFile)}`,
      `drover_known_hosts_file=${path(inv.knownHostsFile)}`,
    ].join(' ');
  const out = [`# Written by drover's local provider for lab ${inv.lab}; rewritten by \`drover lab up ${inv.lab}\`.`];
  for (const group of ['controller_nodes', 'compute_nodes'] as const) {
    out.push('', `[${group}]`, ...inv.nodes.filter((n) => n.group === group).map(hostLine));
  }
  out.push(
    '',
    '[all:vars]',
    'ansible_python_interpreter=/usr/bin/python3',
    // Unlike the blog's hosts.ini: drover wrote every node's host keys into drover_known_hosts_file.
    'host_key_checking=true',
    // Nodes are containers: roles pick container-safe settings from these, never from `when:` on hostnames.
    'lab_node_kind=container',
    'compute_driver=fake.FakeDriver',
    // No Open vSwitch in this kernel; bridges and VXLAN are there (Lab5's Neutron L2 agent).
    'neutron_mechanism_driver=linuxbridge',
    // The second NIC on the VM/provider network, as upstream's Vagrantfile gives every node:
    // no address; roles bring it up (`ip link set {{vm_network_device}} up`).
    ...(inv.vmNetworkDevice ? [`vm_network_device=${inv.vmNetworkDevice}`] : []),
    '',
  );
  return out.join('\n');
}

/** known_hosts lines for one node: its name and address share each host key. */
export function knownHostsLines(node: PlacedNode, publicKeys: readonly string[]): string[] {
  return publicKeys
    .map((k) => k.trim().split(/\s+/).slice(0, 2).join(' '))
    .filter((k) => /^(ssh-|ecdsa-)/.test(k))
    .map((k) => `${node.name},${node.ip} ${k}`);
}

/**
 * One supervisor per node, detached from drover: boots the node with
 * systemd-nspawn and boots it again when the node asks to reboot (exit 133).
 * SIGTERM is forwarded to nspawn, which powers the node off cleanly.
 * Arguments: NODE_DIR MACHINE_NAME BRIDGE VM_BRIDGE VM_VETH [CGROUP_DIR...]:
 * VM_VETH is HOSTIF:NODEIF, a second veth (nspawn --network-veth-extra) whose
 * host end is attached to VM_BRIDGE at every boot (nspawn makes a new one each
 * time); both empty for none. The cgroups it joins first give each node its
 * own systemd tree and memory accounting.
 */
export const SUPERVISOR_SCRIPT = `#!/bin/bash
# drover node supervisor (written by drover's local provider; do not edit).
set -u
dir=$1 name=$2 bridge=$3 vmbridge=$4 vmveth=$5
shift 5
for cg in "$@"; do
  { mkdir -p "$cg" && echo $$ > "$cg/cgroup.procs"; } 2>/dev/null || echo "drover: could not join cgroup $cg" >&2
done
echo $$ > "$dir/supervisor.pid"
extra=()
[ -n "$vmbridge" ] && extra=(--network-veth-extra="$vmveth")
vmhostif=\${vmveth%%:*}
# nspawn makes the extra veth before the node's init starts: put its host end on the VM bridge.
attach_vm() {
  local i
  for i in $(seq 1 200); do
    if ip link show "$vmhostif" >/dev/null 2>&1; then
      ip link set "$vmhostif" master "$vmbridge" && ip link set "$vmhostif" up && return 0
      echo "drover: could not attach $vmhostif to bridge $vmbridge" >&2
      return 1
    fi
    kill -0 "$child" 2>/dev/null || return 0
    sleep 0.05
  done
  echo "drover: $vmhostif did not appear within 10s; the node is not on the VM network bridge $vmbridge" >&2
}
stopping=0 child=
trap 'stopping=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null' TERM INT HUP
while [ "$stopping" = 0 ]; do
  date +%s > "$dir/booted_at"
  systemd-nspawn -b -D "$dir/rootfs" -M "$name" --register=no --keep-unit \\
    --network-bridge="$bridge" "\${extra[@]}" --console=read-only --resolv-conf=off &
  child=$!
  echo "$child" > "$dir/nspawn.pid"
  [ -n "$vmbridge" ] && attach_vm
  wait "$child"; rc=$?
  # wait returns early when a trapped signal arrives: keep waiting for nspawn's real exit.
  while kill -0 "$child" 2>/dev/null; do wait "$child"; rc=$?; done
  child=
  rm -f "$dir/nspawn.pid"
  echo "$(date -Is) systemd-nspawn exited with $rc" >&2
  [ "$rc" = 133 ] || break
done
rm -f "$dir/supervisor.pid" "$dir/booted_at"
`;
