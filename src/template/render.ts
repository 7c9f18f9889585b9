/**
 * The template layer's front door. Playbook strings are Jinja2, rendered as
 * Ansible renders them (jinja/playbook-string.ts). Template files are Jinja2
 * too, except `.hbs` files, which are Handlebars (handlebars.ts); a file whose
 * language cannot be told (Handlebars blocks in a Jinja file, Jinja tags in a
 * .hbs file) is an input error, so template syntax is never written to a host
 * literally.
 */
import type { SourcePos } from '../util/source.js';
import { TemplateSyntaxError } from './errors.js';
import { checkHandlebars, handlebarsRefs, renderHandlebarsText } from './handlebars.js';
import { jinjaSource, type LexOptions } from './jinja/lexer.js';
import { parseTemplate } from './jinja/parser.js';
import { isJinjaTemplated, renderPlaybookString } from './jinja/playbook-string.js';
import { jinjaRefs } from './jinja/refs.js';
import { renderTemplateText } from './jinja/render.js';
import type { VarRef } from './types.js';

export type TemplateLanguage = 'jinja' | 'handlebars';

/** Options a template file is rendered with (the template module's trim_blocks / lstrip_blocks). */
export type TemplateOptions = Pick<LexOptions, 'trimBlocks' | 'lstripBlocks'>;

/** True if a playbook string needs rendering: it holds `{{`, `{%` or `{#` (Ansible's test). */
export function isTemplated(s: string): boolean {
  return isJinjaTemplated(s);
}

/**
 * Render a playbook string with Ansible's typing: `"{{ port }}"` keeps a
 * number, `"{{ xs }}"` is a list, `"{{ a + 1 }}"` is text. `pos` is the
 * position of the string's first character; errors point inside it.
 */
export function renderString(text: string, vars: Record<string, unknown>, pos?: SourcePos): unknown {
  return renderPlaybookString(text, vars, pos);
}

/** Render every string inside arrays and mappings (keys are not rendered). */
export function renderDeep(value: unknown, vars: Record<string, unknown>, pos?: SourcePos): unknown {
  if (typeof value === 'string') return renderString(value, vars, pos);
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, vars, pos));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderDeep(v, vars, pos);
    return out;
  }
  return value;
}

const HANDLEBARS_BLOCK = /\{\{~?\s*(?:[#^/>]|else\s*~?\}\})/;
const JINJA_TAG = /(?<!\{)\{[%#]/;

/**
 * The language of a template file: `.hbs` is Handlebars, anything else
 * Jinja2. A file whose text speaks the other language is refused with where
 * and what to write instead.
 */
export function templateLanguage(file: string, text: string, pos?: SourcePos): TemplateLanguage {
  const lang: TemplateLanguage = /\.hbs$/i.test(file) ? 'handlebars' : 'jinja';
  const foreign = lang === 'jinja' ? HANDLEBARS_BLOCK.exec(text) : JINJA_TAG.exec(text);
  if (foreign) {
    const before = text.slice(0, foreign.index);
    const line = before.split('\n').length;
    const col = foreign.index - before.lastIndexOf('\n');
    const at = pos ? { file: pos.file, line: pos.line + line - 1, col: line === 1 ? pos.col + col - 1 : col } : undefined;
    throw lang === 'jinja'
      ? new TemplateSyntaxError(`Handlebars block '${foreign[0]}' in a Jinja2 template`, at, 'templates are Jinja2 ({% if %}, {% for %}) unless the file ends in .hbs: rename it to .hbs or write Jinja')
      : new TemplateSyntaxError(`Jinja tag '${foreign[0]}' in a Handlebars (.hbs) template`, at, 'a .hbs template is Handlebars ({{#if}}, {{#each}}): rename it to .j2 or write Handlebars');
  }
  return lang;
}

/**
 * Render a template file's text; always a string. `file` is the path (its
 * extension picks the language) and names positions inside it.
 */
export function renderText(text: string, vars: Record<string, unknown>, file: string, opts: TemplateOptions = {}): string {
  const base = { file, line: 1, col: 1 };
  if (templateLanguage(file, text, base) === 'handlebars') return renderHandlebarsText(text, vars, file);
  return renderTemplateText(text, vars, file, opts, file);
}

/** Parse and check a template without rendering it (syntax, unknown filters/tests/helpers). */
export function checkTemplate(text: string, pos?: SourcePos, language: TemplateLanguage = 'jinja'): void {
  if (language === 'handlebars') return checkHandlebars(text, pos);
  if (isJinjaTemplated(text)) parseTemplate(jinjaSource(text), pos, { escapeBackslashes: true });
}

/** The variables a template reads, for `drover check`. */
export function templateRefs(text: string, pos?: SourcePos, language: TemplateLanguage = 'jinja'): VarRef[] {
  if (language === 'handlebars') return handlebarsRefs(text, pos);
  if (typeof text !== 'string' || !isJinjaTemplated(text)) return [];
  return jinjaRefs(parseTemplate(jinjaSource(text), pos, { escapeBackslashes: true }), pos);
}
