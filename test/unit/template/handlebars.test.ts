import Handlebars from 'handlebars';
import { describe, expect, it, vi } from 'vitest';
import { InputError } from '../../../src/util/errors.js';
import { thrown } from '../../helpers/thrown.js';
import { TemplateSyntaxError, UndefinedVariableError } from '../../../src/template/index.js';
// Handlebars is the language of .hbs template files; these tests drive it directly.
import {
  handlebarsRefs as templateRefs,
  renderHandlebarsString as renderString,
  renderHandlebarsText as renderText,
} from '../../../src/template/handlebars.js';

const pos = { file: 'roles/nova/tasks/main.yaml', line: 10, col: 5 };

const vars = {
  inventory_hostname: 'compute1',
  port: 5000,
  enabled: true,
  ratio: 1.5,
  nothing: null,
  empty_list: [] as unknown[],
  empty_map: {},
  groups: { compute_nodes: ['compute1', 'compute2'], controller_nodes: ['controller'] },
  hostvars: {
    controller: { mgmt_ip: '192.168.1.11', ansible_facts: { os_family: 'Debian' } },
    compute1: { mgmt_ip: '192.168.1.22' },
  },
  db_node: 'controller',
  users: [
    { name: 'nova', uid: 100 },
    { name: 'glance', uid: 101 },
  ],
  html: `<&>"'`,
  settings: { a: 1, b: 'two' },
};

describe('renderString: types', () => {
  it('returns the raw value of a whole-string mustache', () => {
    expect(renderString('{{ groups.compute_nodes }}', vars)).toEqual(['compute1', 'compute2']);
    expect(renderString('{{groups.compute_nodes}}', vars)).toEqual(['compute1', 'compute2']);
    expect(renderString('{{port}}', vars)).toBe(5000);
    expect(renderString('{{ enabled }}', vars)).toBe(true);
    expect(renderString('{{ratio}}', vars)).toBe(1.5);
    expect(renderString('{{nothing}}', vars)).toBe(null);
    expect(renderString('{{ settings }}', vars)).toEqual({ a: 1, b: 'two' });
    expect(renderString('{{{port}}}', vars)).toBe(5000);
  });

  it('returns the raw value of a whole-string helper call', () => {
    expect(renderString('{{default missing_port 5001}}', vars)).toBe(5001);
    expect(renderString('{{default port 5001}}', vars)).toBe(5000);
    expect(renderString("{{split 'a b  c'}}", vars)).toEqual(['a', 'b', 'c']);
    expect(renderString("{{hostvar db_node 'ansible_facts'}}", vars)).toEqual({ os_family: 'Debian' });
    expect(renderString('{{length groups.compute_nodes}}', vars)).toBe(2);
  });

  it('returns a string when the mustache is only part of the text', () => {
    expect(renderString('port={{port}}', vars)).toBe('port=5000');
    expect(renderString(' {{port}}', vars)).toBe(' 5000');
    expect(renderString('{{port}}{{port}}', vars)).toBe('50005000');
    expect(renderString('{{#if enabled}}{{port}}{{/if}}', vars)).toBe('5000');
  });

  it('interpolates lists and mappings as Ansible does (Python repr), None as empty', () => {
    expect(renderString('x={{groups.compute_nodes}}', vars)).toBe("x=['compute1', 'compute2']");
    expect(renderString('x={{settings}}', vars)).toBe("x={'a': 1, 'b': 'two'}");
    expect(renderString('x={{nothing}}.', vars)).toBe('x=.');
  });

  it('leaves non-templated strings and non-strings alone', () => {
    expect(renderString('plain text', vars)).toBe('plain text');
    expect(renderString('{ not: a template }', vars)).toBe('{ not: a template }');
    expect(renderString(42 as unknown as string, vars)).toBe(42);
  });
});

