// ini_file: set or remove an option in an INI-style file (or a section-less
// key = value file such as libvirtd.conf) with community.general.ini_file's
// outcome (the 6.6 collection that Ansible 7.7 ships; checked by
// test/unit/modules/ini-file-vs-ansible.test.ts): the same lines matched, the
// same lines written and where, the same changed flag, and the same failures
// (a file that is not UTF-8 is refused, as the module cannot read it).
//
// It works on byte strings (lib/byte-text.ts): the file's lines are byte strings
// and section, option and value are matched and written as their UTF-8 bytes; an
// unchanged file is never rewritten. Messages are decoded once, for display.

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import { attrSchema } from './lib/file-attrs.js';
import { byteString, displayText, fromByteString, utf8ByteString } from './lib/byte-text.js';
import { editedPath, planContent, requireEditableText } from './lib/file-content.js';
import { withParent, withParentState, type CreatedFileState } from './lib/created-parent.js';
import { insertLine, joinLines, replaceLine } from './lib/text-lines.js';
import type { Line } from './lib/text-lines.js';
import { pyStr } from '../engine/template/py-text.js';
// The option regexps below are linear-time patterns but quadratic on long lines of
// blanks in V8's backtracking engine: importing this switches such matches to the
// linear-time engine (it must be loaded before they are compiled).
import '../engine/template/bounded-regex.js';
import { fileContent } from '../engine/facts/file.js';

const scalar = S.types(['string', 'number', 'boolean', 'null']);

const schema = S.object({
  path: S.string({ minLength: 1, description: 'the file to edit' }),
  dest: S.string({ minLength: 1, description: 'alias of path' }),
  section: S.types(['string', 'null'], { description: 'the section, matched as `[section]` exactly; null (or omitted, or empty) for options before the first section header' }),
  option: S.string({ minLength: 1, description: 'the option name; unset: present ensures the section, absent removes it' }),
  value: S.with(scalar, { description: 'the value, as a string (true is True, as Ansible converts it); not with values' }),
  values: S.array(scalar, { description: 'several values, one option line each; not with value' }),
  state: S.enum(['present', 'absent'], { default: 'present', description: 'absent: with exclusive, every line of the option; without, only those holding value(s)' }),
  create: S.boolean({ default: true, description: 'create a missing file (and its directory); false: a missing file is an error' }),
  backup: S.boolean({ default: false, description: 'keep a timestamped copy of the old file (returned as backup_file)' }),
  no_extra_spaces: S.boolean({ default: false, description: 'write option=value instead of option = value' }),
  allow_no_value: S.boolean({ default: false, description: 'allow a bare option line when value is not given' }),
  exclusive: S.boolean({ default: true, description: 'remove other occurrences of the option in the section (commented-out ones too); false: add a line beside them' }),
  ...attrSchema,
}, { additionalProperties: false, anyOf: [{ required: ['path'] }, { required: ['dest'] }] });

export type IniFileArgs = Static<typeof schema>;

// The lines of the edited section: its header (-1 for the options before the
// first header) and the body after it, [start, end).
interface Section { header: number; start: number; end: number }

/**
 * The section as community.general's ini_file finds it: a header is a line that
 * starts with `[`; the section's header starts with `[name]` exactly (no spaces
 * trimmed: `section: ' foo '` is `[ foo ]`); the last of consecutive matching
 * headers and its body up to the next header. undefined: no such section.
 */
function findSection(lines: Line[], section: string | null): Section | undefined {
  if (section === null) {
    const first = lines.findIndex((l) => l.text.startsWith('['));
    return { header: -1, start: 0, end: first === -1 ? lines.length : first };
  }
  const head = `[${section}]`;
  let header = -1;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].text.startsWith(head)) header = i;
    else if (lines[i].text.startsWith('[') && header !== -1) return { header, start: header + 1, end: i };
  }
  return header === -1 ? undefined : { header, start: header + 1, end: lines.length };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The option's lines: `active` matches `option`, `option=value` with spaces or
 * tabs before the option and around `=`; `any` also matches one `#` or `;`
 * right at the start (a commented-out occurrence, which the module treats as an
 * occurrence when it sets a value). The value is everything after `=` and the
 * blanks after it, trailing blanks included.
 */
function optionMatchers(option: string): { any: (text: string) => string | undefined; active: (text: string) => string | undefined } {
  const o = escapeRe(option);
  const any = new RegExp(`^[#;]?[ \\t]*${o}[ \\t]*(?:=|$)[ \\t]*([^\\n]*)`);
  const active = new RegExp(`^[ \\t]*${o}[ \\t]*(?:=|$)[ \\t]*([^\\n]*)`);
  return { any: (t) => any.exec(t)?.[1], active: (t) => active.exec(t)?.[1] };
}

