import { readFile, unlink } from 'node:fs/promises';
import { writeFileIfChanged } from '../../util/local-files.js';
import path from 'node:path';
import { DoApiError, type DoClient } from './api.js';
import { renderDropletInventory } from './inventory-text.js';
import { InputError, InputErrors } from '../../util/errors.js';
import { costOf, createRequests, formatCost, planDown, planUp, sizeProblem } from './plan.js';
import { resolvePath, type DesiredDroplet, type DropletSpec } from './spec.js';
import { refKey, resolveSshKeys } from './ssh-keys.js';
import { publicIpv4, sizeSlugOf, type DoAction, type DoDroplet, type DoSize } from './types.js';

/**
 * `droplet up`, `down` and `list`: the API conversations, built on the pure
 * plan. Everything the operator sees goes through `Reporter` (the CLI redacts
 * it); nothing here prints.
 */

export interface Reporter {
  info(line: string): void;
  warn(line: string): void;
  /** A JSON-lines event (`--events FILE`). */
  event(e: Record<string, unknown>): void;
}

export interface WaitOptions {
  /** First poll interval; grows ×1.5 per round up to 15 s. */
  pollMs?: number;
  /** Give up waiting for droplets after this long. */
  waitTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface UpResult {
  created: string[];
  failed: Array<{ name: string; error: string }>;
  droplets: DoDroplet[];
  inventoryFile?: string;
  inventoryChanged: boolean;
}

const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const INVENTORY_HEADER = 'Written by `drover droplet up`';

function apiMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** `writeInventory: false`: the caller writes its own (a lab's inventory has the blog's groups and known_hosts). */
export async function dropletsUp(spec: DropletSpec, client: DoClient, report: Reporter, o: WaitOptions & { dryRun?: boolean; writeInventory?: boolean } = {}): Promise<UpResult> {
  const owned = await client.listDroplets(spec.ownershipTag);
  const plan = planUp(spec, owned);
  for (const d of plan.drift) report.warn(d);
  for (const s of plan.strays) report.warn(`${s.name} (id ${s.id}) carries ${spec.ownershipTag} but the spec no longer names it; \`drover droplet down\` would delete it`);
  const result: UpResult = { created: [], failed: [], droplets: [], inventoryChanged: false };
  const keyless = plan.create.filter((d) => d.sshKeys.length === 0).map((d) => d.name);
  if (keyless.length) report.warn(`${keyless.join(', ')}: no ssh_keys in the spec; DigitalOcean then emails a root password and drover cannot log in with a key`);

  // Sizes first: a size the region does not offer is refused before anything is created (or priced).
  const sizes: DoSize[] = plan.create.length || o.dryRun ? await client.listSizes() : [];
  const unavailable = plan.create.flatMap((d) => {
    const why = sizeProblem(sizes, d.size, d.region);
    return why ? [new InputError(`droplet spec: ${d.name}: ${why}`, d.pos, 'pick a size that /v2/sizes lists for the region, or another region')] : [];
  });
  const creatable = plan.create.filter((d) => !sizeProblem(sizes, d.size, d.region));
  const overLimit = creatable.length ? await dropletLimitProblem(client, creatable.length, report) : undefined;

  if (o.dryRun) {
    const keys = await resolveSshKeys(client, creatable.flatMap((d) => d.sshKeys), path.dirname(spec.file), true);
    for (const k of keys.uploads) report.info(`would upload ssh key "${k.name}" (${k.fingerprint}) from ${k.file}`);
    for (const k of plan.keep) report.info(`exists: ${k.droplet.name} (id ${k.droplet.id}, ${k.droplet.status}, ${publicIpv4(k.droplet) ?? 'no public IPv4'})`);
    for (const d of creatable) report.info(`would create: ${d.name} (${d.size} in ${d.region}, image ${d.image}) — ${formatCost(costOf(sizes, [d.size]))}`);
    if (creatable.length === 0) report.info('nothing to create');
    else report.info(`would create ${creatable.length} droplet(s): ${formatCost(costOf(sizes, creatable.map((d) => d.size)))}`);
    if (overLimit) report.warn(`${overLimit}; \`droplet up\` would create nothing`);
    const all = [...plan.keep.map((k) => sizeSlugOf(k.droplet) ?? k.desired.size), ...creatable.map((d) => d.size)];
    report.info(`the spec's droplets together: ${formatCost(costOf(sizes, all))}`);
    report.event({ type: 'droplet_plan', dry_run: true, create: creatable.map((d) => d.name), keep: plan.keep.map((k) => k.droplet.name) });
    throwAll(unavailable);
    return result;
  }
  throwAll(unavailable);

  const pending: Pending = { droplets: new Map(), actions: new Map() };
  for (const k of plan.keep) {
    if (k.droplet.status === 'new') {
      // Still starting (e.g. an earlier run was interrupted): follow its create action rather than create again.
      const create = (await client.listDropletActions(k.droplet.id)).find((a) => a.type === 'create' && a.status === 'in-progress');
      report.info(`${k.droplet.name} (id ${k.droplet.id}) exists and is still starting`);
      pending.droplets.set(k.droplet.id, { name: k.droplet.name });
      if (create) pending.actions.set(create.id, k.droplet.id);
    } else if (k.droplet.status === 'active' && !publicIpv4(k.droplet)) pending.droplets.set(k.droplet.id, { name: k.droplet.name });
    else if (k.droplet.status !== 'active') report.warn(`${k.droplet.name} is ${k.droplet.status}; drover does not power droplets on`);
  }

  if (overLimit) {
    // Checked before any create: a multi-create over the limit is refused whole, and one-by-one retries would build half a cluster.
    report.warn(`${overLimit}; nothing created`);
    for (const d of creatable) result.failed.push({ name: d.name, error: `${overLimit}; nothing created` });
  } else if (creatable.length) {
    const keys = await resolveSshKeys(client, plan.create.flatMap((d) => d.sshKeys), path.dirname(spec.file), false);
    for (const k of keys.uploads) {
      report.info(`uploaded ssh key "${k.name}" (${k.fingerprint})`);
      report.event({ type: 'ssh_key_upload', name: k.name, fingerprint: k.fingerprint });
    }
    const keyIds = (d: DesiredDroplet) => d.sshKeys.map((r) => keys.resolved.get(refKey(r))!);
    for (const { request, droplets } of createRequests(creatable, keyIds)) {
      await createBatch(client, spec, request, droplets, keyIds, pending, result, report, o.sleep ?? sleepMs);
    }
  }

  if (pending.droplets.size) await waitActive(client, spec, pending, result, report, o);

  // Fresh list: the inventory shows what DigitalOcean has, not what we hoped for.
  const final = await client.listDroplets(spec.ownershipTag);
  result.droplets = planDown(spec, final);
  if (o.writeInventory === false) return result;
  const text = renderDropletInventory(spec, final, `${INVENTORY_HEADER} from ${path.basename(spec.file)} (spec ${spec.name}, tag ${spec.ownershipTag}).\nRe-run it to refresh; \`drover droplet down\` removes this file.`);
  result.inventoryFile = spec.inventoryFile;
  result.inventoryChanged = writeFileIfChanged(spec.inventoryFile, text);
  report.info(`inventory ${result.inventoryChanged ? 'written' : 'unchanged'}: ${spec.inventoryFile} (${result.droplets.filter((d) => publicIpv4(d)).length} host(s))`);
  report.event({ type: 'inventory', file: spec.inventoryFile, changed: result.inventoryChanged });
  if (!result.created.length && !result.failed.length) report.info(`all ${spec.droplets.length} droplet(s) exist; nothing created`);
  return result;
}

/**
 * One create request. A 422 on a multi-name request is retried name by name
 * so one bad droplet does not block the others and the error names it; a 5xx
 * or lost answer (the create may or may not have happened) is resolved by
 * listing again and creating only what is still missing.
 */
async function createBatch(
  client: DoClient,
  spec: DropletSpec,
  request: Parameters<DoClient['createDroplets']>[0],
  droplets: DesiredDroplet[],
  keyIds: (d: DesiredDroplet) => Array<string | number>,
  pending: Pending,
  result: UpResult,
  report: Reporter,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  const names = droplets.map((d) => d.name);
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await client.createDroplets(request);
      // The action links come in no promised order: each action names its droplet (resource_id) when fetched.
      for (const a of r.actionIds) pending.actions.set(a, r.droplets.length === 1 ? r.droplets[0]!.id : undefined);
      for (const d of r.droplets) {
        pending.droplets.set(d.id, { name: d.name });
        result.created.push(d.name);
        report.info(`created ${d.name} (id ${d.id})`);
        report.event({ type: 'droplet_create', name: d.name, id: d.id });
      }
      return;
    } catch (e) {
      if (e instanceof DoApiError && e.status === 422 && names.length > 1) {
        report.warn(`DigitalOcean refused creating ${names.join(', ')} together (${e.apiMessage}${e.requestId ? `, request_id ${e.requestId}` : ''}); creating them one by one`);
        for (const d of droplets) {
          const { names: _n, ...rest } = request;
          await createBatch(client, spec, { ...rest, name: d.name, ssh_keys: keyIds(d) }, [d], keyIds, pending, result, report, sleep);
        }
        return;
      }
      const uncertain = e instanceof DoApiError && (e.status >= 500 || e.status === 0);
      if (uncertain && attempt < 2) {
        report.warn(`${apiMessage(e)}; checking what was created before trying again`);
        await sleep(1000 * 2 ** attempt);
        const now = await client.listDroplets(spec.ownershipTag);
        const present = new Set(now.map((d) => d.name));
        for (const d of now) {
          if (names.includes(d.name) && !result.created.includes(d.name) && ![...pending.droplets.values()].some((p) => p.name === d.name)) {
            pending.droplets.set(d.id, { name: d.name });
            result.created.push(d.name);
            report.info(`created ${d.name} (id ${d.id})`);
          }
        }
        const missing = droplets.filter((d) => !present.has(d.name));
        if (!missing.length) return;
        if (missing.length !== droplets.length) {
          const { names: _n, name: _m, ...rest } = request;
          request = missing.length === 1 ? { ...rest, name: missing[0]!.name } : { ...rest, names: missing.map((d) => d.name) };
          droplets = missing;
        }
        continue;
      }
      for (const n of names) {
        result.failed.push({ name: n, error: apiMessage(e) });
        report.event({ type: 'droplet_create_failed', name: n, status: e instanceof DoApiError ? e.status : undefined, error_id: e instanceof DoApiError ? e.errorId : undefined, message: e instanceof DoApiError ? e.apiMessage : apiMessage(e), request_id: e instanceof DoApiError ? e.requestId : undefined });
      }
      report.warn(`could not create ${names.join(', ')}: ${apiMessage(e)}`);
      return;
    }
  }
}

