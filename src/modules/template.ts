/**
 * `template`: render a controller template (looked up in the role's
 * templates/) with the task's variables — Jinja2 as Ansible renders it, or
 * Handlebars for a .hbs file (never HTML-escaped) — then place it like
 * `copy`: sha256 comparison, atomic write, owner/mode, backup, validate.
 */
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { z } from 'zod';
import { formatMode } from '../facts/file-state.js';
import { readTextFileAsync } from '../util/text-input.js';
import { displayPath } from '../util/source.js';
import { attrArgs, bool, unsafeWritesArg, validateArg } from './common/args.js';
import { applyContent, writeOptions, type ContentPlanData } from './common/managed-file.js';
import { placementQueries, planPlacement } from './common/place-content.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';

const schema = z.strictObject({
  src: z.string().min(1).describe("Template file, looked up in the role's templates/ then the playbook's templates/."),
  dest: z.string().min(1).describe('Remote path (an existing directory receives dest/basename(src)).'),
  ...attrArgs,
  backup: bool.default(false).describe('Keep a timestamped copy of the old file.'),
  unsafe_writes: unsafeWritesArg,
  force: bool.default(true).describe('false: never touch an existing dest.'),
  validate: validateArg,
  follow: bool.default(false).describe('When dest is a symlink, write the file it points to.'),
  newline_sequence: z
    .preprocess((v) => (typeof v === 'string' ? v.replace(/\\n/g, '\n').replace(/\\r/g, '\r') : v), z.enum(['\n', '\r\n', '\r']))
    .default('\n')
    .describe('Line ending of the rendered file (written as \\n, \\r\\n or \\r).'),
  trim_blocks: bool.default(true).describe('Drop the first newline after a block tag ({% … %}), as Jinja does with trim_blocks.'),
  lstrip_blocks: bool.default(false).describe('Strip spaces and tabs before a block tag at the start of a line.'),
});

export type TemplateArgs = z.infer<typeof schema>;

/** The variables Ansible's template module adds (template_uid, _run_date and _mtime left out: they would make every run differ). */
export const TEMPLATE_VAR_NAMES = ['template_path', 'template_fullpath', 'template_host', 'template_destpath', 'ansible_managed'] as const;

export const templateModule: Module<TemplateArgs, ContentPlanData> = {
  name: 'template',
  doc: {
    short: "Render a template from the controller (the role's or playbook's templates/) into a file on the host.",
    examples: `
- name: Render the role's (or playbook's) templates/ file
  template:
    src: nginx.conf.j2
    dest: /etc/nginx/nginx.conf
    owner: root
    mode: "0644"
    validate: nginx -t -c %s
`,
  },
  schema,
  localFiles: [{ arg: 'src', kind: 'templates', content: 'template' }],
  readAhead: (args, diff) => placementQueries({ dest: args.dest, srcName: basename(args.src), follow: args.follow }, diff),
  async plan(ctx, args) {
    const file = ctx.findFile('templates', args.src);
    const text = await readTextFileAsync(file, file, 'template');
    const templateVars: Record<(typeof TEMPLATE_VAR_NAMES)[number], string> = { template_path: file, template_fullpath: file, template_host: hostname(), template_destpath: args.dest, ansible_managed: 'Ansible managed' };
    let rendered = ctx.render(text, templateVars, displayPath(file), { trimBlocks: args.trim_blocks, lstripBlocks: args.lstrip_blocks });
    if (args.newline_sequence !== '\n') rendered = rendered.replace(/\r?\n/g, args.newline_sequence);
    return planPlacement(ctx, {
      ...writeOptions(args),
      dest: args.dest,
      srcName: basename(args.src),
      content: Buffer.from(rendered, 'utf8'),
      mode: args.mode === 'preserve' ? formatMode((await stat(file)).mode) : args.mode,
      force: args.force,
      follow: args.follow,
    });
  },
  async apply(ctx, args, plan) {
    return { ...(await applyContent(ctx, plan.data!)), src: args.src };
  },
};

registerModule(templateModule);
