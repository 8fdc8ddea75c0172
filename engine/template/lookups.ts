// Lookups: Ansible's lookup plugins that tsplay has, one table of name ->
// function from terms to a list (LOOKUPS). The same table serves
// `lookup()`/`query()`/`q()` in expressions (registered with the expression
// evaluator below) and the `with_<lookup>` loop keywords (engine/run/loop.ts).
// Lookups run on the controller, as Ansible's do, and read controller files
// through one search (findInSearchPath) over the task's search path.
// docs/playbooks.md "Lookups" is the user's view.

import { spawnSync } from 'node:child_process';
import { existsSync, opendirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, normalize } from 'node:path';
import { FilterError, getProp, setLookupHook, toBool, typeName } from './expression.js';
import { isTemplated, renderString } from './template.js';
import { noteUnsafeRead } from './unsafe.js';
import { fnmatchSource } from './fnmatch.js';

type Vars = Record<string, unknown>;

/** A lookup failed (Ansible's AnsibleLookupError and friends): `errors=` decides what happens. */
export class LookupError extends FilterError {}

/** A lookup called wrongly (unknown name or option) or an undefined variable: `errors=` does not hide it (as Ansible). */
export class LookupUsageError extends FilterError {}

export interface LookupRun {
  /** The terms: a lookup()'s positional arguments, or a with_ loop's rendered value made a list. */
  terms: unknown[];
  /** Keyword arguments other than wantlist/errors/allow_unsafe. */
  options: Record<string, unknown>;
  vars: Vars;
  /** Where first_found looks inside each search directory ('files', 'templates', 'vars'). */
  subdir: string;
  /** Warnings (Ansible prints them as [WARNING]). */
  warn: (msg: string) => void;
}

type Lookup = (run: LookupRun) => unknown[];

/** Lookups tsplay refuses, with the reason (refused at load, never ignored). */
export const REFUSED_LOOKUPS: Record<string, string> = {
  password: 'the password lookup creates and writes files on the controller; tsplay does not write controller files from templates. Generate the secret once and keep it in a vars file encrypted with ansible-vault or tsplay vault',
  random_choice: 'random_choice picks a different item on every run, so a run cannot be predicted or repeated; choose the item explicitly',
};

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One level of flattening, as Ansible's LookupBase._flatten. */
function flatten(terms: unknown[]): unknown[] {
  return terms.flatMap((t): unknown[] => (Array.isArray(t) ? t : [t]));
}

/** A term made a list, as listify_lookup_plugin_terms: a string or scalar becomes [it]. */
export function listify(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [v];
}

function noOptions(name: string, run: LookupRun): void {
  const extra = Object.keys(run.options);
  if (extra.length) throw new LookupUsageError(`lookup "${name}" takes no option ${extra.map((k) => `"${k}"`).join(', ')}`);
}

function onlyOptions(name: string, run: LookupRun, allowed: string[]): void {
  const extra = Object.keys(run.options).filter((k) => !allowed.includes(k));
  if (extra.length) throw new LookupUsageError(`lookup "${name}": unknown option ${extra.map((k) => `"${k}"`).join(', ')} (it takes ${allowed.join(', ')})`);
}

// ---------------------------------------------------------------- controller files

/** The task's search path (ansible_search_path) and the playbook directory, from its variables. */
export function searchPathOf(vars: Vars): { paths: string[]; baseDir: string } {
  const sp = getProp(vars, 'ansible_search_path');
  const pd = getProp(vars, 'playbook_dir');
  const baseDir = typeof pd === 'string' ? pd : process.cwd();
  const paths = Array.isArray(sp) ? sp.filter((p): p is string => typeof p === 'string') : [baseDir];
  return { paths, baseDir };
}

/**
 * Every place a relative controller file is looked for, in order, as Ansible's
 * path_dwim_relative_stack: for each search directory, `<dir>/<subdir>/<name>`
 * then `<dir>/<name>`; the playbook directory last. A name that already starts
 * with `<subdir>/` is not given the subdir again.
 */
export function searchCandidates(paths: string[], baseDir: string, subdir: string, name: string): string[] {
  const withSubdir = name.split('/')[0] !== subdir;
  const out: string[] = [];
  for (const dir of [...paths, baseDir]) {
    if (withSubdir) out.push(join(dir, subdir, name));
    out.push(join(dir, name));
  }
  return out;
}

