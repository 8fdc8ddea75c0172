// Roles and includes as items of a play (Ansible 2.14's "Re-using Ansible
// artifacts"): `roles:` entries and their meta dependencies, import_role
// (static, at load), include_role and include_tasks (dynamic: an item the
// runtime expands per host, engine/run/include.ts). Where a role is found and
// what its files hold is roles.ts; tasks themselves are loaded by playbook.ts.

import { LoadError } from '../errors.js';
import type { PathSeg, YamlDoc } from './yaml.js';
import type { Block, Item, LoadContext, Task } from './playbook.js';
import { checkExpressions, commonOf, conditionList, errorAt, keywordsOf, loadItems, loadTaskFile, sourceIn, tagList, taskFileOf } from './playbook.js';
import { BLOCK_KEYWORDS } from './playbook-schema.js';
import { isTemplated } from '../template/template.js';
import {
  UNSUPPORTED_ROLE_KEYWORDS, findRole, isCollectionRole, roleFile, roleNameOf, roleSearchDirs, roleVarsFile, type RoleInstance,
} from './roles.js';
import { loadYamlFile } from './yaml.js';

type Raw = Record<string, unknown>;

function isMapping(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

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
const INCLUDE_KEYWORDS = ['name', 'when', 'loop', 'with_items', 'loop_control', 'vars', 'tags', 'ignore_errors', 'no_log', 'run_once', 'args'];
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
  return { block, task: { runOnce: kw.run_once, delegateTo: kw.delegate_to } };
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
    loop: 'loop' in kw ? kw.loop : kw.with_items, loopLabel: lc.label, notify: [], listen: [],
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
        return { items: await loadTaskFile(doc, at, file, ctx), file };
      })();
      cache.set(name, hit);
    }
    return hit;
  };
  const spec: IncludeSpec = { kind: 'include_tasks', target, public: false, loopVar, apply: apply?.block, applyTask: apply?.task, load };
  if (!isTemplated(target)) spec.items = (await load(target)).items;
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
