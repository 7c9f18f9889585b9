/**
 * `get_url`: download a URL (http, https, ftp, file://) on the target to dest.
 * The target fetches it itself with curl, wget or python3 (whichever exists:
 * a minimal Debian has only python3). Planning never writes: an existing dest
 * is compared with `checksum` when given; with `force` the remote content is
 * streamed through sha256sum (nothing stored) and compared with dest's.
 * Apply downloads to a temp file, checks the checksum, then moves it into
 * place atomically with its owner and mode.
 */
import { posix } from 'node:path';
import { z } from 'zod';
import type { ChecksumAlgorithm } from '../facts/file-state.js';
import { fileStatesFact } from '../facts/files.js';
import { fetchCommand, urlChecksumFact } from '../facts/url.js';
import { ModuleError } from '../util/errors.js';
import { shq } from '../util/shell.js';
import { attrArgs, bool, idString } from './common/args.js';
import { atomicWrite } from './common/atomic-write.js';
import { attrCommands, chmodArg, parseMode, planAttrs } from './common/file-attrs.js';
import { num } from './command-common.js';
import { registerModule } from './registry.js';
import type { Change, Module } from './types.js';

const CHECKSUM = /^(md5|sha1|sha224|sha256|sha384|sha512):([0-9a-fA-F]+)$/;

const schema = z.strictObject({
  url: z.string().regex(/^(https?|ftp|file):\/\//, 'url must start with http://, https://, ftp:// or file://').describe('The URL: http://, https://, ftp:// or file://.'),
  dest: z.string().min(1).describe('File path, or an existing directory / path ending in / (the URL\'s file name is used).'),
  checksum: z.string().regex(CHECKSUM, "checksum must look like 'sha256:<hex>'").optional().describe('ALGORITHM:HEX (e.g. sha256:…): an existing dest with this checksum is not downloaded again, and a download must match it.'),
  force: bool.default(false).describe('Download even when dest exists (replaced only if the content differs).'),
  timeout: num.int().min(1).default(10).describe('Time limit in seconds (curl: the whole transfer; wget and python3: each network read).'),
  validate_certs: bool.default(true).describe("Verify the server's TLS certificate."),
  ...attrArgs,
});

export type GetUrlArgs = z.infer<typeof schema>;

/** The file name a URL names (dest is a directory). */
export function urlFileName(url: string): string {
  const path = url.replace(/^[a-z]+:\/\/[^/]*/, '').replace(/[?#].*$/, '');
  const name = decodeURIComponent(posix.basename(path));
  if (!name || name === '/') throw new ModuleError(`cannot take a file name from ${url}: give dest as a file path`);
  return name;
}

interface GetUrlPlanData {
  dest: string;
  download: boolean;
  attrs?: { chmod?: string; chown?: string };
}

export const getUrlModule: Module<GetUrlArgs, GetUrlPlanData> = {
  name: 'get_url',
  doc: {
    short: 'Download a file from a URL on the host itself.',
    examples: `
- name: Download a release, checked against its checksum
  get_url:
    url: https://downloads.example.org/tool-1.2.tar.gz
    dest: /opt/tool-1.2.tar.gz
    checksum: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    mode: "0644"
`,
  },
  schema,
  async plan(ctx, a) {
    const want = a.checksum ? CHECKSUM.exec(a.checksum)! : undefined;
    const alg = (want?.[1] ?? 'sha256') as ChecksumAlgorithm;
    const [first] = await ctx.fact(fileStatesFact, { queries: [{ path: a.dest, follow: true, checksum: alg }] });
    let dest = a.dest;
    let state = first!;
    if (a.dest.endsWith('/') || (state.exists && state.type === 'directory')) {
      dest = posix.join(a.dest, urlFileName(a.url));
      state = (await ctx.fact(fileStatesFact, { queries: [{ path: dest, follow: true, checksum: alg }] }))[0]!;
    }
    const changes: Change[] = [];
    let download = false;
    if (!state.exists) {
      download = true;
      changes.push({ summary: `download ${a.url} to ${dest}` });
    } else if (state.type !== 'file') {
      throw new ModuleError(`${dest} exists and is a ${state.type}, not a file`);
    } else if (want && state.checksum !== want[2]!.toLowerCase()) {
      download = true;
      changes.push({ summary: `download ${a.url} to ${dest} (its ${alg} differs from the checksum given)` });
    } else if (!want && a.force) {
      const remote = await ctx.fact(urlChecksumFact, { url: a.url, algorithm: alg, timeout: a.timeout, insecure: !a.validate_certs });
      if (remote !== state.checksum) {
        download = true;
        changes.push({ summary: `download ${a.url} to ${dest} (the remote content differs)` });
      }
    }
    let attrs: GetUrlPlanData['attrs'];
    if (!download && state.exists) {
      const p = planAttrs(state, { mode: a.mode, owner: idString(a.owner), group: idString(a.group) }, dest);
      changes.push(...p.changes);
      if (p.chmod || p.chown) attrs = { chmod: p.chmod, chown: p.chown };
    }
    return { changes, data: { dest, download, attrs }, result: { changed: false, dest, url: a.url, ...(state.checksum ? { checksum_dest: state.checksum } : {}) } };
  },
  async apply(ctx, a, plan) {
    const { dest, download, attrs } = plan.data!;
    if (download) {
      const want = a.checksum ? CHECKSUM.exec(a.checksum)! : undefined;
      const alg = want?.[1] ?? 'sha256';
      // Download next to nothing important (/tmp), check, then the atomic write copies it into place.
      const cmd = `t=$(mktemp) || exit 1; (${fetchCommand({ url: a.url, timeout: a.timeout, insecure: !a.validate_certs }, '"$t"')}) || { rc=$?; rm -f "$t"; exit $rc; }; echo "$t"; ${alg}sum < "$t"`;
      const r = await ctx.exec(cmd);
      if (r.rc !== 0) throw new ModuleError(`downloading ${a.url} failed (rc ${r.rc}): ${r.stderr.trim()}`, cmd, r.stderr, r.rc);
      const [tmp, sum] = r.stdout.trim().split('\n');
      const got = sum!.trim().split(/\s+/)[0]!;
      try {
        if (want && got !== want[2]!.toLowerCase()) {
          throw new ModuleError(`the ${alg} of ${a.url} is ${got}, not ${want[2]} as the checksum argument says`);
        }
        await atomicWrite(ctx.exec.bind(ctx), { dest, remoteSource: tmp!, mode: a.mode === undefined ? undefined : chmodArg(parseMode(a.mode)), owner: idString(a.owner), group: idString(a.group) });
      } finally {
        await ctx.exec(`rm -f -- ${shq(tmp!)}`);
      }
      return { changed: true, dest, url: a.url, checksum_dest: got };
    }
    if (attrs) {
      const cmds = attrCommands(dest, attrs, shq);
      if (cmds.length) await ctx.run(cmds.join(' && '));
    }
    return { changed: true, dest, url: a.url };
  },
};

registerModule(getUrlModule);