const BLANK_OR_COMMENT = /^[ \t]*(?:[#;][^\n]*)?$/;

/** The value as the module's `str` parameter receives it: True/False, Python's numbers. */
function valueText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  return pyStr(v);
}

/** value, or values (nulls dropped, repeats dropped), as byte strings. */
function wantedValues(args: IniFileArgs): string[] {
  const all = args.value !== undefined && args.value !== null ? [args.value] : args.values ?? [];
  const out: string[] = [];
  for (const v of all) {
    const t = valueText(v);
    if (t !== undefined && !out.includes(utf8ByteString(t))) out.push(utf8ByteString(t));
  }
  return out;
}

interface Edit { changed: boolean; msg: string }

function planPresent(args: IniFileArgs, section: string | null, lines: Line[], eol: string, edit: Edit): void {
  const option = args.option;
  const values = wantedValues(args);
  const line = (v: string): string => (args.no_extra_spaces ? `${option}=${v}` : `${option} = ${v}`);
  const found = findSection(lines, section);
  if (found === undefined) {
    // A missing section is appended at the end of the file, right after its last line.
    const add = [`[${section}]`];
    if (option !== undefined && values.length) add.push(...values.map(line));
    else if (option !== undefined && args.allow_no_value) add.push(option);
    for (const text of add) insertLine(lines, lines.length, text, eol);
    edit.changed = true;
    edit.msg = add.length > 1 ? 'section and option added' : 'only section added';
    return;
  }
  let { end } = found;
  const { start } = found;
  if (option === undefined) {
    // Only the section is wanted: it is there. (The module crashes looking for a missing option here.)
    if (args.exclusive && !args.allow_no_value) throw new ModuleError('option is required with a value when the section exists');
    return;
  }
  const m = optionMatchers(option);
  const written = new Set<number>();
  const write = (i: number, text: string): void => {
    if (lines[i].text !== text) {
      edit.changed = true;
      edit.msg = 'option changed';
    }
    replaceLine(lines, i, text, eol);
    written.add(i);
  };
  let bareWritten = false;
  // 1. Occurrences (commented-out ones too) that already hold a wanted value are rewritten in the module's spacing.
  for (let i = start; i < end; i++) {
    const v = m.any(lines[i].text);
    if (v === undefined) continue;
    if (values.length && values.includes(v)) {
      if (v === '' && args.allow_no_value) {
        write(i, option);
        bareWritten = true;
      } else write(i, line(v));
      values.splice(values.indexOf(v), 1);
    } else if (!values.length && args.allow_no_value) {
      write(i, option);
      bareWritten = true;
      break;
    }
  }
  if (args.exclusive && !args.allow_no_value) {
    // 2. The other occurrences take the remaining values in turn; 3. the rest are removed.
    for (let i = start; i < end && values.length; i++) {
      if (!written.has(i) && m.any(lines[i].text) !== undefined) write(i, line(values.shift()!));
    }
    for (let i = end - 1; i >= start; i--) {
      if (!written.has(i) && m.any(lines[i].text) !== undefined) {
        lines.splice(i, 1);
        end--;
        edit.changed = true;
        edit.msg = 'option changed';
      }
    }
  }
  // 4. What is still missing goes after the section's last line that is neither blank nor a comment.
  let at = end;
  while (at > start && BLANK_OR_COMMENT.test(lines[at - 1].text)) at--;
  const add = values.length ? values.map(line) : args.allow_no_value && !bareWritten ? [option] : [];
  add.forEach((text, k) => insertLine(lines, at + k, text, eol));
  if (add.length) {
    edit.changed = true;
    edit.msg = 'option added';
  }
}

function planAbsent(args: IniFileArgs, section: string | null, lines: Line[], edit: Edit): void {
  const found = findSection(lines, section);
  if (found === undefined) return;
  if (args.option === undefined) {
    if (section === null) {
      throw new ModuleError('state: absent without option removes a section; give a section (community.general\'s ini_file would also delete the first section header here)');
    }
    lines.splice(found.header, found.end - found.header);
    edit.changed = true;
    edit.msg = 'section removed';
    return;
  }
  const active = optionMatchers(args.option).active;
  const values = wantedValues(args);
  // exclusive: every active occurrence whatever its value; else only those holding one of the values (none without values).
  if (!args.exclusive && !values.length) return;
  for (let i = found.end - 1; i >= found.start; i--) {
    const v = active(lines[i].text);
    if (v !== undefined && (args.exclusive || values.includes(v))) {
      lines.splice(i, 1);
      edit.changed = true;
      edit.msg = 'option changed';
    }
  }
}

const BOM = '\xef\xbb\xbf';

/**
 * The lines as the module reads them (Python's universal newlines): "\r\n", "\r"
 * and "\n" each end a line, and a line it writes back ends with "\n", so a
 * changed CRLF file is written with LF endings (an unchanged one is left as it is).
 */
function universalLines(content: string): Line[] {
  const lines: Line[] = [];
  const re = /\r\n|\r|\n/g;
  let start = 0;
  for (let m = re.exec(content); m !== null; m = re.exec(content)) {
    lines.push({ text: content.slice(start, m.index), eol: '\n' });
    start = m.index + m[0].length;
  }
  if (start < content.length) lines.push({ text: content.slice(start), eol: '' });
  return lines;
}

/** Whether `bytes` are UTF-8 throughout, as Python's strict decoder reads them. */
function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

export default defineModule<typeof schema, CreatedFileState>({
  name: 'ini_file',
  description: 'Set or remove an option in an INI file or a section-less key = value file, as community.general.ini_file does',
  schema,
  async gather(args, host) {
    const path = editedPath(args);
    return withParentState(host, path, args.create, args, () => host.get(fileContent, path));
  },
  plan(args, state) {
    const path = editedPath(args);
    const section = args.section === undefined || args.section === null || args.section === '' ? null : args.section;
    if (args.value !== undefined && args.value !== null && args.values !== undefined && args.values !== null) throw new ModuleError('parameters are mutually exclusive: value|values');
    if (section !== null && section.includes('\n')) throw new ModuleError(`section ${JSON.stringify(section)} cannot contain a newline`);
    if (args.option !== undefined && (/[=\n]/.test(args.option) || args.option.trim() !== args.option)) {
      throw new ModuleError(`option ${JSON.stringify(args.option)} cannot contain "=", a newline, or surrounding spaces`);
    }
    if (args.state === 'present' && !args.allow_no_value && wantedValues(args).length === 0 && (args.value === undefined || args.value === null)) {
      throw new ModuleError("Parameter 'value(s)' must be defined if state=present and allow_no_value=False.");
    }
    for (const v of wantedValues(args)) if (v.includes('\n')) throw new ModuleError(`a value for ${args.option ?? 'the option'} must be a single line`);
    requireEditableText(path, state);
    if (!state.exists && !args.create) throw new ModuleError(`Destination ${path} does not exist!`);
    const original = state.exists ? byteString(state.content ?? Buffer.alloc(0)) : '';
    // The module reads the file as UTF-8 with an optional BOM: a BOM is not part of
    // the first line, and a rewritten file has none.
    if (state.exists && !isUtf8(state.content ?? Buffer.alloc(0))) {
      throw new ModuleError(`${path} is not UTF-8 text; community.general.ini_file cannot read it either (it fails), the file is left untouched`);
    }
    const lines = universalLines(original.startsWith(BOM) ? original.slice(BOM.length) : original);
    const eol = '\n';
    const edit: Edit = { changed: false, msg: 'OK' };
    // An empty (or new) file is one blank line to the module; a last line without an ending gets one (a change).
    if (!lines.length) lines.push({ text: '', eol: '\n' });
    else if (lines[lines.length - 1].eol === '') {
      lines[lines.length - 1] = { ...lines[lines.length - 1], eol };
      edit.changed = true;
    }
    const b: IniFileArgs = { ...args, option: args.option === undefined ? undefined : utf8ByteString(args.option) };
    const bSection = section === null ? null : utf8ByteString(section);
    try {
      if (args.state === 'absent') planAbsent(b, bSection, lines, edit);
      else planPresent(b, bSection, lines, eol, edit);
    } catch (e) {
      if (e instanceof ModuleError) throw new ModuleError(displayText(e.message), e.details);
      throw e;
    }
    if (!edit.changed && !state.exists) return { changed: false, reason: `${path} does not exist`, result: { msg: edit.msg, path } };
    const after = edit.changed ? joinLines(lines) : original;
    return withParent(planContent({
      path, state, after: fromByteString(after), attrs: args, backup: args.backup,
      what: edit.msg, unchangedReason: edit.msg === 'OK' ? 'nothing to change' : edit.msg,
      result: { msg: edit.msg, path },
    }), state, path);
  },
});
