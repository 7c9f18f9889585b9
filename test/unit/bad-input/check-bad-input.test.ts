import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';

/**
 * The bad-input suite: each malformed playbook/template/role/argument is
 * rejected by `drover check` with exit 4 and a message that names the exact
 * file:line:col. The inventory points every host at a TCP listener on
 * loopback that counts connections: none may arrive.
 */

const dir = path.resolve('test/fixtures/playbooks/bad');
const show = (file: string) => path.relative(process.cwd(), path.join(dir, file));

let server: net.Server;
let connections = 0;
let inventory: string;

beforeAll(async () => {
  server = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'drover-bad-'));
  inventory = path.join(tmp, 'hosts.ini');
  const conn = `ansible_host=127.0.0.1 ansible_port=${port}`;
  writeFileSync(inventory, `[web]\nweb1 mgmt_ip=10.0.0.1 ${conn}\nweb2 mgmt_ip=10.0.0.2 ${conn}\n\n[db]\ndb1 mgmt_ip=10.0.0.3 ${conn}\n`);
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

async function check(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  let stderr = '';
  let stdout = '';
  const errWrite = process.stderr.write;
  const outWrite = process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => ((stderr += String(s)), true)) as typeof process.stderr.write;
  process.stdout.write = ((s: string | Uint8Array) => ((stdout += String(s)), true)) as typeof process.stdout.write;
  try {
    const code = await main(['node', 'drover', 'check', ...args]);
    return { code, stderr, stdout };
  } finally {
    process.stderr.write = errWrite;
    process.stdout.write = outWrite;
    process.exitCode = undefined;
  }
}

interface Case {
  /** Playbook fixture in test/fixtures/playbooks/bad. */
  file: string;
  /** file:line:col expected in the message (file relative to the fixture dir unless it starts with '-e'). */
  at: [string, number, number];
  message: RegExp;
  extra?: string[];
}