/**
 * Follow each create action to completion, then poll the tag's droplet list
 * (one paginated request per round, however many droplets) until every
 * pending droplet is `active` with a public IPv4.
 */
async function waitActive(client: DoClient, spec: DropletSpec, following: Pending, result: UpResult, report: Reporter, o: WaitOptions): Promise<void> {
  const sleep = o.sleep ?? sleepMs;
  let interval = o.pollMs ?? 2000;
  const deadline = Date.now() + (o.waitTimeoutMs ?? 10 * 60_000);
  const pending = following.droplets;
  const actions = following.actions;
  report.info(`waiting for ${pending.size} droplet(s) to be active with a public IPv4`);
  for (;;) {
    for (const [actionId, known] of [...actions]) {
      let a: DoAction;
      try {
        a = await client.getAction(actionId);
      } catch (e) {
        if (e instanceof DoApiError && e.status === 404) {
          actions.delete(actionId);
          continue;
        }
        throw e;
      }
      if (a.status === 'completed') actions.delete(actionId);
      else if (a.status === 'errored') {
        actions.delete(actionId);
        const dropletId = a.resource_id ?? known;
        const name = dropletId !== undefined ? pending.get(dropletId)?.name : undefined;
        if (dropletId === undefined || name === undefined) {
          report.warn(`create action ${actionId} errored (droplet ${a.resource_id ?? 'unknown'})`);
          continue;
        }
        pending.delete(dropletId);
        const msg = `create action ${actionId} for ${name} (id ${dropletId}) errored`;
        result.failed.push({ name, error: msg });
        report.warn(msg);
        report.event({ type: 'droplet_create_failed', name, id: dropletId, action_id: actionId, message: 'action errored' });
      }
    }
    if (actions.size === 0) {
      const listed = await client.listDroplets(spec.ownershipTag);
      const byId = new Map(listed.map((d) => [d.id, d]));
      for (const [id, p] of [...pending]) {
        const d = byId.get(id);
        if (!d) {
          pending.delete(id);
          result.failed.push({ name: p.name, error: `droplet ${p.name} (id ${id}) disappeared while starting` });
          report.warn(`droplet ${p.name} (id ${id}) disappeared while starting`);
          continue;
        }
        const ip = publicIpv4(d);
        if (d.status === 'active' && ip) {
          pending.delete(id);
          report.info(`${d.name} is active at ${ip}`);
          report.event({ type: 'droplet_active', name: d.name, id, ip });
        }
      }
    }
    if (pending.size === 0) return;
    if (Date.now() + interval > deadline) {
      for (const [id, p] of pending) {
        result.failed.push({ name: p.name, error: `not active with a public IPv4 after ${Math.round((o.waitTimeoutMs ?? 600_000) / 1000)}s` });
        report.warn(`${p.name} (id ${id}) is not active with a public IPv4 yet; gave up waiting`);
      }
      return;
    }
    await sleep(interval);
    interval = Math.min(15_000, Math.round(interval * 1.5));
  }
}

