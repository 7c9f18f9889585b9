/**
 * dpkg's view of the host: every installed package's version and status
 * (one dpkg-query per host per run, cached; apt and apt_repository forget it
 * after a change), and what a .deb file on the target contains.
 */
import { ModuleError } from '../util/errors.js';
import { shq } from '../util/shell.js';
import { own, type Fact } from './fact.js';

/** One line of dpkg-query: what dpkg knows about a package. */
export interface InstalledPackage {
  version: string;
  /** db:Status-Abbrev, e.g. "ii ", "rc ", "iU ". */
  status: string;
}

/** Package name -> what dpkg knows (read with `own`: names are data). */
export type InstalledPackages = Record<string, InstalledPackage>;

export const DPKG_QUERY = `dpkg-query -W -f='\${Package}\\t\${Version}\\t\${db:Status-Abbrev}\\n'`;

/** A package is installed when its status is "ii" (or "hi": held). */
export function isInstalled(p: InstalledPackage | undefined): boolean {
  return !!p && /^[ih]i/.test(p.status);
}

/** Parse dpkg-query output. Multi-arch: the same name twice, an installed one wins. */
export function parseInstalled(stdout: string): InstalledPackages {
  const out: InstalledPackages = {};
  for (const line of stdout.split('\n')) {
    const [name, version, status] = line.split('\t');
    if (!name || version === undefined || status === undefined) continue;
    if (isInstalled(own(out, name))) continue;
    out[name] = { version, status };
  }
  return out;
}

/** `dpkg.installed`: every package dpkg knows, with version and status. */
export const installedPackagesFact: Fact<void, InstalledPackages> = {
  name: 'dpkg.installed',
  key: () => '',
  command: () => DPKG_QUERY,
  parse(r) {
    if (r.rc !== 0) throw new ModuleError(`reading installed packages failed (rc ${r.rc}): ${r.stderr.trim()}`, DPKG_QUERY, r.stderr, r.rc);
    return parseInstalled(r.stdout);
  },
};

/** What a .deb file holds; `missing` when the file is not there (check mode: an earlier task may create it). */
export type DebFile = { package: string; version: string } | { missing: true; error: string };

export const debFileCommand = (path: string) => `dpkg-deb -W --showformat='\${Package}\\t\${Version}\\n' ${shq(path)}`;

/** `dpkg.deb`: the package name and version inside a .deb on the target (read on every use: the file may be replaced). */
export const debFileFact: Fact<{ path: string }, DebFile> = {
  name: 'dpkg.deb',
  key: (p) => p.path,
  command: (p) => debFileCommand(p.path),
  cached: false,
  parse(r, p) {
    if (r.rc !== 0) {
      if (/No such file|cannot access/i.test(r.stderr)) return { missing: true, error: r.stderr.trim() };
      throw new ModuleError(`cannot read the package file ${p.path}: ${r.stderr.trim()}`, debFileCommand(p.path), r.stderr, r.rc);
    }
    const [pkg, version] = r.stdout.trim().split('\t');
    return { package: pkg!, version: version ?? '' };
  },
};
