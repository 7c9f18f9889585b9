/**
 * What a URL serves, read from the target (which fetches it itself with curl,
 * wget or python3, whichever exists: a minimal Debian has only python3): the
 * checksum of its content, streamed through `<alg>sum` and never stored.
 * Read on every use.
 */
import { ModuleError } from '../util/errors.js';
import { shq } from '../util/shell.js';
import type { Fact } from './fact.js';
import type { ChecksumAlgorithm } from './file-state.js';

/** A shell function `_fetch URL OUT TIMEOUT INSECURE` (OUT '-' = stdout) using curl, wget or python3. */
export const FETCH_FUNCTION = String.raw`_fetch() {
  if command -v curl >/dev/null 2>&1; then
    if [ "$4" = 1 ]; then k=-k; else k=; fi
    curl -fsSL $k --max-time "$3" -o "$2" -- "$1"
  elif command -v wget >/dev/null 2>&1; then
    if [ "$4" = 1 ]; then k=--no-check-certificate; else k=; fi
    wget -q $k -T "$3" -O "$2" -- "$1"
  else
    python3 -c 'import sys, ssl, shutil, urllib.request as r
u, o, t, k = sys.argv[1:5]
c = ssl._create_unverified_context() if k == "1" else None
with r.urlopen(u, timeout=float(t), context=c) as f:
    out = sys.stdout.buffer if o == "-" else open(o, "wb")
    shutil.copyfileobj(f, out)
    out.flush()' "$1" "$2" "$3" "$4"
  fi
}`;

export interface FetchParams {
  url: string;
  /** Seconds. */
  timeout: number;
  /** Do not verify TLS certificates. */
  insecure: boolean;
}

/** The command that fetches the URL to OUT ('-': stdout). */
export function fetchCommand(p: FetchParams, out: string): string {
  return `${FETCH_FUNCTION}\n_fetch ${shq(p.url)} ${out} ${p.timeout} ${p.insecure ? 1 : 0}`;
}

export interface UrlChecksumParams extends FetchParams {
  algorithm: ChecksumAlgorithm;
}

const checksumCommand = (p: UrlChecksumParams) => `set -o pipefail 2>/dev/null; (${fetchCommand(p, '-')}) | ${p.algorithm}sum`;

/** `url.checksum` (key: "<alg> <url>"): the hex checksum of what the URL serves now. */
export const urlChecksumFact: Fact<UrlChecksumParams, string> = {
  name: 'url.checksum',
  key: (p) => `${p.algorithm} ${p.url}`,
  command: checksumCommand,
  cached: false,
  parse(r, p) {
    if (r.rc !== 0) throw new ModuleError(`downloading ${p.url} failed (rc ${r.rc}): ${r.stderr.trim()}`, checksumCommand(p), r.stderr, r.rc);
    return r.stdout.trim().split(/\s+/)[0]!;
  },
};
