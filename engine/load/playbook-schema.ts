// The playbook's structure as JSON Schema (compiled by ajv in engine/load/playbook.ts).
// Module arguments are validated by each module's own schema; scripts/schemas.ts
// combines both into schemas/playbook.schema.json for editors.

import type { JsonSchema } from '../module-api.js';

const stringOrList = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };
const condition = { anyOf: [{ type: 'string' }, { type: 'boolean' }, { type: 'array', items: { type: ['string', 'boolean'] } }] };
const boolOrTemplate = { type: ['boolean', 'string'] };
const numberOrTemplate = { type: ['integer', 'string'] };
const vars = { type: 'object' };

export const BLOCK_KEYWORDS = [
  'name', 'block', 'rescue', 'always', 'when', 'tags', 'vars', 'become', 'become_user', 'environment',
  'check_mode', 'no_log', 'ignore_errors', 'any_errors_fatal',
] as const;

const taskKeywordProps: Record<string, JsonSchema> = {
  name: { type: 'string' },
  when: condition,
  loop: { anyOf: [{ type: 'array' }, { type: 'string' }, { type: 'object' }] },
  with_items: { anyOf: [{ type: 'array' }, { type: 'string' }] },
  loop_control: {
    type: 'object', additionalProperties: false,
    properties: { label: {}, loop_var: { type: 'string' }, pause: { type: 'number' }, index_var: { type: 'string' } },
  },
  register: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
  notify: stringOrList,
  listen: stringOrList,
  changed_when: condition,
  failed_when: condition,
  ignore_errors: boolOrTemplate,
  tags: stringOrList,
  retries: numberOrTemplate,
  until: condition,
  delay: { type: ['number', 'string'] },
  run_once: { type: 'boolean' },
  delegate_to: { type: 'string' },
  check_mode: { type: 'boolean' },
  no_log: { type: 'boolean' },
  vars,
  become: { type: 'boolean' },
  become_user: { type: 'string' },
  environment: { anyOf: [{ type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } }, { type: 'string' }] },
  args: { type: 'object' },
};

export const TASK_KEYWORDS = Object.keys(taskKeywordProps);

export const TASK_KEYWORD_SCHEMA: JsonSchema = {
  type: 'object',
  properties: taskKeywordProps,
};

const taskList = { type: 'array', items: { type: 'object' } };

export const PLAY_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['hosts'],
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    hosts: stringOrList,
    vars,
    vars_files: stringOrList,
    become: { type: 'boolean' },
    become_user: { type: 'string' },
    gather_facts: { type: 'boolean' },
    serial: { anyOf: [{ type: ['integer', 'string'] }, { type: 'array', items: { type: ['integer', 'string'] } }] },
    max_fail_percentage: { type: 'number', minimum: 0, maximum: 100 },
    any_errors_fatal: { type: 'boolean' },
    check_mode: { type: 'boolean' },
    no_log: { type: 'boolean' },
    tags: stringOrList,
    environment: { type: 'object' },
    pre_tasks: taskList,
    tasks: taskList,
    post_tasks: taskList,
    handlers: taskList,
  },
};

/** Arguments of the runner's built-in actions. */
export const BUILTIN_SCHEMAS: Record<string, JsonSchema> = {
  debug: {
    type: 'object', additionalProperties: false,
    properties: { msg: {}, var: { type: 'string' }, verbosity: { type: 'integer' } },
  },
  assert: {
    type: 'object', additionalProperties: false, required: ['that'],
    properties: { that: condition, fail_msg: { type: 'string' }, msg: { type: 'string' }, success_msg: { type: 'string' }, quiet: { type: 'boolean' } },
  },
  fail: { type: 'object', additionalProperties: false, properties: { msg: { type: 'string' } } },
  set_fact: { type: 'object', minProperties: 1, propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } },
  meta: {
    type: 'object', additionalProperties: false, required: ['action'],
    properties: { action: { enum: ['flush_handlers', 'end_play', 'end_host', 'noop', 'clear_facts', 'refresh_inventory', 'clear_host_errors'] } },
  },
  include_vars: { type: 'object', additionalProperties: false, required: ['file'], properties: { file: { type: 'string' }, name: { type: 'string' } } },
  pause: { type: 'object', additionalProperties: false, properties: { seconds: { type: ['number', 'string'] }, prompt: { type: 'string' } } },
  readiness: {
    type: 'object', additionalProperties: false, required: ['checks'],
    properties: {
      title: { type: 'string' },
      checks: {
        type: 'array', minItems: 1,
        items: {
          type: 'object', additionalProperties: false, required: ['name', 'that'],
          properties: { name: { type: 'string' }, that: condition, reason: { type: 'string' }, detail: { type: 'string' }, when: condition },
        },
      },
    },
  },
};
