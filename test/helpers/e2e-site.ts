/**
 * For e2e suites that bring up their own local nodes beside other labs: the
 * site they run in (drover home, subnet, bridge, machine-name prefix), and
 * the timings they collect and print at the end (the numbers for the issue
 * notes).
 */

export interface NodeSite {
  home: string;
  subnet: string;
  bridge: string;
  machinePrefix: string;
}

/** lab1's nodes for the fault drills (reliability-nodes) and the tls_ca role (tls-ca-nodes): both suites use this site by default. */
export const REL_SITE: NodeSite = { home: '/var/lib/drover-rel', subnet: '10.93.0.0/24', bridge: 'drover93', machinePrefix: 'r' };

/**
 * process.env with DROVER_HOME, DROVER_SUBNET, DROVER_BRIDGE and
 * DROVER_MACHINE_PREFIX set to `site`, each overridden by
 * DROVER_E2E_<SUITE>_HOME, _SUBNET, _BRIDGE, _MACHINE_PREFIX when that is set.
 */
export function siteEnv(suite: string, site: NodeSite): NodeJS.ProcessEnv {
  const own = (key: string) => process.env[`DROVER_E2E_${suite}_${key}`];
  return {
    ...process.env,
    DROVER_HOME: own('HOME') ?? site.home,
    DROVER_SUBNET: own('SUBNET') ?? site.subnet,
    DROVER_BRIDGE: own('BRIDGE') ?? site.bridge,
    DROVER_MACHINE_PREFIX: own('MACHINE_PREFIX') ?? site.machinePrefix,
  };
}

/** `12.3 s` */
export const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Print what a suite measured (label -> value) under `title`. */
export function printMeasured(title: string, measured: Record<string, string>): void {
  console.log(`\n${title}, measured:\n` + Object.entries(measured).map(([k, v]) => `  ${k}: ${v}`).join('\n'));
}