describe('noEscape', () => {
  it('passes <&>"\' through unchanged in strings and files', () => {
    expect(renderString('v={{html}}', vars)).toBe(`v=<&>"'`);
    expect(renderString('{{html}}', vars)).toBe(`<&>"'`);
    expect(renderText('a {{html}} b {{{html}}}\n', vars, 't.conf')).toBe(`a <&>"' b <&>"'\n`);
    expect(renderText('<{{#each users}}{{name}}&{{/each}}>', vars, 't.conf')).toBe('<nova&glance&>');
  });
});

describe('strict undefined', () => {
  it('names the whole path and the position of the string', () => {
    const e = thrown(() => renderString('{{ hostvars.controller.mgmt_ipx }}', vars, pos));
    expect(e).toBeInstanceOf(UndefinedVariableError);
    expect(e).toBeInstanceOf(InputError);
    expect((e as UndefinedVariableError).path).toBe('hostvars.controller.mgmt_ipx');
    expect(e.message).toBe("roles/nova/tasks/main.yaml:10:8: undefined variable 'hostvars.controller.mgmt_ipx'");
  });

  it('names a missing middle link by the full path', () => {
    const e = thrown(() => renderString('ip={{hostvars.compute9.mgmt_ip}}', vars, pos)) as UndefinedVariableError;
    expect(e.path).toBe('hostvars.compute9.mgmt_ip');
    expect(e.pos).toEqual({ file: pos.file, line: 10, col: 10 });
  });

  it('is an error, never an empty string, in every position', () => {
    for (const t of ['{{nope}}', 'a{{nope}}', '{{upper nope}}', '{{#if nope}}x{{/if}}', '{{#unless nope}}x{{/unless}}', '{{#each nope}}x{{/each}}', '{{#with nope}}x{{/with}}', '{{#nope}}x{{/nope}}', '{{join groups.nope ","}}', '{{#if (eq nope 1)}}x{{/if}}', '{{default nope also_nope}}', "{{regex_replace 'a' 'a' 'b' ignorecase=nope}}"]) {
      const e = thrown(() => renderString(t, vars, pos));
      expect(e, t).toBeInstanceOf(UndefinedVariableError);
      expect(e.message, t).toMatch(/undefined variable '(groups\.)?(nope|also_nope)'/);
    }
  });

  it('reports the position inside a template file', () => {
    const text = 'first line\n[section]\n  key = {{ settings.a }} {{ settings.c }}\n';
    const e = thrown(() => renderText(text, vars, 'roles/x/templates/x.conf.hbs')) as UndefinedVariableError;
    expect(e.path).toBe('settings.c');
    expect(e.pos).toEqual({ file: 'roles/x/templates/x.conf.hbs', line: 3, col: 29 });
    expect(e.message).toContain('roles/x/templates/x.conf.hbs:3:29');
  });

  it('checks names inside loops, falling back to outer variables like Jinja', () => {
    expect(renderText('{{#each users}}{{name}}:{{port}};{{/each}}', vars, 't')).toBe('nova:5000;glance:5000;');
    const e = thrown(() => renderText('{{#each users}}{{name}}:{{shell}}\n{{/each}}', vars, 't')) as UndefinedVariableError;
    expect(e.path).toBe('shell');
    expect(e.pos).toEqual({ file: 't', line: 1, col: 27 });
  });

  it('treats a defined null as defined', () => {
    expect(renderString('[{{nothing}}]', vars)).toBe('[]');
  });

  it('does not see Object.prototype members, but sees layered scopes', () => {
    expect(thrown(() => renderString('{{constructor}}', vars))).toBeInstanceOf(UndefinedVariableError);
    expect(thrown(() => renderString('{{settings.constructor}}', vars))).toBeInstanceOf(UndefinedVariableError);
    const layered = Object.assign(Object.create(vars), { item: 'x' });
    expect(renderString('{{item}}-{{port}}', layered)).toBe('x-5000');
  });
});

