import type { DesiredDroplet, DropletSpec } from './spec.js';
import { sizeSlugOf, type DoCreateRequest, type DoDroplet, type DoSize } from './types.js';

/**
 * Pure planning: given the spec and the droplets that carry its ownership tag
 * (as the API listed them), what `up` creates, what it keeps, and what it
 * leaves alone. A droplet is the spec's iff it has the ownership tag AND a
 * name the spec asks for; a same-named droplet without the tag is someone
 * else's and is never matched.
 */

export interface UpPlan {
  create: DesiredDroplet[];
  keep: Array<{ desired: DesiredDroplet; droplet: DoDroplet }>;
  /** Owned droplets the spec no longer names: reported, not deleted (that is `down`'s job). */
  strays: DoDroplet[];
  /** Differences drover does not fix (it never resizes, moves or rebuilds). */
  drift: string[];
}

/**
 * DigitalOcean keeps a tag's first capitalisation and matches tag names
 * case-insensitively (`tag_name=drover:Lab` lists droplets tagged
 * `drover:lab`), so ownership is matched the same way.
 */
export function hasTag(d: Pick<DoDroplet, 'tags'>, tag: string): boolean {
  const t = tag.toLowerCase();
  return d.tags?.some((x) => x.toLowerCase() === t) ?? false;
}

/**
 * A droplet's region satisfies the spec's: the same slug, or the spec gives a
 * prefix (`fra`, `nyc`), which DigitalOcean resolves to one of its
 * datacenters (droplet_create.yml: "a slug prefix (e.g. `nyc`) can be used").
 */
export function regionMatches(actual: string, wanted: string): boolean {
  return actual === wanted || (/^[a-z]+$/.test(wanted) && actual.startsWith(wanted) && /^[0-9]+$/.test(actual.slice(wanted.length)));
}

/** Why a size cannot be created in a region (undefined: it can), from /v2/sizes. */
export function sizeProblem(sizes: readonly DoSize[], slug: string, region: string): string | undefined {
  const s = sizes.find((x) => x.slug === slug);
  if (!s) return `size ${slug} is not one DigitalOcean offers`;
  if (s.available === false) return `size ${slug} is not available in any region now`;
  if (s.regions && !s.regions.some((r) => regionMatches(r, region))) return `size ${slug} is not available in region ${region} (it is in ${s.regions.join(', ') || 'no region now'})`;
  return undefined;
}

export function planUp(spec: DropletSpec, owned: readonly DoDroplet[]): UpPlan {
  const mine = owned.filter((d) => hasTag(d, spec.ownershipTag));
  const byName = new Map<string, DoDroplet[]>();
  for (const d of mine) byName.set(d.name, [...(byName.get(d.name) ?? []), d]);
  const plan: UpPlan = { create: [], keep: [], strays: [], drift: [] };
  const wanted = new Set(spec.droplets.map((d) => d.name));
  for (const desired of spec.droplets) {
    const found = byName.get(desired.name);
    if (!found?.length) {
      plan.create.push(desired);
      continue;
    }
    // Oldest first: a duplicate (e.g. from an interrupted run) is reported, not used.
    const [droplet, ...dupes] = [...found].sort((a, b) => a.id - b.id);
    plan.keep.push({ desired, droplet: droplet! });
    for (const d of dupes) plan.drift.push(`${desired.name}: another droplet with this name and tag exists (id ${d.id}); using id ${droplet!.id}`);
    const size = sizeSlugOf(droplet!);
    if (size && size !== desired.size) plan.drift.push(`${desired.name}: size is ${size}, the spec says ${desired.size} (drover does not resize)`);
    const region = droplet!.region?.slug;
    if (region && !regionMatches(region, desired.region)) plan.drift.push(`${desired.name}: region is ${region}, the spec says ${desired.region} (drover does not move droplets)`);
  }
  for (const d of mine) if (!wanted.has(d.name)) plan.strays.push(d);
  return plan;
}

/** Droplets `down` deletes: exactly those carrying the ownership tag. */
export function planDown(spec: Pick<DropletSpec, 'ownershipTag'>, listed: readonly DoDroplet[]): DoDroplet[] {
  return listed.filter((d) => hasTag(d, spec.ownershipTag)).sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id);
}

/**
 * Create requests: droplets with identical settings go together through
 * `names` (at most ten per request, the API's limit); a single one uses `name`.
 */
export function createRequests(create: readonly DesiredDroplet[], sshKeyIds: (d: DesiredDroplet) => Array<string | number>): Array<{ request: DoCreateRequest; droplets: DesiredDroplet[] }> {
  const groups = new Map<string, { body: Omit<DoCreateRequest, 'name' | 'names'>; droplets: DesiredDroplet[] }>();
  for (const d of create) {
    const body: Omit<DoCreateRequest, 'name' | 'names'> = {
      region: d.region,
      size: d.size,
      image: d.image,
      ssh_keys: sshKeyIds(d),
      tags: d.tags,
      ...(d.userData !== undefined ? { user_data: d.userData } : {}),
      ...(d.vpcUuid !== undefined ? { vpc_uuid: d.vpcUuid } : {}),
      monitoring: d.monitoring,
      ipv6: d.ipv6,
    };
    const key = JSON.stringify(body);
    const g = groups.get(key) ?? { body, droplets: [] };
    g.droplets.push(d);
    groups.set(key, g);
  }
  const out: Array<{ request: DoCreateRequest; droplets: DesiredDroplet[] }> = [];
  for (const g of groups.values()) {
    for (let i = 0; i < g.droplets.length; i += 10) {
      const chunk = g.droplets.slice(i, i + 10);
      out.push({ request: chunk.length === 1 ? { name: chunk[0]!.name, ...g.body } : { names: chunk.map((d) => d.name), ...g.body }, droplets: chunk });
    }
  }
  return out;
}

export interface Cost {
  hourly: number;
  monthly: number;
  /** Size slugs /v2/sizes did not list. */
  unknownSizes: string[];
}

export function costOf(sizes: readonly DoSize[], slugs: readonly string[]): Cost {
  const bySlug = new Map(sizes.map((s) => [s.slug, s]));
  const cost: Cost = { hourly: 0, monthly: 0, unknownSizes: [] };
  for (const slug of slugs) {
    const s = bySlug.get(slug);
    if (!s) {
      if (!cost.unknownSizes.includes(slug)) cost.unknownSizes.push(slug);
      continue;
    }
    cost.hourly += s.price_hourly;
    cost.monthly += s.price_monthly;
  }
  return cost;
}

export function formatCost(c: Cost): string {
  const base = `$${c.hourly.toFixed(5)}/hour, $${c.monthly.toFixed(2)}/month`;
  return c.unknownSizes.length ? `${base} (no price for size ${c.unknownSizes.join(', ')})` : base;
}
