// Inventory: Ansible's YAML and INI formats, host ranges, host_vars/ and
// group_vars/ beside each source, several sources merged. The model keeps the
// variables of each level apart (inline, inventory-adjacent files,
// playbook-adjacent files) because Ansible's precedence tells them apart;
// engine/inventory/host-vars.ts combines them. docs/inventory.md is the user's view.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { isVaultText } from '../vault/format.js';
import { openVaultText } from '../vault/read.js';
import { loadVaultedVarsFile } from '../vault/vars-file.js';
import { basename, dirname, extname, join } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { ownValidator } from '../load/own-validators.js';
import { LoadError, snippetAt, type Place } from '../errors.js';
import { parseYaml, type PathSeg, type YamlDoc } from '../load/yaml.js';
import { groupHosts } from './patterns.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { hostVars, isLocalhostName } from './host-vars.js';
import type { Inventory, InventoryHost, InventoryGroup } from './model.js';
import { isInventoryScript, readInventoryScript, type ScriptInventory } from './script.js';
import { inventorySourcesIn } from './directory.js';

export { selectHosts, parsePattern, groupHosts } from './patterns.js';
export { hostVars, connectionSettings, mergeVarLayers, sortGroups, inventoryLayers, magicVars } from './host-vars.js';
export type { Inventory, InventoryHost, InventoryGroup } from './model.js';

// ---------------------------------------------------------------- model

export function emptyInventory(): Inventory {
  const inv: Inventory = { hosts: new Map(), groups: new Map(), sources: [], warnings: [] };
  ensureGroup(inv, 'all');
  ensureGroup(inv, 'ungrouped');
  link(inv, 'all', 'ungrouped');
  return inv;
}

function ensureGroup(inv: Inventory, name: string): InventoryGroup {
  let g = inv.groups.get(name);
  if (!g) {
    g = { name, hosts: [], children: [], vars: {}, parents: [], inlineVars: {}, fileVars: {}, playbookFileVars: {}, depth: 0, priority: 1 };
    inv.groups.set(name, g);
  }
  return g;
}

function ensureHost(inv: Inventory, name: string): InventoryHost {
  let h = inv.hosts.get(name);
  if (!h) {
    h = { name, vars: {}, groups: [], inlineVars: {}, fileVars: {}, playbookFileVars: {} };
    inv.hosts.set(name, h);
  }
  return h;
}

function addHostToGroup(inv: Inventory, group: string, host: string): void {
  const g = ensureGroup(inv, group);
  ensureHost(inv, host);
  if (!g.hosts.includes(host)) g.hosts.push(host);
}

function link(inv: Inventory, parent: string, child: string): void {
  const p = ensureGroup(inv, parent);
  const c = ensureGroup(inv, child);
  if (!p.children.includes(child)) p.children.push(child);
  if (!c.parents.includes(parent)) c.parents.push(parent);
}

/** Where each parent->child edge was written, for cycle errors. */
type EdgePlaces = Map<string, { place: Place; snippet?: string }>;
const edgeKey = (parent: string, child: string) => `${parent}\u0000${child}`;

interface LoadCtx {
  inv: Inventory;
  edges: EdgePlaces;
}

// ---------------------------------------------------------------- host names and ranges

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * Expand Ansible host ranges: node[1:3], node[01:10], db-[a:c], node[1:10:2];
 * several ranges in one name multiply. Throws Error(reason) on a bad range.
 */
