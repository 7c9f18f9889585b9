import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/util/errors.js';
import { thrown } from '../../helpers/thrown.js';
import { HELPER_DOCS, UndefinedVariableError } from '../../../src/template/index.js';
// The helpers belong to .hbs templates; these tests drive Handlebars directly.
import { renderHandlebarsString as renderString, renderHandlebarsText as renderText } from '../../../src/template/handlebars.js';

const vars = {
  port: 5000,
  hosts: ['controller', 'compute1'],
  hostvars: { controller: { mgmt_ip: '192.168.1.11', facts: { os: 'debian' } } },
  db_node: 'controller',
  s: 'Hello World',
  path: '/etc/nova/nova.conf',
  cfg: { b: [1, 2], a: 'x' },
  n: '42',
  yes: 'yes',
  nothing: null,
  multi: 'line1\nline2\n\nline4',
};
const r = (t: string) => renderString(t, vars);

describe('helpers', () => {
  it('default: undefined or null first argument, chains, needs a defined fallback', () => {
    expect(r('{{default nope 5001}}')).toBe(5001);
    expect(r('{{default port 5001}}')).toBe(5000);
    expect(r('{{default nothing "d"}}')).toBe('d');
    expect(r('{{default nope also_nope port}}')).toBe(5000);
    expect(r('{{default nope.deep.path "d"}}')).toBe('d');
    expect(r('p={{default nope 1}}')).toBe('p=1');
    expect(thrown(() => r('{{default nope still_nope}}'))).toBeInstanceOf(UndefinedVariableError);
  });

  it('join', () => {
    expect(r('{{join hosts ","}}')).toBe('controller,compute1');
    expect(r('{{join hosts}}')).toBe('controllercompute1');
    expect(thrown(() => r('{{join s ","}}')).message).toContain("helper 'join': join needs a list");
  });

  it('json / to_json / to_nice_json', () => {
    expect(r('{{json cfg}}')).toBe('{"b":[1,2],"a":"x"}');
    expect(r('{{to_json hosts}}')).toBe('["controller","compute1"]');
    expect(r('{{to_nice_json cfg}}')).toBe('{\n    "a": "x",\n    "b": [\n        1,\n        2\n    ]\n}');
    expect(r('{{json s}}')).toBe('"Hello World"');
  });

  it('to_yaml / to_nice_yaml', () => {
    expect(r('{{to_yaml cfg}}')).toBe('{ b: [ 1, 2 ], a: x }');
    expect(r('{{to_nice_yaml cfg}}')).toBe('b:\n  - 1\n  - 2\na: x');
  });

  it('hostvar', () => {
    expect(r("{{hostvar db_node 'mgmt_ip'}}")).toBe('192.168.1.11');
    expect(r("{{hostvar 'controller' 'facts.os'}}")).toBe('debian');
    const e = thrown(() => renderString("ip={{hostvar db_node 'nope'}}", vars, { file: 'f.yaml', line: 3, col: 9 })) as UndefinedVariableError;
    expect(e).toBeInstanceOf(UndefinedVariableError);
    expect(e.path).toBe('hostvars.controller.nope');
    expect(e.message).toBe("f.yaml:3:12: undefined variable 'hostvars.controller.nope'");
    expect((thrown(() => r("{{hostvar 'ghost' 'mgmt_ip'}}")) as UndefinedVariableError).path).toBe('hostvars.ghost');
  });

  it('lookup is strict', () => {
    expect(r("{{lookup hostvars 'controller'}}")).toEqual(vars.hostvars.controller);
    expect((thrown(() => r("{{lookup hostvars 'ghost'}}")) as UndefinedVariableError).path).toBe('hostvars.ghost');
  });

  it('comparisons and logic for {{#if}}', () => {
    const t = (expr: string) => r(`{{#if ${expr}}}T{{else}}F{{/if}}`);
    expect(t('(eq port 5000)')).toBe('T');
    expect(t('(eq n 42)')).toBe('F');
    expect(t('(ne port 5001)')).toBe('T');
    expect(t('(lt port 6000)')).toBe('T');
    expect(t('(gt port 6000)')).toBe('F');
    expect(t('(le port 5000)')).toBe('T');
    expect(t('(ge port 5001)')).toBe('F');
    expect(t('(and port s)')).toBe('T');
    expect(t('(and port nothing)')).toBe('F');
    expect(t('(or nothing port)')).toBe('T');
    expect(t('(not nothing)')).toBe('T');
    expect(t("(contains hosts 'compute1')")).toBe('T');
    expect(t('(and (eq port 5000) (not (eq db_node "x")))')).toBe('T');
    expect(thrown(() => t('(lt n 5)')).message).toContain('cannot order string "42" and number 5');
    expect(r("{{if (eq port 5000) 'on' 'off'}}")).toBe('on');
    expect(r("{{ternary nothing 'on' 'off'}}")).toBe('off');
  });

  it('string helpers', () => {
    expect(r('{{lower s}}')).toBe('hello world');
    expect(r('{{upper s}}')).toBe('HELLO WORLD');
    expect(r("{{trim '  x  '}}")).toBe('x');
    expect(r("{{replace s 'o' '0'}}")).toBe('Hell0 W0rld');
    expect(r('{{split s}}')).toEqual(['Hello', 'World']);
    expect(r("{{split 'a,b,,c' ','}}")).toEqual(['a', 'b', '', 'c']);
    expect(r('{{first hosts}} {{last hosts}}')).toBe('controller compute1');
    expect(r('{{length hosts}} {{length s}} {{length cfg}}')).toBe('2 11 2');
    expect(r('{{basename path}} {{dirname path}}')).toBe('nova.conf /etc/nova');
    expect(r('{{b64encode s}}')).toBe('SGVsbG8gV29ybGQ=');
    expect(r("{{b64decode 'SGVsbG8gV29ybGQ='}}")).toBe('Hello World');
    expect(r("{{string true}} {{string nothing}}")).toBe('True None');
  });

  it("quote is Python's shlex.quote (Ansible's quote filter)", () => {
    expect(r('{{quote s}}')).toBe("'Hello World'");
    expect(r('{{quote path}}')).toBe('/etc/nova/nova.conf');
    expect(r(`{{quote "it's"}}`)).toBe(`'it'"'"'s'`);
    expect(r("{{quote ''}}")).toBe("''");
  });

  it('int / float / bool', () => {
    expect(r('{{int n}}')).toBe(42);
    expect(r("{{int '4.9'}}")).toBe(4);
    expect(r("{{int 'abc'}}")).toBe(0);
    expect(r("{{int 'abc' 7}}")).toBe(7);
    expect(r("{{float '1.5'}}")).toBe(1.5);
    expect(r('{{bool yes}}')).toBe(true);
    expect(r("{{bool 'off'}}")).toBe(false);
    expect(r('{{bool 1}}')).toBe(true);
  });

  it('regex_replace / regex_search use Python syntax', () => {
    expect(r("{{regex_replace s '(\\w+) (\\w+)' '\\2 \\1'}}")).toBe('World Hello');
    expect(r("{{regex_replace s '(?P<first>\\w+)' '<\\g<first>>'}}")).toBe('<Hello> <World>');
    expect(r("{{regex_replace s 'hello' 'bye' ignorecase=true}}")).toBe('bye World');
    expect(r("{{regex_replace 'a$b' '\\$' '$$'}}")).toBe('a$$b');
    expect(r("{{regex_search s 'W(or)'}}")).toBe('or');
    expect(r("{{regex_search s 'zzz'}}")).toBe(null);
    expect(thrown(() => r("{{regex_replace s '(' 'x'}}"))).toBeInstanceOf(InputError);
  });

  it('indent (Jinja): not the first line, not blank lines', () => {
    expect(r('{{indent multi 2}}')).toBe('line1\n  line2\n\n  line4');
    expect(r('{{indent multi 2 true}}')).toBe('  line1\n  line2\n\n  line4');
    expect(renderText('key:\n  {{indent multi 2}}\n', vars, 't')).toBe('key:\n  line1\n  line2\n\n  line4\n');
  });

  it('helper misuse names the helper and the position', () => {
    const e = thrown(() => renderText('\n\n   {{first}} {{first hosts hosts}}', { first: 1, hosts: [] }, 'x.hbs'));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toBe("x.hbs:3:14: helper 'first': first takes 1 argument, got 2");
    expect(thrown(() => r('{{first (split "  ")}}')).message).toContain("helper 'first': first of an empty list");
  });

  it('every registered helper is documented', () => {
    for (const name of ['default', 'join', 'json', 'to_json', 'to_yaml', 'to_nice_yaml', 'hostvar', 'eq', 'ne', 'lt', 'gt', 'le', 'ge', 'and', 'or', 'not', 'defined', 'lower', 'upper', 'replace', 'split', 'first', 'last', 'length', 'basename', 'dirname', 'b64encode', 'b64decode', 'quote', 'int', 'bool', 'regex_replace', 'indent']) {
      expect(HELPER_DOCS[name], name).toBeTruthy();
    }
  });
});

describe('safety', () => {
  const dir = join(import.meta.dirname, '../../../src/template');
  const sources = (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => [f, readFileSync(join(dir, f), 'utf8')] as const);

  it('the template layer never evaluates code', () => {
    expect(sources.length).toBeGreaterThanOrEqual(5);
    for (const [file, text] of sources) {
      const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''); // comments may say "eval"
      expect(code, file).not.toMatch(/\beval\s*\(/);
      expect(code, file).not.toMatch(/\bnew\s+Function\b/);
      expect(code, file).not.toMatch(/\bFunction\s*\(/);
      expect(code, file).not.toMatch(/\bvm\b.*\brun/);
      expect(code, file).not.toMatch(/from ['"]node:vm['"]/);
    }
  });

  it('a hostile expression is just an undefined name, not code', () => {
    const marker = { hit: false };
    const v = { marker };
    expect(() => renderString("{{lookup this 'constructor'}}", v)).toThrow(UndefinedVariableError);
    expect(renderString('{{#with marker}}{{hit}}{{/with}}', v)).toBe('False');
  });
});
