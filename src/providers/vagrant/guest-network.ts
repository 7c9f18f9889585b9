/**
 * Which interface of a Vagrant guest is the lab's VM network (upstream's NIC3,
 * `vm_network_device`). Its name depends on the box and the provider (enp0s9
 * on Ubuntu's VirtualBox boxes, eth2 on Debian's boxes and in docker), so it
 * is read from the guest: the one Ethernet interface that carries neither the
 * default route (the provider's NAT) nor the management address.
 */

/** Parsed `ip -o link show`, `ip -o -4 addr show` and `ip -4 route show default`. */
export interface GuestLinks {
  /** Ethernet interfaces (link/ether), without their @peer suffix. */
  ethernet: string[];
  /** Interface -> its IPv4 addresses. */
  ipv4: Map<string, string[]>;
  defaultDev?: string;
}

/** The probe run on the guest; sections are separated by a line "--". */
export const GUEST_LINKS_COMMAND = 'ip -o link show; echo --; ip -o -4 addr show; echo --; ip -4 route show default';

export function parseGuestLinks(text: string): GuestLinks {
  const [links = '', addrs = '', routes = ''] = text.split(/^--$/m);
  const ethernet: string[] = [];
  for (const line of links.split('\n')) {
    const m = /^\d+:\s+([^:@\s]+)(?:@\S+)?:.*\blink\/ether\b/.exec(line);
    if (m) ethernet.push(m[1]!);
  }
  const ipv4 = new Map<string, string[]>();
  for (const line of addrs.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+inet\s+([\d.]+)\//.exec(line);
    if (m) ipv4.set(m[1]!, [...(ipv4.get(m[1]!) ?? []), m[2]!]);
  }
  const dev = /\bdev\s+(\S+)/.exec(routes.split('\n').find((l) => l.startsWith('default')) ?? '');
  return { ethernet, ipv4, ...(dev ? { defaultDev: dev[1]! } : {}) };
}

/** The VM-network interface, or undefined when there is not exactly one candidate. */
export function vmNetworkDevice(links: GuestLinks, mgmtIp: string): string | undefined {
  const candidates = links.ethernet.filter((dev) => dev !== links.defaultDev && !(links.ipv4.get(dev) ?? []).includes(mgmtIp));
  return candidates.length === 1 ? candidates[0] : undefined;
}