/** A controller file by Ansible's search (absolute and `~` paths as they are); undefined when none exists. */
export function findInSearchPath(paths: string[], baseDir: string, subdir: string, name: string): string | undefined {
  if (name.startsWith('~')) name = homedir() + name.slice(1);
  if (isAbsolute(name)) return existsSync(name) ? normalize(name) : undefined;
  return searchCandidates(paths, baseDir, subdir, name).find((p) => existsSync(p));
}

function findFile(run: LookupRun, subdir: string, name: unknown): string | undefined {
  if (typeof name !== 'string') throw new FilterError(`expected a file name, got ${typeName(name)}`);
  const { paths, baseDir } = searchPathOf(run.vars);
  return findInSearchPath(paths, baseDir, subdir, name);
}

function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

/** Shell command on the controller, in the playbook directory (as Ansible's pipe and lines). */
function controllerCommand(name: string, term: unknown, run: LookupRun): string {
  const cmd = String(term);
  const r = spawnSync('/bin/sh', ['-c', cmd], { cwd: searchPathOf(run.vars).baseDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new FilterError(`lookup_plugin.${name}(${cmd}): ${r.error.message}`);
  if (r.status !== 0) throw new FilterError(`lookup_plugin.${name}(${cmd}) returned ${r.status ?? r.signal}`);
  return r.stdout;
}

// ---------------------------------------------------------------- sequence

/** One printf conversion (%d %i %s %x %X %o with flags and width), as Python's `%` with one value. */
export function formatOne(format: string, n: number): string {
  const m = /%([-+ 0#]*)(\d*)(?:\.(\d+))?([diouxXsrfeEgGc])/.exec(format);
  if (!m) throw new FilterError(`bad formatting string: ${format}`);
  const [whole, flags, width, precision, conv] = m;
  let body: string;
  const neg = n < 0;
  const abs = Math.abs(n);
  switch (conv) {
    case 'd': case 'i': case 'u': body = String(abs); break;
    case 'x': body = (flags.includes('#') ? '0x' : '') + abs.toString(16); break;
    case 'X': body = (flags.includes('#') ? '0X' : '') + abs.toString(16).toUpperCase(); break;
    case 'o': body = (flags.includes('#') ? '0o' : '') + abs.toString(8); break;
    case 's': case 'r': body = String(abs); break;
    case 'f': case 'F': body = abs.toFixed(precision === undefined ? 6 : Number(precision)); break;
    default: throw new FilterError(`problem formatting ${n} with ${JSON.stringify(format)}`);
  }
  const sign = neg ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
  const w = Number(width || 0);
  let out = sign + body;
  if (out.length < w) {
    if (flags.includes('-')) out = out.padEnd(w);
    else if (flags.includes('0') && conv !== 's' && conv !== 'r') out = sign + body.padStart(w - sign.length, '0');
    else out = out.padStart(w);
  }
  return format.replace(whole, () => out);
}

/** Python's int(x, 0): decimal, 0x hex, 0o/0 octal, 0b binary. */
function parseIntAuto(what: string, raw: string): number {
  const s = raw.trim().toLowerCase();
  let n = NaN;
  if (/^[+-]?\d+$/.test(s)) n = /^[+-]?0\d/.test(s) ? NaN : Number(s);
  else if (/^[+-]?0x[0-9a-f]+$/.test(s)) n = (s.startsWith('-') ? -1 : 1) * parseInt(s.replace(/^[+-]?0x/, ''), 16);
  else if (/^[+-]?0o[0-7]+$/.test(s)) n = (s.startsWith('-') ? -1 : 1) * parseInt(s.replace(/^[+-]?0o/, ''), 8);
  else if (/^[+-]?0b[01]+$/.test(s)) n = (s.startsWith('-') ? -1 : 1) * parseInt(s.replace(/^[+-]?0b/, ''), 2);
  if (Number.isNaN(n)) throw new FilterError(`can't parse ${what}=${raw} as integer`);
  return n;
}

/** `key=value key2="quoted value"` (the form with_sequence takes). */
function parseKeyValues(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\s*([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|'([^']*)'|\S*)/y;
  let i = 0;
  while (i < s.length) {
    if (/^\s*$/.test(s.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) throw new FilterError(`unrecognized arguments to with_sequence: ${JSON.stringify(s.slice(i).trim())}`);
    out[m[1]] = m[3] ?? m[4] ?? m[2];
    i = re.lastIndex;
  }
  return out;
}

const SEQUENCE_SHORTCUT = /^((0?x?[0-9a-f]+)-)?(0?x?[0-9a-f]+)(\/(0?x?[0-9a-f]+))?(:(.+))?$/i;

function sequenceOf(term: string): string[] {
  let start = 1;
  let end: number | undefined;
  let count: number | undefined;
  let stride = 1;
  let format = '%d';
  const m = SEQUENCE_SHORTCUT.exec(term);
  if (m) {
    if (m[2] !== undefined) start = parseIntAuto('start', m[2]);
    end = parseIntAuto('end', m[3]);
    if (m[5] !== undefined) stride = parseIntAuto('stride', m[5]);
    if (m[7] !== undefined) format = m[7];
  } else {
    const kv = parseKeyValues(term);
    for (const [k, v] of Object.entries(kv)) {
      if (k === 'start') start = parseIntAuto(k, v);
      else if (k === 'end') end = parseIntAuto(k, v);
      else if (k === 'count') count = parseIntAuto(k, v);
      else if (k === 'stride') stride = parseIntAuto(k, v);
      else if (k === 'format') format = v;
      else throw new FilterError(`unrecognized arguments to with_sequence: ['${k}']`);
    }
  }
  if (count === undefined && end === undefined) throw new FilterError('must specify count or end in with_sequence');
  if (count !== undefined && end !== undefined) throw new FilterError("can't specify both count and end in with_sequence");
  if (count !== undefined) {
    if (count !== 0) end = start + count * stride - 1;
    else start = end = stride = 0;
  }
  const last = end!;
  if (stride > 0 && last < start) throw new FilterError('to count backwards make stride negative');
  if (stride < 0 && last > start) throw new FilterError("to count forward don't make stride negative");
  if ((format.match(/%/g) ?? []).length !== 1) throw new FilterError(`bad formatting string: ${format}`);
  const out: string[] = [];
  if (stride === 0) return out;
  // Python's range(start, end + adjust, stride)
  const stop = last + (stride > 0 ? 1 : -1);
  for (let i = start; stride > 0 ? i < stop : i > stop; i += stride) out.push(formatOne(format, i));
  return out;
}

// ---------------------------------------------------------------- first_found

function splitOn(v: unknown, chars: string): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return v.split(new RegExp(`[${chars.replace(/[\\\]^-]/g, '\\$&')}]`));
  if (Array.isArray(v)) return v.flatMap((x) => splitOn(x, chars));
  return [typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v)];
}

const FIRST_FOUND_OPTIONS = ['files', 'paths', 'skip'];

function firstFound(run: LookupRun): unknown[] {
  let total: string[] = [];
  let skip = false;
  const visit = (terms: unknown[]): void => {
    for (const term of terms) {
      let opts: Record<string, unknown>;
      if (isMapping(term)) opts = term;
      else if (typeof term === 'string') opts = run.options;
      else if (Array.isArray(term)) {
        visit(term);
        continue;
      } else throw new LookupError(`Invalid term supplied, can handle string, mapping or list of strings but got: ${typeName(term)} for ${JSON.stringify(term)}`);
      const unknown = Object.keys(opts).filter((k) => !FIRST_FOUND_OPTIONS.includes(k));
      if (unknown.length) throw new LookupUsageError(`lookup "first_found": unknown option ${unknown.map((k) => `"${k}"`).join(', ')} (it takes files, paths, skip)`);
      skip = toBool(opts.skip ?? false);
      const files = splitOn(opts.files, ',;');
      const paths = splitOn(opts.paths, ',:;');
      if (paths.length) for (const p of paths) for (const f of files) total.push(join(p, f));
      else if (files.length) total = files; // as Ansible: files replaces what came before
      else if (typeof term === 'string') total.push(term);
    }
  };
  visit(run.terms);
  const { paths, baseDir } = searchPathOf(run.vars);
  for (let fn of total) {
    if (isTemplated(fn)) {
      try {
        fn = String(renderString(fn, run.vars));
      } catch {
        continue; // an undefined name: try the next candidate, as Ansible
      }
    }
    const found = findInSearchPath(paths, baseDir, run.subdir, fn);
    if (found !== undefined) return [found];
  }
  if (skip) return [];
  throw new LookupError('No file was found when using first_found.');
}

// ---------------------------------------------------------------- subelements

function subelements(run: LookupRun): unknown[] {
  noOptions('subelements', run);
  const terms = [...run.terms];
  const fail = (msg = '') => new LookupError(`subelements lookup expects a list of two or three items, ${msg}`);
  if (terms.length < 2 || terms.length > 3) throw fail();
  const [source, key, flags = {}] = terms;
  if (!(Array.isArray(source) || isMapping(source)) || typeof key !== 'string') throw fail('first a dict or a list, second a string pointing to the subkey');
  if (!isMapping(flags) || !Object.keys(flags).every((k) => k === 'skip_missing')) throw fail("the optional third item must be a dict with flags ['skip_missing']");
  let elements: unknown[];
  if (isMapping(source)) {
    if (source.skipped !== undefined && source.skipped !== false) return []; // a skipped registered result
    elements = Object.values(source);
  } else elements = source;
  const skipMissing = toBool(flags.skip_missing ?? false);
  const keys = key.split('.');
  const out: unknown[] = [];
  for (const el of elements) {
    if (!isMapping(el)) throw new LookupError(`subelements lookup expects a dictionary, got '${JSON.stringify(el)}'`);
    if (el.skipped !== undefined && el.skipped !== false) continue;
    // Ansible removes the subkey from the item it yields: item.0 has no `key` afterwards.
    const item0 = structuredClone(el);
    let sub: Record<string, unknown> = item0;
    let list: unknown[] = [];
    for (const [i, k] of keys.entries()) {
      const last = i === keys.length - 1;
      if (!Object.hasOwn(sub, k)) {
        if (skipMissing) continue;
        throw new LookupError(`could not find '${k}' key in iterated item '${JSON.stringify(sub)}'`);
      }
      const v = sub[k];
      if (!last) {
        if (!isMapping(v)) {
          if (skipMissing) continue;
          throw new LookupError(`the key ${k} should point to a dictionary, got '${JSON.stringify(v)}'`);
        }
        sub = v;
      } else {
        if (!Array.isArray(v)) throw new LookupError(`the key ${k} should point to a list, got '${JSON.stringify(v)}'`);
        list = v;
        delete sub[k];
      }
    }
    for (const x of list) out.push([item0, x]);
  }
  return out;
}

// ---------------------------------------------------------------- the table

function nested(name: string): Lookup {
  return (run) => {
    noOptions(name, run);
    if (!run.terms.length) throw new LookupError(`with_${name} requires at least one element in the nested list`);
    const lists = run.terms.map(listify);
    let acc: unknown[][] = lists[0].map((x): unknown[] => (Array.isArray(x) ? x : typeof x === 'string' ? [...x] : [x]));
    if (lists.length > 1) {
      acc = lists[0].map((x) => [x]);
      for (const next of lists.slice(1)) acc = acc.flatMap((a) => next.map((y) => flatten([...a, y])));
    }
    return acc.map((x) => flatten(x));
  };
}

export const LOOKUPS: Record<string, Lookup> = {
  items: (run) => {
    noOptions('items', run);
    return flatten(run.terms);
  },
  list: (run) => {
    noOptions('list', run);
    return run.terms;
  },
  dict: (run) => {
    noOptions('dict', run);
    return run.terms.flatMap((t) => {
      if (!isMapping(t)) throw new LookupError('with_dict expects a dict');
      return Object.keys(t).map((key) => ({ key, value: t[key] }));
    });
  },
  indexed_items: (run) => {
    noOptions('indexed_items', run);
    return flatten(run.terms).map((x, i) => [i, x]);
  },
  together: (run) => {
    noOptions('together', run);
    const lists = run.terms.map(listify);
    if (!lists.length) throw new LookupError('with_together requires at least one element in each list');
    const n = Math.max(...lists.map((l) => l.length));
    return Array.from({ length: n }, (_, i) => flatten(lists.map((l) => (i < l.length ? l[i] : null))));
  },
  nested: nested('nested'),
  // community.general's cartesian: the product of the lists (as nested).
  cartesian: nested('cartesian'),
  sequence: (run) => {
    noOptions('sequence', run);
    return run.terms.flatMap((t) => sequenceOf(String(t).trim()));
  },
  subelements,
  first_found: firstFound,
  fileglob: (run) => {
    noOptions('fileglob', run);
    const { paths, baseDir } = searchPathOf(run.vars);
    const out: string[] = [];
    for (const t of run.terms) {
      const term = String(t);
      const pattern = basename(term);
      const dirs: string[] = [];
      if (pattern !== term) {
        const d = findInSearchPath(paths, baseDir, 'files', dirname(term));
        if (d === undefined) run.warn(`Unable to find '${dirname(term)}' in expected paths`);
        else dirs.push(d);
      } else for (const p of paths) dirs.push(join(p, 'files'), p);
      for (const d of dirs) {
        const found = globIn(d, pattern);
        if (found.length) {
          out.push(...found);
          break;
        }
      }
    }
    return out;
  },
  file: (run) => {
    onlyOptions('file', run, ['lstrip', 'rstrip']);
    const lstrip = toBool(run.options.lstrip ?? false);
    const rstrip = toBool(run.options.rstrip ?? true);
    return run.terms.map((t) => {
      const p = findFile(run, 'files', t);
      if (p === undefined) {
        run.warn(`Unable to find '${String(t)}' in expected paths`);
        throw new FilterError(`could not locate file in lookup: ${String(t)}`);
      }
      let s = readText(p);
      if (lstrip) s = s.trimStart();
      if (rstrip) s = s.trimEnd();
      return s;
    });
  },
  template: (run) => {
    onlyOptions('template', run, ['template_vars']);
    const extra = run.options.template_vars ?? {};
    if (!isMapping(extra)) throw new FilterError(`lookup "template": template_vars must be a mapping, got ${typeName(extra)}`);
    return run.terms.map((t) => {
      const p = findFile(run, 'templates', t);
      if (p === undefined) throw new FilterError(`the template file ${String(t)} could not be found for the lookup`);
      const vars = Object.keys(extra).length ? layered(run.vars, extra) : run.vars;
      return String(renderString(readText(p), vars));
    });
  },
  env: (run) => {
    onlyOptions('env', run, ['default']);
    const dflt = run.options.default ?? '';
    return run.terms.map((t) => {
      const name = String(t).trim().split(/\s+/)[0];
      return process.env[name] ?? dflt;
    });
  },
  vars: (run) => {
    onlyOptions('vars', run, ['default']);
    return run.terms.map((t) => {
      if (typeof t !== 'string') throw new LookupError(`Invalid setting identifier, "${JSON.stringify(t)}" is not a string, its a ${typeName(t)}`);
      const v = getProp(run.vars, t);
      if (v !== undefined) return v;
      if (run.options.default !== undefined && run.options.default !== null) return run.options.default;
      throw new LookupUsageError(`No variable found with this name: ${t}`);
    });
  },
  pipe: (run) => {
    noOptions('pipe', run);
    return run.terms.map((t) => controllerCommand('pipe', t, run).trimEnd());
  },
  lines: (run) => {
    noOptions('lines', run);
    return run.terms.flatMap((t) => splitLines(controllerCommand('lines', t, run)));
  },
};

/** Python's bytes.splitlines (the lines lookup splits the command's raw output): at \n, \r and \r\n. */
function splitLines(s: string): string[] {
  const out = s.split(/\r\n|\n|\r/);
  if (out.length && out[out.length - 1] === '') out.pop();
  return out;
}

/** Variables with `extra` on top (template_vars), without reading every variable. */
function layered(vars: Vars, extra: Record<string, unknown>): Vars {
  const out = Object.create(vars) as Vars;
  for (const [k, v] of Object.entries(extra)) out[k] = v;
  return out;
}

/** Files in `dir` matching a shell glob (`*`, `?`, `[...]`), in directory order as Python's glob. */
function globIn(dir: string, pattern: string): string[] {
  // Directory order (opendir, not the sorted readdir), as Python's glob returns them.
  const names: string[] = [];
  try {
    const d = opendirSync(dir);
    try {
      for (let e = d.readSync(); e; e = d.readSync()) names.push(e.name);
    } finally {
      d.closeSync();
    }
  } catch {
    return [];
  }
  // As Python's glob: fnmatch, and a hidden name only for a pattern that starts with a dot.
  const re = new RegExp(fnmatchSource(pattern), 'u');
  return names
    .filter((n) => re.test(n) && !(n.startsWith('.') && !pattern.startsWith('.')))
    .map((n) => join(dir, n))
    .filter((p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    });
}

// ---------------------------------------------------------------- names

/** A lookup's short name: `ansible.builtin.file` is `file`; undefined for another collection. */
export function lookupName(name: string): string | undefined {
  if (name.startsWith('ansible.builtin.') || name.startsWith('ansible.legacy.')) return name.split('.').pop();
  if (name === 'community.general.cartesian') return 'cartesian';
  return name.includes('.') ? undefined : name;
}

/** Why a lookup name is not accepted (undefined: it is known). */
export function lookupProblem(name: string): string | undefined {
  const short = lookupName(name);
  if (short !== undefined && Object.hasOwn(LOOKUPS, short)) return undefined;
  if (short !== undefined && Object.hasOwn(REFUSED_LOOKUPS, short)) return `lookup "${name}" is refused: ${REFUSED_LOOKUPS[short]}`;
  return `unknown lookup "${name}" (tsplay has: ${Object.keys(LOOKUPS).join(', ')})`;
}

// ---------------------------------------------------------------- running

/** Where lookup warnings go (Ansible prints them as [WARNING]); the runner may redirect them. */
export const lookupWarnings = {
  sink: (msg: string): void => {
    process.stderr.write(`[WARNING]: ${msg}\n`);
  },
};

/** Run a lookup by name on terms: the list it returns. Errors are FilterError (LookupError when the lookup itself bailed). */
export function runLookupList(name: string, terms: unknown[], options: Record<string, unknown>, vars: Vars, subdir = 'files'): unknown[] {
  const problem = lookupProblem(name);
  if (problem) throw new LookupUsageError(problem);
  const fn = LOOKUPS[lookupName(name)!];
  return fn({ terms, options, vars, subdir, warn: (m) => lookupWarnings.sink(m) });
}

/**
 * `lookup(name, terms..., k=v)` / `query(...)` / `q(...)` as Ansible's templar:
 * wantlist (query always) returns the list; otherwise a list of strings is
 * joined with ",", a single non-string is itself, several are the list.
 * `errors='ignore'|'warn'` turn a failure into None ([] for a list).
 * What a lookup returns is data (Ansible marks it unsafe): never rendered again.
 */
export function callLookup(fn: string, name: unknown, terms: unknown[], kwargs: Record<string, unknown>, vars: Vars): unknown {
  if (typeof name !== 'string') throw new FilterError(`${fn}() takes the lookup's name first, got ${typeName(name)}`);
  const { wantlist: wl, errors = 'strict', allow_unsafe: allowUnsafe, ...options } = kwargs;
  const wantlist = fn !== 'lookup' || toBool(wl ?? false);
  if (errors !== 'strict' && errors !== 'warn' && errors !== 'ignore') throw new FilterError(`errors= takes 'strict', 'warn' or 'ignore', got ${JSON.stringify(errors)}`);
  let ran: unknown[];
  try {
    ran = runLookupList(name, terms, options, vars);
  } catch (e) {
    if (!(e instanceof FilterError) || e instanceof LookupUsageError || errors === 'strict') throw e;
    const msg = e instanceof LookupError
      ? `Lookup failed but the error is being ignored: ${e.message}`
      : `An unhandled exception occurred while running the lookup plugin '${name}'. Error was: ${e.message}`;
    if (errors === 'warn') lookupWarnings.sink(msg);
    return wantlist ? [] : null;
  }
  if (ran.length && !toBool(allowUnsafe ?? false)) noteUnsafeRead();
  if (wantlist || !ran.length) return ran;
  if (ran.every((x) => typeof x === 'string')) return ran.join(',');
  return ran.length === 1 ? ran[0] : ran;
}

setLookupHook({ check: lookupProblem, call: callLookup });