/** Droplets being waited for, and the create actions being followed (action id -> droplet id, when known). */
interface Pending {
  droplets: Map<number, { name: string }>;
  actions: Map<number, number | undefined>;
}

function throwAll(errors: InputError[]): void {
  if (errors.length === 1) throw errors[0]!;
  if (errors.length > 1) throw new InputErrors(errors);
}

/**
 * Whether creating `n` droplets would pass the account's droplet_limit
 * (GET /v2/account; in use: meta.total of GET /v2/droplets). A token without
 * `account:read` cannot tell: warned, not refused.
 */
async function dropletLimitProblem(client: DoClient, n: number, report: Reporter): Promise<string | undefined> {
  let limit: number;
  try {
    limit = (await client.getAccount()).droplet_limit;
  } catch (e) {
    if (e instanceof DoApiError && (e.status === 403 || e.status === 401 || e.status === 404)) {
      report.warn(`cannot read the account's droplet limit (${e.apiMessage}); the token needs account:read for drover to check it before creating`);
      return undefined;
    }
    throw e;
  }
  if (typeof limit !== 'number') return undefined;
  const inUse = await client.countDroplets();
  return inUse + n > limit ? `creating ${n} droplet(s) would pass the account's droplet limit: ${inUse} of ${limit} in use` : undefined;
}

