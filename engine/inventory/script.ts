// Executable inventory sources (Ansible's `script` inventory plugin): a file
// that is executable and starts with "#!" (or is an ELF binary) is run with
// --list; its JSON gives groups ({hosts, vars, children}, a bare list of
// hosts, or the legacy {var: value} form), and `_meta.hostvars` the hosts'
// variables; without `_meta.hostvars` the script is run with --host NAME for
// every host. This file runs the script and checks the shape of what it prints;
// engine/inventory/inventory.ts adds the result to the inventory.
// docs/inventory.md, "Dynamic inventories".
//
// Where tsplay differs from Ansible, on purpose: a script that fails, prints
// something that is not an inventory, or runs past the time bound stops the
// load with an error naming the script (Ansible warns, tries to read the
// script as an INI file, and goes on without its hosts); a script gets no
// input (stdin is /dev/null) and is killed, with its process group, after
// TSPLAY_INVENTORY_SCRIPT_TIMEOUT seconds (default 300; Ansible waits forever).

import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { LoadError, snippetAt } from '../errors.js';
import { jsonSyntaxError } from './json-error.js';

export const SCRIPT_TIMEOUT_ENV = 'TSPLAY_INVENTORY_SCRIPT_TIMEOUT';
export const DEFAULT_SCRIPT_TIMEOUT_SECONDS = 300;

type Obj = Record<string, unknown>;

export interface ScriptGroup {
  name: string;
  hosts: string[];
  vars: Obj;
  children: string[];
}

export interface ScriptInventory {
  /** Groups in the order the script printed them (Ansible's order of add_group). */
  groups: ScriptGroup[];
  /** Every host named in a group, in first-seen order, with its variables. */
  hostVars: Map<string, Obj>;
  /** What the script wrote on stderr while succeeding (Ansible shows it too), one message per run that wrote any. */
  stderr: string[];
}

/** The time bound for one run of an inventory script, in milliseconds, from the environment. */
export function scriptTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[SCRIPT_TIMEOUT_ENV];
  if (raw === undefined || raw.trim() === '') return DEFAULT_SCRIPT_TIMEOUT_SECONDS * 1000;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    throw new LoadError(`${SCRIPT_TIMEOUT_ENV}=${JSON.stringify(raw)}: expected a positive number of seconds`);
  }
  return Math.round(n * 1000);
}

/**
 * Is this file an inventory script? As Ansible decides in practice: it must be
 * executable and be something the system can run (a "#!" line or an ELF
 * binary); an executable text file without "#!" cannot be run (Ansible's run
 * fails and it reads the file as YAML or INI), so it is data here too. A file
 * that starts with "#!" but is not executable is refused: Ansible would read
 * the script's text as an INI inventory.
 */
export async function isInventoryScript(file: string): Promise<boolean> {
  const head = Buffer.alloc(4);
  const fd = openSync(file, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  const shebang = n >= 2 && head[0] === 0x23 && head[1] === 0x21;
  const elf = n === 4 && head.toString('latin1') === '\x7fELF';
  if (!shebang && !elf) return false;
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    if (shebang) {
      throw new LoadError(`inventory ${file} starts with "#!" but is not executable: make it executable (chmod +x) to run it as an inventory script`, { file, line: 1, col: 1 });
    }
    return false;
  }
}

function describe(file: string, args: string[]): string {
  return `inventory script ${file} ${args.join(' ')}`;
}

function stderrPart(stderr: string): string {
  const s = stderr.trimEnd();
  return s === '' ? ' (no output on stderr)' : `; its stderr:\n${s}`;
}

/** Run the script once; resolves with its output when it exits 0, throws LoadError otherwise. */
export function runInventoryScript(file: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const what = describe(file, args);
    // Its own process group, so that a timeout ends what the script started too
    // (an `openstack` call that hangs); no stdin: it must not wait for input.
    const child = spawn(resolvePath(file), args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let done = false;
    const finish = (f: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      f();
    };
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      child.stdout.destroy();
      child.stderr.destroy();
      const stderr = Buffer.concat(err).toString('utf8');
      finish(() => reject(new LoadError(`${what} did not finish within ${timeoutMs / 1000} s and was stopped (the bound is ${SCRIPT_TIMEOUT_ENV}, in seconds, default ${DEFAULT_SCRIPT_TIMEOUT_SECONDS})${stderr.trim() ? stderrPart(stderr) : ''}`)));
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => finish(() => reject(new LoadError(`cannot run ${what}: ${e.message}`))));
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8');
      if (code !== 0) {
        const how = signal ? `was killed by ${signal}` : `failed with exit code ${code}`;
        finish(() => reject(new LoadError(`${what} ${how}${stderrPart(stderr)}`)));
        return;
      }
      const raw = Buffer.concat(out);
      let stdout: string;
      try {
        stdout = new TextDecoder('utf-8', { fatal: true }).decode(raw);
      } catch {
        finish(() => reject(new LoadError(`${what} printed bytes that are not UTF-8`)));
        return;
      }
      finish(() => resolve({ stdout, stderr }));
    });
  });
}

