/**
 * DigitalOcean API v2: the requests and responses drover uses, as JSON
 * Schemas (draft-07, checked by Ajv). Written for drover from the facts in
 * DigitalOcean's published OpenAPI specification — the public repository
 * digitalocean/openapi at commit
 *
 *   7c1300c479fed9c353cda9fc21cd968619552304  (2026-08-07, "update disk_info enum members (#1212)")
 *
 * — not copied from it: each schema names the spec file(s) its facts come
 * from (paths under `specification/`). Where the spec says something in prose
 * rather than in its schema, the rule is written here as schema where it can
 * be, else checked in `validate.ts`, and marked PROSE. Where a fact is not in
 * the spec at all it is marked NOT IN SPEC, with where it comes from.
 *
 * OpenAPI's `nullable: true` is written as a type list including "null".
 * Responses allow properties the spec does not name (the spec does not close
 * its objects, and DigitalOcean adds fields); request bodies do not (a field
 * the spec does not name is ignored by DigitalOcean, so sending one is a bug).
 */

type Schema = Record<string, unknown>;

/** The commit of digitalocean/openapi these schemas follow. */
export const SPEC_COMMIT = '7c1300c479fed9c353cda9fc21cd968619552304';

const dateTime = { type: 'string', format: 'date-time' };

/** shared/models/error.yml: id and message required, request_id optional. */
export const errorSchema: Schema = {
  type: 'object',
  properties: { id: { type: 'string' }, message: { type: 'string' }, request_id: { type: 'string' } },
  required: ['id', 'message'],
};

/** shared/pages.yml (pagination, page_links, forward/backward links). */
const pagination: Schema = {
  type: 'object',
  properties: {
    links: {
      type: 'object',
      properties: {
        pages: {
          type: 'object',
          properties: { first: { type: 'string' }, prev: { type: 'string' }, next: { type: 'string' }, last: { type: 'string' } },
        },
      },
    },
  },
};

/** shared/meta.yml + shared/models/meta_properties.yml: meta.total required. */
const meta: Schema = {
  type: 'object',
  properties: { meta: { type: 'object', properties: { total: { type: 'integer' } }, required: ['total'] } },
  required: ['meta'],
};

/** resources/regions/models/region.yml. */
export const regionSchema: Schema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    slug: { type: 'string' },
    features: { type: 'array', items: { type: 'string' } },
    available: { type: 'boolean' },
    sizes: { type: 'array', items: { type: 'string' } },
  },
  required: ['available', 'features', 'name', 'sizes', 'slug'],
};

/** resources/sizes/models/size.yml. */
export const sizeSchema: Schema = {
  type: 'object',
  properties: {
    slug: { type: 'string' },
    memory: { type: 'integer', multipleOf: 8, minimum: 8 },
    vcpus: { type: 'integer' },
    disk: { type: 'integer' },
    transfer: { type: 'number' },
    price_monthly: { type: 'number' },
    price_hourly: { type: 'number' },
    regions: { type: 'array', items: { type: 'string' } },
    available: { type: 'boolean' },
    description: { type: 'string' },
  },
  required: ['available', 'disk', 'memory', 'price_hourly', 'price_monthly', 'regions', 'slug', 'transfer', 'vcpus', 'description'],
};

/** resources/images/models/image.yml (+ shared/attributes/distribution.yml): no field is required. */
const imageSchema: Schema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    type: { enum: ['base', 'snapshot', 'backup', 'custom', 'admin'] },
    distribution: { enum: ['Arch Linux', 'CentOS', 'CoreOS', 'Debian', 'Fedora', 'Fedora Atomic', 'FreeBSD', 'Gentoo', 'openSUSE', 'RancherOS', 'Rocky Linux', 'Ubuntu', 'Unknown'] },
    slug: { type: ['string', 'null'] },
    public: { type: 'boolean' },
    regions: { type: 'array', items: { type: 'string' } },
    created_at: dateTime,
    min_disk_size: { type: ['integer', 'null'], minimum: 0 },
    size_gigabytes: { type: ['number', 'null'] },
    description: { type: 'string' },
    tags: { type: ['array', 'null'], items: { type: 'string' } },
    status: { enum: ['NEW', 'available', 'pending', 'deleted', 'retired'] },
    error_message: { type: 'string' },
  },
};

