// ini_file: set or remove one option in an INI-style file (or a section-less
// key = value file such as libvirtd.conf), editing only the lines that must
// change: comments, blank lines, unrelated lines, CRLF endings and a missing
// final newline are kept. A commented-out `#option = ...` is replaced in place.
//
// It works on bytes (lib/byte-text.ts): the file's lines are byte strings and
// section, option and value are matched and written as their UTF-8 bytes, so a
// Latin-1 or otherwise non-UTF-8 file keeps every byte that is not edited.
// Messages are built from byte strings too and decoded once, for display.

import { defineModule, ModuleError } from '../engine/module-api.js';
import { requireKnownAccounts } from './lib/account-names.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import type { FileState } from '../engine/module-api.js';
import { attrSchema } from './lib/file-attrs.js';
import { displayText, fromByteString, utf8ByteString } from './lib/byte-text.js';
import { editableLines, editedPath, planContent, requireEditableText } from './lib/file-content.js';
import { detectEol, insertLine, joinLines, replaceLine } from './lib/text-lines.js';
import type { Line } from './lib/text-lines.js';
// The option regexps below are linear-time patterns but quadratic on long lines of
// blanks in V8's backtracking engine: importing this switches such matches to the
// linear-time engine (it must be loaded before they are compiled).
import '../engine/template/bounded-regex.js';
import { fileContent } from '../engine/facts/file.js';

const schema = S.object({
  path: S.string({ minLength: 1, description: 'the file to edit' }),
  dest: S.string({ minLength: 1, description: 'alias of path' }),
  section: S.types(['string', 'null'], { description: 'null (or omitted) for options before the first section header' }),
  option: S.string({ minLength: 1, description: 'the option name; unset: present ensures the section, absent removes it' }),
  value: S.types(['string', 'number', 'boolean', 'null'], { description: 'the value, written as given' }),
  state: S.enum(['present', 'absent'], { default: 'present', description: 'absent with value: only lines with that value are removed' }),
  create: S.boolean({ default: true, description: 'create a missing file; false: a missing file is an error' }),
  backup: S.boolean({ default: false, description: 'keep a timestamped copy of the old file (returned as backup_file)' }),
  no_extra_spaces: S.boolean({ default: false, description: 'write option=value instead of option = value' }),
  allow_no_value: S.boolean({ default: false, description: 'allow a bare option line when value is not given' }),
  exclusive: S.boolean({ default: true, description: 'remove other occurrences of the option in the section' }),
  ...attrSchema,
}, { additionalProperties: false, anyOf: [{ required: ['path'] }, { required: ['dest'] }] });

export type IniFileArgs = Static<typeof schema>;