describe('blocks', () => {
  it('each over lists and mappings, with @index/@key/this and block params', () => {
    expect(renderText('{{#each groups.compute_nodes}}{{@index}}={{this}} {{/each}}', vars, 't')).toBe('0=compute1 1=compute2 ');
    expect(renderText('{{#each settings}}{{@key}}:{{this}},{{/each}}', vars, 't')).toBe('a:1,b:two,');
    expect(renderText('{{#each users as |u|}}{{u.name}}{{#unless @last}},{{/unless}}{{/each}}', vars, 't')).toBe('nova,glance');
    expect(renderText('{{#each empty_list}}x{{else}}none{{/each}}', vars, 't')).toBe('none');
    expect(renderText('{{#each users}}{{../inventory_hostname}}/{{@root.port}} {{/each}}', vars, 't')).toBe('compute1/5000 compute1/5000 ');
  });

  it('if uses Python truthiness ({} and [] are false), with else-if chains', () => {
    expect(renderString('{{#if empty_map}}y{{else}}n{{/if}}', vars)).toBe('n');
    expect(renderString('{{#if empty_list}}y{{else}}n{{/if}}', vars)).toBe('n');
    expect(renderString('{{#if settings}}y{{else}}n{{/if}}', vars)).toBe('y');
    expect(renderString('{{#if nothing}}y{{else if port}}p{{else}}n{{/if}}', vars)).toBe('p');
    expect(renderString("{{#if (eq inventory_hostname 'compute1')}}me{{/if}}", vars)).toBe('me');
  });

  it('defined / default are the escape hatches for optional variables', () => {
    expect(renderString("{{#if (defined 'tls.cert')}}tls{{else}}plain{{/if}}", vars)).toBe('plain');
    expect(renderString("{{#if (defined 'hostvars.controller.mgmt_ip')}}yes{{/if}}", vars)).toBe('yes');
    expect(renderString('{{#if (default use_tls false)}}tls{{else}}plain{{/if}}', vars)).toBe('plain');
    expect(renderString("{{#each users}}{{#if (defined 'uid')}}{{uid}}{{/if}} {{/each}}", vars)).toBe('100 101 ');
  });

  it('mustache sections work with a checked value', () => {
    expect(renderString('{{#settings}}{{b}}{{/settings}}', vars)).toBe('two');
    expect(renderString('{{#users}}{{name}} {{/users}}', vars)).toBe('nova glance ');
    expect(renderString('{{#empty_list}}x{{/empty_list}}', vars)).toBe('');
  });

  it('raw blocks emit mustaches literally; whitespace control works', () => {
    expect(renderText('{{{{raw}}}}{{ not.rendered }}{{{{/raw}}}}', vars, 't')).toBe('{{ not.rendered }}');
    expect(renderText('a\n{{#if enabled}}\nb\n{{/if}}\nc\n', vars, 't')).toBe('a\nb\nc\n');
    expect(renderText('a  {{~port~}}  b', vars, 't')).toBe('a5000b');
  });

  it('a variable named like a helper is read with a bare mustache', () => {
    expect(renderString('{{first}}-{{length}}', { first: 'f', length: 3 })).toBe('f-3');
  });
});

