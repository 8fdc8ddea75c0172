// sysctl: one kernel parameter in a sysctl file (and optionally in the running
// kernel), as ansible.posix.sysctl does it on Linux: the file is read as
// key=value lines and, when it must change, rewritten whole (every line
// stripped, each key once as `key=value`, comments kept); `sysctl -w` with
// sysctl_set; `sysctl -p FILE` when something changed and reload is on.
//
// The kernel's value is read from /proc/sys/<key with / for .> (what `sysctl -n`
// prints) through the fileContent fact, so --check sees what an earlier task's
// `sysctl -w` or reload would have set: this module predicts that file's content.
// Differences in docs/modules/sysctl.md.

import { posix } from 'node:path';
import { defineModule, ModuleError } from '../engine/module-api.js';
import type { FileState, Plan, Prediction, Step } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import { fileContent } from '../engine/facts/file.js';
import { contentDiff, requireEditableText, writeExpectation } from './lib/file-content.js';
import { pySplit, pyStrip } from './lib/py-strip.js';
import { resolveLink } from './stat.js';

const schema = S.object({
  name: S.string({ description: 'the key, e.g. net.ipv4.ip_forward (dots or slashes as separators)' }),
  key: S.string({ description: 'alias of name' }),
  value: S.types(['string', 'number', 'boolean'], { description: 'its value; yes/no/true/false/on/off become 1/0 as in Ansible; required for state present' }),
  val: S.types(['string', 'number', 'boolean'], { description: 'alias of value' }),
  state: S.enum(['present', 'absent'], { default: 'present', description: 'whether the key is in sysctl_file' }),
  reload: S.boolean({ default: true, description: 'run sysctl -p sysctl_file when something changed (also when only the kernel\'s value differs)' }),
  sysctl_set: S.boolean({ default: false, description: 'also set the running kernel\'s value with sysctl -w when it differs' }),
  ignoreerrors: S.boolean({ default: false, description: 'pass -e to sysctl (unknown keys are not an error)' }),
  sysctl_file: S.string({ pattern: '^/', default: '/etc/sysctl.conf', description: 'the file the key is written to' }),
}, { additionalProperties: false, anyOf: [{ required: ['name'] }, { required: ['key'] }] });

export type SysctlArgs = Static<typeof schema>;

export interface SysctlState {
  file: FileState;
  /** What `file`'s chain of symlinks ends at, when it is a link (Ansible reads through it and replaces the link). */
  target?: FileState;
  /** /proc/sys/...: the kernel's current value (absent: the key does not exist or cannot be read). */
  proc: FileState;
}

const MAX_LINKS = 40;

const TRUE = new Set(['y', 'yes', 'on', '1', 'true', 't']);
const FALSE = new Set(['n', 'no', 'off', '0', 'false', 'f']);

/** Ansible's _parse_value: booleans and their words become 1/0, strings are stripped. */
export function parseValue(v: string | number | boolean | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'boolean') return v ? '1' : '0';
  const s = String(v);
  if (TRUE.has(s.toLowerCase())) return '1';
  if (FALSE.has(s.toLowerCase())) return '0';
  return pyStrip(s);
}

function keyName(args: SysctlArgs): string {
  const name = pyStrip(args.name ?? args.key ?? '');
  if (name === '') throw new ModuleError('name cannot be blank');
  // the name reaches sysctl's argv and names a path under /proc/sys
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.:@+/-]*$/.test(name) || name.split(/[./]/).some((p) => p === '' || p === '..')) {
    throw new ModuleError(`name ${JSON.stringify(name)} is not a sysctl key (letters, digits, _ : @ + -, separated by . or /)`);
  }
  return name;
}

/** Where the kernel shows a key: dots are separators unless the name uses slashes (as sysctl reads it). */
export function procPath(name: string): string {
  return posix.join('/proc/sys', name.includes('/') ? name : name.split('.').join('/'));
}

function wantedValue(args: SysctlArgs): string {
  return parseValue(args.value ?? args.val);
}

/** Ansible's _values_is_equal: the same whitespace-separated words. */
function sameWords(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = pySplit(a);
  const y = pySplit(b);
  return x.length === y.length && x.every((w, i) => w === y[i]);
}

const isComment = (l: string) => l === '' || l.startsWith('#') || l.startsWith(';') || !l.includes('=');

/** The file's lines as Ansible reads them (stripped) and the last value of each key. */
export function readSysctlFile(text: string): { lines: string[]; values: Map<string, string> } {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  const stripped = lines.map(pyStrip);
  const values = new Map<string, string>();
  for (const l of stripped) {
    if (isComment(l)) continue;
    const eq = l.indexOf('=');
    values.set(pyStrip(l.slice(0, eq)), pyStrip(l.slice(eq + 1)));
  }
  return { lines: stripped, values };
}