export function expandHostRange(spec: string): string[] {
  const open = spec.indexOf('[');
  const close = spec.indexOf(']');
  if (open < 0 && close < 0) return [spec];
  if (close < 0) throw new Error(`unclosed "[" in host name "${spec}" (a range looks like node[1:10])`);
  if (open < 0 || close < open) throw new Error(`unbalanced "]" in host name "${spec}"`);
  const head = spec.slice(0, open);
  const body = spec.slice(open + 1, close);
  const tail = spec.slice(close + 1);
  const parts = body.split(':');
  if (parts.length < 2 || parts.length > 3) {
    throw new Error(`bad host range "[${body}]" in "${spec}": expected [start:end] or [start:end:step]`);
  }
  const [beg0, end, stepText] = parts.map((p) => p.trim());
  const beg = beg0 === '' ? '0' : beg0;
  let step = 1;
  if (stepText !== undefined) {
    if (!/^\d+$/.test(stepText) || Number(stepText) < 1) throw new Error(`bad step "${stepText}" in host range "[${body}]": expected a positive integer`);
    step = Number(stepText);
  }
  const items: string[] = [];
  if (/^\d+$/.test(beg) && /^\d+$/.test(end)) {
    const padded = beg.length > 1 && beg.startsWith('0');
    if (padded && beg.length !== end.length) {
      throw new Error(`bad host range "[${body}]": a zero-padded range needs start and end of the same width (e.g. [01:10])`);
    }
    const a = Number(beg);
    const b = Number(end);
    if (a > b) throw new Error(`bad host range "[${body}]": start ${a} is after end ${b}`);
    for (let i = a; i <= b; i += step) items.push(padded ? String(i).padStart(beg.length, '0') : String(i));
  } else if (/^[a-zA-Z]$/.test(beg) && /^[a-zA-Z]$/.test(end)) {
    const a = LETTERS.indexOf(beg);
    const b = LETTERS.indexOf(end);
    if (a > b) throw new Error(`bad host range "[${body}]": start "${beg}" is after end "${end}"`);
    for (let i = a; i <= b; i += step) items.push(LETTERS[i]);
  } else {
    throw new Error(`bad host range "[${body}]" in "${spec}": start and end must both be numbers or both single letters`);
  }
  const rest = expandHostRange(tail);
  const out: string[] = [];
  for (const item of items) for (const r of rest) out.push(head + item + r);
  return out;
}

/**
 * Split a host entry into name (possibly with ranges) and port:
 * "web1:2222", "[2001:db8::1]:2222", "2001:db8::1" (no port), "node[1:3]".
 */
export function parseHostEntry(spec: string): { name: string; port?: number; address?: boolean } {
  const v6 = /^\[([0-9a-fA-F:.]*:[0-9a-fA-F:.]*)\](?::(\d+))?$/.exec(spec);
  if (v6) return { name: v6[1], port: v6[2] !== undefined ? Number(v6[2]) : undefined, address: true };
  // colons outside [...] brackets
  const colons: number[] = [];
  let depth = 0;
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i];
    if (c === '[') depth++;
    else if (c === ']') depth = Math.max(0, depth - 1);
    else if (c === ':' && depth === 0) colons.push(i);
  }
  if (colons.length === 0) return { name: spec };
  if (colons.length > 1) return { name: spec, address: true }; // a bare IPv6 address
  const name = spec.slice(0, colons[0]);
  const port = spec.slice(colons[0] + 1);
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new Error(`bad port "${port}" in host "${spec}": expected host or host:port with a port from 1 to 65535`);
  }
  if (name === '') throw new Error(`empty host name in "${spec}"`);
  return { name, port: Number(port) };
}

/** Host entry -> host names (with the port as ansible_port). Throws Error(reason). */
function hostEntryNames(spec: string): { names: string[]; port?: number } {
  const trimmed = spec.trim();
  if (trimmed === '') throw new Error('empty host name');
  const { name, port, address } = parseHostEntry(trimmed);
  const names = address ? [name] : expandHostRange(name);
  return port === undefined ? { names } : { names, port };
}

// ---------------------------------------------------------------- YAML inventories

/** tsplay's inventory schema (schemas/inventory.schema.json, at the package root). */
export function inventorySchema(): object {
  return JSON.parse(readFileSync(join(PACKAGE_ROOT, 'schemas', 'inventory.schema.json'), 'utf8')) as object;
}

let validator: ValidateFunction | undefined;
function inventoryValidator(): ValidateFunction {
  // tsplay's own schema: precompiled by the build (engine/load/own-validators.ts)
  validator ??= ownValidator('document', inventorySchema());
  return validator;
}

function unpointer(instancePath: string): string[] {
  if (instancePath === '') return [];
  return instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `a ${typeof v} (${JSON.stringify(v)})`;
}

