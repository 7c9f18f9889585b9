/**
 * `os_image` (openstack.cloud.image): a Glance image uploaded from a file ON
 * THE TARGET (curl streams it; nothing passes through drover). An existing
 * active image of that name is left alone (as Ansible does); one stuck in
 * `queued` (an upload that died) gets its data; visibility is corrected.
 */
import { z } from 'zod';
import { ModuleError } from '../util/errors.js';
import { fileStatesFact } from '../facts/files.js';
import { bool } from './common/args.js';
import { commonArgs, OsClient, planWithClient, type CommonArgs } from './common/openstack-api.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';

const schema = z.strictObject({
  ...commonArgs,
  name: z.string().min(1).describe('Image name.'),
  filename: z.string().optional().describe('Image file on the target.'),
  disk_format: z.string().default('qcow2').describe('Glance disk format (qcow2, raw …).'),
  container_format: z.string().default('bare').describe('Glance container format.'),
  is_public: bool.optional().describe('Shorthand for visibility public/private.'),
  visibility: z.enum(['public', 'private', 'shared', 'community']).optional().describe('Who may use the image; corrected on an existing image.'),
  min_disk: z.coerce.number().int().optional().describe('Minimum disk size (GB) to boot the image.'),
  min_ram: z.coerce.number().int().optional().describe('Minimum RAM (MB) to boot the image.'),
  properties: z.record(z.string(), z.string()).optional().describe('Extra image properties.'),
  state: z.enum(['present', 'absent']).default('present').describe('Whether the image exists (present) or is deleted (absent).'),
});

export type OsImageArgs = z.infer<typeof schema> & CommonArgs;

interface Image {
  id: string;
  name: string;
  status: string;
  visibility: string;
}

interface Data {
  create?: Record<string, unknown>;
  image?: Image;
  upload?: boolean;
  visibility?: string;
  delete?: boolean;
}

/** Pure: the visibility asked for, if any. */
export function wantedVisibility(a: Pick<OsImageArgs, 'visibility' | 'is_public'>): string | undefined {
  return a.visibility ?? (a.is_public === undefined ? undefined : a.is_public ? 'public' : 'private');
}

export const osImageModule: Module<OsImageArgs, Data> = {
  name: 'os_image',
  doc: {
    short: 'Upload a Glance image from a file on the host (OpenStack).',
    examples: `
- name: Upload the CirrOS test image
  os_image:
    auth:
      auth_url: http://controller:5000/v3
      username: admin
      password: ADMIN_PASS
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    name: cirros
    filename: /tmp/cirros-0.6.2-x86_64-disk.img
    disk_format: qcow2
    container_format: bare
    visibility: public
`,
  },
  aliases: ['openstack.cloud.image', 'openstack.cloud.os_image'],
  schema: schema as never,
  async plan(ctx, a) {
    return planWithClient<Data>(ctx, a, `image ${a.name}`, async (c) => {
      const list = (await c.json<{ images: Image[] }>('image', 'GET', `/v2/images?name=${encodeURIComponent(a.name)}`)).images;
      if (list.length > 1) throw new ModuleError(`${list.length} images are named ${a.name}: remove the extra ones`);
      const img = list[0];
      if (a.state === 'absent') return img ? { changes: [{ summary: `delete image ${a.name}` }], data: { delete: true, image: img } } : { changes: [] };
      const vis = wantedVisibility(a);
      const needsData = !img || img.status === 'queued';
      if (needsData) {
        if (!a.filename) throw new ModuleError(`image ${a.name} needs data: give filename`);
        const [f] = await ctx.fact(fileStatesFact, { queries: [{ path: a.filename, follow: true, checksum: false, access: true }] });
        if (!f!.readable && !ctx.check) throw new ModuleError(`image file ${a.filename} not found (or not readable) on ${ctx.host}`);
      }
      if (!img) {
        const create: Record<string, unknown> = { name: a.name, disk_format: a.disk_format, container_format: a.container_format, ...(a.properties ?? {}) };
        if (vis) create.visibility = vis;
        if (a.min_disk !== undefined) create.min_disk = a.min_disk;
        if (a.min_ram !== undefined) create.min_ram = a.min_ram;
        return { changes: [{ summary: `create image ${a.name} from ${a.filename}` }], data: { create, upload: true } };
      }
      const changes = [];
      const data: Data = { image: img };
      if (needsData) {
        changes.push({ summary: `upload ${a.filename} into image ${a.name} (status queued)` });
        data.upload = true;
      }
      if (vis && img.visibility !== vis) {
        changes.push({ summary: `image ${a.name}: visibility ${img.visibility} -> ${vis}` });
        data.visibility = vis;
      }
      return changes.length ? { changes, data } : { changes: [], result: { image: img, id: img.id } };
    });
  },
  async apply(ctx, a, plan) {
    const d = plan.data!;
    const c = await OsClient.connect(ctx, a);
    if (d.delete) {
      await c.json('image', 'DELETE', `/v2/images/${d.image!.id}`);
      return { changed: true };
    }
    let img = d.image;
    if (d.create) img = await c.json<Image>('image', 'POST', '/v2/images', { json: d.create });
    if (d.upload) {
      const res = await c.call('image', 'PUT', `/v2/images/${img!.id}/file`, { uploadFile: a.filename!, timeoutSec: 600 });
      if (res.status !== 204) throw new ModuleError(`upload of ${a.filename} into image ${a.name}: HTTP ${res.status}: ${res.body.slice(0, 300)}`);
    }
    if (d.visibility) {
      await c.json('image', 'PATCH', `/v2/images/${img!.id}`, {
        json: [{ op: 'replace', path: '/visibility', value: d.visibility }],
        headers: { 'Content-Type': 'application/openstack-images-v2.1-json-patch' },
      });
    }
    const final = await c.json<Image>('image', 'GET', `/v2/images/${img!.id}`);
    return { changed: true, image: final, id: final.id };
  },
};

registerModule(osImageModule);
