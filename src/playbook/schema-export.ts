import { z } from 'zod';
import { allModules } from '../modules/registry.js';
import type { Module } from '../modules/types.js';
import { VAR_NAME_PATTERN } from '../util/var-names.js';

/**
 * JSON Schema (draft 2020-12) for playbooks and task files, built from the
 * registered modules' zod schemas, for editor completion and validation
 * (e.g. yaml-language-server: `# yaml-language-server: $schema=drover.schema.json`).
 * One schema serves both file kinds: a list whose items are plays or tasks.
 * Fill the module registry first (import src/modules/index.js).
 */

type JSONSchema = Record<string, unknown>;

const str = { type: 'string' };
const bool = { type: 'boolean' };
const boolOrTemplate = { anyOf: [bool, str] };
const strOrList = { anyOf: [str, { type: 'array', items: str }] };
const condition = { anyOf: [str, bool, { type: 'array', items: { anyOf: [str, bool] } }], description: 'An expression (Ansible-like: `x is defined`, `a and not b`) or a list of them, all must hold.' };
const mapping = { type: 'object' };
const num = { anyOf: [{ type: 'number' }, { type: 'string', pattern: '^\\d+$' }] };

const common: JSONSchema = {
  name: { ...str, description: 'Shown in the output; a template.' },
  when: condition,
  tags: strOrList,
  become: bool,
  become_user: str,
  vars: mapping,
  environment: { anyOf: [mapping, str] },
  ignore_errors: boolOrTemplate,
  no_log: boolOrTemplate,
  delegate_to: str,
  run_once: bool,
};
const loop: JSONSchema = {
  loop: { anyOf: [{ type: 'array' }, str], description: 'A list, or a template that renders to one.' },
  with_items: { anyOf: [{ type: 'array' }, str] },
  with_list: { anyOf: [{ type: 'array' }, str] },
  loop_control: {
    type: 'object',
    properties: { label: str, loop_var: str, index_var: str, pause: { type: 'number' }, extended: bool },
    additionalProperties: false,
  },
};
const taskOnly: JSONSchema = {
  ...common,
  ...loop,
  register: { ...str, pattern: VAR_NAME_PATTERN },
  notify: strOrList,
  changed_when: condition,
  failed_when: condition,
  until: condition,
  retries: num,
  delay: num,
  timeout: { ...num, description: 'Per-task command timeout in seconds.' },
  args: mapping,
  check_mode: bool,
  listen: { ...strOrList, description: 'Handlers only: topics this handler answers to.' },
};

function moduleArgsSchema(m: Module): JSONSchema {
  let s: JSONSchema;
  try {
    s = z.toJSONSchema(m.schema, { io: 'input', unrepresentable: 'any' }) as JSONSchema;
  } catch {
    s = { type: 'object' };
  }
  delete s.$schema;
  // A module may also be called as `module: key=value …` or, with free form, `command: ls -l`.
  return { anyOf: [s, { type: 'string' }, { type: 'null' }] };
}

export function playbookJsonSchema(): JSONSchema {
  const defs: JSONSchema = {};
  // Each task keyword is defined once (kw_when, kw_loop …) and referenced from the ~110 task
  // variants, not repeated in each: the file is a third of the size, and quicker for an editor.
  const kw = (props: JSONSchema): JSONSchema =>
    Object.fromEntries(
      Object.entries(props).map(([k, v]) => {
        defs[`kw_${k}`] = v;
        return [k, { $ref: `#/$defs/kw_${k}` }];
      }),
    );
  const taskKw = kw(taskOnly);
  const commonKw = kw(common);
  const loopKw = kw(loop);
  const taskVariants: JSONSchema[] = [];
  for (const m of allModules().sort((a, b) => a.name.localeCompare(b.name))) {
    defs[`args_${m.name}`] = moduleArgsSchema(m);
    for (const name of [m.name, `ansible.builtin.${m.name}`, ...(m.aliases ?? [])]) {
      taskVariants.push({
        type: 'object',
        properties: { ...taskKw, [name]: { $ref: `#/$defs/args_${m.name}` } },
        required: [name],
        additionalProperties: false,
      });
    }
  }
  const taskList = { type: 'array', items: { $ref: '#/$defs/task' } };
  taskVariants.push(
    {
      type: 'object',
      properties: { ...commonKw, block: taskList, rescue: taskList, always: taskList },
      required: ['block'],
      additionalProperties: false,
    },
    {
      type: 'object',
      properties: { ...commonKw, ...loopKw, include_tasks: { anyOf: [str, { type: 'object', properties: { file: str, apply: mapping }, required: ['file'] }] } },
      required: ['include_tasks'],
      additionalProperties: false,
    },
    {
      type: 'object',
      properties: { ...commonKw, import_tasks: { anyOf: [str, { type: 'object', properties: { file: str }, required: ['file'] }] } },
      required: ['import_tasks'],
      additionalProperties: false,
    },
    ...(['include_role', 'import_role'] as const).map((k) => ({
      type: 'object',
      properties: {
        ...commonKw,
        ...(k === 'include_role' ? loopKw : {}),
        [k]: { type: 'object', properties: { name: str, tasks_from: str, vars: mapping }, required: ['name'] },
      },
      required: [k],
      additionalProperties: false,
    })),
    {
      type: 'object',
      properties: { name: str, when: condition, tags: strOrList, meta: { enum: ['flush_handlers', 'end_play', 'end_host', 'noop', 'clear_facts', 'refresh_inventory'] } },
      required: ['meta'],
      additionalProperties: false,
    },
  );
  defs.task = { anyOf: taskVariants };
  defs.role = {
    anyOf: [
      str,
      {
        type: 'object',
        properties: { role: str, name: str, vars: mapping, tags: strOrList, when: condition, become: bool, become_user: str, environment: mapping },
        description: 'Other keys are role parameters.',
      },
    ],
  };
  defs.play = {
    type: 'object',
    properties: {
      hosts: { anyOf: [str, { type: 'array', items: str }], description: 'Host pattern: all, group, host, a:b, a:!b, a:&b.' },
      name: str,
      become: bool,
      become_user: str,
      vars: mapping,
      vars_files: { type: 'array', items: str },
      roles: { type: 'array', items: { $ref: '#/$defs/role' } },
      pre_tasks: taskList,
      tasks: taskList,
      post_tasks: taskList,
      handlers: taskList,
      gather_facts: bool,
      serial: { anyOf: [{ type: 'integer' }, str, { type: 'array', items: { anyOf: [{ type: 'integer' }, str] } }] },
      any_errors_fatal: bool,
      max_fail_percentage: { type: 'number' },
      tags: strOrList,
      environment: mapping,
      ignore_unreachable: bool,
    },
    required: ['hosts'],
    additionalProperties: false,
  };
  defs.import_playbook = {
    type: 'object',
    properties: { import_playbook: str, name: str, vars: mapping, tags: strOrList },
    required: ['import_playbook'],
    additionalProperties: false,
  };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://drover.invalid/schema/playbook.json',
    title: 'drover playbook or task file',
    type: 'array',
    items: { anyOf: [{ $ref: '#/$defs/play' }, { $ref: '#/$defs/import_playbook' }, { $ref: '#/$defs/task' }] },
    $defs: defs,
  };
}