function valueAt(root: unknown, path: readonly PathSeg[]): unknown {
  let v: unknown = root;
  for (const seg of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[seg as string] : undefined;
  return v;
}

/** "group "web"", "hosts of group "web"", ... for a path inside a YAML inventory. */
function describePath(path: readonly string[]): { what: string; kind: 'root' | 'group' | 'hosts' | 'host' | 'vars' | 'children' | 'other'; group?: string } {
  if (path.length === 0) return { what: 'the inventory', kind: 'root' };
  let group = path[0];
  let i = 1;
  while (i < path.length) {
    const seg = path[i];
    if (seg === 'children' && i + 1 < path.length) {
      group = path[i + 1];
      i += 2;
      continue;
    }
    if (seg === 'children') return { what: `"children" of group "${group}"`, kind: 'children', group };
    if (seg === 'hosts' && i + 1 === path.length) return { what: `"hosts" of group "${group}"`, kind: 'hosts', group };
    if (seg === 'hosts') return { what: `host "${path[i + 1]}" in group "${group}"`, kind: 'host', group };
    if (seg === 'vars') return { what: `"vars" of group "${group}"`, kind: 'vars', group };
    return { what: `"${seg}" in group "${group}"`, kind: 'other', group };
  }
  return { what: `group "${group}"`, kind: 'group', group };
}

function schemaError(doc: YamlDoc, errors: ErrorObject[]): LoadError {
  // The deepest error explains the most.
  const sorted = [...errors].sort((a, b) => unpointer(b.instancePath).length - unpointer(a.instancePath).length);
  const e = sorted[0];
  const path = unpointer(e.instancePath);
  const found = valueAt(doc.value, path);
  let place: Place;
  let reason: string;
  if (e.keyword === 'additionalProperties') {
    const key = (e.params as { additionalProperty: string }).additionalProperty;
    const d = describePath(path);
    place = doc.keyPlaceOf([...path, key]);
    reason = `unknown key "${key}" in group "${d.group ?? path[0]}": expected hosts, vars or children` +
      (key.includes('.') || /\d/.test(key) ? ` (a host belongs under "hosts:")` : '');
  } else {
    const d = describePath(path);
    place = doc.placeOf(path);
    switch (d.kind) {
      case 'root':
        reason = `an inventory must be a mapping of group names (e.g. "all:"), found ${typeName(found)}`;
        break;
      case 'group':
        reason = `${d.what} must be a mapping with hosts, vars or children (or empty), found ${typeName(found)}`;
        break;
      case 'hosts':
        reason = `${d.what} must be a mapping of host names to their variables (write "hosts:\\n  web1:" rather than a list), found ${typeName(found)}`;
        break;
      case 'host':
        reason = `${d.what} must map to a mapping of variables or to nothing, found ${typeName(found)}`;
        break;
      case 'vars':
        reason = `${d.what} must be a mapping of variable names to values, found ${typeName(found)}`;
        break;
      case 'children':
        reason = `${d.what} must be a mapping of group names, found ${typeName(found)}`;
        break;
      default:
        reason = `${d.what}: ${e.message ?? e.keyword}`;
    }
  }
  return new LoadError(reason, place, snippetAt(doc.source, place.line, place.col));
}

type Obj = Record<string, unknown>;

function loadYamlInventory(ctx: LoadCtx, doc: YamlDoc): void {
  const v = inventoryValidator();
  if (doc.value === null || doc.value === undefined) return; // empty file: empty inventory
  if (!v(doc.value)) throw schemaError(doc, v.errors ?? []);
  const root = doc.value as Obj;
  const addGroup = (name: string, def: unknown, path: PathSeg[], parent?: string) => {
    ensureGroup(ctx.inv, name);
    if (parent !== undefined) {
      link(ctx.inv, parent, name);
      if (!ctx.edges.has(edgeKey(parent, name))) {
        const place = doc.keyPlaceOf(path);
        ctx.edges.set(edgeKey(parent, name), { place, snippet: snippetAt(doc.source, place.line, place.col) });
      }
    }
    if (def === null || def === undefined) return;
    const g = def as Obj;
    if (g.vars) Object.assign(ctx.inv.groups.get(name)!.inlineVars, g.vars as Obj);
    if (g.hosts) {
      for (const [spec, hv] of Object.entries(g.hosts as Obj)) {
        const keyPath = [...path, 'hosts', spec];
        let entry: { names: string[]; port?: number };
        try {
          entry = hostEntryNames(spec);
        } catch (e) {
          const place = doc.keyPlaceOf(keyPath);
          throw new LoadError((e as Error).message, place, snippetAt(doc.source, place.line, place.col));
        }
        for (const hn of entry.names) {
          addHostToGroup(ctx.inv, name, hn);
          const host = ctx.inv.hosts.get(hn)!;
          if (entry.port !== undefined) host.inlineVars.ansible_port = entry.port;
          if (hv) Object.assign(host.inlineVars, hv as Obj);
        }
      }
    }
    if (g.children) {
      for (const [child, cdef] of Object.entries(g.children as Obj)) addGroup(child, cdef, [...path, 'children', child], name);
    }
  };
  for (const [name, def] of Object.entries(root)) addGroup(name, def, [name]);
}

// ---------------------------------------------------------------- INI inventories

/**
 * A value from an INI inventory, read as Python's ast.literal_eval reads it
 * (Ansible's rule): 22 -> number, True/False -> boolean, None -> null,
 * '...'/"..." -> string, [..] (..) {..} -> list/dict; anything else stays the
 * literal string (so yes/no/true stay strings).
 */
export function parseIniValue(text: string): unknown {
  const p = new PyLiteral(text);
  try {
    p.ws();
    const v = p.value();
    p.ws();
    if (p.i !== text.length) return text;
    return v;
  } catch {
    return text;
  }
}

class PyLiteral {
  i = 0;
  constructor(readonly s: string) {}
  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }
  fail(): never {
    throw new Error('not a literal');
  }
  value(): unknown {
    const c = this.s[this.i];
    if (c === undefined) this.fail();
    if (c === '[' || c === '(') return this.seq(c === '[' ? ']' : ')');
    if (c === '{') return this.dict();
    if (c === '"' || c === "'") {
      let out = this.str();
      // adjacent literals concatenate
      for (;;) {
        const save = this.i;
        this.ws();
        if (this.s[this.i] === '"' || this.s[this.i] === "'") out += this.str();
        else {
          this.i = save;
          return out;
        }
      }
    }
    const m = /^(?:True|False|None)\b/.exec(this.s.slice(this.i));
    if (m) {
      this.i += m[0].length;
      return m[0] === 'True' ? true : m[0] === 'False' ? false : null;
    }
    return this.num();
  }
  num(): number {
    const rest = this.s.slice(this.i);
    const m = /^[-+]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][-+]?\d+)?|\d[\d_]*\.)/.exec(rest);
    if (!m) this.fail();
    let t = m[0].replace(/_/g, '');
    this.i += m[0].length;
    let sign = 1;
    if (t[0] === '-' || t[0] === '+') {
      if (t[0] === '-') sign = -1;
      t = t.slice(1);
    }
    let n: number;
    if (/^0[xX]/.test(t)) n = parseInt(t.slice(2), 16);
    else if (/^0[oO]/.test(t)) n = parseInt(t.slice(2), 8);
    else if (/^0[bB]/.test(t)) n = parseInt(t.slice(2), 2);
    else {
      if (/^0\d/.test(t) && !/[.eE]/.test(t)) this.fail(); // Python 3 rejects 0644
      n = Number(t);
    }
    if (Number.isNaN(n)) this.fail();
    return sign * n;
  }
  str(): string {
    const q = this.s[this.i++];
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i++];
      if (c === q) return out;
      if (c === '\\') {
        const n = this.s[this.i++];
        const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"' };
        out += n in map ? map[n] : '\\' + n;
      } else out += c;
    }
    return this.fail();
  }
  seq(close: string): unknown[] {
    this.i++;
    const out: unknown[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.i] === close) {
        this.i++;
        return out;
      }
      out.push(this.value());
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== close) this.fail();
    }
  }
  dict(): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    for (;;) {
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return out;
      }
      const k = this.value();
      if (k !== null && typeof k === 'object') this.fail();
      this.ws();
      if (this.s[this.i++] !== ':') this.fail();
      this.ws();
      out[String(k)] = this.value();
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== '}') this.fail();
    }
  }
}