/**
 * resources/droplets/models/network_v4.yml. PROSE (gateway's description):
 * "For private interfaces, a gateway is not provided" — so a private entry
 * carries no gateway address.
 */
const networkV4: Schema = {
  type: 'object',
  properties: {
    ip_address: { type: 'string', format: 'ipv4' },
    netmask: { type: 'string', format: 'ipv4' },
    gateway: { type: 'string' },
    type: { enum: ['public', 'private'] },
  },
  if: { properties: { type: { const: 'private' } }, required: ['type'] },
  then: { not: { required: ['gateway'], properties: { gateway: { format: 'ipv4' } } } },
};

/** resources/droplets/models/network_v6.yml. */
const networkV6: Schema = {
  type: 'object',
  properties: {
    ip_address: { type: 'string', format: 'ipv6' },
    netmask: { type: 'integer' },
    gateway: { type: 'string', format: 'ipv6' },
    type: { enum: ['public'] },
  },
};

/** resources/droplets/models/droplet.yml (+ kernel.yml, droplet_next_backup_window.yml). */
export const dropletSchema: Schema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    memory: { type: 'integer', multipleOf: 8 },
    vcpus: { type: 'integer' },
    disk: { type: 'integer' },
    locked: { type: 'boolean' },
    status: { enum: ['new', 'active', 'off', 'archive'] },
    kernel: { type: ['object', 'null'], properties: { id: { type: 'integer' }, name: { type: 'string' }, version: { type: 'string' } } },
    created_at: dateTime,
    features: { type: 'array', items: { type: 'string' } },
    backup_ids: { type: 'array', items: { type: 'integer' } },
    next_backup_window: { type: ['object', 'null'], properties: { start: dateTime, end: dateTime } },
    snapshot_ids: { type: 'array', items: { type: 'integer' } },
    image: imageSchema,
    volume_ids: { type: 'array', items: { type: 'string' } },
    size: sizeSchema,
    size_slug: { type: 'string' },
    networks: { type: 'object', properties: { v4: { type: 'array', items: networkV4 }, v6: { type: 'array', items: networkV6 } } },
    region: regionSchema,
    tags: { type: 'array', items: { type: 'string' } },
    vpc_uuid: { type: 'string' },
  },
  required: ['id', 'name', 'memory', 'vcpus', 'disk', 'locked', 'status', 'created_at', 'features', 'backup_ids', 'next_backup_window', 'snapshot_ids', 'image', 'volume_ids', 'size', 'size_slug', 'networks', 'region', 'tags'],
};

/** resources/actions/models/action.yml: no field is required. */
export const actionSchema: Schema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    status: { enum: ['in-progress', 'completed', 'errored'] },
    type: { type: 'string' },
    started_at: dateTime,
    completed_at: { type: ['string', 'null'], format: 'date-time' },
    resource_id: { type: ['integer', 'null'] },
    resource_type: { type: 'string' },
    region: regionSchema,
    region_slug: { type: ['string', 'null'] },
  },
};

/** resources/ssh_keys/models/sshKeys.yml (+ attributes/ssh_key_id.yml, ssh_key_fingerprint.yml). */
const sshKeySchema: Schema = {
  type: 'object',
  properties: { id: { type: 'integer' }, fingerprint: { type: 'string' }, public_key: { type: 'string' }, name: { type: 'string' } },
  required: ['public_key', 'name'],
};

/** shared/models/action_link.yml. */
const actionLink: Schema = { type: 'object', properties: { id: { type: 'integer' }, rel: { type: 'string' }, href: { type: 'string', format: 'uri' } } };