/** JSON.parse with an error that names the script, the line and column, and shows the place. */
export function parseScriptJson(file: string, args: string[], stdout: string, stderr = ''): unknown {
  try {
    return JSON.parse(stdout) as unknown;
  } catch (e) {
    const where = `${file} (output of ${args.join(' ')})`;
    const found = jsonSyntaxError(stdout);
    const tail = stderr.trim() ? `\nits stderr:\n${stderr.trimEnd()}` : '';
    if (!found) throw new LoadError(`${describe(file, args)} printed invalid JSON: ${(e as Error).message}${tail}`);
    const snippet = snippetAt(stdout, found.line, found.col) + tail;
    throw new LoadError(`${describe(file, args)} printed invalid JSON: ${found.reason}`, { file: where, line: found.line, col: found.col }, snippet);
  }
}

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function shapeError(file: string, reason: string): LoadError {
  return new LoadError(`inventory script ${file} --list: ${reason}`);
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/**
 * Read the JSON of `--list` as Ansible's script plugin reads it. Returns the
 * groups and, when `_meta.hostvars` is there, the host variables (hosts it
 * does not name get {}); without it, `hostvars` is undefined and the caller
 * asks --host for each host.
 */
export function parseScriptList(file: string, data: unknown): { groups: ScriptGroup[]; hosts: string[]; hostvars?: Obj } {
  if (!isObj(data)) throw shapeError(file, `expected a JSON object of groups (and "_meta"), found ${kind(data)}`);
  const groups: ScriptGroup[] = [];
  const hosts: string[] = [];
  const seen = new Set<string>();
  let hostvars: Obj | undefined;
  for (const [name, raw] of Object.entries(data)) {
    if (name === '_meta') {
      if (!isObj(raw)) throw shapeError(file, `"_meta" must be an object with "hostvars", found ${kind(raw)}`);
      if ('hostvars' in raw) {
        if (!isObj(raw.hostvars)) throw shapeError(file, `"_meta.hostvars" must be an object of host names to their variables, found ${kind(raw.hostvars)}`);
        hostvars = raw.hostvars;
      }
      continue;
    }
    let def: Obj;
    if (!isObj(raw)) def = { hosts: raw };
    else if (!('hosts' in raw) && !('vars' in raw) && !('children' in raw)) def = { hosts: [name], vars: raw }; // Ansible's legacy form: a host of the group's name with these variables
    else def = raw;
    const g: ScriptGroup = { name, hosts: [], vars: {}, children: [] };
    if ('hosts' in def) {
      if (!Array.isArray(def.hosts)) throw shapeError(file, `group "${name}": "hosts" must be a list of host names, found ${kind(def.hosts)}`);
      for (const h of def.hosts as unknown[]) {
        if (typeof h !== 'string' || h === '') throw shapeError(file, `group "${name}": host names must be non-empty strings, found ${kind(h)}`);
        g.hosts.push(h);
        if (!seen.has(h)) {
          seen.add(h);
          hosts.push(h);
        }
      }
    }
    if ('vars' in def) {
      if (!isObj(def.vars)) throw shapeError(file, `group "${name}": "vars" must be an object of variables, found ${kind(def.vars)}`);
      g.vars = def.vars;
    }
    if ('children' in def) {
      if (!Array.isArray(def.children)) throw shapeError(file, `group "${name}": "children" must be a list of group names, found ${kind(def.children)}`);
      for (const c of def.children as unknown[]) {
        if (typeof c !== 'string' || c === '') throw shapeError(file, `group "${name}": child group names must be non-empty strings, found ${kind(c)}`);
        g.children.push(c);
      }
    }
    groups.push(g);
  }
  if (hostvars) {
    for (const h of hosts) {
      const v = hostvars[h];
      if (v !== undefined && v !== null && !isObj(v)) throw shapeError(file, `"_meta.hostvars" of host "${h}" must be an object of variables, found ${kind(v)}`);
    }
  }
  return hostvars ? { groups, hosts, hostvars } : { groups, hosts };
}

/** Run an inventory script (--list, then --host per host when there is no _meta.hostvars) and read its inventory. */
export async function readInventoryScript(file: string, timeoutMs = scriptTimeoutMs()): Promise<ScriptInventory> {
  const stderr: string[] = [];
  const list = await runInventoryScript(file, ['--list'], timeoutMs);
  const noteStderr = (args: string[], text: string) => {
    if (text.trim()) stderr.push(`${describe(file, args)} wrote on stderr:\n${text.trimEnd()}`);
  };
  noteStderr(['--list'], list.stderr);
  const parsed = parseScriptList(file, parseScriptJson(file, ['--list'], list.stdout, list.stderr));
  const hostVars = new Map<string, Obj>();
  for (const h of parsed.hosts) {
    if (parsed.hostvars) {
      hostVars.set(h, (parsed.hostvars[h] as Obj | undefined) ?? {});
      continue;
    }
    // One host at a time, as Ansible does: a script may not expect to run twice at once.
    const args = ['--host', h];
    const r = await runInventoryScript(file, args, timeoutMs);
    noteStderr(args, r.stderr);
    // Ansible 2.14 fails on empty output here too (its check for it compares bytes with a string).
    if (r.stdout.trim() === '') throw new LoadError(`${describe(file, args)} printed nothing: expected a JSON object of the host's variables ({} for none)`);
    const v = parseScriptJson(file, args, r.stdout, r.stderr);
    if (!isObj(v)) throw new LoadError(`${describe(file, args)}: expected a JSON object of the host's variables, found ${kind(v)}`);
    hostVars.set(h, v);
  }
  return { groups: parsed.groups, hostVars, stderr };
}
