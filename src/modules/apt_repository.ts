/**
 * `apt_repository`: one source line in /etc/apt/sources.list.d/<filename>.list
 * (no apt-key: put the repository's key with get_url/copy into
 * /usr/share/keyrings or /etc/apt/keyrings and name it in the line, e.g.
 * `deb [signed-by=/etc/apt/keyrings/x.gpg] http://… suite main`).
 * The file is edited like lineinfile (other lines stay), written atomically;
 * after a change the package index is refreshed (update_cache, default yes)
 * as part of that change.
 */
import { z } from 'zod';
import { policyFact } from '../facts/apt.js';
import { forgetFact } from '../facts/fact.js';
import { fileStatesFact } from '../facts/files.js';
import { ModuleError } from '../util/errors.js';
import { attrArgs, bool, idString } from './common/args.js';
import { MAX_DIFF_BYTES } from './common/file-diff.js';
import { applyContent, planContent, type ContentPlanData } from './common/managed-file.js';
import { registerModule } from './registry.js';
import type { Module } from './types.js';

const schema = z.strictObject({
  repo: z.string().regex(/^(deb|deb-src)\s+(\[[^\]]*\]\s+)?\S+:\/\/\S+/, "repo must be a source line: 'deb [options] URL suite [components]'").describe("The source line: 'deb [options] URL suite [components]'."),
  state: z.enum(['present', 'absent']).default('present').describe('Whether the line should be in the file (present) or not (absent).'),
  filename: z.string().regex(/^[A-Za-z0-9_.-]+$/).optional().describe('File name without .list (default: from the URL).'),
  update_cache: bool.default(true).describe('Refresh the package index after a change, as part of that change.'),
  ...attrArgs,
  codename: z.string().optional().describe('Accepted for compatibility (PPA only); ignored.'),
  validate_certs: bool.optional().describe('Accepted for compatibility; ignored.'),
});

export type AptRepositoryArgs = z.infer<typeof schema>;

const norm = (line: string) => line.trim().replace(/\s+/g, ' ');

/** Ansible's default file name: the URL without scheme, non-alphanumerics as _. */
export function repoFileName(repo: string): string {
  const url = /\S+:\/\/\S+/.exec(repo.replace(/\[[^\]]*\]/, ''))![0];
  return url.replace(/^[a-z+]+:\/\//, '').replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

/** Pure: the file's new text (undefined: nothing to do). */
export function editSources(text: string, repo: string, state: 'present' | 'absent'): string | undefined {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const want = norm(repo);
  const has = lines.some((l) => norm(l) === want);
  if (state === 'present') {
    if (has) return undefined;
    // A commented-out copy is enabled in place.
    const i = lines.findIndex((l) => norm(l.replace(/^\s*#\s*/, '')) === want);
    if (i >= 0) lines[i] = want;
    else lines.push(want);
    return lines.join('\n') + '\n';
  }
  if (!has) return undefined;
  const kept = lines.filter((l) => norm(l) !== want);
  return kept.length ? kept.join('\n') + '\n' : '';
}

export const aptRepositoryModule: Module<AptRepositoryArgs, ContentPlanData & { update: boolean }> = {
  name: 'apt_repository',
  doc: {
    short: 'Add or remove one APT source line in /etc/apt/sources.list.d/.',
    examples: `
- name: Add a repository signed by a key already placed in /etc/apt/keyrings
  apt_repository:
    repo: "deb [signed-by=/etc/apt/keyrings/mariadb.gpg] https://mirror.example.org/mariadb/repo/10.11/debian bookworm main"
    filename: mariadb
    state: present

- name: Remove it again
  apt_repository:
    repo: "deb [signed-by=/etc/apt/keyrings/mariadb.gpg] https://mirror.example.org/mariadb/repo/10.11/debian bookworm main"
    filename: mariadb
    state: absent
`,
  },
  schema,
  async plan(ctx, a) {
    const dest = `/etc/apt/sources.list.d/${a.filename ?? repoFileName(a.repo)}.list`;
    const [st] = await ctx.fact(fileStatesFact, { queries: [{ path: dest, checksum: 'sha256', contentMaxBytes: MAX_DIFF_BYTES }] });
    if (st!.exists && st!.type !== 'file') throw new ModuleError(`${dest} is a ${st!.type}, not a file`);
    if (st!.contentTooLarge) throw new ModuleError(`${dest} is too large to edit`);
    const text = st!.exists ? st!.content!.toString('utf8') : '';
    const next = editSources(text, a.repo, a.state);
    const mode = a.mode ?? (st!.exists ? undefined : '0644');
    const { changes, data } = planContent({
      dest,
      state: st!,
      content: Buffer.from(next ?? text, 'utf8'),
      mode,
      owner: idString(a.owner),
      group: idString(a.group),
    });
    if (next === undefined && !st!.exists) return { changes: [], data: { ...data, update: false }, result: { changed: false, repo: a.repo, sources_list: dest } };
    return { changes, data: { ...data, update: a.update_cache && next !== undefined }, result: { changed: false, repo: a.repo, sources_list: dest } };
  },
  async apply(ctx, _a, plan) {
    const r = await applyContent(ctx, plan.data!);
    if (plan.data!.update) {
      await ctx.run('DEBIAN_FRONTEND=noninteractive apt-get update -q && mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp');
      forgetFact(ctx.facts, policyFact);
    }
    return r;
  },
};

registerModule(aptRepositoryModule);
