/**
 * The template layer: Jinja2 (playbook strings, templates) with Ansible's
 * semantics, Handlebars for .hbs templates (strict, noEscape), and the one
 * expression language for `when:` and `{{ }}`. Positions: every `pos` argument is the position of the
 * text's first character (for a quoted YAML scalar, the character after the
 * quote); errors point inside the text from there.
 *
 * Variables must be a plain object; nested scopes may be layered with
 * Object.create (inherited plain-object properties are seen) but properties of
 * Object.prototype never are.
 */
export { UndefinedVariableError, TemplateSyntaxError } from './errors.js';
export { renderString, renderDeep, renderText, templateRefs, isTemplated, checkTemplate, templateLanguage, type TemplateLanguage, type TemplateOptions } from './render.js';
export { compileCondition, conditionGuards, conditionRefs, evaluateCondition, evaluateExpression, isGuarded } from './expression/index.js';
export { HELPER_DOCS } from './helpers.js';
export { toText } from './values.js';
