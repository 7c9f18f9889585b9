import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileStateScript, parseFileStates, type FileQuery } from '../../../src/facts/file-state.js';
import { ModuleError } from '../../../src/util/errors.js';

// Recorded on Debian 12 (GNU coreutils 9.1) by running fileStateScript(QUERIES) with bash.
const QUERIES: FileQuery[] = [
  { path: '/tmp/rec/a.conf', contentMaxBytes: 1000, access: true },
  { path: '/tmp/rec/missing' },
  { path: '/tmp/rec/d', checksum: false },
  { path: '/tmp/rec/lnk' },
  { path: '/tmp/rec/lnk', follow: true, checksum: 'sha1' },
  { path: '/tmp/rec/bin', contentMaxBytes: 2 },
  { path: "/tmp/rec/it's here" },
  { path: '/tmp/rec/d/x.conf' },
];
// One stat run for the lstat'ed paths (announced by E), one sha256sum run (announced by K).
const RECORDED = `motd noise from a login shell
@drover-fs 1 A
@drover-fs 4 S\t81a0\t0\t0\troot\troot\t6\t2147285\t65024\t1\t1795355217\t1795355217\t1795355217
@drover-fs 4 R L3RtcC9yZWMvYS5jb25m
@drover-fs 6 A
@drover-fs E 0 2 3 5 7
@drover-fs S\t81a0\t1001\t1002\tdrover-t1\tdrover-t2\t6\t2147285\t65024\t1\t1795355217\t1795355217\t1795355217
@drover-fs S\t45ed\t0\t0\troot\troot\t4096\t2147276\t65024\t2\t1795355217\t1795355217\t1795355217
@drover-fs S\ta1ff\t0\t0\troot\troot\t6\t2147300\t65024\t1\t1795355218\t1795355217\t1795355217
@drover-fs S\t81a4\t0\t0\troot\troot\t5\t2147318\t65024\t1\t1795355217\t1795355217\t1795355217
@drover-fs S\t81a4\t0\t0\troot\troot\t1\t2147329\t65024\t1\t1795355217\t1795355217\t1795355217
@drover-fs 0 P 110
@drover-fs 0 D aGVsbG8K
@drover-fs 3 L YS5jb25m
@drover-fs 4 L YS5jb25m
@drover-fs K sha1 4
f572d396fae9206628714fb2ce00f72e94f2258f  /tmp/rec/lnk
@drover-fs 5 D MTIz
@drover-fs K sha256 7
2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881  /tmp/rec/d/x.conf
`;