const HEADER = /^[ \t]*\[[ \t]*([^\]]*?)[ \t]*\][ \t]*(?:[#;].*)?$/;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function headerName(text: string): string | undefined {
  return HEADER.exec(text)?.[1];
}

/** [start, end) of the section's body; start is -1 when the section is missing. */
function sectionRange(lines: Line[], section: string | null): { header: number; start: number; end: number } {
  if (section === null) {
    const first = lines.findIndex((l) => headerName(l.text) !== undefined);
    return { header: -1, start: 0, end: first === -1 ? lines.length : first };
  }
  const header = lines.findIndex((l) => headerName(l.text) === section);
  if (header === -1) return { header: -1, start: -1, end: -1 };
  let end = header + 1;
  while (end < lines.length && headerName(lines[end].text) === undefined) end++;
  return { header, start: header + 1, end };
}

function optionRegexes(option: string) {
  const o = escapeRe(option);
  return {
    active: new RegExp(`^[ \\t]*${o}[ \\t]*(?:=[ \\t]*(.*?)[ \\t]*)?$`),
    commented: new RegExp(`^[ \\t]*[#;][ \\t]*${o}[ \\t]*(?:=.*)?$`),
  };
}

function valueText(v: IniFileArgs['value']): string | undefined {
  if (v === undefined || v === null) return undefined;
  return String(v);
}


function label(section: string | null): string {
  return section === null ? '' : `[${section}] `;
}

function planPresent(args: IniFileArgs, section: string | null, lines: Line[], eol: string): { what: string; unchanged: string } {
  const range = sectionRange(lines, section);
  if (args.option === undefined) {
    if (section === null) throw new ModuleError('state: present without option needs a section');
    if (range.header !== -1) return { what: '', unchanged: `section [${section}] present` };
    if (lines.length && lines[lines.length - 1].text.trim() !== '') insertLine(lines, lines.length, '', eol);
    insertLine(lines, lines.length, `[${section}]`, eol);
    return { what: `section [${section}] added`, unchanged: '' };
  }
  const option = args.option;
  const value = valueText(args.value);
  if (value === undefined && !args.allow_no_value) throw new ModuleError(`value is required for option ${option} (or set allow_no_value: true)`);
  if (value !== undefined && value.includes('\n')) throw new ModuleError(`value for ${option} must be a single line`);
  const wanted = value === undefined ? option : args.no_extra_spaces ? `${option}=${value}` : `${option} = ${value}`;
  const re = optionRegexes(option);
  const where = label(section);

  if (range.start === -1) {
    // Section missing: append it with the option.
    if (lines.length && lines[lines.length - 1].text.trim() !== '') insertLine(lines, lines.length, '', eol);
    insertLine(lines, lines.length, `[${section}]`, eol);
    insertLine(lines, lines.length, wanted, eol);
    return { what: `section [${section}] added with ${wanted}`, unchanged: '' };
  }

  const active: { index: number; value: string | undefined }[] = [];
  let commented = -1;
  for (let i = range.start; i < range.end; i++) {
    const m = re.active.exec(lines[i].text);
    if (m) active.push({ index: i, value: m[1] });
    else if (commented === -1 && re.commented.test(lines[i].text)) commented = i;
  }

  if (active.length) {
    const keep = args.exclusive ? active[0] : active.find((a) => a.value === value) ?? active[0];
    const notes: string[] = [];
    if (keep.value !== value) {
      notes.push(`${where}${option}: ${keep.value === undefined ? '(no value)' : JSON.stringify(keep.value)} -> ${value === undefined ? '(no value)' : JSON.stringify(value)}`);
      replaceLine(lines, keep.index, wanted, eol);
    }
    if (args.exclusive) {
      const dups = active.filter((a) => a !== keep).map((a) => a.index);
      if (dups.length) {
        notes.push(`${dups.length} duplicate ${option} line${dups.length === 1 ? '' : 's'} removed`);
        for (const i of dups.reverse()) lines.splice(i, 1);
      }
    }
    return { what: notes.join(', '), unchanged: notes.length ? '' : `${where}${option} already ${value === undefined ? 'present' : `= ${value}`}` };
  }
  if (commented !== -1) {
    const was = lines[commented].text.trim();
    replaceLine(lines, commented, wanted, eol);
    return { what: `${where}${wanted} (replacing commented-out line ${commented + 1}: ${was})`, unchanged: '' };
  }
  let at = range.end;
  while (at > range.start && lines[at - 1].text.trim() === '') at--;
  // Appending at the end of a file keeps trailing blank lines before the option only
  // when they are the whole section (an empty section at the end).
  insertLine(lines, at, wanted, eol);
  return { what: `${where}${wanted} added`, unchanged: '' };
}

function planAbsent(args: IniFileArgs, section: string | null, lines: Line[]): { what: string; unchanged: string } {
  const range = sectionRange(lines, section);
  const where = label(section);
  if (args.option === undefined) {
    if (section === null) throw new ModuleError('state: absent without option removes a section; give a section or an option');
    if (range.header === -1) return { what: '', unchanged: `section [${section}] absent` };
    lines.splice(range.header, range.end - range.header);
    return { what: `section [${section}] removed (${range.end - range.header} lines)`, unchanged: '' };
  }
  if (range.start === -1) return { what: '', unchanged: `section [${section}] absent` };
  const re = optionRegexes(args.option).active;
  const value = valueText(args.value);
  const gone: number[] = [];
  for (let i = range.start; i < range.end; i++) {
    const m = re.exec(lines[i].text);
    if (m && (value === undefined || m[1] === value)) gone.push(i);
  }
  if (!gone.length) return { what: '', unchanged: `${where}${args.option}${value === undefined ? '' : ` = ${value}`} absent` };
  for (const i of gone.reverse()) lines.splice(i, 1);
  return { what: `${where}${args.option} removed (${gone.length} line${gone.length === 1 ? '' : 's'})`, unchanged: '' };
}

export default defineModule<typeof schema, FileState>({
  name: 'ini_file',
  description: 'Set or remove one option in an INI file or a section-less key = value file, keeping everything else',
  schema,
  async gather(args, host) {
    const state = await host.get(fileContent, editedPath(args));
    await requireKnownAccounts(host, args, state);
    return state;
  },
  plan(args, state) {
    const path = editedPath(args);
    const section = args.section ?? null;
    if (section !== null && (section.includes(']') || section.includes('\n'))) throw new ModuleError(`section ${JSON.stringify(section)} cannot contain "]" or a newline`);
    if (args.option !== undefined && (/[=\n]/.test(args.option) || args.option.trim() !== args.option)) {
      throw new ModuleError(`option ${JSON.stringify(args.option)} cannot contain "=", a newline, or surrounding spaces`);
    }
    requireEditableText(path, state);
    if (!state.exists) {
      if (args.state === 'absent') return { changed: false, reason: `${path} does not exist` };
      if (!args.create) throw new ModuleError(`${path} does not exist and create is false`);
    }
    const lines = editableLines(path, state);
    const eol = detectEol(lines);
    // The arguments as the byte strings of their UTF-8 encoding, like the lines.
    const b: IniFileArgs = {
      ...args,
      option: args.option === undefined ? undefined : utf8ByteString(args.option),
      value: valueText(args.value) === undefined ? args.value : utf8ByteString(valueText(args.value)!),
    };
    const bSection = section === null ? null : utf8ByteString(section);
    let edit: { what: string; unchanged: string };
    try {
      edit = args.state === 'absent' ? planAbsent(b, bSection, lines) : planPresent(b, bSection, lines, eol);
    } catch (e) {
      if (e instanceof ModuleError) throw new ModuleError(displayText(e.message), e.details);
      throw e;
    }
    return planContent({
      path, state, after: fromByteString(joinLines(lines)), attrs: args, backup: args.backup,
      what: displayText(edit.what), unchangedReason: displayText(edit.unchanged),
    });
  },
});
