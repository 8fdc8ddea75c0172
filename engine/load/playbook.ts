// Loading playbooks: YAML with positions -> schema check (ajv) -> a typed tree of
// plays, blocks and tasks. Everything that can be checked before a host is
// touched is checked here, and every error names file:line:col.

import { dirname, resolve } from 'node:path';
import AjvModule from 'ajv';
import type { ErrorObject } from 'ajv';
import { LoadError, snippetAt, type Place } from '../errors.js';
import { loadYamlFile, type PathSeg, type YamlDoc } from './yaml.js';
import type { ModuleRegistry } from './registry.js';
import { BUILTIN_NAMES } from '../run/builtins/index.js';
import { isCollectionName, resolveActionName } from './module-names.js';
import { validateModuleArgs, describeAjvError } from './module-args.js';
import { PLAY_SCHEMA, TASK_KEYWORDS, BLOCK_KEYWORDS, BUILTIN_SCHEMAS, TASK_KEYWORD_SCHEMA } from './playbook-schema.js';
import type { RawPlay, RawTaskKeywords } from './playbook-schema.js';
import { parseCondition, ExpressionError } from '../template/expression.js';
import { checkTemplate, isTemplated, TemplateError } from '../template/template.js';
import { isUnsafe } from '../template/unsafe.js';
import { playGatherSubset } from './gather-subset.js';

const Ajv = AjvModule.default ?? AjvModule;
const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
const validatePlay = ajv.compile<RawPlay>(PLAY_SCHEMA);
const builtinValidators = Object.fromEntries(Object.entries(BUILTIN_SCHEMAS).map(([k, s]) => [k, ajv.compile(s)]));

/** Where a node came from, to report errors against it later. */
export interface Source {
  doc: YamlDoc;
  path: PathSeg[];
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
  become?: boolean;
  becomeUser?: string;
  environment?: Record<string, unknown> | string;
  checkMode?: boolean;
  noLog?: boolean;
  ignoreErrors?: boolean | string;
  src: Source;
}

export interface Task extends Common {
  kind: 'task';
  /** Module or built-in action name. */
  action: string;
  /** Arguments as written (templates not rendered yet). */
  args: Record<string, unknown>;
  loop?: unknown;
  loopLabel?: unknown;
  register?: string;
  notify: string[];
  changedWhen?: Array<string | boolean>;
  failedWhen?: Array<string | boolean>;
  retries?: number | string;
  until?: Array<string | boolean>;
  delay?: number | string;
  runOnce: boolean;
  delegateTo?: string;
  /** Handlers only: the name(s) it answers to. */
  listen: string[];
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
  varsFiles: string[];
  become?: boolean;
  becomeUser?: string;
  gatherFacts: boolean;
  /** gather_subset (Ansible's; checked at load). */
  gatherSubset?: string[];
  /** gather_timeout, seconds. */
  gatherTimeout?: number;
  serial?: Array<number | string>;
  maxFailPercentage?: number;
  anyErrorsFatal: boolean;
  checkMode?: boolean;
  /** no_log for every task of the play (a task or block may set it back to false). */
  noLog?: boolean;
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
}

type Raw = Record<string, unknown>;

/** A YAML mapping (not a list, not a scalar). */
function isMapping(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asList<T>(v: T | T[] | undefined): T[] {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
}

function conditionList(v: RawTaskKeywords['when']): Array<string | boolean> {
  return asList<unknown>(v).map((c) => (typeof c === 'boolean' ? c : String(c)));
}

function tagList(v: string | string[] | undefined): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  return v.map(String);
}

