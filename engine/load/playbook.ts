// Loading playbooks: YAML with positions -> schema check (ajv) -> a typed tree of
// plays, blocks and tasks. Everything that can be checked before a host is
// touched is checked here, and every error names file:line:col.

import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { ownValidator } from './own-validators.js';
import { LoadError, snippetAt, type Place } from '../errors.js';
import { loadYamlFile, type PathSeg, type YamlDoc } from './yaml.js';
import { loadWarning, withLoadWarnings, type LoadWarning } from './load-warnings.js';
import { bareInclude, bareIncludeKey } from './bare-include.js';
import type { ModuleRegistry } from './registry.js';
import { BUILTIN_NAMES } from '../run/builtins/index.js';
import { isCollectionName, resolveActionName } from './module-names.js';
import { validateModuleArgs, describeAjvError } from './module-args.js';
import { actionArgs, ActionArgsError } from './action-args.js';
import { booleanOf, coerceToSchema } from './coerce.js';
import type { Flag } from '../run/flags.js';
import { unsupportedKeyword } from './ansible-keywords.js';
import { actionKeyword, ActionKeywordError } from './action-keyword.js';
import { PLAY_SCHEMA, TASK_KEYWORDS, BLOCK_KEYWORDS, BUILTIN_SCHEMAS, TASK_KEYWORD_SCHEMA } from './playbook-schema.js';
import type { RawPlay, RawTaskKeywords } from './playbook-schema.js';
import { parseCondition, ExpressionError } from '../template/expression.js';
import { checkTemplate, isTemplated, TemplateError } from '../template/template.js';
import { checkTemplateFiles } from './template-files.js';
import { isUnsafe } from '../template/unsafe.js';
import {
  UNSUPPORTED_ROLE_KEYWORDS, configuredRolesPath, findRole, isCollectionRole, roleFile, roleNameOf, roleSearchDirs, roleVarsFile, type RoleInstance,
} from './roles.js';
import { searchPathOf, searchedPlaces } from './search-path.js';
import { badWithKey, loopOf, type TaskLoop } from './loop-keywords.js';
import { playGatherSubset } from './gather-subset.js';
import { ConnectionKeywordError, connectionKeywordsOf, type ConnectionKeywords, type RawConnectionKeywords } from './connection-keywords.js';

// Each validator is made on first use (precompiled by the build, else compiled:
// engine/load/own-validators.ts), not at import: every command loads this file,
// and most runs use few of the built-in actions.
let playValidator: ValidateFunction<RawPlay> | undefined;
const validatePlay = (play: unknown): play is RawPlay => (playValidator ??= ownValidator<RawPlay>('document', PLAY_SCHEMA))(play);
let taskKeywordsValidator: ValidateFunction<RawTaskKeywords> | undefined;
const validateTaskKeywords = (kw: unknown): kw is RawTaskKeywords => (taskKeywordsValidator ??= ownValidator<RawTaskKeywords>('document', TASK_KEYWORD_SCHEMA))(kw);
const builtinValidators = new Map<string, ValidateFunction>();
function builtinValidator(action: string): ValidateFunction {
  let v = builtinValidators.get(action);
  if (!v) builtinValidators.set(action, (v = ownValidator('document', BUILTIN_SCHEMAS[action])));
  return v;
}

/** Where a node came from, to report errors against it later. */
export interface Source {
  doc: YamlDoc;
  path: PathSeg[];
  /**
   * Where the task's relative file names (template/copy src, include_vars,
   * include_tasks, lookups) are looked up, most specific first: see
   * engine/load/search-path.ts (findInSearchPath). Set on every loaded task;
   * absent only on sources built by hand (tests), where the playbook's
   * directory applies.
   */
  searchPath?: string[];
}

export function placeOf(src: Source, sub: PathSeg[] = []): Place {
  return src.doc.placeOf([...src.path, ...sub]);
}

export function formatSourcePlace(src: Source, sub: PathSeg[] = []): string {
  const p = placeOf(src, sub);
  return `${p.file}:${p.line}:${p.col}`;
}

export interface Conditional {
  /** Each a condition source (Ansible expression) or a literal boolean; all must hold. */
  when: Array<string | boolean>;
}

interface Common extends Conditional {
  name?: string;
  tags: string[];
  vars: Record<string, unknown>;
  /** A boolean, or a template resolved per host (run/flags.ts). */
  become?: Flag;
  becomeUser?: string;
  environment?: Record<string, unknown> | string;
  checkMode?: Flag;
  noLog?: Flag;
  ignoreErrors?: boolean | string;
  /** remote_user, port, connection, become_method/flags/exe as written here (engine/load/connection-keywords.ts). */
  conn?: ConnectionKeywords;
  src: Source;
  /** The role this task or block belongs to (its variables, role_name, handlers). */
  role?: RoleInstance;
}

export interface Task extends Common, TaskLoop {
  kind: 'task';
  /** Module or built-in action name. */
  action: string;
  /** Arguments as written (templates not rendered yet). */
  args: Record<string, unknown>;
  register?: string;
  notify: string[];
  changedWhen?: Array<string | boolean>;
  failedWhen?: Array<string | boolean>;
  retries?: number | string;
  until?: Array<string | boolean>;
  delay?: number | string;
  /** async, poll, timeout: seconds, as written (engine/run/async-job.ts). */
  async?: number | string;
  poll?: number | string;
  timeout?: number | string;
  runOnce: Flag;
  delegateTo?: string;
  /** Handlers only: the name(s) it answers to. */
  listen: string[];
  /** include_tasks / include_role: what the runtime includes (engine/run/include.ts). */
  include?: IncludeSpec;
  /**
   * An argument error found at load in a task guarded by `when` (often a task for another
   * platform): the task fails with this message when it runs, as Ansible fails it; a skipped
   * one never does. Without `when` the error stops the load.
   */
  invalidArgs?: string;
  /**
   * `action` is a template (`action: "{{ ansible_pkg_mgr }} name=x"`): the module is
   * the rendered name, resolved per host when the task runs; `args` are then checked.
   */
  templatedAction?: boolean;
}

export interface Block extends Common {
  kind: 'block';
  block: Item[];
  rescue: Item[];
  always: Item[];
}

export type Item = Task | Block;

export interface Play {
  name: string;
  hosts: string;
  vars: Record<string, unknown>;
  /** vars_files entries; a list entry is "first of these that exists". Names may be templates (rendered per host). */
  varsFiles: Array<string | string[]>;
  /** Roles of the play (`roles:`, their dependencies, import_role): their defaults and vars are the play's. */
  roles: RoleInstance[];
  become?: Flag;
  becomeUser?: string;
  /** The play's remote_user, port, connection, become_method/flags/exe (engine/load/connection-keywords.ts). */
  conn?: ConnectionKeywords;
  /** A boolean, or a template resolved with the play's vars and the extra vars. */
  gatherFacts: Flag;
  /** gather_subset (Ansible's; checked at load). */
  gatherSubset?: string[];
  /** gather_timeout, seconds. */
  gatherTimeout?: number;
  serial?: Array<number | string>;
  maxFailPercentage?: number;
  anyErrorsFatal: Flag;
  checkMode?: Flag;
  /** no_log for every task of the play (a task or block may set it back to false). */
  noLog?: Flag;
  tags: string[];
  environment?: Record<string, unknown>;
  preTasks: Item[];
  tasks: Item[];
  postTasks: Item[];
  handlers: Task[];
  src: Source;
  /** Directory of the playbook file (vars_files, src lookups are relative to it). */
  baseDir: string;
}

export interface Playbook {
  file: string;
  plays: Play[];
  /** What loading it warned about (duplicate YAML keys, deprecated forms), in order: engine/load/load-warnings.ts. */
  warnings?: LoadWarning[];
}

type Raw = Record<string, unknown>;