export interface DownResult {
  deleted: DoDroplet[];
  failed: Array<{ name: string; error: string }>;
  aborted: boolean;
}

export async function dropletsDown(
  spec: DropletSpec,
  client: DoClient,
  report: Reporter,
  o: WaitOptions & { dryRun?: boolean; confirm: (droplets: DoDroplet[]) => Promise<boolean> },
): Promise<DownResult> {
  const targets = planDown(spec, await client.listDroplets(spec.ownershipTag));
  const result: DownResult = { deleted: [], failed: [], aborted: false };
  if (targets.length === 0) {
    report.info(`no droplets carry ${spec.ownershipTag}; nothing to delete`);
    await removeInventory(spec.inventoryFile, report);
    return result;
  }
  if (o.dryRun) {
    const sizes = await client.listSizes();
    for (const d of targets) report.info(`would delete: ${d.name} (id ${d.id}, ${sizeSlugOf(d) ?? '?'}, ${publicIpv4(d) ?? 'no public IPv4'})`);
    report.info(`would delete ${targets.length} droplet(s), saving ${formatCost(costOf(sizes, targets.map((d) => sizeSlugOf(d) ?? '?')))}`);
    report.event({ type: 'droplet_plan', dry_run: true, delete: targets.map((d) => ({ name: d.name, id: d.id })) });
    return result;
  }
  if (!(await o.confirm(targets))) {
    result.aborted = true;
    return result;
  }
  // By id, not by tag: exactly the droplets listed (and confirmed) are deleted,
  // never one that got the tag after the list was taken.
  for (const d of targets) {
    try {
      await client.deleteDroplet(d.id);
    } catch (e) {
      if (!(e instanceof DoApiError && e.status === 404)) {
        result.failed.push({ name: d.name, error: apiMessage(e) });
        report.warn(`could not delete ${d.name} (id ${d.id}): ${apiMessage(e)}`);
        continue;
      }
    }
    result.deleted.push(d);
    report.info(`deleted ${d.name} (id ${d.id})`);
    report.event({ type: 'droplet_delete', name: d.name, id: d.id });
  }
  // Deletion is asynchronous on DigitalOcean's side: wait until the list no longer shows them.
  const sleep = o.sleep ?? sleepMs;
  let interval = o.pollMs ?? 2000;
  const deadline = Date.now() + (o.waitTimeoutMs ?? 5 * 60_000);
  const ids = new Set(result.deleted.map((d) => d.id));
  for (;;) {
    const left = (await client.listDroplets(spec.ownershipTag)).filter((d) => ids.has(d.id));
    if (left.length === 0) break;
    if (Date.now() + interval > deadline) {
      report.warn(`still listed after deletion: ${left.map((d) => d.name).join(', ')}`);
      break;
    }
    await sleep(interval);
    interval = Math.min(15_000, Math.round(interval * 1.5));
  }
  if (result.failed.length === 0) await removeInventory(spec.inventoryFile, report);
  return result;
}

