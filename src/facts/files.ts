/**
 * Paths on the target as a named fact: existence, type, mode, owner, size,
 * link target, checksum and (when asked) content of several paths in one
 * command (the probe is file-state.ts). Read on every use: any task may
 * change a file.
 */
import { createHash } from 'node:crypto';
import { ModuleError } from '../util/errors.js';
import { own, type Fact } from './fact.js';
import { fileStateScript, parseFileStates, type FileQuery, type FileState } from './file-state.js';

/**
 * `files` (key: the paths). Test data gives path -> state, content as text;
 * a path it does not name is absent; `exists: true, type: file` are implied,
 * and size and the asked-for checksum follow from the content.
 */
export const fileStatesFact: Fact<{ queries: FileQuery[] }, FileState[]> = {
  name: 'files',
  key: (p) => p.queries.map((q) => q.path).join(' '),
  command: (p) => fileStateScript(p.queries),
  cached: false,
  loopShared: true,
  parse(r, p) {
    if (r.rc !== 0) {
      throw new ModuleError(`reading file state of ${p.queries.map((q) => q.path).join(', ')} failed (rc ${r.rc})`, fileStateScript(p.queries), r.stderr, r.rc);
    }
    return parseFileStates(r.stdout, p.queries);
  },
  fromData(data, p) {
    return p.queries.map((q): FileState => {
      const d = own((data ?? {}) as Record<string, Partial<Omit<FileState, 'content'>> & { content?: string }>, q.path);
      if (!d || d.exists === false) return { path: q.path, exists: false };
      const { content, ...rest } = d;
      const st: FileState = { path: q.path, exists: true, type: 'file', ...rest };
      if (content !== undefined && st.type === 'file') {
        const bytes = Buffer.from(content, 'utf8');
        st.size ??= bytes.length;
        if (q.contentMaxBytes !== undefined) {
          if (bytes.length > q.contentMaxBytes) st.contentTooLarge = true;
          else st.content = bytes;
        }
        const alg = q.checksum === undefined ? 'sha256' : q.checksum;
        if (alg && st.checksum === undefined) {
          st.checksum = createHash(alg).update(bytes).digest('hex');
          st.checksumAlgorithm = alg;
        }
      }
      return st;
    });
  },
};