const cases: Record<string, Case> = {
  'YAML syntax error (unclosed flow list)': { file: 'yaml-syntax.yaml', at: ['yaml-syntax.yaml', 6, 5], message: /YAML syntax error: Flow sequence .* end with a \]/ },
  'tab indentation': { file: 'tab-indent.yaml', at: ['tab-indent.yaml', 3, 1], message: /Tabs are not allowed as indentation/ },
  'duplicate key': { file: 'duplicate-key.yaml', at: ['duplicate-key.yaml', 5, 7], message: /duplicate key 'name' in a mapping \(first at line 3, column 7\)/ },
  'unknown module with did-you-mean': { file: 'unknown-module.yaml', at: ['unknown-module.yaml', 4, 7], message: /unknown module 'comand' \(did you mean 'command'\?\)/ },
  'unknown task keyword with did-you-mean': { file: 'unknown-keyword.yaml', at: ['unknown-keyword.yaml', 5, 7], message: /unknown task keyword 'regster' \(did you mean 'register'\?\)/ },
  'wrong argument type': { file: 'wrong-arg-type.yaml', at: ['wrong-arg-type.yaml', 6, 15], message: /module 'file' argument 'mode': expected string or number, got a list/ },
  'bad state enum': { file: 'bad-state.yaml', at: ['bad-state.yaml', 5, 16], message: /module 'file' argument 'state': Invalid option: expected one of "file"\|"directory"/ },
  'unknown module argument with did-you-mean': { file: 'unknown-arg.yaml', at: ['unknown-arg.yaml', 5, 9], message: /module 'file' has no argument 'mod' \(did you mean 'mode'\?\)/ },
  'missing required argument': { file: 'missing-arg.yaml', at: ['missing-arg.yaml', 4, 7], message: /module 'file': .*path/ },
  'undefined variable in module args': { file: 'undefined-var-args.yaml', at: ['undefined-var-args.yaml', 5, 26], message: /undefined variable 'mgmt_addr' \(not defined for host web1/ },
  'undefined variable in when': { file: 'undefined-var-when.yaml', at: ['undefined-var-when.yaml', 5, 13], message: /undefined variable 'not_there'/ },
  'undefined variable in loop': { file: 'undefined-var-loop.yaml', at: ['undefined-var-loop.yaml', 6, 17], message: /undefined variable 'package_list'/ },
  'undefined variable in a template file': { file: 'undefined-var-template.yaml', at: ['templates/bad-var.conf.hbs', 3, 9], message: /undefined variable 'app_prot'/ },
  'template file syntax error': { file: 'template-syntax.yaml', at: ['templates/bad-syntax.conf.hbs', 4, 1], message: /template syntax error/ },
  'template syntax error in an argument': { file: 'template-syntax-inline.yaml', at: ['template-syntax-inline.yaml', 5, 17], message: /template syntax error/ },
  'missing template file': { file: 'missing-template.yaml', at: ['missing-template.yaml', 4, 14], message: /template not found: nowhere\.conf\.hbs/ },
  'missing role': { file: 'missing-role.yaml', at: ['missing-role.yaml', 4, 7], message: /role 'no_such_role' not found/ },
  'role dependency cycle': { file: 'role-cycle.yaml', at: ['roles/cycle_b/meta/main.yaml', 2, 11], message: /role dependency cycle: cycle_a -> cycle_b -> cycle_a/ },
  'duplicate handler name': { file: 'duplicate-handler.yaml', at: ['duplicate-handler.yaml', 8, 7], message: /duplicate handler name 'restart app' \(first defined at .*duplicate-handler\.yaml:6:7\)/ },
  'notify of an undefined handler': { file: 'undefined-handler.yaml', at: ['undefined-handler.yaml', 6, 11], message: /no handler named 'restart ap' in this play \(did you mean 'restart app'\?\)/ },
  'bad host pattern': { file: 'bad-host-pattern.yaml', at: ['bad-host-pattern.yaml', 1, 10], message: /no host or group matches "nosuchgroup"/ },
  'include_tasks of a missing file': { file: 'include-missing.yaml', at: ['include-missing.yaml', 4, 22], message: /include_tasks: file not found: tasks\/missing\.yaml/ },
  'a task with two modules': { file: 'two-modules.yaml', at: ['two-modules.yaml', 5, 7], message: /a task has two modules: 'command' and 'shell'/ },
  'a play without hosts': { file: 'no-hosts.yaml', at: ['no-hosts.yaml', 1, 3], message: /a play needs 'hosts'/ },
  'a block with a module key': { file: 'block-with-module.yaml', at: ['block-with-module.yaml', 5, 7], message: /a block cannot have a module \('command'\)/ },
  'unknown play keyword with did-you-mean': { file: 'unknown-play-keyword.yaml', at: ['unknown-play-keyword.yaml', 2, 3], message: /unknown play keyword 'gather_fact' \(did you mean 'gather_facts'\?\)/ },
  'a task that is not a mapping': { file: 'task-not-mapping.yaml', at: ['task-not-mapping.yaml', 4, 7], message: /a task must be a mapping/ },
  'a playbook that is not a list': { file: 'playbook-not-list.yaml', at: ['playbook-not-list.yaml', 1, 1], message: /a playbook must be a list of plays/ },
  'unknown meta action': { file: 'bad-meta.yaml', at: ['bad-meta.yaml', 3, 13], message: /unknown meta action "flush_handler" \(did you mean 'flush_handlers'\?\)/ },
  'hostvars of an unknown host': { file: 'hostvars-unknown-host.yaml', at: ['hostvars-unknown-host.yaml', 5, 18], message: /undefined variable 'hostvars\.nohost' \(no host 'nohost' in the inventory/ },
  'missing key in a dict variable': { file: 'dict-key-typo.yaml', at: ['dict-key-typo.yaml', 8, 18], message: /undefined variable 'settings\.lisen'.*did you mean 'listen'/ },
  'missing vars_files entry': { file: 'missing-vars-file.yaml', at: ['missing-vars-file.yaml', 4, 7], message: /vars_files: file not found: vars\/missing\.yaml/ },
  'import_tasks cycle': { file: 'import-cycle.yaml', at: ['tasks/loop-b.yaml', 1, 17], message: /import_tasks cycle: .*loop-a\.yaml -> .*loop-b\.yaml -> .*loop-a\.yaml/ },
  'unknown loop_control key': { file: 'loop-control-key.yaml', at: ['loop-control-key.yaml', 7, 9], message: /unknown loop_control key 'lable' \(did you mean 'label'\?\)/ },
  'when given a mapping': { file: 'when-mapping.yaml', at: ['when-mapping.yaml', 5, 9], message: /'when' must be a condition or a list of conditions, got a mapping/ },
  'register with an invalid name': { file: 'register-bad-name.yaml', at: ['register-bad-name.yaml', 4, 17], message: /register name 'my-result' is not a valid variable name/ },
  'import_playbook of a missing file': { file: 'import-playbook-missing.yaml', at: ['import-playbook-missing.yaml', 1, 20], message: /file not found: .*nowhere\.yaml/ },
  'key=value arguments with a stray word': { file: 'kv-args-bad.yaml', at: ['kv-args-bad.yaml', 3, 13], message: /module 'file' takes key=value arguments or a mapping; cannot read 'directory'/ },
  'include_role of a missing role': { file: 'include-role-missing.yaml', at: ['include-role-missing.yaml', 4, 15], message: /role 'commn' not found \(did you mean 'common'\?\)/ },
  'variable used before set_fact defines it': { file: 'set-fact-order.yaml', at: ['set-fact-order.yaml', 5, 18], message: /undefined variable 'later_fact'/ },
  'undefined variable inside a role default': { file: 'undefined-in-role-default.yaml', at: ['roles/lazy_default/defaults/main.yaml', 1, 25], message: /undefined variable 'service_host'/ },
  'undefined variable in an assert expression': { file: 'assert-undefined.yaml', at: ['assert-undefined.yaml', 7, 13], message: /undefined variable 'port_number'/ },
  'listen on a task (not a handler)': { file: 'listen-on-task.yaml', at: ['listen-on-task.yaml', 4, 7], message: /'listen' is only allowed on handlers/ },
  '-e word without =': { file: 'good.yaml', extra: ['-e', 'ok=1 broken'], at: ['-e #1', 1, 6], message: /bad -e value 'broken': expected key=value/ },
  '-e invalid variable name': { file: 'good.yaml', extra: ['-e', 'a=1', '-e', '1x=2'], at: ['-e #2', 1, 1], message: /bad -e variable name '1x'/ },
  '-e @file that does not exist': { file: 'good.yaml', extra: ['-e', '@no-such-vars.yaml'], at: ['-e #1', 1, 2], message: /file not found: no-such-vars\.yaml/ },
  'empty playbook': { file: 'empty.yaml', at: ['empty.yaml', 1, 1], message: /empty playbook, nothing to do/ },
  'playbook with no plays': { file: 'empty-list.yaml', at: ['empty-list.yaml', 1, 1], message: /empty playbook, nothing to do/ },
  'play variable name with a dash': { file: 'var-name-dash.yaml', at: ['var-name-dash.yaml', 3, 5], message: /'app-port' is not a valid variable name/ },
  'task variable name that is a Python keyword': { file: 'var-name-keyword.yaml', at: ['var-name-keyword.yaml', 5, 9], message: /'class' is not a valid variable name/ },
  '-e variable name that is a Python keyword': { file: 'good.yaml', extra: ['-e', 'None=1'], at: ['-e #1', 1, 1], message: /bad -e variable name 'None'/ },
  'loop over a plain string': { file: 'loop-string.yaml', at: ['loop-string.yaml', 4, 14], message: /'loop' must be a list or a template that renders to a list, got the string "a string"/ },
  '-e broken JSON': { file: 'good.yaml', extra: ['-e', '{"a": 1'], at: ['-e #1', 1, 8], message: /YAML syntax error/ },
};

describe('drover check: bad input', () => {
  it('accepts the good fixture (the cases below differ from it by one mistake)', async () => {
    const r = await check([path.join(dir, 'good.yaml'), '-i', inventory]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('ok: 1 play, 2 tasks, 3 hosts\n');
  });

  it('has at least 40 cases', () => {
    expect(Object.keys(cases).length).toBeGreaterThanOrEqual(40);
  });

  for (const [name, c] of Object.entries(cases)) {
    it(name, async () => {
      const r = await check([path.join(dir, c.file), '-i', inventory, ...(c.extra ?? [])]);
      const [file, line, col] = c.at;
      const where = `${file.startsWith('-e') ? file : show(file)}:${line}:${col}: `;
      expect(r.code, r.stderr).toBe(4);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      // One clear message: exactly one error line, at the exact position.
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toContain(where);
      expect(lines[0]!.slice(lines[0]!.indexOf(where) + where.length)).toMatch(c.message);
    });
  }

  it('reports every error it finds, in file:line:col order, not just the first', async () => {
    const r = await check([path.join(dir, 'many-errors.yaml'), '-i', inventory]);
    expect(r.code, r.stderr).toBe(4);
    const at = r.stderr
      .trim()
      .split('\n')
      .map((l) => /many-errors\.yaml:(\d+):(\d+): (.*)$/.exec(l)?.slice(1, 4));
    expect(at.map((m) => m && `${m[0]}:${m[1]}`)).toEqual(['5:50', '6:24', '7:7', '7:28', '8:28', '9:24']);
    expect(at.map((m) => m?.[2])).toEqual([
      expect.stringMatching(/argument 'state'/),
      expect.stringMatching(/undefined variable 'nowhere_defined'/),
      expect.stringMatching(/exactly one of src or content/),
      expect.stringMatching(/no argument 'contnt'/),
      expect.stringMatching(/unknown filter 'nosuchfilter'/),
      expect.stringMatching(/undefined variable 'also_nowhere'/),
    ]);
  });

  it('opened no connection to any host', () => {
    expect(connections).toBe(0);
  });
});
