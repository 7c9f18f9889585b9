/**
 * `include_vars`: load variables from YAML/JSON files on the controller (a
 * role's vars/ dir, then the playbook's) into the host's variables, optionally
 * under one `name`. Bad files are input errors with file:line:col.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../util/errors.js';
import { secretValues } from '../util/redact.js';
import { isTemplated } from '../template/index.js';
import { loadVarsFile } from '../util/yaml.js';
import { num } from './command-common.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';
import { isVarName } from '../util/var-names.js';

const strList = z.union([z.string(), z.array(z.string())]);

const schema = z
  .strictObject({
    file: z.string().optional().describe('A vars file (looked up in the role\'s vars/, then the playbook\'s vars/).'),
    dir: z.string().optional().describe('Load every vars file in this directory, sorted by name.'),
    name: z.string().refine(isVarName, 'not a valid variable name').optional().describe('Put the variables under this one name.'),
    depth: num.int().min(0).default(0).describe('With dir: how deep to recurse (0 = no limit).'),
    files_matching: z.string().optional().describe('With dir: only files whose name matches this regex.'),
    ignore_files: strList.optional().describe('With dir: file names (regexes) to skip.'),
    extensions: z.array(z.string()).default(['yaml', 'yml', 'json']).describe('With dir: file extensions to load.'),
    ignore_unknown_extensions: z.boolean().default(false).describe('With dir: skip files whose extension is not in extensions instead of failing.'),
  })
  .refine((a) => (a.file === undefined) !== (a.dir === undefined), { message: 'exactly one of file (free-form) or dir is required' });

export type IncludeVarsArgs = z.infer<typeof schema>;

/** Files of a vars dir in load order: sorted, recursing up to depth. */
export function varsDirFiles(dir: string, args: Pick<IncludeVarsArgs, 'depth' | 'files_matching' | 'ignore_files' | 'extensions' | 'ignore_unknown_extensions'>): string[] {
  const match = args.files_matching ? new RegExp(args.files_matching) : null;
  const ignore = (Array.isArray(args.ignore_files) ? args.ignore_files : args.ignore_files ? [args.ignore_files] : []).map((r) => new RegExp(r));
  const out: string[] = [];
  const walk = (d: string, level: number): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        if (args.depth === 0 || level < args.depth) walk(p, level + 1);
        continue;
      }
      if (match && !match.test(name)) continue;
      if (ignore.some((r) => r.test(name))) continue;
      const ext = extname(name).slice(1);
      if (!args.extensions.includes(ext)) {
        if (args.ignore_unknown_extensions) continue;
        throw new InputError(`include_vars: ${p} has an extension not in ${JSON.stringify(args.extensions)}`);
      }
      out.push(p);
    }
  };
  walk(dir, 1);
  return out;
}

export const includeVarsModule: Module<IncludeVarsArgs> = {
  name: 'include_vars',
  doc: {
    short: 'Load variables from a YAML or JSON file on the controller.',
    examples: `
- name: Load the playbook's (or role's) vars/ file
  include_vars: settings.yml

- name: Load it under one name
  include_vars:
    file: settings.yml
    name: settings
`,
  },
  schema,
  freeForm: 'file',
  runsOn: 'controller',
  localFiles: [{ arg: 'file', kind: 'vars', content: 'vars' }],
  definesVars(args, files) {
    if (typeof args.name === 'string') return [args.name];
    // A templated name or a whole dir: which variables come is known only at run time.
    if (typeof args.file !== 'string' || isTemplated(args.file)) return 'unknown';
    return Object.keys(files.varsIn('file'));
  },
  async plan(ctx, args) {
    let files: string[];
    if (args.file !== undefined) {
      const p = ctx.findFile('vars', args.file);
      if (!isFile(p)) throw new InputError(`include_vars: could not find vars file ${JSON.stringify(args.file)} (looked for ${p})`);
      files = [p];
    } else {
      const d = ctx.findFile('vars', args.dir!);
      if (!isDir(d)) throw new InputError(`include_vars: could not find vars directory ${JSON.stringify(args.dir)} (looked for ${d})`);
      files = varsDirFiles(d, args);
    }
    let vars: Record<string, unknown> = {};
    for (const f of files) vars = { ...vars, ...loadVarsFile(f) };
    // Values under secret-looking names (db_password …) are masked from now on.
    for (const v of secretValues(vars)) ctx.secret(v);
    const facts = args.name ? { [args.name]: vars } : vars;
    return {
      changes: [],
      result: { changed: false, facts, ansible_facts: facts, ansible_included_var_files: files, msg: files.map((f) => basename(f)).join(', ') },
    };
  },
  async apply() {
    return { changed: false };
  },
};

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

registerModule(includeVarsModule);
