// The playbook's structure as JSON Schema (compiled by ajv in engine/load/playbook.ts).
// Module arguments are validated by each module's own schema; scripts/schemas.ts
// combines both into schemas/playbook.schema.json for editors.

import { S } from '../schema.js';
import type { JsonSchema, Static } from '../schema.js';

const stringOrList = S.anyOf([S.string(), S.array(S.string())]);
const condition = S.anyOf([S.string(), S.boolean(), S.array(S.types(['string', 'boolean']))]);
const boolOrTemplate = S.types(['boolean', 'string']);
const numberOrTemplate = S.types(['integer', 'string']);
const vars = S.record();

export const BLOCK_KEYWORDS = [
  'name', 'block', 'rescue', 'always', 'when', 'tags', 'vars', 'become', 'become_user', 'environment',
  'check_mode', 'no_log', 'ignore_errors', 'any_errors_fatal',
] as const;

const taskKeywordProps = {
  name: S.string(),
  when: condition,
  loop: S.anyOf([S.array(), S.string(), S.record()]),
  with_items: S.anyOf([S.array(), S.string()]),
  loop_control: S.object({ label: S.any(), loop_var: S.string(), pause: S.number(), index_var: S.string() }, { additionalProperties: false }),
  register: S.string({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
  notify: stringOrList,
  listen: stringOrList,
  changed_when: condition,
  failed_when: condition,
  ignore_errors: boolOrTemplate,
  tags: stringOrList,
  retries: numberOrTemplate,
  until: condition,
  delay: S.types(['number', 'string']),
  run_once: S.boolean(),
  delegate_to: S.string(),
  check_mode: S.boolean(),
  no_log: S.boolean(),
  vars,
  become: S.boolean(),
  become_user: S.string(),
  environment: S.anyOf([S.record(S.types(['string', 'number', 'boolean'])), S.string()]),
  args: S.record(),
};

export const TASK_KEYWORDS = Object.keys(taskKeywordProps);

export const TASK_KEYWORD_SCHEMA = S.object(taskKeywordProps);

/** A task's keywords (everything but its action) once TASK_KEYWORD_SCHEMA accepted them. */
export type RawTaskKeywords = Static<typeof TASK_KEYWORD_SCHEMA>;

const taskList = S.array(S.record());

export const PLAY_SCHEMA = S.object({
  name: S.string(),
  hosts: stringOrList,
  vars,
  vars_files: stringOrList,
  become: S.boolean(),
  become_user: S.string(),
  gather_facts: S.boolean(),
  gather_subset: stringOrList,
  gather_timeout: S.integer({ minimum: 1 }),
  serial: S.anyOf([S.types(['integer', 'string']), S.array(S.types(['integer', 'string']))]),
  max_fail_percentage: S.number({ minimum: 0, maximum: 100 }),
  any_errors_fatal: S.boolean(),
  check_mode: S.boolean(),
  no_log: S.boolean(),
  tags: stringOrList,
  environment: S.record(),
  pre_tasks: taskList,
  tasks: taskList,
  post_tasks: taskList,
  handlers: taskList,
}, { required: ['hosts'], additionalProperties: false });

/** A play mapping once PLAY_SCHEMA accepted it (its task lists not loaded yet). */
export type RawPlay = Static<typeof PLAY_SCHEMA>;

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