/** A YAML mapping (not a list, not a scalar). */
function isMapping(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asList<T>(v: T | T[] | undefined): T[] {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
}

export function conditionList(v: RawTaskKeywords['when']): Array<string | boolean> {
  return asList<unknown>(v).map((c) => (typeof c === 'boolean' ? c : String(c)));
}

export function tagList(v: string | string[] | undefined): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  return v.map(String);
}

/**
 * A boolean keyword as Ansible reads it: a boolean, a template (resolved at run
 * time, run/flags.ts), or a string that is one of Ansible's boolean words.
 */
function flagOf(src: Source, key: string, v: boolean | string | undefined): Flag | undefined {
  if (v === undefined || typeof v === 'boolean' || isTemplated(v)) return v;
  const b = booleanOf(v);
  if (b === undefined) throw errorAt(src.doc, [...src.path, key], `${key}: "${v}" is not a boolean (true/false, yes/no, on/off, 1/0) nor a template`);
  return b;
}

/** remote_user, port, connection, become_method/flags/exe (connection-keywords.ts): checked, or refused at their place. */
function connectionOf(src: Source, kw: RawConnectionKeywords): ConnectionKeywords | undefined {
  try {
    return connectionKeywordsOf(kw);
  } catch (e) {
    if (e instanceof ConnectionKeywordError) throw errorAt(src.doc, [...src.path, e.key], e.message);
    throw e;
  }
}

/** The keywords every task, block and import takes, from keywords the schema accepted. */
export function commonOf(kw: RawTaskKeywords, src: Source, role?: RoleInstance) {
  const conn = connectionOf(src, kw);
  return {
    role,
    name: kw.name === undefined ? undefined : String(kw.name),
    when: conditionList(kw.when),
    tags: tagList(kw.tags),
    vars: kw.vars ?? {},
    become: flagOf(src, 'become', kw.become),
    becomeUser: kw.become_user,
    environment: kw.environment,
    checkMode: flagOf(src, 'check_mode', kw.check_mode),
    noLog: flagOf(src, 'no_log', kw.no_log),
    ignoreErrors: kw.ignore_errors,
    conn,
    src,
  };
}

function schemaError(doc: YamlDoc, base: PathSeg[], errors: ErrorObject[], what: string): LoadError {
  // Prefer the deepest error: it is usually the real mistake.
  const sorted = [...errors].filter((e) => !['anyOf', 'oneOf', 'if'].includes(e.keyword)).sort((a, b) => b.instancePath.length - a.instancePath.length);
  const e = sorted[0] ?? errors[0];
  const segs = e.instancePath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
  let place: Place;
  let field = segs.length ? String(segs[segs.length - 1]) : '';
  if (e.keyword === 'additionalProperties') {
    const key = (e.params as { additionalProperty: string }).additionalProperty;
    place = doc.keyPlaceOf([...base, ...segs, key]);
    field = '';
  } else {
    place = doc.placeOf([...base, ...segs]);
  }
  const msg = `${what}: ${field ? `"${field}" ` : ''}${describeAjvError(e)}`;
  return new LoadError(msg, place, snippetAt(doc.source, place.line, place.col));
}

export function errorAt(doc: YamlDoc, path: PathSeg[], msg: string, key = false): LoadError {
  const place = key ? doc.keyPlaceOf(path) : doc.placeOf(path);
  return new LoadError(msg, place, snippetAt(doc.source, place.line, place.col));
}

