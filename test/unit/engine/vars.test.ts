import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extendVars, lazyTemplated, mergeVars } from '../../../src/engine/vars.js';
import { tagsSelected } from '../../../src/engine/tags.js';
import { RunState } from '../../../src/engine/run-state.js';
import { renderString } from '../../../src/template/index.js';

const layers = (over: Record<string, Record<string, unknown>> = {}) => ({
  roleDefaults: { x: 'role-default', only_default: 1 },
  inventory: { x: 'inventory' },
  facts: { x: 'facts' },
  playVars: { x: 'play' },
  varsFiles: { x: 'vars_files' },
  roleVars: { x: 'role-vars' },
  roleParams: { x: 'role-params' },
  scopeVars: [{ x: 'block' }, { x: 'task' }],
  runtime: { x: 'set_fact' },
  extra: { x: 'extra' },
  magic: { inventory_hostname: 'h1' },
  ...over,
});

describe('variable precedence', () => {
  it('follows the documented table, lowest first', () => {
    const order = ['roleDefaults', 'inventory', 'facts', 'playVars', 'varsFiles', 'roleVars', 'roleParams', 'scopeVars', 'runtime', 'extra'] as const;
    // Remove layers from the top down: each time the next lower one must win.
    const expected = ['extra', 'set_fact', 'task', 'role-params', 'role-vars', 'vars_files', 'play', 'facts', 'inventory', 'role-default'];
    for (let i = 0; i < order.length; i++) {
      const l = layers();
      for (const k of order.slice(order.length - i)) {
        if (k === 'scopeVars') l.scopeVars = [];
        else (l as Record<string, unknown>)[k] = {};
      }
      expect(mergeVars(l as never).x, `with the top ${i} layers removed`).toBe(expected[i]);
    }
  });

  it('magic variables cannot be overridden', () => {
    const v = mergeVars(layers({ extra: { inventory_hostname: 'evil' } }) as never);
    expect(v.inventory_hostname).toBe('h1');
  });

  it('block vars are outer to task vars', () => {
    const v = mergeVars(layers({ runtime: {}, extra: {} }) as never);
    expect(v.x).toBe('task');
  });
});

describe('lazy templated variables', () => {
  it('renders a variable that refers to another when it is read, against the reader scope', () => {
    const v = lazyTemplated({ workdir: '/srv', web_root: '{{workdir}}/app', nested: { path: '{{web_root}}/x' } }, new Set());
    expect(v.web_root).toBe('/srv/app');
    expect(v.nested).toEqual({ path: '/srv/app/x' });
    expect(renderString('{{web_root}}/index.html', v)).toBe('/srv/app/index.html');
  });

  it('an undefined reference fails where it is used, not where it is defined', () => {
    const v = lazyTemplated({ unused: '{{nope}}', ok: 'fine' }, new Set());
    expect(v.ok).toBe('fine');
    expect(() => v.unused).toThrow(/nope/);
  });

  it('a self-reference is an error, not a hang', () => {
    const v = lazyTemplated({ a: '{{b}}', b: '{{a}}' }, new Set());
    expect(() => v.a).toThrow(/refers to itself/);
  });

  it('extendVars keeps values lazy and sees the new scope (loop items)', () => {
    const base = lazyTemplated({ dest: '/etc/{{item}}.conf', broken: '{{missing}}' }, new Set());
    const a = extendVars(base, { item: 'a' });
    const b = extendVars(base, { item: 'b' });
    expect(a.dest).toBe('/etc/a.conf');
    expect(b.dest).toBe('/etc/b.conf');
  });
});

describe('tags', () => {
  it('selects like Ansible', () => {
    expect(tagsSelected(['x'], undefined, undefined)).toBe(true);
    expect(tagsSelected(['x'], ['y'], undefined)).toBe(false);
    expect(tagsSelected(['x', 'y'], ['y'], undefined)).toBe(true);
    expect(tagsSelected(['always'], ['y'], undefined)).toBe(true);
    expect(tagsSelected(['x'], undefined, ['x'])).toBe(false);
    expect(tagsSelected(['never'], undefined, undefined)).toBe(false);
    expect(tagsSelected(['never', 'debug'], ['debug'], undefined)).toBe(true);
    expect(tagsSelected([], ['untagged'], undefined)).toBe(true);
    expect(tagsSelected(['a'], ['tagged'], undefined)).toBe(true);
  });
});

describe('run state (durable handlers)', () => {
  it('survives a new process reading the same directory, and forgets what ran', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drover-state-'));
    const a = new RunState(dir, '/inv/hosts.ini');
    a.add('h1', 'restart db');
    a.add('h1', 'restart db');
    a.add('h2', 'reload web');
    const b = new RunState(dir, '/inv/hosts.ini');
    expect(b.pendingFor('h1')).toEqual(['restart db']);
    b.done('h1', 'restart db');
    expect(new RunState(dir, '/inv/hosts.ini').pendingFor('h1')).toEqual([]);
    expect(new RunState(dir, '/inv/hosts.ini').pendingFor('h2')).toEqual(['reload web']);
    // Another inventory has its own state.
    expect(new RunState(dir, '/other/hosts.ini').pendingFor('h2')).toEqual([]);
  });
});
