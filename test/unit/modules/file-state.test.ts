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
];
const RECORDED = `motd noise from a login shell
@drover-fs 0 S\t81a0\t1001\t1002\tdrover-t1\tdrover-t2\t6\t2147457\t65024\t1\t1795350773\t1795350773\t1795350773
@drover-fs 0 P 110
@drover-fs 0 C sha256 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03
@drover-fs 0 D aGVsbG8K
@drover-fs 1 A
@drover-fs 2 S\t45ed\t0\t0\troot\troot\t4096\t2147474\t65024\t2\t1795350773\t1795350773\t1795350773
@drover-fs 3 S\ta1ff\t0\t0\troot\troot\t6\t2147492\t65024\t1\t1795350773\t1795350773\t1795350773
@drover-fs 3 L YS5jb25m
@drover-fs 4 S\t81a0\t1001\t1002\tdrover-t1\tdrover-t2\t6\t2147457\t65024\t1\t1795350774\t1795350773\t1795350773
@drover-fs 4 L YS5jb25m
@drover-fs 4 R L3RtcC9yZWMvYS5jb25m
@drover-fs 4 C sha1 f572d396fae9206628714fb2ce00f72e94f2258f
@drover-fs 5 S\t81a4\t0\t0\troot\troot\t5\t2147505\t65024\t1\t1795350773\t1795350773\t1795350773
@drover-fs 5 C sha256 fa4cbb9fe4f3ca7a3d765011edefcbd85b5762f0f3b8035a5d47cd153fc84eb5
@drover-fs 5 B
@drover-fs 6 A
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

  it('refuses output that lacks a path (truncated output is not "absent")', () => {
    expect(() => parseFileStates('@drover-fs 0 A\n', QUERIES.slice(0, 2))).toThrow(/no file state reported for \/tmp\/rec\/missing/);
  });
});

describe('fileStateScript', () => {
  it('quotes paths and runs in a subshell', () => {
    const s = fileStateScript([{ path: "/etc/it's" }]);
    expect(s.startsWith('(\n')).toBe(true);
    expect(s.trimEnd().endsWith(')')).toBe(true);
    expect(s).toContain(`_dfs 0 '/etc/it'\\''s' 0 sha256 -1 0`);
  });
  it('rejects unknown checksum algorithms', () => {
    expect(() => fileStateScript([{ path: '/x', checksum: 'crc' as never }])).toThrow();
  });
});