/** Check every condition and template in a task at load time (syntax only). */
export function checkExpressions(doc: YamlDoc, path: PathSeg[], value: unknown, kind: 'template' | 'condition'): void {
  if (kind === 'condition') {
    for (const [i, c] of asList<unknown>(value).entries()) {
      if (typeof c !== 'string') continue;
      try {
        parseCondition(c);
      } catch (e) {
        if (e instanceof ExpressionError) {
          const sub = Array.isArray(value) ? [...path, i] : path;
          throw errorAt(doc, sub, `malformed condition: ${e.message}`);
        }
        throw e;
      }
    }
    return;
  }
  const walk = (v: unknown, p: PathSeg[]): void => {
    if (isUnsafe(v)) return; // never rendered: any text is fine
    if (typeof v === 'string') {
      if (!isTemplated(v)) return;
      try {
        checkTemplate(v);
      } catch (e) {
        if (e instanceof TemplateError) throw errorAt(doc, p, `malformed template: ${e.message}`);
        throw e;
      }
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
  };
  walk(value, path);
}

/**
 * Drop argument errors that sit on (or inside) a templated value or a `!unsafe`
 * one: those are checked after rendering.
 */
function onTemplatedValue(args: unknown, pointer: string): boolean {
  let v: unknown = args;
  for (const seg of pointer.split('/').slice(1)) {
    if (typeof v === 'string') return isTemplated(v);
    if (isUnsafe(v)) return true;
    if (!v || typeof v !== 'object') return false;
    v = (v as Raw)[seg];
  }
  return (typeof v === 'string' && isTemplated(v)) || isUnsafe(v);
}

export interface LoadContext {
  registry: ModuleRegistry;
  /** Files being imported, to detect import cycles. */
  stack: string[];
  /** The playbook's directory (roles/ beside it, the last place of every search path). */
  playDir: string;
  /** The configured roles path (--roles-path, ANSIBLE_ROLES_PATH). */
  rolesPath: string[];
  /** Inside a role: the role, and its directory then those of the roles depending on it. */
  role?: RoleInstance;
  roleDirs: string[];
  /** The play being loaded: its roles, role handlers, roles already run (dedup). */
  playRoles?: PlayRoles;
  /** Loading what a dynamic include (include_tasks, include_role) includes: a bare `include:` in it is dynamic too. */
  dynamic?: boolean;
}

/** A node's source, with the search path of a task loaded in this context. */
export function sourceIn(doc: YamlDoc, path: PathSeg[], ctx: LoadContext): Source {
  return { doc, path, searchPath: searchPathOf(ctx.roleDirs, dirname(resolve(doc.file)), ctx.playDir) };
}

export async function loadItems(doc: YamlDoc, path: PathSeg[], raw: unknown, ctx: LoadContext, handler = false): Promise<Item[]> {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw errorAt(doc, path, 'expected a list of tasks');
  const out: Item[] = [];
  for (const [i, t] of raw.entries()) {
    const p = [...path, i];
    if (!isMapping(t)) throw errorAt(doc, p, 'a task must be a mapping (name: ..., module: {args})');
    const task = t;
    const inc = includeKey(task);
    if (inc && handler && inc.kind !== 'import_tasks') throw errorAt(doc, [...p, inc.key], `${inc.kind} in handlers is not supported by tsplay (list the handler tasks, or use import_tasks)`, true);
    if (inc?.kind === 'import_tasks') {
      out.push(...(await importTasks(doc, p, task, inc.key, ctx)));
      continue;
    }
    const bare = bareIncludeKey(task);
    if (bare !== undefined && !inc) {
      out.push(...(await loadBareInclude(doc, p, task, bare, ctx, handler)));
      continue;
    }
    if (inc?.kind === 'include_tasks') {
      out.push(await loadIncludeTasks(doc, p, task, inc.key, ctx));
      continue;
    }
    if (inc?.kind === 'import_role') {
      out.push(await loadImportRole(doc, p, task, inc.key, ctx));
      continue;
    }
    if (inc?.kind === 'include_role') {
      out.push(await loadIncludeRole(doc, p, task, inc.key, ctx));
      continue;
    }
    out.push(await loadItem(doc, p, task, ctx, handler));
  }
  return out;
}

/** A bare `include:` (bare-include.ts): an import_tasks, or an include_tasks that --tags does not deselect. */
async function loadBareInclude(doc: YamlDoc, p: PathSeg[], raw: Raw, key: string, ctx: LoadContext, handler: boolean): Promise<Item[]> {
  const { task, dynamic } = bareInclude(p, raw, key, ctx.dynamic === true, (at, msg, k) => { throw errorAt(doc, at, msg, k); });
  if (!dynamic) return importTasks(doc, p, task, key, ctx);
  if (handler) throw errorAt(doc, [...p, key], `a dynamic ${key} in handlers is not supported by tsplay (list the handler tasks, or use import_tasks)`, true);
  const inc = await loadIncludeTasks(doc, p, task, key, ctx);
  return [{ ...inc, include: { ...inc.include!, bare: true } }];
}

async function importTasks(doc: YamlDoc, p: PathSeg[], task: Raw, key: string, ctx: LoadContext): Promise<Item[]> {
  // `import_tasks: file.yml`, or as a mapping `import_tasks: {file: file.yml}` (Ansible takes both)
  const raw = task[key];
  if (isMapping(raw)) {
    for (const k of Object.keys(raw)) if (k !== 'file' && k !== '_raw_params') throw errorAt(doc, [...p, key, k], `${key}: unknown option "${k}" (it takes: file)`, true);
  }
  const target = isMapping(raw) ? raw.file ?? raw._raw_params : raw;
  if (typeof target !== 'string') throw errorAt(doc, [...p, key], `${key} takes a file name`);
  if (isTemplated(target)) throw errorAt(doc, [...p, key], `${key} is static: its file name cannot be a template`);
  // Like Ansible's static import: the import's keywords (when, tags, vars, become, run_once, delegate_to, ...) apply to every imported task.
  const rest = Object.fromEntries(Object.entries(task).filter(([k]) => k !== key));
  const { block, task: taskKw } = wrapperOf(doc, p, rest, key, ctx);
  const file = taskFileOf(doc, [...p, key], target, ctx);
  const items = withTaskKeywords(await loadTaskFile(doc, [...p, key], file, ctx), taskKw);
  if (Object.keys(rest).every((k) => k === 'name' || k === 'run_once' || k === 'delegate_to')) return items;
  return [{ ...block, block: items }];
}

/**
 * Where an imported or included task file is: inside a role, the role's
 * tasks/ first (search-path.ts); elsewhere beside the file that names it.
 */
export function taskFileOf(doc: YamlDoc, at: PathSeg[], target: string, ctx: LoadContext): string {
  if (!ctx.role) return resolve(dirname(doc.file), target);
  const places = searchedPlaces(sourceIn(doc, at, ctx).searchPath ?? [], 'tasks', target);
  const found = places.find((f) => existsSync(f));
  if (!found) throw errorAt(doc, at, `task file "${target}" not found; looked in: ${places.join(', ')}`);
  return found;
}

/** Load a task file's items in this context (cycles refused); errors of a missing file name the place that names it. */
export async function loadTaskFile(doc: YamlDoc, at: PathSeg[], file: string, ctx: LoadContext): Promise<Item[]> {
  if (ctx.stack.includes(file)) throw errorAt(doc, at, `import cycle: ${[...ctx.stack, file].join(' -> ')}`);
  const sub = await loadYamlFile(file).catch((e: unknown) => {
    if (e instanceof LoadError && !e.place) throw errorAt(doc, at, e.reason);
    throw e;
  });
  return loadItems(sub, [], sub.value, { ...ctx, stack: [...ctx.stack, file] });
}

/**
 * A task's, block's or import's keywords (all keys but `except`), checked
 * against the task keyword schema: the typed view of them.
 */
export function keywordsOf(doc: YamlDoc, p: PathSeg[], task: Raw, ...except: string[]): RawTaskKeywords {
  const kw: Raw = Object.fromEntries(Object.entries(task).filter(([k]) => !except.includes(k)));
  if (!validateTaskKeywords(kw)) throw schemaError(doc, p, taskKeywordsValidator?.errors ?? [], 'task');
  return kw;
}

async function loadItem(doc: YamlDoc, p: PathSeg[], task: Raw, ctx: LoadContext, handler: boolean): Promise<Item> {
  const unknownBlockKey = () => {
    if ('when' in task) checkExpressions(doc, [...p, 'when'], task.when, 'condition');
    return Object.keys(task).find((k) => !(BLOCK_KEYWORDS as readonly string[]).includes(k));
  };
  if ('block' in task) {
    const unsupported = Object.keys(task).map((k) => [k, unsupportedKeyword('block', k, BLOCK_KEYWORDS)]).find(([, why]) => why);
    if (unsupported) throw errorAt(doc, [...p, unsupported[0]!], unsupported[1]!, true);
    const unknown = unknownBlockKey();
    if (unknown) throw errorAt(doc, [...p, unknown], `"${unknown}" is not a block keyword (a block takes: ${BLOCK_KEYWORDS.join(', ')})`, true);
    const base = commonOf(keywordsOf(doc, p, task, 'block', 'rescue', 'always'), sourceIn(doc, p, ctx), ctx.role);
    return {
      kind: 'block', ...base,
      block: await loadItems(doc, [...p, 'block'], task.block, ctx),
      rescue: await loadItems(doc, [...p, 'rescue'], task.rescue, ctx),
      always: await loadItems(doc, [...p, 'always'], task.always, ctx),
    };
  }
  if ('rescue' in task || 'always' in task) throw errorAt(doc, p, '"rescue" and "always" belong to a block (add "block:")');
  // `action: apt name=x` / `local_action: ...`: the same task written with the module as its key.
  let form;
  try {
    form = actionKeyword(task, Object.keys(task).filter((k) => k !== 'action' && k !== 'local_action' && !k.startsWith('with_') && !(TASK_KEYWORDS as readonly string[]).includes(k)));
  } catch (e) {
    if (e instanceof ActionKeywordError) throw errorAt(doc, [...p, e.at], e.message, true);
    throw e;
  }
  if (form) {
    const { action: _action, local_action: _local, ...rest } = task;
    task = { ...rest, [form.module]: form.value ?? null, ...(form.key === 'local_action' ? { delegate_to: 'localhost' } : {}) };
  }
  /** Where the action is written: its key, or the action/local_action keyword. */
  const actionPath = (key: string): PathSeg[] => [...p, form ? form.key : key];
  for (const k of ['when', 'changed_when', 'failed_when', 'until']) if (k in task) checkExpressions(doc, [...p, k], task[k], 'condition');
  const badWith = badWithKey(Object.keys(task));
  if (badWith) throw errorAt(doc, [...p, badWith.key], badWith.reason, true);
  for (const k of Object.keys(task)) {
    if (k.startsWith('with_')) continue; // badWithKey above: every with_<lookup> tsplay has
    const why = unsupportedKeyword('task', k, TASK_KEYWORDS);
    if (why) throw errorAt(doc, [...p, k], why, true);
  }
  // Exactly one key that is not a task keyword: the action.
  const actions = Object.keys(task).filter((k) => !(TASK_KEYWORDS as readonly string[]).includes(k));
  if (actions.length === 0) throw errorAt(doc, p, `task has no action: add a module (${[...ctx.registry.keys()].sort().join(', ')}) or a built-in (${BUILTIN_NAMES.join(', ')})`);
  const known = (k: string) => ctx.registry.has(k) || BUILTIN_NAMES.includes(k);
  // A templated module name (`action: "{{ ansible_pkg_mgr }} ..."`) is resolved per host when the task runs.
  const unknownAction = form?.templated ? undefined : actions.find((k) => resolveActionName(k, known) === undefined);
  if (unknownAction) {
    const all = [...ctx.registry.keys(), ...BUILTIN_NAMES].sort();
    if (isCollectionName(unknownAction)) {
      throw errorAt(doc, actionPath(unknownAction), `module "${unknownAction}" is not available in tsplay; it has: ${all.join(', ')} (and their ansible.builtin / ansible.posix / community.general names, docs/playbooks.md)`, true);
    }
    const near = all.filter((k) => k.startsWith(unknownAction.slice(0, 3)));
    throw errorAt(doc, actionPath(unknownAction), `unknown module or task keyword "${unknownAction}"${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; tsplay's modules and built-ins: ${all.join(', ')}`, true);
  }
  if (actions.length > 1) throw errorAt(doc, [...p, actions[1]], `a task has one action; found ${actions.map((a) => `"${a}"`).join(' and ')}`, true);
  // The key as written (an Ansible collection name stays the task's default name, as Ansible shows it).
  const actionKey = actions[0];
  const action = form?.templated ? form.module : resolveActionName(actionKey, known)!;
  // Task keywords' types.
  const kwOnly = keywordsOf(doc, p, task, actionKey);
  const base = commonOf(kwOnly, sourceIn(doc, p, ctx), ctx.role);
  if (actionKey !== action && base.name === undefined) base.name = actionKey;
  checkExpressions(doc, p, kwOnly, 'template');
  // Arguments: a mapping or key=value words (free-form text where the module takes it), over `args:`.
  const def = ctx.registry.get(action);
  const argPath = actionPath(actionKey);
  let assembled;
  try {
    assembled = actionArgs(action, task[actionKey], def?.freeForm, task.args);
  } catch (e) {
    if (e instanceof ActionArgsError) throw errorAt(doc, e.at === 'args' ? [...p, 'args'] : argPath, e.message);
    throw e;
  }
  const args = assembled.args;
  // key=value values are strings: a built-in's schema converts them here (a module's when validated).
  if (!def && BUILTIN_SCHEMAS[action]) {
    const kv = Object.fromEntries(Object.entries(args).filter(([k, v]) => assembled.keyValue.has(k) && !isTemplated(String(v))));
    coerceToSchema(BUILTIN_SCHEMAS[action], kv);
    Object.assign(args, kv);
  }
  checkExpressions(doc, argPath, args, 'template');
  let invalidArgs: string | undefined;
  if (def) {
    const copy = structuredClone(args);
    const errors = validateModuleArgs(def, copy).filter((e) => !onTemplatedValue(args, e.pointer));
    if (errors.length) {
      const e = errors[0];
      const segs = e.pointer.split('/').slice(1);
      const unknownKey = e.message.startsWith('unknown option');
      const base = segs.length && assembled.fromArgsKeyword.has(segs[0]) ? [...p, 'args'] : argPath;
      const err = errorAt(doc, [...base, ...segs], `${action}: ${segs.length && !unknownKey ? `"${segs[segs.length - 1]}" ` : ''}${e.message}`, unknownKey);
      if (kwOnly.when === undefined) throw err;
      invalidArgs = err.message;
    }
  } else if (Object.hasOwn(BUILTIN_SCHEMAS, action)) {
    const v = builtinValidator(action);
    if (!v(structuredClone(args))) throw schemaError(doc, argPath, v.errors ?? [], action);
    if (action === 'assert') checkExpressions(doc, [...argPath, 'that'], args.that, 'condition');
    if (action === 'readiness') {
      // The schema accepted it: checks is a list of mappings.
      const checks = Array.isArray(args.checks) ? args.checks.filter(isMapping) : [];
      for (const [i, c] of checks.entries()) checkExpressions(doc, [...argPath, 'checks', i, 'that'], c.that, 'condition');
    }
  }
  if (handler && !kwOnly.name && !kwOnly.listen) throw errorAt(doc, p, 'a handler needs a name (tasks notify it by name)');
  const loop = loopOf(kwOnly, (key, msg) => {
    throw errorAt(doc, [...p, key], msg, true);
  });
  return {
    kind: 'task', ...base, action, args,
    ...(invalidArgs !== undefined ? { invalidArgs } : {}),
    ...(form?.templated ? { templatedAction: true } : {}),
    ...loop,
    register: kwOnly.register,
    notify: asList(kwOnly.notify).map(String),
    changedWhen: kwOnly.changed_when === undefined ? undefined : conditionList(kwOnly.changed_when),
    failedWhen: kwOnly.failed_when === undefined ? undefined : conditionList(kwOnly.failed_when),
    retries: kwOnly.retries,
    until: kwOnly.until === undefined ? undefined : conditionList(kwOnly.until),
    delay: kwOnly.delay,
    ...(kwOnly.async !== undefined ? { async: kwOnly.async } : {}),
    ...(kwOnly.poll !== undefined ? { poll: kwOnly.poll } : {}),
    ...(kwOnly.timeout !== undefined ? { timeout: kwOnly.timeout } : {}),
    runOnce: flagOf(base.src, 'run_once', kwOnly.run_once) ?? false,
    delegateTo: kwOnly.delegate_to,
    listen: asList(kwOnly.listen).map(String),
  };
}

function normalizeSerial(v: RawPlay['serial']): Array<number | string> | undefined {
  if (v === undefined || v === null) return undefined;
  return asList(v);
}

export interface LoadOptions {
  /** --roles-path (colon-separated, already split); default: ANSIBLE_ROLES_PATH or Ansible's default. */
  rolesPath?: string[];
}

/** Keys an import_playbook entry takes, as Ansible 2.14 (vars, when, tags apply to every imported play). */
const IMPORT_PLAYBOOK_KEYS = ['import_playbook', 'ansible.builtin.import_playbook', 'name', 'vars', 'when', 'tags'];

async function importPlaybook(doc: YamlDoc, p: PathSeg[], rp: Raw, abs: string, registry: ModuleRegistry, opts: LoadOptions, stack: string[]): Promise<Play[]> {
  const key = 'import_playbook' in rp ? 'import_playbook' : 'ansible.builtin.import_playbook';
  for (const k of Object.keys(rp)) {
    if (!IMPORT_PLAYBOOK_KEYS.includes(k)) throw errorAt(doc, [...p, k], `"${k}" is not allowed with import_playbook (it takes: vars, when, tags)`, true);
  }
  const name = rp[key];
  if (typeof name !== 'string') throw errorAt(doc, [...p, key], 'import_playbook takes a file name');
  if (isTemplated(name)) throw errorAt(doc, [...p, key], 'import_playbook is static: its file name cannot be a template');
  if (rp.vars !== undefined && !isMapping(rp.vars)) throw errorAt(doc, [...p, 'vars'], 'vars: expected a mapping');
  if ('when' in rp) checkExpressions(doc, [...p, 'when'], rp.when, 'condition');
  const target = resolve(dirname(abs), name);
  if (stack.includes(target)) throw errorAt(doc, [...p, key], `import cycle: ${[...stack, target].join(' -> ')}`);
  const sub = await loadPlaybookAt(target, registry, opts, [...stack, target], (e) => errorAt(doc, [...p, key], e));
  const when = conditionList(rp.when as RawTaskKeywords['when']);
  const tags = tagList(rp.tags as string | string[] | undefined);
  const importVars = rp.vars ?? {};
  return sub.plays.map((play) => {
    const wrap = (items: Item[], key2: string): Item[] => (when.length && items.length ? [{
      kind: 'block', block: items, rescue: [], always: [], when, tags: [], vars: {}, src: { doc, path: [...p, 'when'] }, name: `import_playbook ${key2}`,
    }] : items);
    return {
      ...play,
      // As Ansible: the import's vars override the play's own.
      vars: { ...play.vars, ...importVars },
      tags: [...play.tags, ...tags],
      preTasks: wrap(play.preTasks, 'pre_tasks'), tasks: wrap(play.tasks, 'tasks'), postTasks: wrap(play.postTasks, 'post_tasks'),
      handlers: when.length ? play.handlers.map((h) => ({ ...h, when: [...when, ...h.when] })) : play.handlers,
    };
  });
}

export async function loadPlaybook(file: string, registry: ModuleRegistry, opts: LoadOptions = {}): Promise<Playbook> {
  const warnings: LoadWarning[] = [];
  try {
    const pb = await withLoadWarnings((w) => warnings.push(w), () => loadPlaybookAt(file, registry, opts, [resolve(file)]));
    return warnings.length ? { ...pb, warnings } : pb;
  } catch (e) {
    // A playbook that does not load still shows what was found before the error (as Ansible prints it, first).
    for (const w of warnings) loadWarning(w);
    throw e;
  }
}

async function loadPlaybookAt(file: string, registry: ModuleRegistry, opts: LoadOptions, stack: string[], missing?: (reason: string) => LoadError): Promise<Playbook> {
  const abs = resolve(file);
  const doc = await loadYamlFile(abs).catch((e: unknown) => {
    if (e instanceof LoadError && !e.place) throw missing ? missing(e.reason) : new LoadError(`${e.reason}`, { file, line: 0, col: 0 });
    throw e;
  });
  doc.file = file;
  const raw = doc.value;
  if (!Array.isArray(raw)) throw errorAt(doc, [], 'a playbook is a list of plays (each starting with "- hosts: ...")');
  const ctx: LoadContext = { registry, stack, playDir: dirname(abs), rolesPath: opts.rolesPath ?? configuredRolesPath(), roleDirs: [] };
  const plays: Play[] = [];
  for (const [i, rp] of raw.entries()) {
    const p = [i];
    if (!isMapping(rp)) throw errorAt(doc, p, 'a play must be a mapping with "hosts:"');
    if ('import_playbook' in rp || 'ansible.builtin.import_playbook' in rp) {
      plays.push(...(await importPlaybook(doc, p, rp, abs, registry, opts, stack)));
      continue;
    }
    const play = rp;
    const bare = bareIncludeKey(play);
    if (bare !== undefined) throw errorAt(doc, [...p, bare], `'${bare}' is not a valid attribute for a Play (as in Ansible 2.14: use import_playbook)`, true);
    for (const k of Object.keys(play)) {
      const why = unsupportedKeyword('play', k, Object.keys(PLAY_SCHEMA.properties ?? {}));
      if (why) throw errorAt(doc, [...p, k], why, true);
    }
    if (!validatePlay(play)) throw schemaError(doc, p, playValidator?.errors ?? [], 'play');
    checkExpressions(doc, [...p, 'hosts'], play.hosts, 'template');
    // Roles first, as Ansible loads them; their handlers come before the play's own.
    const playSrc: Source = sourceIn(doc, p, ctx);
    const playConn = connectionOf(playSrc, play);
    const playRoles: PlayRoles = { seen: new Map(), roles: [], handlers: [], dynamicHandlers: false };
    const pctx: LoadContext = { ...ctx, playRoles };
    const roleItems = await loadRoleEntries(doc, [...p, 'roles'], play.roles, pctx);
    const preTasks = await loadItems(doc, [...p, 'pre_tasks'], play.pre_tasks, pctx);
    const tasks = await loadItems(doc, [...p, 'tasks'], play.tasks, pctx);
    const postTasks = await loadItems(doc, [...p, 'post_tasks'], play.post_tasks, pctx);
    const handlers = [...playRoles.handlers, ...(await loadItems(doc, [...p, 'handlers'], play.handlers, pctx, true))];
    const flatHandlers: Task[] = [];
    for (const h of handlers) {
      if (h.kind !== 'task') throw errorAt(h.src.doc, h.src.path, 'handlers cannot be blocks');
      flatHandlers.push(h);
    }
    const built: Play = {
      name: String(play.name ?? play.hosts),
      hosts: Array.isArray(play.hosts) ? play.hosts.join(':') : String(play.hosts),
      vars: play.vars ?? {},
      varsFiles: asList<unknown>(play.vars_files).map((f) => (Array.isArray(f) ? f.map(String) : String(f))),
      roles: playRoles.roles,
      become: flagOf(playSrc, 'become', play.become),
      becomeUser: play.become_user,
      conn: playConn,
      gatherFacts: flagOf(playSrc, 'gather_facts', play.gather_facts) ?? true,
      gatherSubset: playGatherSubset(doc, p, play.gather_subset),
      gatherTimeout: play.gather_timeout,
      serial: normalizeSerial(play.serial),
      maxFailPercentage: play.max_fail_percentage,
      anyErrorsFatal: flagOf(playSrc, 'any_errors_fatal', play.any_errors_fatal) ?? false,
      checkMode: flagOf(playSrc, 'check_mode', play.check_mode),
      noLog: flagOf(playSrc, 'no_log', play.no_log),
      tags: tagList(play.tags),
      environment: play.environment,
      // As Ansible orders a play: pre_tasks, (handlers), roles then tasks, (handlers), post_tasks, (handlers).
      preTasks,
      tasks: [...roleItems, ...tasks],
      postTasks,
      handlers: flatHandlers,
      src: sourceIn(doc, p, ctx),
      baseDir: dirname(abs),
    };
    // notify must name a handler of this play.
    const names = new Set(flatHandlers.flatMap((h) => [h.name ?? '', ...h.listen]));
    const checkNotify = (items: Item[]) => {
      for (const it of items) {
        if (it.kind === 'block') {
          checkNotify(it.block); checkNotify(it.rescue); checkNotify(it.always);
        } else {
          if (it.include?.items) checkNotify(it.include.items);
          // A role included by a templated name may bring handlers only known at run time.
          if (playRoles.dynamicHandlers) continue;
          for (const [j, n] of it.notify.entries()) {
            // A list's item has its own place; a single string falls back to "notify".
            if (!names.has(n)) throw errorAt(it.src.doc, [...it.src.path, 'notify', j], `notify names "${n}", but this play has no handler of that name${names.size ? ` (handlers: ${[...names].filter(Boolean).join(', ')})` : ''}`);
          }
        }
      }
    };
    checkNotify(built.preTasks); checkNotify(built.tasks); checkNotify(built.postTasks); checkNotify(built.handlers);
    checkTemplateFiles(built);
    plays.push(built);
  }
  return { file, plays };
}

// ---------------------------------------------------------------------------
// Roles and includes as items of a play (Ansible 2.14's "Re-using Ansible
// artifacts"): `roles:` entries and their meta dependencies, import_role
// (static, at load), include_role and include_tasks (dynamic: an item the
// runtime expands per host, engine/run/include.ts). Where a role is found and
// what its files hold is roles.ts. They live here because roles and tasks
// load each other (a role holds tasks, a task includes a role).

/** What a play collects while its roles are loaded. */
export interface PlayRoles {
  /** Roles already in the play, by path and params (Ansible runs each once unless allow_duplicates). */
  seen: Map<string, RoleInstance>;
  /** Every role of the play (roles:, dependencies, import_role): their defaults and vars are the play's. */
  roles: RoleInstance[];
  /** Handlers the roles bring (before the play's own, as Ansible orders them). */
  handlers: Task[];
  /** An include_role names its role with a template: its handlers are only known at run time. */
  dynamicHandlers: boolean;
}

/** What an include_tasks or include_role task includes, for the runtime (engine/run/include.ts). */
export interface IncludeSpec {
  kind: 'include_tasks' | 'include_role';
  /** The file or role name as written; a template is rendered per host at run time. */
  target: string;
  /** A name that is not a template is loaded (and checked) at load time: these are its items. */
  items?: Item[];
  /** include_role loaded at load time: the role. */
  role?: RoleInstance;
  /** include_role `public: true`: the role's defaults and vars stay visible after it ran. */
  public: boolean;
  /** `loop_control.loop_var` (default `item`). */
  loopVar: string;
  /** `apply:` keywords: a block around the included items (its `block` is empty here). */
  apply?: Block;
  /** `apply:` run_once / delegate_to, set on every included task that has none. */
  applyTask?: { runOnce?: boolean; delegateTo?: string };
  /** A bare `include:` (deprecated) run as include_tasks: --tags does not deselect it, as in Ansible (bare-include.ts). */
  bare?: boolean;
  /** Load a rendered name (cached per name): the items, the file (or role dir) included, the role. */
  load(name: string): Promise<{ items: Item[]; file: string; role?: RoleInstance; handlers?: Task[] }>;
}

export type IncludeKind = 'import_tasks' | 'include_tasks' | 'import_role' | 'include_role';

/** Is this task an import or include (by its short or ansible.builtin name)? */
export function includeKey(task: Raw): { kind: IncludeKind; key: string } | undefined {
  for (const kind of ['import_tasks', 'include_tasks', 'import_role', 'include_role'] as const) {
    for (const key of [kind, `ansible.builtin.${kind}`, `ansible.legacy.${kind}`]) if (key in task) return { kind, key };
  }
  return undefined;
}

/** Task keywords Ansible 2.14 accepts on include_tasks / include_role (TaskInclude's), and what tsplay does with them. */
const INCLUDE_KEYWORDS = ['name', 'when', 'loop', 'loop_control', 'vars', 'tags', 'ignore_errors', 'no_log', 'run_once', 'args'];
const INCLUDE_REFUSED: Record<string, string> = {
  register: 'registering an include is not supported by tsplay',
  timeout: 'timeout is not supported by tsplay',
  debugger: 'the debugger is not supported by tsplay',
  collections: 'the collections keyword is not supported by tsplay',
};

/** Keywords that apply to every task of an import (or of `apply:`), beside the block keywords. */
const TASK_ONLY_KEYWORDS = ['run_once', 'delegate_to'];

/** Copy items with run_once / delegate_to set on every task that does not set its own. */
export function withTaskKeywords(items: Item[], kw: { runOnce?: boolean; delegateTo?: string }): Item[] {
  if (kw.runOnce === undefined && kw.delegateTo === undefined) return items;
  return items.map((it): Item => it.kind === 'block'
    ? { ...it, block: withTaskKeywords(it.block, kw), rescue: withTaskKeywords(it.rescue, kw), always: withTaskKeywords(it.always, kw) }
    : { ...it, runOnce: it.runOnce || kw.runOnce === true, delegateTo: it.delegateTo ?? kw.delegateTo });
}

/**
 * Keywords that wrap imported items (import_tasks, import_role, `apply:`): the
 * block keywords become a block around them; run_once and delegate_to go on
 * each task. Anything else is refused.
 */
export function wrapperOf(doc: YamlDoc, p: PathSeg[], raw: Raw, what: string, ctx: LoadContext): { block: Block; task: { runOnce?: boolean; delegateTo?: string } } {
  const allowed = [...BLOCK_KEYWORDS.filter((k) => !['block', 'rescue', 'always'].includes(k)), ...TASK_ONLY_KEYWORDS];
  for (const k of Object.keys(raw)) {
    if (!allowed.includes(k)) throw errorAt(doc, [...p, k], `"${k}" is not supported with ${what} (it takes: ${allowed.join(', ')})`, true);
  }
  if ('when' in raw) checkExpressions(doc, [...p, 'when'], raw.when, 'condition');
  const kw = keywordsOf(doc, p, raw);
  checkExpressions(doc, p, { ...kw, when: undefined }, 'template');
  const block: Block = { kind: 'block', ...commonOf(kw, sourceIn(doc, p, ctx), ctx.role), block: [], rescue: [], always: [] };
  const runOnce = flagOf(block.src, 'run_once', kw.run_once);
  if (typeof runOnce === 'string') throw errorAt(doc, [...p, 'run_once'], `a templated run_once on ${what} is not supported by tsplay`, true);
  return { block, task: { runOnce, delegateTo: kw.delegate_to } };
}

interface RoleEntry {
  name: string;
  /** Keywords of the entry (when, tags, become, ...): a block around the role's items. */
  keywords: Raw;
  /** The entry's `vars:` (role vars, below vars/main). */
  vars: Raw;
  params: Raw;
}

/** A `roles:` item or a meta dependency: a name, or a mapping of role/name, keywords and params. */
function parseRoleEntry(doc: YamlDoc, p: PathSeg[], raw: unknown): RoleEntry {
  if (typeof raw === 'string') return { name: raw, keywords: {}, vars: {}, params: {} };
  if (!isMapping(raw)) throw errorAt(doc, p, 'a role is a name, or a mapping with "role:"');
  const nameKey = 'role' in raw ? 'role' : 'name' in raw ? 'name' : undefined;
  if (!nameKey || typeof raw[nameKey] !== 'string') throw errorAt(doc, p, 'a role entry needs "role: NAME"');
  const out: RoleEntry = { name: raw[nameKey], keywords: {}, vars: {}, params: {} };
  for (const [k, v] of Object.entries(raw)) {
    if (k === nameKey) continue;
    if (k === 'vars') {
      if (!isMapping(v)) throw errorAt(doc, [...p, k], 'vars: expected a mapping');
      out.vars = v;
    } else if (UNSUPPORTED_ROLE_KEYWORDS.includes(k)) {
      throw errorAt(doc, [...p, k], `"${k}" on a role is not supported by tsplay`, true);
    } else if ((BLOCK_KEYWORDS as readonly string[]).includes(k) && !['block', 'rescue', 'always', 'name'].includes(k)) {
      out.keywords[k] = v;
    } else {
      out.params[k] = v;
    }
  }
  if ('when' in out.keywords) checkExpressions(doc, [...p, 'when'], out.keywords.when, 'condition');
  return out;
}

interface RoleRequest {
  name: string;
  /** Where the role is named (errors point there). */
  doc: YamlDoc;
  at: PathSeg[];
  vars: Raw;
  params: Raw;
  tasksFrom?: string;
  varsFrom?: string;
  defaultsFrom?: string;
  handlersFrom?: string;
  /** The role whose meta names this one. */
  parent?: RoleInstance;
}

interface LoadedRole {
  role: RoleInstance;
  /** Dependencies' items, then the role's own tasks. */
  items: Item[];
  handlers: Task[];
  /** The role's meta says allow_duplicates. */
  allowDuplicates: boolean;
}

const META_KEYS = ['dependencies', 'allow_duplicates', 'galaxy_info'];

/** Find and read a role: meta dependencies (loaded first), defaults, vars, tasks, handlers. */
async function loadRole(req: RoleRequest, ctx: LoadContext): Promise<LoadedRole> {
  const { doc, at } = req;
  if (isTemplated(req.name)) throw errorAt(doc, at, `role name "${req.name}" is a template: only include_role takes a templated name`);
  if (isCollectionRole(req.name)) throw errorAt(doc, at, `role "${req.name}" is a collection role: collections are not supported by tsplay (put the role in roles/ beside the playbook, or on the roles path)`);
  const dirs = roleSearchDirs(ctx.playDir, ctx.rolesPath, req.parent?.path);
  const found = findRole(req.name, dirs, ctx.playDir);
  if ('searched' in found) throw errorAt(doc, at, `role "${req.name}" not found; looked in: ${found.searched.join(', ')}`);
  const path = found.dir;
  if (ctx.stack.includes(path)) throw errorAt(doc, at, `role dependency cycle: ${[...ctx.stack.filter((s) => !s.endsWith('.yml') && !s.endsWith('.yaml')), path].join(' -> ')}`);
  const rethrow = (e: unknown): never => {
    if (e instanceof LoadError && e.place) throw e;
    throw errorAt(doc, at, `role "${req.name}": ${e instanceof LoadError ? e.reason : (e as Error).message}`);
  };
  const named = (file: string | undefined, what: string, from: string | undefined): string | undefined => {
    if (!file && from) throw errorAt(doc, at, `role "${req.name}": ${what} file "${from}" not found in ${path}`);
    return file;
  };
  // meta/main: dependencies first, deduplicated across the play.
  const metaFile = roleFile(path, 'meta', 'main');
  let deps: unknown[] = [];
  let allowDuplicates = false;
  let metaDoc: YamlDoc | undefined;
  if (metaFile) {
    metaDoc = await loadYamlFile(metaFile).catch(rethrow);
    const meta = metaDoc.value ?? {};
    if (!isMapping(meta)) throw errorAt(metaDoc, [], 'meta/main: expected a mapping');
    for (const k of Object.keys(meta)) {
      if (!META_KEYS.includes(k)) throw errorAt(metaDoc, [k], `role meta "${k}" is not supported by tsplay (it reads: ${META_KEYS.join(', ')})`, true);
    }
    if (meta.dependencies !== undefined && meta.dependencies !== null && !Array.isArray(meta.dependencies)) throw errorAt(metaDoc, ['dependencies'], 'dependencies: expected a list of roles');
    deps = (meta.dependencies as unknown[] | undefined) ?? [];
    allowDuplicates = meta.allow_duplicates === true;
  }
  const defaults = await roleVarsFile(path, 'defaults', req.defaultsFrom ?? 'main').catch(rethrow);
  if (req.defaultsFrom) named(roleFile(path, 'defaults', req.defaultsFrom), 'defaults', req.defaultsFrom);
  const vars = await roleVarsFile(path, 'vars', req.varsFrom ?? 'main').catch(rethrow);
  if (req.varsFrom) named(roleFile(path, 'vars', req.varsFrom), 'vars', req.varsFrom);
  const role: RoleInstance = {
    name: roleNameOf(req.name), path, defaults: {}, vars: {}, params: req.params,
    parentDirs: req.parent ? [req.parent.path, ...req.parent.parentDirs] : [],
  };
  const depItems: Item[] = [];
  const depCtx: LoadContext = { ...ctx, stack: [...ctx.stack, path] };
  for (const [i, d] of deps.entries()) {
    const loaded = await roleEntryItems(metaDoc!, ['dependencies', i], d, depCtx, role);
    depItems.push(...loaded.items);
    // As Ansible's get_default_vars / get_vars: the dependencies' first, the role's own over them.
    Object.assign(role.defaults, loaded.role.defaults);
    Object.assign(role.vars, loaded.role.vars);
  }
  Object.assign(role.defaults, defaults.vars);
  Object.assign(role.vars, req.vars, vars.vars);
  const rctx: LoadContext = { ...ctx, role, roleDirs: [path, ...role.parentDirs], stack: [...ctx.stack, path] };
  const tasksFile = named(roleFile(path, 'tasks', req.tasksFrom ?? 'main'), 'tasks', req.tasksFrom);
  const items = tasksFile ? await loadTaskFile(doc, at, tasksFile, rctx) : [];
  const handlersFile = named(roleFile(path, 'handlers', req.handlersFrom ?? 'main'), 'handlers', req.handlersFrom);
  const handlers: Task[] = [];
  if (handlersFile) {
    const hdoc = await loadYamlFile(handlersFile).catch(rethrow);
    for (const h of await loadItems(hdoc, [], hdoc.value, { ...rctx, stack: [...rctx.stack, handlersFile] }, true)) {
      if (h.kind !== 'task') throw errorAt(h.src.doc, h.src.path, 'handlers cannot be blocks');
      // A role's handler also answers to "role : handler", as Ansible's.
      handlers.push({ ...h, listen: [...h.listen, ...(h.name ? [`${role.name} : ${h.name}`] : [])] });
    }
  }
  return { role, items: [...depItems, ...items], handlers, allowDuplicates };
}

/** Wrap a role's items in a block carrying the role and the entry's keywords. */
function roleBlock(doc: YamlDoc, at: PathSeg[], keywords: Raw, items: Item[], role: RoleInstance, ctx: LoadContext): Block {
  const kw = keywordsOf(doc, at, keywords);
  checkExpressions(doc, at, { ...kw, when: undefined }, 'template');
  return { kind: 'block', ...commonOf(kw, sourceIn(doc, at, ctx), role), block: items, rescue: [], always: [] };
}

/** A `roles:` entry or a dependency: the role once per play (same params), its items in a block. */
async function roleEntryItems(doc: YamlDoc, at: PathSeg[], raw: unknown, ctx: LoadContext, parent?: RoleInstance): Promise<{ items: Item[]; role: RoleInstance }> {
  const entry = parseRoleEntry(doc, at, raw);
  const loaded = await loadRole({ name: entry.name, doc, at, vars: entry.vars, params: entry.params, parent }, ctx);
  const pr = ctx.playRoles!;
  const key = `${loaded.role.path}\u0000${JSON.stringify(entry.params)}`;
  const seen = pr.seen.get(key);
  if (seen && !loaded.allowDuplicates) return { items: [], role: seen };
  pr.seen.set(key, loaded.role);
  pr.roles.push(loaded.role);
  pr.handlers.push(...loaded.handlers);
  return { items: [roleBlock(doc, at, entry.keywords, loaded.items, loaded.role, ctx)], role: loaded.role };
}

/** The play's `roles:` list, as items run before its tasks. */
export async function loadRoleEntries(doc: YamlDoc, at: PathSeg[], raw: unknown, ctx: LoadContext): Promise<Item[]> {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw errorAt(doc, at, 'roles: expected a list of roles');
  const out: Item[] = [];
  for (const [i, r] of raw.entries()) out.push(...(await roleEntryItems(doc, [...at, i], r, ctx)).items);
  return out;
}

const ROLE_ARGS = ['name', 'tasks_from', 'vars_from', 'defaults_from', 'handlers_from', 'allow_duplicates', 'rolespec_validate'];

interface RoleArgs { name: string; tasksFrom?: string; varsFrom?: string; defaultsFrom?: string; handlersFrom?: string; public: boolean; apply?: Raw }

function roleArgs(doc: YamlDoc, p: PathSeg[], raw: unknown, key: string, dynamic: boolean): RoleArgs {
  if (!isMapping(raw)) throw errorAt(doc, p, `${key} takes a mapping with "name:"`);
  const allowed = dynamic ? [...ROLE_ARGS, 'public', 'apply'] : ROLE_ARGS;
  for (const k of Object.keys(raw)) if (!allowed.includes(k)) throw errorAt(doc, [...p, k], `${key}: unknown option "${k}" (it takes: ${allowed.join(', ')})`, true);
  for (const k of ['name', 'tasks_from', 'vars_from', 'defaults_from', 'handlers_from']) {
    if (k in raw && typeof raw[k] !== 'string') throw errorAt(doc, [...p, k], `${key}: "${k}" must be a string`);
    if (k !== 'name' && typeof raw[k] === 'string' && isTemplated(raw[k])) throw errorAt(doc, [...p, k], `${key}: a templated "${k}" is not supported by tsplay`);
  }
  if (typeof raw.name !== 'string') throw errorAt(doc, p, `${key} needs "name:" (the role)`);
  if ('public' in raw && typeof raw.public !== 'boolean') throw errorAt(doc, [...p, 'public'], `${key}: "public" must be a boolean`);
  if ('allow_duplicates' in raw && typeof raw.allow_duplicates !== 'boolean') throw errorAt(doc, [...p, 'allow_duplicates'], `${key}: "allow_duplicates" must be a boolean`);
  if ('apply' in raw && !isMapping(raw.apply)) throw errorAt(doc, [...p, 'apply'], `${key}: "apply" takes a mapping of task keywords`);
  return {
    name: raw.name, tasksFrom: raw.tasks_from as string | undefined, varsFrom: raw.vars_from as string | undefined,
    defaultsFrom: raw.defaults_from as string | undefined, handlersFrom: raw.handlers_from as string | undefined,
    public: raw.public === true, apply: raw.apply as Raw | undefined,
  };
}

/** import_role: the role read at load time, its items in place; keywords apply to all of them. */
export async function loadImportRole(doc: YamlDoc, p: PathSeg[], task: Raw, key: string, ctx: LoadContext): Promise<Item> {
  const args = roleArgs(doc, [...p, key], task[key], key, false);
  const rest = Object.fromEntries(Object.entries(task).filter(([k]) => k !== key));
  const { block, task: taskKw } = wrapperOf(doc, p, rest, key, ctx);
  const loaded = await loadRole({ ...args, doc, at: [...p, key, 'name'], vars: {}, params: {}, parent: ctx.role }, ctx);
  const pr = ctx.playRoles!;
  pr.roles.push(loaded.role);
  pr.handlers.push(...loaded.handlers);
  return { ...block, role: loaded.role, block: [roleBlock(doc, p, {}, withTaskKeywords(loaded.items, taskKw), loaded.role, ctx)] };
}

/** The include task's own keywords (what Ansible's TaskInclude accepts and tsplay does). */
function includeTask(doc: YamlDoc, p: PathSeg[], task: Raw, key: string, ctx: LoadContext, args: Raw): Omit<Task, 'include'> {
  for (const k of Object.keys(task)) {
    if (k === key) continue;
    if (k in INCLUDE_REFUSED) throw errorAt(doc, [...p, k], `"${k}" on ${key}: ${INCLUDE_REFUSED[k]}`, true);
    if (k.startsWith('with_')) {
      const bad = badWithKey([k]);
      if (bad) throw errorAt(doc, [...p, k], bad.reason, true);
      continue;
    }
    if (!INCLUDE_KEYWORDS.includes(k)) {
      throw errorAt(doc, [...p, k], `"${k}" is not a keyword of ${key} (Ansible applies it to included tasks only through "apply:"; ${key} takes: ${INCLUDE_KEYWORDS.join(', ')})`, true);
    }
  }
  for (const k of ['when']) if (k in task) checkExpressions(doc, [...p, k], task[k], 'condition');
  const kw = keywordsOf(doc, p, task, key, 'args');
  checkExpressions(doc, p, { ...kw, when: undefined }, 'template');
  const lc = kw.loop_control ?? {};
  if (lc.pause !== undefined) throw errorAt(doc, [...p, 'loop_control', 'pause'], `loop_control.pause on ${key} is not supported by tsplay`, true);
  if (lc.index_var !== undefined) throw errorAt(doc, [...p, 'loop_control', 'index_var'], `loop_control.index_var on ${key} is not supported by tsplay`, true);
  return {
    kind: 'task', ...commonOf(kw, sourceIn(doc, p, ctx), ctx.role), action: key.replace(/^ansible\.(builtin|legacy)\./, ''), args,
    ...loopOf(kw, (k, msg) => { throw errorAt(doc, [...p, k], msg, true); }), notify: [], listen: [],
    runOnce: kw.run_once === true, when: conditionList(kw.when), tags: tagList(kw.tags),
  };
}

/** include_tasks: a task the runtime expands per host; a name that is not a template is loaded now. */
export async function loadIncludeTasks(doc: YamlDoc, p: PathSeg[], task: Raw, key: string, ctx: LoadContext): Promise<Task> {
  // `include_tasks: file.yml`, `include_tasks: {file: ..., apply: ...}`, or the file under `args:`.
  let raw = task[key];
  let at: PathSeg[] = [...p, key];
  if ((raw === null || raw === undefined) && isMapping(task.args)) {
    raw = task.args;
    at = [...p, 'args'];
  }
  const args: Raw = typeof raw === 'string' ? { file: raw } : isMapping(raw) ? raw : {};
  for (const k of Object.keys(args)) if (!['file', '_raw_params', 'apply'].includes(k)) throw errorAt(doc, [...at, k], `${key}: unknown option "${k}" (it takes: file, apply)`, true);
  const target = args.file ?? args._raw_params;
  if (typeof target !== 'string' || !target) throw errorAt(doc, at, `${key} takes a file name`);
  if (args.apply !== undefined && !isMapping(args.apply)) throw errorAt(doc, [...at, 'apply'], `${key}: "apply" takes a mapping of task keywords`);
  const base = includeTask(doc, p, task, key, ctx, { file: target });
  const apply = args.apply ? wrapperOf(doc, [...at, 'apply'], args.apply, `${key} apply`, ctx) : undefined;
  const loopVar = (isMapping(task.loop_control) && typeof task.loop_control.loop_var === 'string') ? task.loop_control.loop_var : 'item';
  const cache = new Map<string, Promise<{ items: Item[]; file: string }>>();
  const load = (name: string) => {
    let hit = cache.get(name);
    if (!hit) {
      hit = (async () => {
        const file = taskFileOf(doc, at, name, ctx);
        return { items: await loadTaskFile(doc, at, file, { ...ctx, dynamic: true }), file };
      })();
      cache.set(name, hit);
    }
    return hit;
  };
  const spec: IncludeSpec = { kind: 'include_tasks', target, public: false, loopVar, apply: apply?.block, applyTask: apply?.task, load };
  if (!isTemplated(target)) {
    // A file that does not exist can never be included: refused now.
    const file = taskFileOf(doc, at, target, ctx);
    if (!existsSync(file)) throw errorAt(doc, at, `file not found: ${file}`);
    try {
      spec.items = (await load(target)).items;
    } catch (e) {
      // As Ansible: include_tasks is read when a host reaches it, so a file that does not load
      // (one for another OS, with modules tsplay lacks) fails only a host that includes it,
      // with the same file:line:col (the cached rejection is raised again at run time).
      if (!(e instanceof LoadError)) throw e;
    }
  }
  return { ...base, include: spec };
}

/** include_role: a task the runtime expands per host; a role named without a template is read now. */
export async function loadIncludeRole(doc: YamlDoc, p: PathSeg[], task: Raw, key: string, ctx: LoadContext): Promise<Task> {
  const at: PathSeg[] = [...p, key];
  const args = roleArgs(doc, at, task[key], key, true);
  const base = includeTask(doc, p, task, key, ctx, { name: args.name });
  const apply = args.apply ? wrapperOf(doc, [...at, 'apply'], args.apply, `${key} apply`, ctx) : undefined;
  const loopVar = (isMapping(task.loop_control) && typeof task.loop_control.loop_var === 'string') ? task.loop_control.loop_var : 'item';
  const pr = ctx.playRoles;
  ctx = { ...ctx, dynamic: true };
  const cache = new Map<string, Promise<{ items: Item[]; file: string; role: RoleInstance; handlers?: Task[] }>>();
  const load = (name: string) => {
    let hit = cache.get(name);
    if (!hit) {
      hit = (async () => {
        const loaded = await loadRole({ ...args, name, doc, at: [...at, 'name'], vars: {}, params: {}, parent: ctx.role }, ctx);
        // A role first included at run time brings its handlers then (the runtime adds them to the play's).
        return { items: [roleBlock(doc, at, {}, loaded.items, loaded.role, ctx)], file: loaded.role.path, role: loaded.role, handlers: loaded.handlers };
      })();
      cache.set(name, hit);
    }
    return hit;
  };
  // Ansible prints an include_role without a name as "include_role : ROLE".
  if (base.name === undefined) base.name = `${key.replace(/^ansible\.(builtin|legacy)\./, '')} : ${args.name}`;
  const spec: IncludeSpec = { kind: 'include_role', target: args.name, public: args.public, loopVar, apply: apply?.block, applyTask: apply?.task, load };
  if (!isTemplated(args.name)) {
    const loaded = await loadRole({ ...args, doc, at: [...at, 'name'], vars: {}, params: {}, parent: ctx.role }, ctx);
    if (pr) pr.handlers.push(...loaded.handlers);
    const items = [roleBlock(doc, at, {}, loaded.items, loaded.role, ctx)];
    cache.set(args.name, Promise.resolve({ items, file: loaded.role.path, role: loaded.role }));
    spec.items = items;
    spec.role = loaded.role;
  } else if (pr) {
    pr.dynamicHandlers = true;
  }
  return { ...base, include: spec };
}
