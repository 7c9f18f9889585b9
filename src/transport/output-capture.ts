/**
 * One stream (stdout or stderr) of a command on the session shell, read up to
 * the command's end token. The token may arrive split across any number of
 * chunks: the last `token.length - 1` bytes seen are held back until it is
 * clear they do not start it, so nothing the token is made of reaches the
 * output, and the bytes after it (the exit status line) are handed back.
 *
 * Unbounded (the default) keeps every byte: facts read files through the
 * session and need them whole. Bounded (`command`/`shell`, ExecOptions
 * maxOutputBytes) keeps the first `head` and the last `tail` bytes and only
 * counts the middle, so memory stays flat however much a command prints. The
 * middle is dropped, not spilled to a file: nothing reads it back (registered
 * values and stdout_lines are built from what is kept), it may hold what a
 * no_log task printed, and a spill file could fill the controller's disk or
 * outlive a killed run. The user sees a marker where it was.
 */

export interface OutputBound {
  /** Bytes kept from the start. */
  head: number;
  /** Bytes kept from the end. */
  tail: number;
}

/** Split a byte budget into head and tail halves (the tail gets the odd byte). */
export function splitBound(maxBytes: number): OutputBound {
  const head = Math.floor(maxBytes / 2);
  return { head, tail: maxBytes - head };
}

export class StreamCapture {
  /** Output bytes seen so far (token excluded), kept or not. */
  total = 0;
  /** True once the token was seen. */
  done = false;
  private held: Buffer = Buffer.alloc(0);
  /** Unbounded: every chunk; bounded: the head (copies, at most bound.head bytes). */
  private chunks: Buffer[] = [];
  private headLen = 0;
  /** Bounded: a ring of the last bound.tail bytes after the head. */
  private ring: Buffer | undefined;
  private ringPos = 0;
  private ringLen = 0;

  constructor(
    private readonly token: Buffer,
    private readonly bound?: OutputBound,
  ) {
    if (token.length === 0) throw new Error('StreamCapture: empty token');
  }

  /**
   * Feed one chunk. Returns the bytes that followed the token in it once the
   * token is seen (possibly empty), undefined before. After that, feeding is
   * a mistake of the caller.
   */
  push(d: Buffer): Buffer | undefined {
    if (this.done) throw new Error('StreamCapture: data after the end token');
    const held = this.held;
    const T = this.token.length;
    let at = -1;
    if (held.length > 0) {
      // A token starting in the held bytes ends within the first T-1 bytes of d.
      const seam = Buffer.concat([held, d.subarray(0, T - 1)]);
      at = seam.indexOf(this.token);
    }
    if (at < 0) {
      const j = d.indexOf(this.token);
      if (j >= 0) at = held.length + j;
    }
    if (at >= 0) {
      // Output is (held ++ d)[0, at); the rest follows the token.
      this.commit(held.subarray(0, Math.min(at, held.length)));
      if (at > held.length) this.commit(d.subarray(0, at - held.length));
      const after = at + T;
      const rest = after <= held.length ? Buffer.concat([held.subarray(after), d]) : d.subarray(after - held.length);
      this.held = Buffer.alloc(0);
      this.done = true;
      return rest;
    }
    // No token yet: hold back the last T-1 bytes of (held ++ d), commit the rest.
    const keep = T - 1;
    const all = held.length + d.length;
    if (all <= keep) {
      this.held = Buffer.concat([held, d]);
      return undefined;
    }
    const commitLen = all - keep;
    if (commitLen <= held.length) {
      this.commit(held.subarray(0, commitLen));
      this.held = Buffer.concat([held.subarray(commitLen), d]);
    } else {
      this.commit(held);
      this.commit(d.subarray(0, commitLen - held.length));
      this.held = Buffer.from(d.subarray(commitLen - held.length));
    }
    return undefined;
  }

  private commit(b: Buffer): void {
    if (b.length === 0) return;
    this.total += b.length;
    const bound = this.bound;
    if (!bound) {
      this.chunks.push(b);
      return;
    }
    // Copies: a slice would keep the whole chunk it came from alive.
    if (this.headLen < bound.head) {
      const take = Math.min(b.length, bound.head - this.headLen);
      this.chunks.push(Buffer.from(b.subarray(0, take)));
      this.headLen += take;
      b = b.subarray(take);
      if (b.length === 0) return;
    }
    if (bound.tail === 0) return;
    const ring = (this.ring ??= Buffer.allocUnsafe(bound.tail));
    if (b.length >= ring.length) {
      b.copy(ring, 0, b.length - ring.length);
      this.ringPos = 0;
      this.ringLen = ring.length;
      return;
    }
    const first = Math.min(b.length, ring.length - this.ringPos);
    b.copy(ring, this.ringPos, 0, first);
    if (first < b.length) b.copy(ring, 0, first);
    this.ringPos = (this.ringPos + b.length) % ring.length;
    this.ringLen = Math.min(ring.length, this.ringLen + b.length);
  }

  /** Bytes dropped from the middle (0 when everything was kept). */
  get omitted(): number {
    return this.bound ? this.total - this.headLen - this.ringLen : 0;
  }

  /** Everything kept, in order: the head and tail with nothing between (see text()). */
  bytes(): Buffer {
    return Buffer.concat([...this.chunks, this.tailBytes()]);
  }

  /**
   * The output as UTF-8 text. When the middle was dropped: the head and tail
   * cut at whole characters, with the marker on a line of its own between them.
   */
  text(): { text: string; omitted: number } {
    if (this.omitted === 0) return { text: this.bytes().toString('utf8'), omitted: 0 };
    const head = Buffer.concat(this.chunks);
    const tail = this.tailBytes();
    const h = wholeCharsEnd(head);
    const t = wholeCharsStart(tail);
    const omitted = this.omitted + (head.length - h) + t;
    const headText = head.subarray(0, h).toString('utf8');
    const sep = headText === '' || headText.endsWith('\n') ? '' : '\n';
    return { text: `${headText}${sep}${omittedMarker(omitted)}\n${tail.subarray(t).toString('utf8')}`, omitted };
  }

  private tailBytes(): Buffer {
    const ring = this.ring;
    if (!ring || this.ringLen === 0) return Buffer.alloc(0);
    if (this.ringLen < ring.length) return Buffer.from(ring.subarray(0, this.ringLen));
    return Buffer.concat([ring.subarray(this.ringPos), ring.subarray(0, this.ringPos)]);
  }
}

/** The line the user sees where output was dropped. */
export function omittedMarker(bytes: number): string {
  return `[drover: ${humanBytes(bytes)} of output omitted; DROVER_MAX_COMMAND_OUTPUT keeps more]`;
}

/** 812.4 MB, 3.1 kB, 17 bytes (decimal units). */
export function humanBytes(n: number): string {
  if (n < 1000) return `${n} byte${n === 1 ? '' : 's'}`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** Length of `b` without a UTF-8 sequence cut off at its end. */
function wholeCharsEnd(b: Buffer): number {
  for (let i = b.length - 1; i >= 0 && i >= b.length - 4; i--) {
    const c = b[i]!;
    if ((c & 0xc0) === 0x80) continue; // continuation byte: look further back
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return i + need > b.length ? i : b.length;
  }
  return b.length;
}

/** Continuation bytes at the start of `b` (the rest of a character cut off before it), at most 3. */
function wholeCharsStart(b: Buffer): number {
  let i = 0;
  while (i < 3 && i < b.length && (b[i]! & 0xc0) === 0x80) i++;
  return i;
}