/** shlex-like split of a host line: quotes, backslashes, '#' comments. Tokens carry their column. */
function splitHostLine(line: string): Array<{ text: string; col: number }> | string {
  const out: Array<{ text: string; col: number }> = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length || line[i] === '#') break;
    const col = i + 1;
    let tok = '';
    while (i < line.length && !/\s/.test(line[i])) {
      const c = line[i];
      if (c === "'" || c === '"') {
        const end = line.indexOf(c, i + 1);
        if (end < 0) return `unclosed quote ${c} at column ${i + 1}`;
        let inner = line.slice(i + 1, end);
        if (c === '"') inner = inner.replace(/\\(["\\$`])/g, '$1');
        tok += inner;
        i = end + 1;
      } else if (c === '\\' && i + 1 < line.length) {
        tok += line[i + 1];
        i += 2;
      } else {
        tok += c;
        i++;
      }
    }
    out.push({ text: tok, col });
  }
  return out;
}

function loadIniInventory(ctx: LoadCtx, source: string, file: string): void {
  const lines = source.split(/\r?\n/);
  const err = (lineNo: number, col: number, reason: string) =>
    new LoadError(reason, { file, line: lineNo, col }, snippetAt(source, lineNo, col));
  let group = 'ungrouped';
  let kind: 'hosts' | 'vars' | 'children' = 'hosts';
  const definedBefore = new Set(ctx.inv.groups.keys()); // from earlier sources
  const defined = new Set<string>(); // groups with a [name] or [name:children] section or a parent
  const varsSections: Array<{ group: string; line: number; col: number }> = [];
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n];
    const lineNo = n + 1;
    const line = raw.trim();
    const indent = raw.length - raw.trimStart().length;
    if (line === '' || line[0] === '#' || line[0] === ';') continue;
    if (line[0] === '[') {
      const m = /^\[([^:\]\s]+)(?::([^\]\s]*))?\]\s*(?:[#;].*)?$/.exec(line);
      if (!m) {
        throw err(lineNo, indent + 1, 'bad section header: expected [group], [group:vars] or [group:children]');
      }
      const [, name, k] = m;
      if (k === undefined || k === 'hosts') kind = 'hosts';
      else if (k === 'vars') kind = 'vars';
      else if (k === 'children') kind = 'children';
      else throw err(lineNo, indent + 2 + name.length + 1, `unknown section type ":${k}": expected :vars or :children`);
      group = name;
      if (kind === 'vars') varsSections.push({ group: name, line: lineNo, col: indent + 1 });
      else {
        ensureGroup(ctx.inv, name);
        defined.add(name);
      }
      continue;
    }
    if (kind === 'hosts') {
      const toks = splitHostLine(raw);
      if (typeof toks === 'string') throw err(lineNo, indent + 1, toks);
      if (toks.length === 0) continue;
      const [first, ...rest] = toks;
      let entry: { names: string[]; port?: number };
      try {
        entry = hostEntryNames(first.text);
      } catch (e) {
        throw err(lineNo, first.col, (e as Error).message);
      }
      const vars: Obj = {};
      for (const t of rest) {
        const eq = t.text.indexOf('=');
        if (eq <= 0) throw err(lineNo, t.col, `expected key=value after the host name, found "${t.text}"`);
        vars[t.text.slice(0, eq)] = parseIniValue(t.text.slice(eq + 1));
      }
      for (const hn of entry.names) {
        addHostToGroup(ctx.inv, group, hn);
        const host = ctx.inv.hosts.get(hn)!;
        if (entry.port !== undefined) host.inlineVars.ansible_port = entry.port;
        Object.assign(host.inlineVars, vars);
      }
    } else if (kind === 'vars') {
      const eq = line.indexOf('=');
      if (eq <= 0) throw err(lineNo, indent + 1, `expected key=value in [${group}:vars], found "${line}"`);
      const key = line.slice(0, eq).trim();
      const value = line.slice(eq + 1).replace(/\s+[#;].*$/, '').trim();
      Object.assign(ensureGroup(ctx.inv, group).inlineVars, { [key]: parseIniValue(value) });
    } else {
      const child = line.replace(/\s+[#;].*$/, '').trim();
      if (/\s/.test(child) || child.includes('[')) {
        throw err(lineNo, indent + 1, `expected one group name per line in [${group}:children], found "${line}"`);
      }
      ensureGroup(ctx.inv, child);
      defined.add(child);
      link(ctx.inv, group, child);
      if (!ctx.edges.has(edgeKey(group, child))) {
        ctx.edges.set(edgeKey(group, child), { place: { file, line: lineNo, col: indent + 1 }, snippet: snippetAt(source, lineNo, indent + 1) });
      }
    }
  }
  for (const s of varsSections) {
    if (!defined.has(s.group) && !definedBefore.has(s.group)) {
      throw err(s.line, s.col, `[${s.group}:vars] is for a group that is not defined: add a [${s.group}] or [${s.group}:children] section`);
    }
  }
}

// ---------------------------------------------------------------- sources

/** YAML or INI, by content: a [section] first line is INI; a YAML mapping is YAML. */
export function detectFormat(source: string, file: string): 'yaml' | 'ini' {
  const first = source.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#') && !l.startsWith(';'));
  if (first === undefined) return 'yaml';
  if (/^\[[^\]\s,]+\]\s*(?:[#;].*)?$/.test(first)) return 'ini';
  if (first === '---' || /^[^\s=]+:\s*(?:#.*)?$/.test(first) || /^\{/.test(first)) return 'yaml';
  // Ambiguous first line: a YAML mapping or list is YAML; a scalar ("web1 a=1") is INI.
  let value: unknown;
  try {
    value = parseYaml(source, file).value;
  } catch {
    return /\.(ya?ml|json)$/i.test(file) ? 'yaml' : 'ini'; // report YAML errors for .yml files
  }
  // A list is a (wrong) YAML inventory: let the schema say what is expected.
  return value !== null && typeof value === 'object' ? 'yaml' : 'ini';
}

function shownWarning(inv: Inventory, msg: string): void {
  inv.warnings.push(msg);
  (inv.shownWarnings ??= []).push(msg);
}

/** Add what an inventory script printed (engine/inventory/script.ts), as Ansible's script plugin adds it. */
function addScriptInventory(ctx: LoadCtx, data: ScriptInventory): void {
  for (const g of data.groups) {
    ensureGroup(ctx.inv, g.name);
    for (const h of g.hosts) addHostToGroup(ctx.inv, g.name, h);
    Object.assign(ctx.inv.groups.get(g.name)!.inlineVars, g.vars);
    for (const c of g.children) link(ctx.inv, g.name, c);
  }
  for (const [h, vars] of data.hostVars) Object.assign(ensureHost(ctx.inv, h).inlineVars, vars);
  for (const e of data.stderr) shownWarning(ctx.inv, e);
}

async function loadSourceFile(ctx: LoadCtx, file: string): Promise<void> {
  let script: boolean;
  try {
    script = await isInventoryScript(file);
  } catch (e) {
    if (e instanceof LoadError) throw e;
    throw new LoadError(`cannot read inventory ${file}: ${(e as Error).message}`);
  }
  if (script) {
    addScriptInventory(ctx, await readInventoryScript(file));
    return;
  }
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (e) {
    throw new LoadError(`cannot read inventory ${file}: ${(e as Error).message}`);
  }
  // Vault-encrypted: decrypted (engine/vault/read.ts); its host names are not secrets, so nothing is registered.
  source = openVaultText(source, file).text;
  if (detectFormat(source, file) === 'ini') loadIniInventory(ctx, source, file);
  else loadYamlInventory(ctx, parseYaml(source, file));
}

/**
 * Load and merge inventory sources (files, directories, or "h1,h2," host
 * lists). Hosts and groups combine; for the same variable a later source wins.
 */
export async function loadInventory(paths: string[]): Promise<Inventory> {
  const ctx: LoadCtx = { inv: emptyInventory(), edges: new Map() };
  const varsDirs: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      if (p.includes(',')) {
        // Ansible's host list: -i 'web1,web2,'
        for (const part of p.split(',').map((s) => s.trim()).filter(Boolean)) {
          let entry;
          try {
            entry = hostEntryNames(part);
          } catch (e) {
            throw new LoadError(`inventory host list "${p}": ${(e as Error).message}`);
          }
          for (const hn of entry.names) {
            addHostToGroup(ctx.inv, 'ungrouped', hn);
            if (entry.port !== undefined) ctx.inv.hosts.get(hn)!.inlineVars.ansible_port = entry.port;
          }
        }
        ctx.inv.sources.push(p);
        continue;
      }
      throw new LoadError(`inventory not found: ${p}`);
    }
    if (st.isDirectory()) {
      const found = await inventorySourcesIn(p);
      for (const f of found.skippedIni) shownWarning(ctx.inv, `${f}: skipped, as Ansible skips .ini files in an inventory directory (give it with its own -i to read it)`);
      for (const f of found.files) await loadSourceFile(ctx, f);
      if (!varsDirs.includes(p)) varsDirs.push(p);
    } else {
      await loadSourceFile(ctx, p);
      const d = dirname(p);
      if (!varsDirs.includes(d)) varsDirs.push(d);
    }
    ctx.inv.sources.push(p);
  }
  reconcile(ctx);
  for (const d of varsDirs) await loadVarsDir(ctx.inv, d, 'fileVars');
  refreshVars(ctx.inv);
  return ctx.inv;
}

/** Build an inventory from YAML or INI text (tests, `tsplay inventory` from stdin). */
export function inventoryFromText(source: string, file = '<inventory>'): Inventory {
  const ctx: LoadCtx = { inv: emptyInventory(), edges: new Map() };
  if (detectFormat(source, file) === 'ini') loadIniInventory(ctx, source, file);
  else loadYamlInventory(ctx, parseYaml(source, file));
  ctx.inv.sources.push(file);
  reconcile(ctx);
  refreshVars(ctx.inv);
  return ctx.inv;
}

// ---------------------------------------------------------------- after loading

function reconcile(ctx: LoadCtx): void {
  const { inv } = ctx;
  checkCycles(ctx);
  // every group without a parent hangs under all
  for (const g of inv.groups.values()) {
    if (g.name !== 'all' && g.parents.length === 0) link(inv, 'all', g.name);
  }
  computeDepths(inv);
  for (const g of inv.groups.values()) {
    const p = g.inlineVars.ansible_group_priority;
    g.priority = p === undefined ? 1 : Number(p);
    if (Number.isNaN(g.priority)) throw new LoadError(`group "${g.name}": ansible_group_priority must be a number, found ${JSON.stringify(p)}`);
  }
  computeHostGroups(inv);
}

function checkCycles(ctx: LoadCtx): void {
  const { inv } = ctx;
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 1);
    stack.push(name);
    for (const child of inv.groups.get(name)!.children) {
      const s = state.get(child);
      if (s === 1) {
        const cycle = [...stack.slice(stack.indexOf(child)), child];
        const edge = ctx.edges.get(edgeKey(name, child));
        throw new LoadError(`group "${child}" is its own ancestor: ${cycle.join(' -> ')} (children must not form a cycle)`, edge?.place, edge?.snippet);
      }
      if (s === undefined) visit(child);
    }
    stack.pop();
    state.set(name, 2);
  };
  for (const name of inv.groups.keys()) if (!state.has(name)) visit(name);
}

function computeDepths(inv: Inventory): void {
  for (const g of inv.groups.values()) g.depth = 0;
  const walk = (name: string, depth: number) => {
    const g = inv.groups.get(name)!;
    if (depth < g.depth) return;
    g.depth = depth;
    for (const c of g.children) walk(c, depth + 1);
  };
  walk('all', 0);
}

function computeHostGroups(inv: Inventory): void {
  const ungrouped = inv.groups.get('ungrouped')!;
  const direct = new Map<string, Set<string>>();
  for (const g of inv.groups.values()) {
    for (const h of g.hosts) {
      if (!direct.has(h)) direct.set(h, new Set());
      direct.get(h)!.add(g.name);
    }
  }
  // 'ungrouped' holds exactly the hosts whose only group is all
  for (const h of inv.hosts.keys()) {
    const d = direct.get(h) ?? new Set();
    const others = [...d].filter((g) => g !== 'all' && g !== 'ungrouped');
    if (others.length > 0 && d.has('ungrouped')) {
      ungrouped.hosts = ungrouped.hosts.filter((x) => x !== h);
      d.delete('ungrouped');
    } else if (others.length === 0 && !d.has('ungrouped')) {
      ungrouped.hosts.push(h);
      d.add('ungrouped');
    }
    direct.set(h, d);
  }
  const order = [...inv.groups.keys()];
  for (const h of inv.hosts.values()) {
    const all = new Set<string>();
    const up = (g: string) => {
      if (all.has(g)) return;
      all.add(g);
      for (const p of inv.groups.get(g)!.parents) up(p);
    };
    for (const g of direct.get(h.name) ?? []) up(g);
    all.add('all');
    h.groups = order.filter((g) => all.has(g));
  }
}

function refreshVars(inv: Inventory): void {
  for (const g of inv.groups.values()) g.vars = { ...g.inlineVars, ...g.fileVars };
  for (const h of inv.hosts.values()) h.vars = { ...h.inlineVars, ...h.fileVars };
}

// ---------------------------------------------------------------- group_vars/ and host_vars/

const VARS_EXTS = ['', '.yml', '.yaml', '.json'];

async function exists(p: string): Promise<'file' | 'dir' | undefined> {
  try {
    const s = statSync(p);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

async function varsFilesInDir(dir: string): Promise<string[]> {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name.endsWith('~')) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await varsFilesInDir(full)));
    else if (e.isFile() && VARS_EXTS.includes(extname(e.name))) out.push(full);
  }
  return out;
}

/**
 * The files holding the variables of NAME in a group_vars/ or host_vars/ dir,
 * as Ansible finds them: the first of NAME, NAME.yml, NAME.yaml, NAME.json;
 * a directory contributes all its vars files (recursively) in name order.
 */
export async function varsFilesFor(dir: string, name: string): Promise<string[]> {
  for (const ext of VARS_EXTS) {
    const p = join(dir, name + ext);
    const kind = await exists(p);
    if (kind === 'dir') return varsFilesInDir(p);
    if (kind === 'file') return [p];
  }
  return [];
}

/** Read one vars file: a YAML (or JSON) mapping; empty is {}. */
export async function loadVarsFile(file: string): Promise<Record<string, unknown>> {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (e) {
    throw new LoadError(`cannot read vars file ${file}: ${(e as Error).message}`);
  }
  // Vault-encrypted: decrypted, its values kept out of reports (engine/vault/vars-file.ts).
  if (isVaultText(source)) return loadVaultedVarsFile(source, file);
  const doc = parseYaml(source, file);
  if (doc.value === null || doc.value === undefined) return {};
  if (typeof doc.value !== 'object' || Array.isArray(doc.value)) {
    const place = doc.placeOf([]);
    throw new LoadError(`a vars file must be a mapping of variable names to values, found ${typeName(doc.value)}`, place, snippetAt(source, place.line, place.col));
  }
  return doc.value as Record<string, unknown>;
}

async function loadVarsDir(inv: Inventory, dir: string, field: 'fileVars' | 'playbookFileVars'): Promise<void> {
  const gdir = join(dir, 'group_vars');
  const hdir = join(dir, 'host_vars');
  if ((await exists(gdir)) === 'dir') {
    for (const g of inv.groups.values()) {
      for (const f of await varsFilesFor(gdir, g.name)) Object.assign(g[field], await loadVarsFile(f));
    }
    await noteUnknown(inv, gdir, (n) => inv.groups.has(n), 'group');
  }
  if ((await exists(hdir)) === 'dir') {
    for (const h of inv.hosts.values()) {
      for (const f of await varsFilesFor(hdir, h.name)) Object.assign(h[field], await loadVarsFile(f));
    }
    await noteUnknown(inv, hdir, (n) => inv.hosts.has(n), 'host');
  }
}

async function noteUnknown(inv: Inventory, dir: string, known: (n: string) => boolean, what: string): Promise<void> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const ext = extname(e.name);
    const name = e.isFile() && VARS_EXTS.includes(ext) && ext !== '' ? basename(e.name, ext) : e.name;
    if (!known(name) && !known(e.name)) inv.warnings.push(`${join(dir, e.name)}: no ${what} named "${name}" in the inventory; its variables are not used`);
  }
}