describe('parseFileStates', () => {
  const states = parseFileStates(RECORDED, QUERIES);

  it('reads a regular file with owner, mode, checksum, content and access', () => {
    expect(states[0]).toMatchObject({
      path: '/tmp/rec/a.conf',
      exists: true,
      type: 'file',
      mode: '0640',
      uid: 1001,
      gid: 1002,
      owner: 'drover-t1',
      group: 'drover-t2',
      size: 6,
      checksumAlgorithm: 'sha256',
      checksum: '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03',
      readable: true,
      writeable: true,
      executable: false,
    });
    expect(states[0]!.content!.toString()).toBe('hello\n');
  });

  it('reports absent paths', () => {
    expect(states[1]).toEqual({ path: '/tmp/rec/missing', exists: false });
    expect(states[6]).toEqual({ path: "/tmp/rec/it's here", exists: false });
  });

  it('keeps special bits of a directory mode (setgid)', () => {
    expect(states[2]).toMatchObject({ type: 'directory', mode: '2755', owner: 'root' });
    expect(states[2]!.checksum).toBeUndefined();
  });

  it('lstat of a symlink gives the link and its target text; follow gives the target file', () => {
    expect(states[3]).toMatchObject({ type: 'link', linkTarget: 'a.conf', mode: '0777' });
    expect(states[3]!.checksum).toBeUndefined();
    expect(states[4]).toMatchObject({ type: 'file', linkTarget: 'a.conf', realPath: '/tmp/rec/a.conf', checksumAlgorithm: 'sha1', mode: '0640' });
  });

  it('flags content larger than asked instead of sending it', () => {
    expect(states[5]).toMatchObject({ type: 'file', contentTooLarge: true, size: 5 });
    expect(states[5]!.content).toBeUndefined();
  });

  it('turns an error record into a ModuleError with the target message', () => {
    const err = '@drover-fs 0 X ' + Buffer.from("stat: cannot statx '/tmp/rec/private/x': Permission denied").toString('base64');
    expect(() => parseFileStates(err, [{ path: '/tmp/rec/private/x' }])).toThrow(ModuleError);
    expect(() => parseFileStates(err, [{ path: '/tmp/rec/private/x' }])).toThrow(/Permission denied/);
  });

  it('maps batched stat and checksum records back to their paths', () => {
    expect(states[7]).toMatchObject({ type: 'file', size: 1, checksumAlgorithm: 'sha256', checksum: '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881' });
    // content fetched anyway is checksummed on the controller
    expect(states[0]!.checksum).toBe('5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03');
  });

  it('refuses output that lacks a record a header announced', () => {
    expect(() => parseFileStates('@drover-fs E 0 1\n@drover-fs S\t81a4\t0\t0\troot\troot\t1\t1\t1\t1\t1\t1\t1\n', QUERIES.slice(0, 2))).toThrow(/incomplete file state/);
  });

  it('refuses output that lacks a path (truncated output is not "absent")', () => {
    expect(() => parseFileStates('@drover-fs 0 A\n', QUERIES.slice(0, 2))).toThrow(/no file state reported for \/tmp\/rec\/missing/);
  });
});

describe('fileStateScript', () => {
  it('quotes paths and batches stat and checksum into one process each', () => {
    const s = fileStateScript([{ path: "/etc/it's" }, { path: '/etc/b' }]);
    expect(s).toContain(`'/etc/it'\\''s'`);
    expect(s.match(/stat --printf/g)).toHaveLength(1);
    expect(s.match(/sha256sum/g)).toHaveLength(1);
  });
  it('rejects unknown checksum algorithms', () => {
    expect(() => fileStateScript([{ path: '/x', checksum: 'crc' as never }])).toThrow();
  });
  it('decides absence under a missing directory chain, or below a file, without a process per path (a fresh tree for copy)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drover-fs-'));
    try {
      mkdirSync(join(dir, 'd'));
      writeFileSync(join(dir, 'd/f'), 'x');
      symlinkSync('nowhere', join(dir, 'dangling'));
      const paths = ['d/f', 'd/no/such/deep/path', 'no/such', 'd/f/below', 'd/f/below/deeper', 'dangling/x', 'd/no/../f', 'd/f/'];
      const queries = paths.map((p) => ({ path: `${dir}/${p}`, checksum: false as const }));
      // Every stat process the probe starts is traced on stderr.
      const r = spawnSync('/bin/bash', ['-c', `exec 3>&2; stat() { echo "@stat $*" >&3; command stat "$@"; }\n${fileStateScript(queries)}`], { encoding: 'utf8' });
      const states = parseFileStates(r.stdout, queries);
      expect(states.map((s) => [s.path.slice(dir.length + 1), s.exists, s.type])).toEqual([
        ['d/f', true, 'file'],
        ['d/no/such/deep/path', false, undefined],
        ['no/such', false, undefined],
        ['d/f/below', false, undefined],
        ['d/f/below/deeper', false, undefined],
        ['dangling/x', false, undefined],
        ['d/no/../f', false, undefined],
        ['d/f/', false, undefined],
      ]);
      // The one stat run of the present paths, and one for the path below the dangling link (no directory to search there).
      expect(r.stderr.split('\n').filter((l) => l.startsWith('@stat'))).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