export interface ListedDroplet {
  spec?: string;
  name: string;
  id: number;
  status: string;
  region?: string;
  size?: string;
  public_ipv4?: string;
  private_ipv4?: string;
  tags: string[];
}

/** The spec's droplets, or (without a spec) every droplet carrying some drover:* tag. */
export async function dropletsList(client: DoClient, spec?: DropletSpec): Promise<ListedDroplet[]> {
  const listed = spec ? planDown(spec, await client.listDroplets(spec.ownershipTag)) : (await client.listDroplets()).filter((d) => d.tags?.some((t) => t.toLowerCase().startsWith('drover:')));
  return listed
    .map((d) => ({
      spec: d.tags?.find((t) => t.toLowerCase().startsWith('drover:'))?.slice('drover:'.length),
      name: d.name,
      id: d.id,
      status: d.status,
      region: d.region?.slug,
      size: sizeSlugOf(d),
      public_ipv4: publicIpv4(d),
      private_ipv4: d.networks?.v4?.find((n) => n.type === 'private')?.ip_address,
      tags: d.tags ?? [],
    }))
    .sort((a, b) => (a.spec ?? '').localeCompare(b.spec ?? '') || a.name.localeCompare(b.name) || a.id - b.id);
}

export function formatDropletTable(rows: readonly ListedDroplet[]): string {
  const table = [
    ['SPEC', 'NAME', 'ID', 'STATUS', 'REGION', 'SIZE', 'PUBLIC IPV4', 'PRIVATE IPV4', 'TAGS'],
    ...rows.map((r) => [r.spec ?? '-', r.name, String(r.id), r.status, r.region ?? '-', r.size ?? '-', r.public_ipv4 ?? '-', r.private_ipv4 ?? '-', r.tags.filter((t) => !t.toLowerCase().startsWith('drover:')).join(',') || '-']),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}


/** Remove the inventory `up` wrote (only if drover wrote it), so nothing points at deleted droplets. */
async function removeInventory(file: string, report: Reporter): Promise<void> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  if (!text.startsWith(`# ${INVENTORY_HEADER}`)) {
    report.warn(`${file} was not written by drover; left in place`);
    return;
  }
  await unlink(file);
  report.info(`removed inventory ${file}`);
}

export interface SshTarget {
  droplet: DoDroplet;
  ip: string;
  user: string;
  keyFile?: string;
}

/**
 * The droplet `drover droplet ssh NAME` connects to: with a spec, the spec's
 * droplet of that name (its ssh_user and key); without, the droplet with that
 * name in the account (user root, ssh's own keys), preferring one drover owns.
 * Several candidates, none, or one without a public IPv4 are errors that say which.
 */
export async function dropletSshTarget(client: DoClient, name: string, spec?: DropletSpec): Promise<SshTarget> {
  let found = spec ? planDown(spec, await client.listDroplets(spec.ownershipTag)).filter((d) => d.name === name) : await client.listDropletsNamed(name);
  if (!spec && found.length > 1) {
    const owned = found.filter((d) => d.tags?.some((t) => t.toLowerCase().startsWith('drover:')));
    if (owned.length) found = owned;
  }
  if (found.length === 0) throw new InputError(spec ? `spec ${spec.name} has no droplet named ${name}` : `no droplet is named ${name}`, undefined, 'see `drover droplet list`');
  if (found.length > 1) throw new InputError(`${found.length} droplets are named ${name} (ids ${found.map((d) => d.id).join(', ')})`, undefined, 'pass --spec FILE to pick the spec\'s');
  const d = found[0]!;
  const ip = publicIpv4(d);
  if (!ip) throw new Error(`${name} (id ${d.id}, ${d.status}) has no public IPv4 yet`);
  const keyFile = spec?.sshPrivateKeyFile;
  return { droplet: d, ip, user: spec?.sshUser ?? 'root', keyFile: keyFile ? resolvePath(keyFile, path.dirname(spec!.file)) : undefined };
}

/** The ssh command line for a target (OpenSSH's own host-key checking and known_hosts apply). */
export function sshArgv(t: SshTarget, command: readonly string[] = []): string[] {
  return ['ssh', ...(t.keyFile ? ['-i', t.keyFile, '-o', 'IdentitiesOnly=yes'] : []), '-l', t.user, t.ip, ...command];
}