/**
 * group_vars/ and host_vars/ beside a playbook: they sit above the
 * inventory's own files in Ansible's precedence (docs/inventory.md).
 */
export async function loadPlaybookVarsDir(inv: Inventory, dir: string): Promise<void> {
  await loadVarsDir(inv, dir, 'playbookFileVars');
}

// ---------------------------------------------------------------- views

/** Ansible's `group_names`: the host's groups except 'all', sorted ('ungrouped' stays, as in Ansible). */
export function groupNamesOf(inv: Inventory, host: string): string[] {
  const h = inv.hosts.get(host);
  if (!h) return [];
  return h.groups.filter((g) => g !== 'all').sort();
}

/** Ansible's `groups` magic variable: every group (incl. all, ungrouped) -> its hosts incl. descendants'. */
export function groupsMap(inv: Inventory): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const g of inv.groups.keys()) out[g] = groupHosts(inv, g);
  return out;
}

/** `ansible-inventory --list` shape: _meta.hostvars (hosts with variables), then groups with hosts/children (empty keys and groups left out). */
export function inventoryList(inv: Inventory): Record<string, unknown> {
  const hostvars: Record<string, unknown> = {};
  for (const h of inv.hosts.keys()) {
    const vars = hostVars(inv, h);
    if (Object.keys(vars).length) hostvars[h] = vars; // as ansible-inventory: a host without variables is left out
  }
  const out: Record<string, unknown> = { _meta: { hostvars } };
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const g = inv.groups.get(name)!;
    const entry: Record<string, unknown> = {};
    if (name !== 'all' && g.hosts.length) entry.hosts = [...g.hosts];
    if (g.children.length) entry.children = [...g.children];
    if (Object.keys(entry).length) out[name] = entry;
    for (const c of g.children) visit(c);
  };
  visit('all');
  return out;
}

/** `ansible-inventory --graph [group]`: the @group: tree, child groups then hosts, each sorted by name. */
export function inventoryGraph(inv: Inventory, group = 'all'): string {
  if (!inv.groups.has(group)) throw new LoadError(`no group named "${group}" in the inventory`);
  const lines: string[] = [];
  const prefix = (depth: number) => (depth ? '  |'.repeat(depth) + '--' : '');
  const walk = (name: string, depth: number) => {
    const g = inv.groups.get(name)!;
    lines.push(`${prefix(depth)}@${name}:`);
    for (const c of [...g.children].sort()) walk(c, depth + 1);
    if (name !== 'all') for (const h of [...g.hosts].sort()) lines.push(prefix(depth + 1) + h);
  };
  walk(group, 0);
  return lines.join('\n');
}

/** Is `name` an implicit localhost (not in the inventory, but a localhost name)? */
export function isImplicitLocalhost(inv: Inventory, name: string): boolean {
  return !inv.hosts.has(name) && isLocalhostName(name);
}
