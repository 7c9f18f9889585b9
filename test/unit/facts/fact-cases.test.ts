/**
 * Every named fact's parser from recorded command output, as data: one YAML
 * file per fact under cases/ (named by the fact), each case
 *
 *   name, params, stdout, stderr, rc   what the command printed (recorded on a lab node)
 *   value                              the parsed value (toEqual)
 *   error                              or: reading fails (pattern)
 *   command / stdin                    what the fact sends (exact, or /pattern/)
 *   not_in_command                     strings that must not be on the command line (secrets)
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as apt from '../../../src/facts/apt.js';
import * as debconf from '../../../src/facts/debconf.js';
import * as dpkg from '../../../src/facts/dpkg.js';
import type { Fact } from '../../../src/facts/fact.js';
import * as files from '../../../src/facts/files.js';
import * as mysql from '../../../src/facts/mysql.js';
import * as openstack from '../../../src/facts/openstack.js';
import * as rabbitmq from '../../../src/facts/rabbitmq.js';
import * as systemd from '../../../src/facts/systemd.js';
import * as url from '../../../src/facts/url.js';
import { loadYamlFile } from '../../../src/util/yaml.js';

const isFact = (v: unknown): v is Fact<unknown, unknown> =>
  !!v && typeof v === 'object' && typeof (v as Fact<unknown, unknown>).name === 'string' && typeof (v as Fact<unknown, unknown>).parse === 'function';
const FACTS = new Map(
  [apt, debconf, dpkg, files, mysql, openstack, rabbitmq, systemd, url].flatMap((m) => Object.values(m).filter(isFact)).map((f) => [f.name, f]),
);

interface FactCase {
  name: string;
  params?: unknown;
  stdout?: string;
  stderr?: string;
  rc?: number;
  value?: unknown;
  error?: string;
  command?: string;
  stdin?: string;
  not_in_command?: string[];
}

function expectMatch(m: string, text: string | undefined, what: string): void {
  const re = /^\/(.*)\/([ims]*)$/s.exec(m);
  expect(text !== undefined && (re ? new RegExp(re[1]!, re[2]).test(text) : m === text), `${what}: ${JSON.stringify(text)} does not match ${m}`).toBe(true);
}

const CASES = join(__dirname, 'cases');
const files_ = readdirSync(CASES).filter((f) => f.endsWith('.yaml')).sort();

describe('every named fact has parse cases', () => {
  it('one case file per fact', () => {
    expect(files_.map((f) => f.replace(/\.yaml$/, ''))).toEqual([...FACTS.keys()].sort());
  });
});

for (const file of files_) {
  const name = file.replace(/\.yaml$/, '');
  describe(name, () => {
    for (const c of loadYamlFile(join(CASES, file)).value as FactCase[]) {
      it(c.name, () => {
        const def = FACTS.get(name)!;
        expect(def, `no fact named ${name}`).toBeDefined();
        const params = c.params;
        if (c.command !== undefined) expectMatch(c.command, def.command(params), 'command');
        if (c.stdin !== undefined) expectMatch(c.stdin, def.stdin?.(params), 'stdin');
        for (const s of c.not_in_command ?? []) expect(def.command(params)).not.toContain(s);
        const run = () => def.parse({ stdout: c.stdout ?? '', stderr: c.stderr ?? '', rc: c.rc ?? 0 }, params);
        if (c.error !== undefined) {
          expect(c.value, 'a case has value or error').toBeUndefined();
          let message: string | undefined;
          try {
            run();
          } catch (e) {
            message = (e as Error).message;
          }
          expectMatch(c.error, message, 'error');
        } else {
          expect(JSON.parse(JSON.stringify(run()))).toEqual(c.value);
        }
      });
    }
  });
}
