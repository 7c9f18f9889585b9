import { z } from 'zod';
import { parseMode } from './file-attrs.js';

/**
 * Argument pieces shared by the file modules. Values may arrive as rendered
 * template strings ("yes", "0644"), so booleans accept Ansible's spellings.
 */

export const bool = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  if (/^(yes|true|on|1)$/i.test(v)) return true;
  if (/^(no|false|off|0)$/i.test(v)) return false;
  return v;
}, z.boolean());

export const modeArg = z
  .union([z.string().min(1), z.number().int().nonnegative()])
  .superRefine((v, ctx) => {
    // Checked here so a bad mode is rejected before any host is contacted.
    // 'preserve' (copy/template: the source's mode) is resolved by those modules.
    if (v === 'preserve' || (typeof v === 'string' && v.includes('{{'))) return;
    try {
      parseMode(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
    }
  })
  .describe("Permissions: quoted octal ('0644'), a number (420 = 0o644), symbolic ('u=rw,g=r,o=r'), or preserve (copy/template).");

/** unsafe_writes, as the modules that write a file's content take it. */
export const unsafeWritesArg = bool
  .default(false)
  .describe("Where the atomic rename cannot replace the file (a bind mount such as Docker's /etc/hosts), write it in place, as Ansible does.");

/** validate, as the modules that write a file's content take it. */
export const validateArg = z
  .string()
  .includes('%s', { message: 'validate must contain %s (the path of the file to check)' })
  .optional()
  .describe('A command that checks the new content before it replaces the file; %s is the temporary file (e.g. /usr/sbin/sshd -t -f %s).');

export const idArg = z.union([z.string().min(1), z.number().int().nonnegative()]);

/** owner/group/mode as every file-writing module takes them. */
export const attrArgs = {
  mode: modeArg.optional(),
  owner: idArg.optional().describe('User name or uid that should own the file.'),
  group: idArg.optional().describe('Group name or gid that should own the file.'),
};

export function idString(v: string | number | undefined): string | undefined {
  return v === undefined ? undefined : String(v);
}

/**
 * Ansible accepts several names for the path argument (path, dest, name …).
 * They are all declared in the schema (so editors complete them); this
 * refinement makes sure exactly one is given.
 */
export function onePathOf(keys: readonly string[]) {
  return (a: Record<string, unknown>, ctx: z.RefinementCtx) => {
    const given = keys.filter((k) => a[k] !== undefined);
    if (given.length === 0) ctx.addIssue({ code: 'custom', message: `${keys[0]} is required` });
    if (given.length > 1) ctx.addIssue({ code: 'custom', message: `${given.join(' and ')} are aliases: give only one` });
  };
}

/** The first of the alias keys that is set. */
export function pickPath(a: Record<string, unknown>, keys: readonly string[]): string {
  for (const k of keys) if (typeof a[k] === 'string') return a[k] as string;
  throw new Error(`${keys[0]} is required`);
}
