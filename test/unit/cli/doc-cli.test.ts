import { describe, expect, it } from 'vitest';
import { droverInProcess } from '../../helpers/in-process-cli.js';

const drover = droverInProcess;

describe('drover doc', () => {
  it('MODULE: summary, every option with type, default, choices, aliases, description; then the examples', async () => {
    const r = await drover('doc', 'lineinfile');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^> LINEINFILE {4}\(also: ansible\.builtin\.lineinfile\)\n\n {8}Make sure one line is \(or is not\) in a text file\.\n/);
    expect(r.out).toContain('OPTIONS (= is mandatory):');
    expect(r.out).toContain('- path\n        The file to edit; required.\n        aliases: [dest, destfile, name]\n        type: str\n');
    expect(r.out).toContain('- state\n        Whether the line should be there (present) or not (absent).\n        choices: [present, absent]\n        default: present\n        type: str\n');
    expect(r.out).toContain('- backrefs\n');
    expect(r.out).not.toMatch(/^- dest$/m);
    expect(r.out).toMatch(/\nEXAMPLES:\n\n- name: Set a value/);
    // A mandatory option is marked with '=' (copy's dest).
    expect((await drover('doc', 'ansible.builtin.copy')).out).toMatch(/^= dest$/m);
  });

  it('-s prints a task to paste; --list lists every module with its summary', async () => {
    const s = await drover('doc', '-s', 'ping');
    expect(s.code).toBe(0);
    expect(s.out).toBe('- name: Check that the host answers: one round trip to its shell.\n  ping:\n      data:                  # What `ping` returns; "crash" makes the task fail\n                             # (as in Ansible). (default: pong)\n');
    const l = await drover('doc', '--list');
    expect(l.code).toBe(0);
    expect(l.out).toMatch(/^lineinfile +Make sure one line is \(or is not\) in a text file\.$/m);
    expect(l.out.trim().split('\n').length).toBeGreaterThanOrEqual(36);
    expect((await drover('doc', '-l')).out).toBe(l.out);
  });

  it('controller-side and free-form modules say so; set_fact documents its free keys', async () => {
    expect((await drover('doc', 'debug')).out).toContain('Runs on the controller');
    expect((await drover('doc', 'command')).out).toContain('Free form: a plain string after the module name is its `cmd`');
    expect((await drover('doc', 'set_fact')).out).toContain('- <any variable name>\n        Variables to set on the host.');
    expect((await drover('doc', '-s', 'set_fact')).out).toBe('- name: Set host variables for the tasks that follow.\n  set_fact:\n      VARIABLE: VALUE        # Variables to set on the host.\n');
    expect(JSON.parse((await drover('doc', '--json', 'ping')).out)).toMatchObject({ name: 'ping', examples: '- name: Is the host there?\n  ping:\n', options: [{ name: 'data', default: 'pong' }] });
  });

  it('an unknown module is exit 4 with a suggestion; no module at all too', async () => {
    const r = await drover('doc', 'linefile');
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/^error: no module named 'linefile' \(did you mean 'lineinfile'\?\)/);
    expect(r.out).toBe('');
    const none = await drover('doc');
    expect(none.code).toBe(4);
    expect(none.err).toMatch(/which module\?/);
  });
});

describe('drover schema --module', () => {
  it("one module's arguments as a small JSON Schema; an unknown one is exit 4", async () => {
    const r = await drover('schema', '--module', 'lineinfile');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.title).toBe('arguments of the lineinfile module');
    expect(s.properties.state).toMatchObject({ enum: ['present', 'absent'], description: expect.stringContaining('present') });
    expect(r.out.length).toBeLessThan(20_000);
    const bad = await drover('schema', '--module', 'pnig');
    expect(bad.code).toBe(4);
    expect(bad.err).toMatch(/--module pnig: no such module \(did you mean 'ping'\?\)/);
  });

  it('the whole schema defines each task keyword once and refers to it (a few hundred KB, not ~1 MB)', async () => {
    const r = await drover('schema');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.$defs.kw_when.description).toMatch(/expression/);
    const copy = s.$defs.task.anyOf.find((v: { required: string[] }) => v.required[0] === 'copy');
    expect(copy.properties.when).toEqual({ $ref: '#/$defs/kw_when' });
    expect(copy.properties.copy).toEqual({ $ref: '#/$defs/args_copy' });
    // Every module task's keywords and arguments are references (only block, include/import and meta spell theirs out).
    const inline = (s.$defs.task.anyOf as Array<{ required: string[]; properties?: Record<string, { $ref?: string }> }>).flatMap((v) =>
      Object.entries(v.properties ?? {}).flatMap(([k, p]) => (p.$ref ? [] : [`${v.required[0]}.${k}`])),
    );
    expect(inline.filter((k) => !/^(block|include_tasks|import_tasks|include_role|import_role|meta)\./.test(k))).toEqual([]);
    // ~500 KB with every module's arguments; keywords repeated per module would be well over 1 MB.
    expect(r.out.length).toBeLessThan(750_000);
  });
});