/** resources/account/models/account.yml. */
const accountSchema: Schema = {
  type: 'object',
  properties: {
    droplet_limit: { type: 'integer' },
    floating_ip_limit: { type: 'integer' },
    email: { type: 'string' },
    name: { type: 'string' },
    uuid: { type: 'string' },
    email_verified: { type: 'boolean' },
    status: { enum: ['active', 'warning', 'locked'] },
    status_message: { type: 'string' },
    team: { type: 'object', properties: { uuid: { type: 'string' }, name: { type: 'string' } } },
  },
  required: ['droplet_limit', 'floating_ip_limit', 'email', 'uuid', 'email_verified', 'status', 'status_message'],
};

/**
 * resources/droplets/models/droplet_create.yml, droplet_single_create.yml,
 * droplet_multi_create.yml. `required: [size, image]`; name (single) or names
 * (multi) with the hostname pattern and maxLength 255. PROSE
 * (droplets_create.yml): "Up to ten Droplets may be created this way at a
 * time" -> maxItems 10. PROSE (user_data): "may not exceed 64 KiB" — bytes,
 * checked in validate.ts (maxLength counts characters).
 */
const dropletName = { type: 'string', maxLength: 255, pattern: '^[a-zA-Z0-9]?[a-z0-9A-Z.\\-]*[a-z0-9A-Z]$' };
const createFields: Schema = {
  region: { type: 'string' },
  size: { type: 'string' },
  image: { type: ['string', 'integer'] },
  ssh_keys: { type: 'array', items: { type: ['string', 'integer'] } },
  backups: { type: 'boolean' },
  ipv6: { type: 'boolean' },
  monitoring: { type: 'boolean' },
  tags: { type: ['array', 'null'], items: { type: 'string' } },
  user_data: { type: 'string' },
  volumes: { type: 'array', items: { type: 'string' } },
  vpc_uuid: { type: 'string' },
  with_droplet_agent: { type: 'boolean' },
  public_networking: { type: 'boolean' },
};
export const dropletCreateRequest: Schema = {
  oneOf: [
    { type: 'object', properties: { name: dropletName, ...createFields }, required: ['name', 'size', 'image'], additionalProperties: false },
    { type: 'object', properties: { names: { type: 'array', minItems: 1, maxItems: 10, items: dropletName }, ...createFields }, required: ['names', 'size', 'image'], additionalProperties: false },
  ],
};

/** resources/ssh_keys/sshKeys_create.yml -> models/sshKeys.yml; id and fingerprint are readOnly (never sent). */
export const sshKeyCreateRequest: Schema = {
  type: 'object',
  properties: { name: { type: 'string' }, public_key: { type: 'string' } },
  required: ['name', 'public_key'],
  additionalProperties: false,
};

/**
 * resources/vpcs/models/vpc.yml (vpc = vpc_updatable + vpc_create +
 * vpc_default + vpc_base; the model requires no field), attributes/urn.yml.
 * name: pattern ^[a-zA-Z0-9\-\.]+$ ("Must be unique"); description maxLength 255.
 */
const vpcName = { type: 'string', pattern: '^[a-zA-Z0-9\\-\\.]+$' };
export const vpcSchema: Schema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    urn: { type: 'string', pattern: '^do:(dbaas|domain|droplet|floatingip|loadbalancer|space|volume|kubernetes|vpc):.*' },
    name: vpcName,
    description: { type: 'string', maxLength: 255 },
    region: { type: 'string' },
    ip_range: { type: 'string' },
    default: { type: 'boolean' },
    created_at: dateTime,
  },
};

/**
 * resources/vpcs/vpcs_create.yml: vpc_updatable + vpc_create, `required: [name, region]`.
 * id, urn, created_at are readOnly and `default` is not in the create body.
 */
export const vpcCreateRequest: Schema = {
  type: 'object',
  properties: { name: vpcName, description: { type: 'string', maxLength: 255 }, region: { type: 'string' }, ip_range: { type: 'string' } },
  required: ['name', 'region'],
  additionalProperties: false,
};

const list = (key: string, item: Schema, keyRequired = false): Schema => ({
  allOf: [{ type: 'object', properties: { [key]: { type: 'array', items: item } }, ...(keyRequired ? { required: [key] } : {}) }, pagination, meta],
});

