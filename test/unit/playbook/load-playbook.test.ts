import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../../src/modules/index.js';
import { loadIncludedTasks, loadPlaybook, walkNodes } from '../../../src/playbook/index.js';
import type { BlockNode, IncludeNode, Node, TaskNode } from '../../../src/playbook/types.js';

const fixtures = path.resolve('test/fixtures/playbooks');
const show = (p: string) => path.relative(process.cwd(), p);

function task(nodes: Node[], name: string): TaskNode {
  const t = [...walkNodes(nodes)].find((n) => n.kind === 'task' && n.name === name);
  if (!t) throw new Error(`no task ${name}`);
  return t as TaskNode;
}

describe('loadPlaybook: the good fixture', () => {
  const file = path.join(fixtures, 'good/site.yaml');
  let pb: ReturnType<typeof loadPlaybook>;
  beforeAll(() => {
    pb = loadPlaybook(file);
  });

  it('reads plays, following import_playbook', () => {
    expect(pb.path).toBe(file);
    expect(pb.dir).toBe(path.dirname(file));
    expect(pb.plays.map((p) => p.hosts)).toEqual(['controller', 'compute:controller']);
    const [p1, p2] = pb.plays;
    expect(p1!.name).toBe('controller setup');
    expect(p1!.pos).toEqual({ file: show(file), line: 1, col: 3 });
    expect(p1!.become).toBe(true); // YAML 1.1 `yes`
    expect(p1!.gatherFacts).toBe(false);
    expect(p1!.vars).toEqual({ port: 8080, settings: { listen: '{{mgmt_ip}}' } });
    expect(p1!.varsFiles).toEqual(['vars/common.yaml']);
    expect(p2!.gatherFacts).toBe(false); // `no`
    expect(p2!.pos.file).toBe(show(path.join(fixtures, 'good/second.yaml')));
  });

  it('parses module tasks: free form, args merged, keywords', () => {
    const p = pb.plays[0]!;
    const ls = task(p.tasks, 'list files');
    expect(ls).toMatchObject({ kind: 'task', module: 'command', args: { cmd: 'ls -l /tmp' }, register: 'listing', changedWhen: false, notify: [] });
    expect(ls.pos).toEqual({ file: show(file), line: 23, col: 7 });
    const shell = task(p.tasks, 'shell with args');
    expect(shell.args).toEqual({ creates: '/tmp/x', cmd: 'echo hi > /tmp/x' });
    expect(shell.notify).toEqual(['restart web']);
    const loop = task(p.tasks, 'loop over packages');
    expect(loop.loop).toEqual({ items: '{{packages}}', loopVar: 'item', label: '{{item}}' });
    expect(task(p.tasks, 'show listing').when).toEqual(['listing.rc == 0']);
  });

  it('reads modes as Ansible does (0644 is 420) and resolves roles with dependencies run once', () => {
    const p = pb.plays[0]!;
    // base listed, web (depends on base), base again: base runs once, before web.
    const blocks = p.roleTasks as BlockNode[];
    expect(blocks.map((b) => b.role?.name)).toEqual(['base', 'web']);
    expect(blocks[1]!.tags).toEqual(['web']);
    expect(blocks[1]!.role!.params).toEqual({ web_port: '{{port}}' });
    expect(blocks[1]!.role!.defaults).toEqual({ web_root: '/tmp/web' });
    expect(blocks[1]!.role!.vars).toEqual({ web_user: 'www' });
    expect(blocks[1]!.block.map((n) => n.name)).toEqual(['web config', 'web robots']);
    const robots = task(blocks[1]!.block, 'web robots');
    expect(robots.args.mode).toBe(420); // `mode: 0644`, octal as Ansible reads it
    expect(robots.role?.name).toBe('web');
    expect(p.roles.map((r) => r.name)).toEqual(['base', 'web']);
    expect(p.verifyTasks.map((n) => n.name)).toEqual(['web answers']);
  });

  it('collects play and role handlers with their listen topics', () => {
    const p = pb.plays[0]!;
    expect(p.handlers.map((h) => [h.name, h.listen, h.role?.name])).toEqual([
      ['restart all', ['restart all', 'restart everything'], undefined],
      ['restart web', ['restart web'], 'web'],
    ]);
  });

  it('turns blocks, import_tasks and include_tasks into nodes', () => {
    const p = pb.plays[0]!;
    const block = p.tasks.find((n) => n.kind === 'block' && n.rescue.length) as BlockNode;
    expect(block.block.map((n) => n.name)).toEqual(['inside block']);
    expect(block.always[0]).toMatchObject({ kind: 'meta', action: 'flush_handlers' });
    const imported = p.tasks.find((n) => n.kind === 'block' && n.when.includes('port == 8080')) as BlockNode;
    expect(imported.block.map((n) => n.name)).toEqual(['extra task']);
    const inc = p.tasks.find((n) => n.kind === 'include_tasks') as IncludeNode;
    expect(inc.target).toBe('tasks/extra.yaml');
    expect(inc.resolved?.map((n) => n.name)).toEqual(['extra task']);
    expect(inc.resolved![0]!.pos).toEqual({ file: show(path.join(fixtures, 'good/tasks/extra.yaml')), line: 1, col: 3 });
  });
});

describe('roles: once per play with the same params', () => {
  it('runs pkg(curl), pkg(git), then app whose pkg(git) dependency already ran and pkg(vim) did not', () => {
    const pb = loadPlaybook(path.join(fixtures, 'roles-dedupe/site.yaml'));
    const names = (nodes: Node[]): unknown[] =>
      nodes.map((n) => (n.kind === 'block' ? { [n.role!.name + ':' + String(n.role!.params.name ?? '')]: names(n.block) } : n.name));
    expect(names(pb.plays[0]!.roleTasks)).toEqual([
      { 'pkg:curl': ['install {{name}}'] },
      { 'pkg:git': ['install {{name}}'] },
      { 'app:': [{ 'pkg:vim': ['install {{name}}'] }, 'app'] },
    ]);
  });
});

describe('dynamic include_tasks', () => {
  it('leaves a templated target for run time and resolves it like a literal one', () => {
    const pb = loadPlaybook(path.join(fixtures, 'dynamic/site.yaml'));
    const inc = pb.plays[0]!.tasks[0] as IncludeNode;
    expect(inc).toMatchObject({ kind: 'include_tasks', target: 'tasks/{{ which }}.yaml' });
    expect(inc.resolved).toBeUndefined();
    const nodes = loadIncludedTasks(inc, 'tasks/two.yaml');
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ kind: 'task', module: 'set_fact', args: { set_in_include: 2 } });
    expect(() => loadIncludedTasks(inc, 'tasks/three.yaml')).toThrow(/include_tasks: file not found: tasks\/three\.yaml/);
  });
});
