/**
 * The parts of DigitalOcean's API v2 objects drover reads. Field names are the
 * API's own (snake_case) so a response can be typed without mapping.
 */

export interface DoNetworkV4 {
  ip_address: string;
  netmask?: string;
  gateway?: string;
  type: 'public' | 'private' | string;
}

export interface DoDroplet {
  id: number;
  name: string;
  /** new -> active; off and archive are the other states the API reports. */
  status: 'new' | 'active' | 'off' | 'archive' | string;
  memory?: number;
  vcpus?: number;
  disk?: number;
  created_at?: string;
  region?: { slug: string; name?: string };
  size_slug?: string;
  size?: { slug: string; price_hourly?: number; price_monthly?: number };
  image?: { id?: number; slug?: string | null; name?: string; distribution?: string };
  networks?: { v4?: DoNetworkV4[]; v6?: Array<{ ip_address: string; type: string }> };
  tags?: string[];
  vpc_uuid?: string;
}

export interface DoAction {
  id: number;
  /** in-progress, completed or errored. */
  status: 'in-progress' | 'completed' | 'errored' | string;
  type: string;
  resource_id?: number;
  resource_type?: string;
  started_at?: string;
  completed_at?: string | null;
  region_slug?: string;
}

/** GET /v2/account: the parts drover reads. */
export interface DoAccount {
  /** How many droplets the account may have at one time. */
  droplet_limit: number;
  status?: string;
}

export interface DoSshKey {
  id: number;
  fingerprint: string;
  public_key: string;
  name: string;
}

export interface DoSize {
  slug: string;
  memory?: number;
  vcpus?: number;
  disk?: number;
  price_monthly: number;
  price_hourly: number;
  regions?: string[];
  available?: boolean;
  description?: string;
}

/** Body of POST /v2/droplets: `name` for one droplet, `names` (up to ten) for several. */
export interface DoCreateRequest {
  name?: string;
  names?: string[];
  region: string;
  size: string;
  image: string | number;
  ssh_keys?: Array<string | number>;
  tags?: string[];
  user_data?: string;
  vpc_uuid?: string;
  monitoring?: boolean;
  ipv6?: boolean;
}

export interface DoLinks {
  pages?: { first?: string; prev?: string; next?: string; last?: string };
  actions?: Array<{ id: number; rel?: string; href?: string }>;
}

/** A VPC network (GET/POST /v2/vpcs): the parts drover reads. */
export interface DoVpc {
  id: string;
  name: string;
  region: string;
  /** CIDR; DigitalOcean picks a /20 when the create request names none. */
  ip_range?: string;
  description?: string;
  default?: boolean;
}

/** Public IPv4 of a droplet, if it has one yet. */
export function publicIpv4(d: DoDroplet): string | undefined {
  return d.networks?.v4?.find((n) => n.type === 'public')?.ip_address;
}

export function privateIpv4(d: DoDroplet): string | undefined {
  return d.networks?.v4?.find((n) => n.type === 'private')?.ip_address;
}

export function sizeSlugOf(d: DoDroplet): string | undefined {
  return d.size_slug ?? d.size?.slug;
}