/** shared/parameters.yml: per_page 1..200, page >= 1. */
const pageQuery = { per_page: { type: 'string', pattern: '^(?:[1-9]|[1-9][0-9]|1[0-9][0-9]|200)$' }, page: { type: 'string', pattern: '^[1-9][0-9]*$' } };

export interface Operation {
  /** The spec's operationId. */
  id: string;
  method: string;
  /** Path template, `{n}` for an integer id (minimum 1). */
  path: RegExp;
  /** Query parameters as strings (all optional unless `requiredQuery`). */
  query?: Record<string, Schema>;
  requiredQuery?: string[];
  /** Query parameters that may not be combined (PROSE in the parameter descriptions). */
  exclusiveQuery?: string[];
  body?: Schema;
  /** Declared responses; any other status is `default` (shared/responses/unexpected_error.yml: an error body). */
  responses: Record<number, Schema | 'empty' | 'error'>;
  /** The token scopes (the operation's `security`, plus scopes its fields' descriptions require). */
  scopes: (req: { query: Record<string, string>; body: unknown }) => string[];
}

const stdErrors = { 401: 'error', 429: 'error', 500: 'error' } as const;

export const OPERATIONS: Operation[] = [
  {
    // resources/droplets/droplets_list.yml, parameters.yml (droplet_tag_name "Requires tag:read scope", droplet_name, droplet_type).
    id: 'droplets_list',
    method: 'GET',
    path: /^\/v2\/droplets$/,
    query: { ...pageQuery, tag_name: { type: 'string' }, name: { type: 'string' }, type: { enum: ['droplets', 'gpus'] } },
    exclusiveQuery: ['tag_name', 'name'],
    responses: { 200: list('droplets', dropletSchema), ...stdErrors },
    scopes: ({ query }) => ['droplet:read', ...(query.tag_name !== undefined ? ['tag:read'] : [])],
  },
  {
    // resources/droplets/droplets_create.yml; responses/droplet_create.yml (droplet|droplets + links required).
    id: 'droplets_create',
    method: 'POST',
    path: /^\/v2\/droplets$/,
    body: dropletCreateRequest,
    responses: {
      202: {
        oneOf: [
          { type: 'object', properties: { droplet: dropletSchema, links: { type: 'object', properties: { actions: { type: 'array', items: actionLink } } } }, required: ['droplet', 'links'] },
          { type: 'object', properties: { droplets: { type: 'array', items: dropletSchema }, links: { type: 'object', properties: { actions: { type: 'array', items: actionLink } } } }, required: ['droplets', 'links'] },
        ],
      },
      ...stdErrors,
    },
    // Field descriptions in droplet_create.yml: image "Requires image:read", ssh_keys "Requires ssh_key:read", tags "Requires tag:create", vpc_uuid "Requires vpc:read".
    scopes: ({ body }) => {
      const b = (body ?? {}) as Record<string, unknown>;
      return [
        'droplet:create',
        'image:read',
        ...(Array.isArray(b.ssh_keys) && b.ssh_keys.length ? ['ssh_key:read'] : []),
        ...(Array.isArray(b.tags) && b.tags.length ? ['tag:create'] : []),
        ...(b.vpc_uuid !== undefined ? ['vpc:read'] : []),
      ];
    },
  },
  {
    // resources/droplets/droplets_destroy_byTag.yml ("requires tag:read scope"; tag_name required). drover does not call it; the fake serves it.
    id: 'droplets_destroy_byTag',
    method: 'DELETE',
    path: /^\/v2\/droplets$/,
    query: { tag_name: { type: 'string' } },
    requiredQuery: ['tag_name'],
    responses: { 204: 'empty', 404: 'error', ...stdErrors },
    scopes: () => ['droplet:delete', 'tag:read'],
  },
  {
    // resources/droplets/droplets_get.yml, responses/existing_droplet.yml.
    id: 'droplets_get',
    method: 'GET',
    path: /^\/v2\/droplets\/[1-9][0-9]*$/,
    responses: { 200: { type: 'object', properties: { droplet: dropletSchema } }, 404: 'error', ...stdErrors },
    scopes: () => ['droplet:read'],
  },
  {
    // resources/droplets/droplets_destroy.yml (204, no body).
    id: 'droplets_destroy',
    method: 'DELETE',
    path: /^\/v2\/droplets\/[1-9][0-9]*$/,
    responses: { 204: 'empty', 404: 'error', ...stdErrors },
    scopes: () => ['droplet:delete'],
  },
  {
    // resources/droplets/dropletActions_list.yml, responses/all_droplet_actions.yml.
    id: 'dropletActions_list',
    method: 'GET',
    path: /^\/v2\/droplets\/[1-9][0-9]*\/actions$/,
    query: pageQuery,
    responses: { 200: list('actions', actionSchema), 404: 'error', ...stdErrors },
    scopes: () => ['droplet:read'],
  },
  {
    // resources/actions/actions_get.yml, responses/action.yml.
    id: 'actions_get',
    method: 'GET',
    path: /^\/v2\/actions\/[1-9][0-9]*$/,
    responses: { 200: { type: 'object', properties: { action: actionSchema } }, 404: 'error', ...stdErrors },
    scopes: () => ['actions:read'],
  },
  {
    // resources/ssh_keys/sshKeys_list.yml, responses/sshKeys_all.yml.
    id: 'sshKeys_list',
    method: 'GET',
    path: /^\/v2\/account\/keys$/,
    query: pageQuery,
    responses: { 200: list('ssh_keys', sshKeySchema), ...stdErrors },
    scopes: () => ['ssh_key:read'],
  },
  {
    // resources/ssh_keys/sshKeys_create.yml, responses/sshKeys_new.yml (201).
    id: 'sshKeys_create',
    method: 'POST',
    path: /^\/v2\/account\/keys$/,
    body: sshKeyCreateRequest,
    responses: { 201: { type: 'object', properties: { ssh_key: sshKeySchema } }, ...stdErrors },
    scopes: () => ['ssh_key:create'],
  },
  {
    // resources/sizes/sizes_list.yml (security: sizes:read AND regions:read), responses/all_sizes.yml.
    id: 'sizes_list',
    method: 'GET',
    path: /^\/v2\/sizes$/,
    query: pageQuery,
    responses: { 200: list('sizes', sizeSchema, true), ...stdErrors },
    scopes: () => ['sizes:read', 'regions:read'],
  },
  {
    // resources/account/account_get.yml (security: account:read), responses/account.yml.
    id: 'account_get',
    method: 'GET',
    path: /^\/v2\/account$/,
    responses: { 200: { type: 'object', properties: { account: accountSchema } }, ...stdErrors },
    scopes: () => ['account:read'],
  },
  {
    // resources/vpcs/vpcs_list.yml (security: vpc:read), responses/all_vpcs.yml.
    id: 'vpcs_list',
    method: 'GET',
    path: /^\/v2\/vpcs$/,
    query: pageQuery,
    responses: { 200: list('vpcs', vpcSchema), 404: 'error', ...stdErrors },
    scopes: () => ['vpc:read'],
  },
  {
    // resources/vpcs/vpcs_create.yml (security: vpc:create; 201), responses/existing_vpc.yml.
    id: 'vpcs_create',
    method: 'POST',
    path: /^\/v2\/vpcs$/,
    body: vpcCreateRequest,
    responses: { 201: { type: 'object', properties: { vpc: vpcSchema } }, ...stdErrors },
    scopes: () => ['vpc:create'],
  },
  {
    // resources/vpcs/vpcs_delete.yml (security: vpc:delete; 204, no body). PROSE: a VPC that
    // still has members, or a region's default VPC, is refused with 403 (an error body: `default`).
    id: 'vpcs_delete',
    method: 'DELETE',
    path: /^\/v2\/vpcs\/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
    responses: { 204: 'empty', 404: 'error', ...stdErrors },
    scopes: () => ['vpc:delete'],
  },
];

/**
 * shared/headers.yml: every response the operations above declare carries
 * ratelimit-limit, ratelimit-remaining and ratelimit-reset (integers; reset in
 * Unix epoch seconds).
 */
export const RATELIMIT_HEADERS = ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'] as const;
