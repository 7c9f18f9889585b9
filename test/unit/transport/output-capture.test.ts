// StreamCapture: the end token found however the chunks split it; bounded capture keeps head and tail, drops the middle with a marker.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { StreamCapture, humanBytes, omittedMarker, splitBound } from '../../../src/transport/output-capture.js';

const TOKEN = Buffer.from('__drover_end_0123456789abcdef01234567__');

/** Cut `b` at the given offsets (sorted, deduplicated, inside b). */
function cut(b: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((x) => x % (b.length + 1)))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    out.push(b.subarray(last, p));
    last = p;
  }
  out.push(b.subarray(last));
  return out;
}

/** Feed chunks until the token; the bytes after it (from its chunk and the ones after). */
function feed(c: StreamCapture, chunks: Buffer[]): Buffer {
  const after: Buffer[] = [];
  for (const ch of chunks) {
    if (c.done) after.push(ch);
    else {
      const rest = c.push(ch);
      if (rest !== undefined) after.push(rest);
    }
  }
  expect(c.done).toBe(true);
  return Buffer.concat(after);
}

// Output made of bytes that like to look like the token: its own prefixes, underscores, random bytes.
const outputBytes = fc
  .array(
    fc.oneof(
      fc.integer({ min: 1, max: TOKEN.length - 1 }).map((n) => TOKEN.subarray(0, n)),
      fc.constant(Buffer.from('_')),
      fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
    ),
    { maxLength: 30 },
  )
  .map((parts) => Buffer.concat(parts))
  .filter((b) => Buffer.concat([b, TOKEN]).indexOf(TOKEN) === b.length);

describe('StreamCapture', () => {
  it('unbounded: output is every byte before the token, the rest is handed back, for any chunking', () => {
    fc.assert(
      fc.property(outputBytes, fc.uint8Array({ maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (out, after, at) => {
        const stream = Buffer.concat([out, TOKEN, Buffer.from(after)]);
        const c = new StreamCapture(TOKEN);
        const rest = feed(c, cut(stream, at));
        expect(c.bytes().equals(out)).toBe(true);
        expect(rest.equals(Buffer.from(after))).toBe(true);
        expect(c.omitted).toBe(0);
        expect(c.total).toBe(out.length);
      }),
      { numRuns: 500 },
    );
  });

  it('bounded: keeps the first head and last tail bytes and counts the rest, for any chunking', () => {
    fc.assert(
      fc.property(outputBytes, fc.nat(50), fc.nat(50), fc.array(fc.nat(), { maxLength: 12 }), (out, head, tail, at) => {
        const stream = Buffer.concat([out, TOKEN, Buffer.from('0\n')]);
        const c = new StreamCapture(TOKEN, { head, tail });
        const rest = feed(c, cut(stream, at));
        expect(rest.toString()).toBe('0\n');
        const dropped = Math.max(0, out.length - head - tail);
        expect(c.omitted).toBe(dropped);
        const expected = dropped ? Buffer.concat([out.subarray(0, head), out.subarray(out.length - tail)]) : out;
        expect(c.bytes().equals(expected)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('a token split byte by byte is still found, and none of it reaches the output', () => {
    const stream = Buffer.concat([Buffer.from('hello _'), TOKEN.subarray(0, 5), TOKEN, Buffer.from('17\n')]);
    const c = new StreamCapture(TOKEN, splitBound(1024));
    const rest = feed(c, [...stream].map((b) => Buffer.from([b])));
    expect(c.text()).toEqual({ text: 'hello _' + TOKEN.subarray(0, 5).toString(), omitted: 0 });
    expect(rest.toString()).toBe('17\n');
  });

  it('text(): the marker on its own line between head and tail, cut at whole UTF-8 characters', () => {
    const c = new StreamCapture(TOKEN, { head: 5, tail: 5 });
    const out = Buffer.from('abcdé' + 'x'.repeat(100) + 'éwxyz', 'utf8');
    feed(c, [Buffer.concat([out, TOKEN, Buffer.from('0\n')])]);
    const { text, omitted } = c.text();
    // Head "abcd" + half of é (dropped), tail: second half of é (dropped) + "wxyz".
    expect(text).toBe(`abcd\n${omittedMarker(out.length - 8)}\nwxyz`);
    expect(omitted).toBe(out.length - 8);
    expect(text).not.toContain('\ufffd');
  });

  it('memory: a gigabyte through a bounded capture keeps only head + tail', () => {
    const c = new StreamCapture(TOKEN, { head: 1000, tail: 1000 });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    for (let i = 0; i < 2000; i++) c.push(chunk); // 131 MB (kept short for the suite's time)
    c.push(Buffer.concat([TOKEN, Buffer.from('0\n')]));
    expect(c.bytes().length).toBe(2000);
    expect(c.omitted).toBe(2000 * chunk.length - 2000);
    expect(c.text().text).toMatch(/^x{1000}\n\[drover: 131\.1 MB of output omitted; DROVER_MAX_COMMAND_OUTPUT keeps more\]\nx{1000}$/);
  });

  it('humanBytes', () => {
    expect(humanBytes(1)).toBe('1 byte');
    expect(humanBytes(999)).toBe('999 bytes');
    expect(humanBytes(812_400_000)).toBe('812.4 MB');
    expect(humanBytes(1_073_741_824)).toBe('1.1 GB');
  });
});
