/**
 * drover's own ACCEPT rules for its bridges, so lab nodes keep talking
 * whatever the host firewall does (the way libvirt and LXD guard their
 * bridges). Docker is the usual culprit: dockerd sets the FORWARD policy to
 * DROP and turns on bridge-nf-call-iptables (br_netfilter), so frames bridged
 * between two nodes on drover's bridge go through iptables' FORWARD chain and
 * are dropped. Pure: which rules, reading `iptables -S`, and the commands that
 * get from what is there to what should be — unit-tested from recorded texts.
 *
 * What drover adds, each tagged with the comment "drover:BRIDGE PURPOSE" so
 * it is found again:
 *   filter, IPv4 + IPv6  FORWARD  -i BRIDGE -o BRIDGE      -j ACCEPT  (node to node, bridged)
 *   filter, IPv4 + IPv6  FORWARD  -i VMBRIDGE -o VMBRIDGE  -j ACCEPT  (the unnumbered VM network)
 *   filter, IPv4         INPUT    -i BRIDGE -p tcp --dport PROXYPORT -j ACCEPT (node to apt proxy)
 *   nat, IPv4   POSTROUTING  -o BRIDGE|VMBRIDGE -m physdev --physdev-is-bridged -j ACCEPT
 *     (frames bridged between nodes are never source-NATed: Docker masquerades
 *     each of its networks' subnets leaving by any other interface, so a
 *     Docker network on the lab's VM network 172.16.0.0/24 — Vagrant's docker
 *     provider makes exactly that — would otherwise rewrite them)
 * and the FORWARD ones also in DOCKER-USER where that chain exists: Docker
 * (re)inserts its jump to DOCKER-USER at the top of FORWARD whenever dockerd
 * starts, and keeps that chain's rules across restarts. In each chain drover's
 * rules sit at the top; a check that finds them missing, doubled, out of order
 * or below someone else's rule deletes them and inserts them again at the top.
 * The provider does not NAT: nodes reach the host (proxy) and each other only,
 * so there is no rule for traffic leaving the bridge.
 */

export type Family = 4 | 6;
export type Table = 'filter' | 'nat';

/** The tables drover keeps rules in, per family. */
export const TABLES: ReadonlyArray<{ family: Family; table: Table }> = [
  { family: 4, table: 'filter' },
  { family: 6, table: 'filter' },
  { family: 4, table: 'nat' },
];

/** The bridges of one drover home and the port of its apt proxy. */
export interface BridgeFirewall {
  bridge: string;
  vmBridge: string;
  proxyPort: number;
}

/** One rule: its chain and its spec, the tokens after `-A CHAIN` as `iptables -S` prints them. */
export interface Rule {
  chain: string;
  spec: string[];
}

/** A table as `iptables -S` shows it. */
export interface Ruleset {
  policies: Map<string, string>;
  chains: string[];
  rules: Rule[];
  /** iptables-nft saw iptables-legacy tables too (rules there are not in this listing). */
  legacyTablesPresent: boolean;
}

export const TAG_PREFIX = 'drover:';

/** The comment drover's rules carry: "drover:BRIDGE PURPOSE". */
export function ruleComment(bridge: string, purpose: string): string {
  return `${TAG_PREFIX}${bridge} ${purpose}`;
}

/** The bridge a rule was tagged for by drover, or undefined for anyone else's rule. */
export function ruleTag(spec: readonly string[]): string | undefined {
  for (let i = 0; i + 1 < spec.length; i++) {
    if (spec[i] === '--comment' && spec[i + 1]!.startsWith(TAG_PREFIX)) {
      return spec[i + 1]!.slice(TAG_PREFIX.length).split(' ')[0];
    }
  }
  return undefined;
}

/**
 * Split one line of `iptables -S` into tokens. iptables quotes a value with
 * double quotes (comments always, on the nft backend) and escapes `"` and `\`
 * inside with a backslash.
 */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    let tok = '';
    let quoted = false;
    while (i < line.length && (quoted || (line[i] !== ' ' && line[i] !== '\t'))) {
      const c = line[i]!;
      if (c === '"') {
        quoted = !quoted;
        i++;
      } else if (c === '\\' && quoted && i + 1 < line.length) {
        tok += line[i + 1];
        i += 2;
      } else {
        tok += c;
        i++;
      }
    }
    out.push(tok);
  }
  return out;
}

/** Read the output of `iptables -S` (or `ip6tables -S`) for one table. */
export function parseRules(text: string): Ruleset {
  const rs: Ruleset = { policies: new Map(), chains: [], rules: [], legacyTablesPresent: false };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      if (/legacy tables present/i.test(line)) rs.legacyTablesPresent = true;
      continue;
    }
    const t = tokenize(line);
    if (t[0] === '-P' && t.length >= 3) {
      rs.chains.push(t[1]!);
      rs.policies.set(t[1]!, t[2]!);
    } else if (t[0] === '-N' && t.length >= 2) {
      rs.chains.push(t[1]!);
    } else if (t[0] === '-A' && t.length >= 2) {
      rs.rules.push({ chain: t[1]!, spec: t.slice(2) });
    }
  }
  return rs;
}

const accept = (comment: string, ...match: string[]) => [...match, '-m', 'comment', '--comment', comment, '-j', 'ACCEPT'];

