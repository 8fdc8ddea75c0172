// The playbook's structure as JSON Schema (compiled by ajv in engine/load/playbook.ts).
// Module arguments are validated by each module's own schema; scripts/schemas.ts
// combines both into schemas/playbook.schema.json for editors.

import { S } from '../schema.js';
import type { JsonSchema, Static } from '../schema.js';
import { LOOP_CONTROL_SCHEMA, WITH_KEYWORD_PROPS } from './loop-keywords.js';

const stringOrList = S.anyOf([S.string(), S.array(S.string())]);
const condition = S.anyOf([S.string(), S.boolean(), S.array(S.types(['string', 'boolean']))]);
const boolOrTemplate = S.types(['boolean', 'string']);
const numberOrTemplate = S.types(['integer', 'string']);
const vars = S.record();
// remote_user, port, connection, become_flags, become_exe (engine/load/connection-keywords.ts checks the values).
const CONNECTION_KEYWORD_PROPS = {
  remote_user: S.string(),
  port: numberOrTemplate,
  connection: S.string(),
  become_flags: S.string(),
  become_exe: S.string(),
};

export const BLOCK_KEYWORDS = [
  'name', 'block', 'rescue', 'always', 'when', 'tags', 'vars', 'become', 'become_user', 'environment',
  'check_mode', 'no_log', 'ignore_errors', 'any_errors_fatal', 'become_method',
  'become_flags', 'become_exe', 'remote_user', 'port', 'connection',
] as const;

const taskKeywordProps = {
  name: S.string(),
  when: condition,
  loop: S.anyOf([S.array(), S.string(), S.record()]),
  ...WITH_KEYWORD_PROPS,
  loop_control: LOOP_CONTROL_SCHEMA,
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
  // seconds (engine/run/async-job.ts)
  async: numberOrTemplate,
  poll: numberOrTemplate,
  timeout: numberOrTemplate,
  run_once: boolOrTemplate,
  delegate_to: S.string(),
  check_mode: boolOrTemplate,
  no_log: boolOrTemplate,
  vars,
  become: boolOrTemplate,
  become_user: S.string(),
  // sudo or su, what tsplay becomes with (connection-keywords.ts refuses the others).
  become_method: S.string(),
  ...CONNECTION_KEYWORD_PROPS,
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
  // A list item may itself be a list: the first of its files that exists (Ansible's vars_files).
  vars_files: S.anyOf([S.string(), S.array(S.anyOf([S.string(), S.array(S.string())]))]),
  become: boolOrTemplate,
  become_user: S.string(),
  become_method: S.string(),
  ...CONNECTION_KEYWORD_PROPS,
  gather_facts: boolOrTemplate,
  gather_subset: stringOrList,
  gather_timeout: S.integer({ minimum: 1 }),
  serial: S.anyOf([S.types(['integer', 'string']), S.array(S.types(['integer', 'string']))]),
  max_fail_percentage: S.number({ minimum: 0, maximum: 100 }),
  any_errors_fatal: boolOrTemplate,
  check_mode: boolOrTemplate,
  no_log: boolOrTemplate,
  tags: stringOrList,
  environment: S.record(),
  pre_tasks: taskList,
  // A role name, or a mapping with role:/name:, keywords and role params (engine/load/playbook.ts, roles).
  roles: S.array(S.anyOf([S.string(), S.record()])),
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
  // A key is a variable name or a template rendered to one on each host (`"{{ svc }}_port": 80`).
  set_fact: { type: 'object', minProperties: 1, propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$|\\{\\{|\\{%' }, properties: { cacheable: { type: 'boolean' } } },
  meta: {
    type: 'object', additionalProperties: false, required: ['action'],
    properties: { action: { enum: ['flush_handlers', 'end_play', 'end_host', 'noop', 'clear_facts', 'refresh_inventory', 'clear_host_errors'] } },
  },
  include_vars: { type: 'object', additionalProperties: false, required: ['file'], properties: { file: { type: 'string' }, name: { type: 'string' } } },
  async_status: {
    type: 'object', additionalProperties: false, required: ['jid'],
    properties: { jid: { type: 'string' }, mode: { enum: ['status', 'cleanup'] } },
  },
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