/** Ansible's fix_lines + write_sysctl: each key once (its first line), ours set or removed, every line stripped. */
export function fixLines(lines: string[], name: string, value: string, present: boolean): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const l of lines) {
    if (isComment(l)) {
      out.push(l);
      continue;
    }
    const eq = l.indexOf('=');
    const k = pyStrip(l.slice(0, eq));
    const v = pyStrip(l.slice(eq + 1));
    if (seen.has(k)) continue;
    seen.add(k);
    if (k !== name) out.push(`${k}=${v}`);
    else if (present) out.push(`${k}=${value}`);
  }
  if (!seen.has(name) && present) out.push(`${name}=${value}`);
  return out.map((l) => `${pyStrip(l)}\n`).join('');
}

export default defineModule<typeof schema, SysctlState>({
  name: 'sysctl',
  description: 'Set a kernel parameter in a sysctl file and optionally in the running kernel',
  schema,
  async gather(args, host) {
    const [file, proc] = await host.getAll(fileContent, [args.sysctl_file, procPath(keyName(args))]);
    if (!file.exists || file.type !== 'link') return { file, proc };
    let target = file;
    for (let n = 0; target.exists && target.type === 'link'; n++) {
      if (n >= MAX_LINKS) throw new ModuleError(`${args.sysctl_file}: [Errno 40] Too many levels of symbolic links`);
      target = await host.get(fileContent, resolveLink(target.path, target.linkTarget ?? ''));
    }
    return { file, proc, target };
  },
  plan(args, state): Plan {
    const name = keyName(args);
    const present = args.state === 'present';
    const value = wantedValue(args);
    if (present && args.value === undefined && args.val === undefined) throw new ModuleError('value cannot be None');
    if (present && value === '') throw new ModuleError('value cannot be blank');
    if (args.value !== undefined && args.val !== undefined) throw new ModuleError('parameters are mutually exclusive: value|val');
    const path = args.sysctl_file;
    // A symlink is read through (its target, if any); a write replaces the link by a file with the target's mode and owner, as Ansible's atomic_move.
    const source = state.target ?? state.file;
    if (source.exists) requireEditableText(path, source);
    const before = source.exists && source.type === 'file' ? source.content ?? Buffer.alloc(0) : Buffer.alloc(0);
    const { lines, values } = readSysctlFile(before.toString('utf8'));
    const inFile = values.get(name);
    // `sysctl -e -n KEY` as Ansible reads it: an unknown key prints nothing (rc 0); an unreadable one fails (None)
    const proc = !state.proc.exists ? '' : state.proc.type === 'file' && state.proc.content !== undefined ? state.proc.content.toString('utf8') : undefined;

    let changed = false;
    let writeFile = false;
    let setProc = false;
    const why: string[] = [];
    if (inFile === undefined && present) {
      changed = writeFile = true;
      why.push(`${name}=${value} added to ${path}`);
    } else if (inFile === undefined) {
      // absent and not in the file: nothing
    } else if (inFile !== '' && !present) {
      changed = writeFile = true;
      why.push(`${name} removed from ${path}`);
    } else if (inFile !== value) {
      changed = writeFile = true;
      why.push(`${name} ${inFile} -> ${value} in ${path}`);
    } else if (args.reload && !sameWords(proc, value)) {
      changed = true;
      why.push(`the kernel has ${name}=${proc?.trim() ?? '(unknown)'}`);
    }
    if (args.sysctl_set && present) {
      if (proc === undefined) {
        changed = true;
      } else if (!sameWords(proc, value)) {
        changed = setProc = true;
        why.push(`sysctl -w ${name}=${value}`);
      }
    }
    if (!changed) {
      return { changed: false, reason: present ? `${name}=${value} already in ${path}` : `${name} not in ${path}` };
    }
    const e = args.ignoreerrors ? ['-e'] : [];
    const steps: Step[] = [];
    const predicts: Prediction[] = [];
    const diff = [];
    if (setProc) {
      steps.push({ kind: 'run', argv: ['sysctl', ...e, '-w', `${name}=${value}`] });
      predicts.push({ kind: 'file', path: procPath(name), state: 'file', content: Buffer.from(`${value}\n`) });
    }
    if (writeFile) {
      const after = Buffer.from(fixLines(lines, name, value, present), 'utf8');
      const step: Step = { kind: 'write', path, content: after };
      const expect = state.file.predicted || state.target ? undefined : writeExpectation(state.file);
      if (expect) step.expect = expect;
      steps.push(step);
      predicts.push({ kind: 'file', path, state: 'file', content: after });
      diff.push(contentDiff(path, before, after));
    }
    if (args.reload) {
      steps.push({ kind: 'run', argv: ['sysctl', ...e, '-p', path] });
      // the reload sets this key in the kernel when the file has it
      if (present && !setProc && proc !== undefined && proc !== '') predicts.push({ kind: 'file', path: procPath(name), state: 'file', content: Buffer.from(`${value}\n`) });
    }
    return { changed: true, summary: why.join(', ') || `${name}: the kernel's value is unknown`, steps, diff, predicts };
  },
});