/** The rules drover wants in one family's table, in order, chain by chain. */
export function desiredRules(fw: BridgeFirewall, family: Family, current: Ruleset, table: Table = 'filter'): Rule[] {
  if (table === 'nat') {
    if (family !== 4) return [];
    return [
      { chain: 'POSTROUTING', spec: accept(ruleComment(fw.bridge, 'no-nat'), '-o', fw.bridge, '-m', 'physdev', '--physdev-is-bridged') },
      { chain: 'POSTROUTING', spec: accept(ruleComment(fw.vmBridge, 'no-nat'), '-o', fw.vmBridge, '-m', 'physdev', '--physdev-is-bridged') },
    ];
  }
  const forward = [
    accept(ruleComment(fw.bridge, 'node-to-node'), '-i', fw.bridge, '-o', fw.bridge),
    accept(ruleComment(fw.vmBridge, 'vm-network'), '-i', fw.vmBridge, '-o', fw.vmBridge),
  ];
  const rules: Rule[] = forward.map((spec) => ({ chain: 'FORWARD', spec }));
  if (current.chains.includes('DOCKER-USER')) rules.push(...forward.map((spec) => ({ chain: 'DOCKER-USER', spec })));
  if (family === 4) {
    rules.push({
      chain: 'INPUT',
      spec: accept(ruleComment(fw.bridge, 'apt-proxy'), '-i', fw.bridge, '-p', 'tcp', '-m', 'tcp', '--dport', String(fw.proxyPort)),
    });
  }
  return rules;
}

/** A spec in a form that compares equal however iptables printed it (`-m tcp` is implied by `-p tcp`). */
function normalize(spec: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < spec.length; i++) {
    if (spec[i] === '-m' && (spec[i + 1] === 'tcp' || spec[i + 1] === 'udp')) {
      i++;
      continue;
    }
    out.push(spec[i]!);
  }
  return JSON.stringify(out);
}

/** iptables arguments (after the binary and `-w`) that delete one rule. */
const del = (r: Rule) => ['-D', r.chain, ...r.spec];

/**
 * The commands that make `current` hold exactly the desired rules for these
 * bridges, on top of their chains: nothing when they already are (so a check
 * at every `lab up` adds nothing twice). A chain whose drover rules are
 * missing, doubled, out of order, or below a rule that is not drover's (e.g.
 * Docker's jump to DOCKER-USER, inserted again when dockerd starts) has them
 * deleted and inserted again at the top. Other drover homes' rules (other
 * bridges) count as "on top" too, so two homes never take turns.
 */
export function planFirewall(fw: BridgeFirewall, family: Family, current: Ruleset, table: Table = 'filter'): string[][] {
  const ours = new Set([fw.bridge, fw.vmBridge]);
  const want = desiredRules(fw, family, current, table);
  const cmds: string[][] = [];
  for (const chain of [...new Set(want.map((r) => r.chain))]) {
    const wantHere = want.filter((r) => r.chain === chain);
    const here = current.rules.filter((r) => r.chain === chain);
    const firstForeign = here.findIndex((r) => ruleTag(r.spec) === undefined);
    const top = firstForeign === -1 ? here : here.slice(0, firstForeign);
    const haveOurs = here.filter((r) => ours.has(ruleTag(r.spec) ?? ''));
    const onTop = top.filter((r) => ours.has(ruleTag(r.spec) ?? ''));
    const inPlace =
      onTop.length === haveOurs.length &&
      haveOurs.length === wantHere.length &&
      haveOurs.every((r, i) => normalize(r.spec) === normalize(wantHere[i]!.spec));
    if (inPlace) continue;
    cmds.push(...haveOurs.map(del));
    for (const r of [...wantHere].reverse()) cmds.push(['-I', chain, '1', ...r.spec]);
  }
  // Rules of ours in chains drover no longer uses (e.g. an old layout) go too.
  const wanted = new Set(want.map((r) => r.chain));
  cmds.push(...current.rules.filter((r) => !wanted.has(r.chain) && ours.has(ruleTag(r.spec) ?? '')).map(del));
  return cmds;
}

/** The commands that delete every rule drover tagged for these bridges. */
export function planRemoval(bridges: readonly string[], current: Ruleset): string[][] {
  const ours = new Set(bridges);
  return current.rules.filter((r) => ours.has(ruleTag(r.spec) ?? '')).map(del);
}

/** The rules tagged for these bridges, as `-A CHAIN …` lines (for messages and tests). */
export function taggedRules(bridges: readonly string[], current: Ruleset): Rule[] {
  const ours = new Set(bridges);
  return current.rules.filter((r) => ours.has(ruleTag(r.spec) ?? ''));
}

/** What may be dropped when drover could not put its rules in place: for the warning. */
export function atRisk(fw: BridgeFirewall, bridgeIp: string): string {
  return (
    `if this host's firewall drops forwarded or bridged traffic (dockerd sets the iptables FORWARD policy to DROP ` +
    `and turns on bridge-nf-call-iptables), nodes on ${fw.bridge} may not reach each other, frames on the VM network bridge ` +
    `${fw.vmBridge} may be dropped, and nodes may not reach the apt proxy at ${bridgeIp}:${fw.proxyPort}`
  );
}