describe('syntax errors', () => {
  it('unclosed block: file:line:col', () => {
    const e = thrown(() => renderText('ok\n{{#if enabled}}\nno end\n', vars, 'tpl.hbs'));
    expect(e).toBeInstanceOf(TemplateSyntaxError);
    expect(e.message).toMatch(/^tpl\.hbs:4:\d+: template syntax error: unexpected end of template/);
  });

  it('Jinja filters get a hint', () => {
    const e = thrown(() => renderString('{{ port | default(5000) }}', vars, pos)) as TemplateSyntaxError;
    expect(e).toBeInstanceOf(TemplateSyntaxError);
    expect(e.pos?.line).toBe(10);
    expect(e.message).toContain('{{default x 5}}');
  });

  it('Jinja statements and bracket indexing get hints', () => {
    expect(thrown(() => renderText('{% if x %}a{% endif %} {{ x }', vars, 't')).message).toContain('Jinja statements');
    expect(thrown(() => renderString("{{ hostvars['controller'].mgmt_ip }}", vars, pos)).message).toContain('hostvar host');
  });

  it('mismatched block close', () => {
    const e = thrown(() => renderText('\n{{#if enabled}}x{{/each}}', vars, 't'));
    expect(e).toBeInstanceOf(TemplateSyntaxError);
    expect(e.message).toMatch(/^t:2:\d+: template syntax error: if doesn't match each/);
  });

  it('unknown helpers, partials and decorators are rejected before rendering', () => {
    const e = thrown(() => renderText('x\n  {{frobnicate port}}', vars, 't'));
    expect(e).toBeInstanceOf(TemplateSyntaxError);
    expect(e.message).toBe("t:2:3: unknown helper 'frobnicate' (see src/template/helpers.ts for the helpers drover provides)");
    expect(thrown(() => renderString('{{#if (nope 1)}}x{{/if}}', vars))).toBeInstanceOf(TemplateSyntaxError);
    expect(thrown(() => renderString('{{> header}}', vars)).message).toContain('partials');
  });
});

describe('caching', () => {
  it('compiles a text once and renders it with different vars and positions', () => {
    const text = 'n={{n}} {{#each xs}}{{this}}{{/each}}';
    // Handlebars' code generator runs once per template (and once per block inside it), not per render.
    // (JavaScriptCompiler is public API but missing from the package's types.)
    const { JavaScriptCompiler } = Handlebars as unknown as { JavaScriptCompiler: { prototype: { compile: (...a: unknown[]) => unknown } } };
    const generate = vi.spyOn(JavaScriptCompiler.prototype, 'compile');
    expect(renderString(text, { n: -1, xs: [-1] })).toBe('n=-1 -1');
    const generatedOnce = generate.mock.calls.length;
    expect(generatedOnce).toBeGreaterThan(0);
    for (let i = 0; i < 2000; i++) expect(renderString(text, { n: i, xs: [i] })).toBe(`n=${i} ${i}`);
    expect(generate.mock.calls.length).toBe(generatedOnce);
    generate.mockRestore();
    const e1 = thrown(() => renderString('{{a.b}}', { a: {} }, { file: 'one.yaml', line: 1, col: 1 }));
    const e2 = thrown(() => renderString('{{a.b}}', { a: {} }, { file: 'two.yaml', line: 5, col: 3 }));
    expect(e1.message).toBe("one.yaml:1:3: undefined variable 'a.b'");
    expect(e2.message).toBe("two.yaml:5:5: undefined variable 'a.b'");
  });
});


describe('templateRefs', () => {
  it('lists the variables read, with positions', () => {
    const refs = templateRefs('{{a.b}} and {{hostvars.controller.mgmt_ip}}', pos);
    expect(refs).toEqual([
      { root: 'a', path: 'a.b', pos: { file: pos.file, line: 10, col: 7 } },
      { root: 'hostvars', path: 'hostvars.controller.mgmt_ip', pos: { file: pos.file, line: 10, col: 19 } },
    ]);
  });

  it('handles helpers, default, defined, loops, block params, @root and ../', () => {
    const text = [
      "{{default port 5000}} {{join (split csv ',') sep}}",
      "{{#if (defined 'tls.cert')}}{{hostvar db_node 'mgmt_ip'}}{{/if}}",
      '{{#each xs as |x|}}{{x.n}} {{y}} {{this}} {{@index}} {{../z}} {{@root.w.v}}{{/each}}',
    ].join('\n');
    const refs = templateRefs(text, { file: 'f', line: 1, col: 1 }).map((r) => `${r.path}${r.optional ? '?' : ''}@${r.pos?.line}:${r.pos?.col}`);
    expect(refs).toEqual(['port?@1:11', 'csv@1:37', 'sep@1:46', 'tls.cert?@2:16', 'db_node@2:39', 'hostvars@2:29', 'xs@3:9', 'y?@3:30', 'z@3:56', 'w.v@3:65']);
  });

  it('returns nothing for plain strings and no positions without a base', () => {
    expect(templateRefs('plain')).toEqual([]);
    expect(templateRefs('{{x}}')).toEqual([{ root: 'x', path: 'x', pos: undefined }]);
  });

  it('throws syntax errors', () => {
    expect(() => templateRefs('{{#if x}}', pos)).toThrow(TemplateSyntaxError);
  });
});