/** The keywords every task, block and import takes, from keywords the schema accepted. */
function commonOf(kw: RawTaskKeywords, src: Source) {
  return {
    name: kw.name === undefined ? undefined : String(kw.name),
    when: conditionList(kw.when),
    tags: tagList(kw.tags),
    vars: kw.vars ?? {},
    become: kw.become,
    becomeUser: kw.become_user,
    environment: kw.environment,
    checkMode: kw.check_mode,
    noLog: kw.no_log,
    ignoreErrors: kw.ignore_errors,
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

function errorAt(doc: YamlDoc, path: PathSeg[], msg: string, key = false): LoadError {
  const place = key ? doc.keyPlaceOf(path) : doc.placeOf(path);
  return new LoadError(msg, place, snippetAt(doc.source, place.line, place.col));
}

/** Check every condition and template in a task at load time (syntax only). */
function checkExpressions(doc: YamlDoc, path: PathSeg[], value: unknown, kind: 'template' | 'condition'): void {
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
}

async function loadItems(doc: YamlDoc, path: PathSeg[], raw: unknown, ctx: LoadContext, handler = false): Promise<Item[]> {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw errorAt(doc, path, 'expected a list of tasks');
  const out: Item[] = [];
  for (const [i, t] of raw.entries()) {
    const p = [...path, i];
    if (!isMapping(t)) throw errorAt(doc, p, 'a task must be a mapping (name: ..., module: {args})');
    const task = t;
    if ('import_tasks' in task || 'include_tasks' in task) {
      const key = 'import_tasks' in task ? 'import_tasks' : 'include_tasks';
      out.push(...(await importTasks(doc, p, task, key, ctx)));
      continue;
    }
    out.push(await loadItem(doc, p, task, ctx, handler));
  }
  return out;
}

async function importTasks(doc: YamlDoc, p: PathSeg[], task: Raw, key: string, ctx: LoadContext): Promise<Item[]> {
  for (const k of Object.keys(task)) {
    if (![key, 'name', 'when', 'tags', 'vars', 'become', 'become_user'].includes(k)) throw errorAt(doc, [...p, k], `"${k}" is not allowed with ${key}`, true);
  }
  const target = task[key];
  if (typeof target !== 'string') throw errorAt(doc, [...p, key], `${key} takes a file name`);
  if (isTemplated(target)) throw errorAt(doc, [...p, key], `${key} is static: its file name cannot be a template`);
  const file = resolve(dirname(doc.file), target);
  if (ctx.stack.includes(file)) throw errorAt(doc, [...p, key], `import cycle: ${[...ctx.stack, file].join(' -> ')}`);
  const sub = await loadYamlFile(file).catch((e: unknown) => {
    if (e instanceof LoadError && !e.place) throw errorAt(doc, [...p, key], e.reason);
    throw e;
  });
  const kw = keywordsOf(doc, p, task, key);
  const items = await loadItems(sub, [], sub.value, { ...ctx, stack: [...ctx.stack, file] });
  const when = conditionList(kw.when);
  const tags = tagList(kw.tags);
  if (!when.length && !tags.length && !kw.vars && kw.become === undefined) return items;
  // Like Ansible's static import: the import's when/tags/vars apply to every imported task.
  const wrapper: Block = {
    kind: 'block', name: kw.name, block: items, rescue: [], always: [],
    when, tags, vars: kw.vars ?? {}, become: kw.become, becomeUser: kw.become_user,
    src: { doc, path: p },
  };
  return [wrapper];
}

/**
 * A task's, block's or import's keywords (all keys but `except`), checked
 * against the task keyword schema: the typed view of them.
 */
function keywordsOf(doc: YamlDoc, p: PathSeg[], task: Raw, ...except: string[]): RawTaskKeywords {
  const kw: Raw = Object.fromEntries(Object.entries(task).filter(([k]) => !except.includes(k)));
  if (!validateTaskKeywords(kw)) throw schemaError(doc, p, validateTaskKeywords.errors ?? [], 'task');
  return kw;
}

async function loadItem(doc: YamlDoc, p: PathSeg[], task: Raw, ctx: LoadContext, handler: boolean): Promise<Item> {
  const unknownBlockKey = () => {
    if ('when' in task) checkExpressions(doc, [...p, 'when'], task.when, 'condition');
    return Object.keys(task).find((k) => !(BLOCK_KEYWORDS as readonly string[]).includes(k));
  };
  if ('block' in task) {
    const unknown = unknownBlockKey();
    if (unknown) throw errorAt(doc, [...p, unknown], `"${unknown}" is not a block keyword (a block takes: ${BLOCK_KEYWORDS.join(', ')})`, true);
    const base = commonOf(keywordsOf(doc, p, task, 'block', 'rescue', 'always'), { doc, path: p });
    return {
      kind: 'block', ...base,
      block: await loadItems(doc, [...p, 'block'], task.block, ctx),
      rescue: await loadItems(doc, [...p, 'rescue'], task.rescue, ctx),
      always: await loadItems(doc, [...p, 'always'], task.always, ctx),
    };
  }
  if ('rescue' in task || 'always' in task) throw errorAt(doc, p, '"rescue" and "always" belong to a block (add "block:")');
  for (const k of ['when', 'changed_when', 'failed_when', 'until']) if (k in task) checkExpressions(doc, [...p, k], task[k], 'condition');
  // Exactly one key that is not a task keyword: the action.
  const actions = Object.keys(task).filter((k) => !(TASK_KEYWORDS as readonly string[]).includes(k));
  if (actions.length === 0) throw errorAt(doc, p, `task has no action: add a module (${[...ctx.registry.keys()].sort().join(', ')}) or a built-in (${BUILTIN_NAMES.join(', ')})`);
  const known = (k: string) => ctx.registry.has(k) || BUILTIN_NAMES.includes(k);
  const unknownAction = actions.find((k) => resolveActionName(k, known) === undefined);
  if (unknownAction) {
    const all = [...ctx.registry.keys(), ...BUILTIN_NAMES].sort();
    if (isCollectionName(unknownAction)) {
      throw errorAt(doc, [...p, unknownAction], `module "${unknownAction}" is not available in tsplay; it has: ${all.join(', ')} (and their ansible.builtin / ansible.posix / community.general names, docs/playbooks.md)`, true);
    }
    const near = all.filter((k) => k.startsWith(unknownAction.slice(0, 3)));
    throw errorAt(doc, [...p, unknownAction], `unknown module or task keyword "${unknownAction}"${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; tsplay's modules and built-ins: ${all.join(', ')}`, true);
  }
  if (actions.length > 1) throw errorAt(doc, [...p, actions[1]], `a task has one action; found ${actions.map((a) => `"${a}"`).join(' and ')}`, true);
  // The key as written (an Ansible collection name stays the task's default name, as Ansible shows it).
  const actionKey = actions[0];
  const action = resolveActionName(actionKey, known)!;
  // Task keywords' types.
  const kwOnly = keywordsOf(doc, p, task, actionKey);
  const base = commonOf(kwOnly, { doc, path: p });
  if (actionKey !== action && base.name === undefined) base.name = actionKey;
  checkExpressions(doc, p, kwOnly, 'template');
  // Arguments: a mapping, or a free-form string where the module takes one.
  let rawArgs = task[actionKey];
  const def = ctx.registry.get(action);
  const argPath = [...p, actionKey];
  if (typeof rawArgs === 'string' || typeof rawArgs === 'number') {
    const freeForm = def?.freeForm ?? BUILTIN_FREE_FORM[action];
    if (!freeForm) throw errorAt(doc, argPath, `${action} takes a mapping of options, not a string`);
    rawArgs = { [freeForm]: String(rawArgs) };
  }
  if (rawArgs === null || rawArgs === undefined) rawArgs = {};
  if (!isMapping(rawArgs)) throw errorAt(doc, argPath, `${action} takes a mapping of options`);
  const args = rawArgs;
  checkExpressions(doc, argPath, args, 'template');
  if (def) {
    const copy = structuredClone(args);
    const errors = validateModuleArgs(def, copy).filter((e) => !onTemplatedValue(args, e.pointer));
    if (errors.length) {
      const e = errors[0];
      const segs = e.pointer.split('/').slice(1);
      const unknownKey = e.message.startsWith('unknown option');
      throw errorAt(doc, [...argPath, ...segs], `${action}: ${segs.length && !unknownKey ? `"${segs[segs.length - 1]}" ` : ''}${e.message}`, unknownKey);
    }
  } else if (action in builtinValidators) {
    const v = builtinValidators[action];
    if (!v(structuredClone(args))) throw schemaError(doc, argPath, v.errors ?? [], action);
    if (action === 'assert') checkExpressions(doc, [...argPath, 'that'], args.that, 'condition');
    if (action === 'readiness') {
      // The schema accepted it: checks is a list of mappings.
      const checks = Array.isArray(args.checks) ? args.checks.filter(isMapping) : [];
      for (const [i, c] of checks.entries()) checkExpressions(doc, [...argPath, 'checks', i, 'that'], c.that, 'condition');
    }
  }
  if (handler && !kwOnly.name && !kwOnly.listen) throw errorAt(doc, p, 'a handler needs a name (tasks notify it by name)');
  const loopControl = kwOnly.loop_control ?? {};
  const loop = 'loop' in kwOnly ? kwOnly.loop : 'with_items' in kwOnly ? kwOnly.with_items : undefined;
  return {
    kind: 'task', ...base, action, args,
    loop,
    loopLabel: loopControl.label,
    register: kwOnly.register,
    notify: asList(kwOnly.notify).map(String),
    changedWhen: kwOnly.changed_when === undefined ? undefined : conditionList(kwOnly.changed_when),
    failedWhen: kwOnly.failed_when === undefined ? undefined : conditionList(kwOnly.failed_when),
    retries: kwOnly.retries,
    until: kwOnly.until === undefined ? undefined : conditionList(kwOnly.until),
    delay: kwOnly.delay,
    runOnce: kwOnly.run_once === true,
    delegateTo: kwOnly.delegate_to,
    listen: asList(kwOnly.listen).map(String),
  };
}

const BUILTIN_FREE_FORM: Record<string, string> = { include_vars: 'file', fail: 'msg', meta: 'action', debug: 'msg' };

const validateTaskKeywords = ajv.compile<RawTaskKeywords>(TASK_KEYWORD_SCHEMA);

function normalizeSerial(v: RawPlay['serial']): Array<number | string> | undefined {
  if (v === undefined || v === null) return undefined;
  return asList(v);
}

export async function loadPlaybook(file: string, registry: ModuleRegistry): Promise<Playbook> {
  const abs = resolve(file);
  const doc = await loadYamlFile(abs).catch((e: unknown) => {
    if (e instanceof LoadError && !e.place) throw new LoadError(`${e.reason}`, { file, line: 0, col: 0 });
    throw e;
  });
  doc.file = file;
  const raw = doc.value;
  if (!Array.isArray(raw)) throw errorAt(doc, [], 'a playbook is a list of plays (each starting with "- hosts: ...")');
  const ctx: LoadContext = { registry, stack: [abs] };
  const plays: Play[] = [];
  for (const [i, rp] of raw.entries()) {
    const p = [i];
    if (!isMapping(rp)) throw errorAt(doc, p, 'a play must be a mapping with "hosts:"');
    if ('import_playbook' in rp) {
      const target = resolve(dirname(abs), String(rp.import_playbook));
      if (ctx.stack.includes(target)) throw errorAt(doc, [...p, 'import_playbook'], 'import cycle');
      plays.push(...(await loadPlaybook(target, registry)).plays);
      continue;
    }
    const play = rp;
    if (!validatePlay(play)) throw schemaError(doc, p, validatePlay.errors ?? [], 'play');
    checkExpressions(doc, [...p, 'hosts'], play.hosts, 'template');
    const handlers = await loadItems(doc, [...p, 'handlers'], play.handlers, ctx, true);
    const flatHandlers: Task[] = [];
    for (const h of handlers) {
      if (h.kind !== 'task') throw errorAt(h.src.doc, h.src.path, 'handlers cannot be blocks');
      flatHandlers.push(h);
    }
    const built: Play = {
      name: String(play.name ?? play.hosts),
      hosts: Array.isArray(play.hosts) ? play.hosts.join(':') : String(play.hosts),
      vars: play.vars ?? {},
      varsFiles: asList(play.vars_files).map(String),
      become: play.become,
      becomeUser: play.become_user,
      gatherFacts: play.gather_facts === undefined ? true : Boolean(play.gather_facts),
      gatherSubset: playGatherSubset(doc, p, play.gather_subset),
      gatherTimeout: play.gather_timeout,
      serial: normalizeSerial(play.serial),
      maxFailPercentage: play.max_fail_percentage,
      anyErrorsFatal: play.any_errors_fatal === true,
      checkMode: play.check_mode,
      noLog: play.no_log,
      tags: tagList(play.tags),
      environment: play.environment,
      preTasks: await loadItems(doc, [...p, 'pre_tasks'], play.pre_tasks, ctx),
      tasks: await loadItems(doc, [...p, 'tasks'], play.tasks, ctx),
      postTasks: await loadItems(doc, [...p, 'post_tasks'], play.post_tasks, ctx),
      handlers: flatHandlers,
      src: { doc, path: p },
      baseDir: dirname(abs),
    };
    // notify must name a handler of this play.
    const names = new Set(flatHandlers.flatMap((h) => [h.name ?? '', ...h.listen]));
    const checkNotify = (items: Item[]) => {
      for (const it of items) {
        if (it.kind === 'block') {
          checkNotify(it.block); checkNotify(it.rescue); checkNotify(it.always);
        } else {
          for (const [j, n] of it.notify.entries()) {
            // A list's item has its own place; a single string falls back to "notify".
            if (!names.has(n)) throw errorAt(it.src.doc, [...it.src.path, 'notify', j], `notify names "${n}", but this play has no handler of that name${names.size ? ` (handlers: ${[...names].filter(Boolean).join(', ')})` : ''}`);
          }
        }
      }
    };
    checkNotify(built.preTasks); checkNotify(built.tasks); checkNotify(built.postTasks); checkNotify(built.handlers);
    plays.push(built);
  }
  return { file, plays };
}
