// replace: every match of a Python regexp in a file replaced, as Ansible 2.14's
// replace module does it: the file decoded with `encoding`, the regexp applied
// to the whole text with re.MULTILINE (re.subn, Python's replacement syntax),
// optionally only within the section after `after` and/or before `before`
// (found with re.DOTALL), and the text encoded back. Differences in
// docs/modules/replace.md.

import { defineModule, ModuleError } from '../engine/module-api.js';
import { requireKnownAccounts } from './lib/account-names.js';
import type { FileState } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import { fileContent } from '../engine/facts/file.js';
import { attrSchema, planAttributes } from './lib/file-attrs.js';
import { editedPath, planContent, requireEditableText } from './lib/file-content.js';
import { expandBackrefs, matchBounded, RegexError } from './lib/py-regex.js';
import { compileWholeTextRegex } from './lib/py-regex-text.js';

/** Python codec names tsplay can decode and encode back without loss (Node's own codecs). */
const ENCODINGS = ['utf-8', 'utf8', 'UTF-8', 'latin-1', 'latin1', 'iso-8859-1', 'ISO-8859-1', 'ascii'] as const;

const schema = S.object({
  path: S.string({ minLength: 1, description: 'the file to edit' }),
  dest: S.string({ minLength: 1, description: 'alias of path' }),
  destfile: S.string({ minLength: 1, description: 'alias of path' }),
  name: S.string({ minLength: 1, description: 'alias of path' }),
  regexp: S.string({ description: 'Python regexp, applied to the whole file with re.MULTILINE; every match is replaced' }),
  replace: S.string({ default: '', description: 'the replacement, with Python\'s \\1, \\g<1>, \\g<name> references; empty removes the matches' }),
  after: S.string({ description: 'Python regexp: only the text after its first match is edited (with before: up to the first match of before after it)' }),
  before: S.string({ description: 'Python regexp: only the text before its last match is edited' }),
  backup: S.boolean({ default: false, description: 'keep a timestamped copy of the old file (returned as backup_file)' }),
  validate: S.string({ description: 'command with %s (the temporary file) that must exit 0 before the file is installed' }),
  encoding: S.enum(ENCODINGS, { default: 'utf-8', description: 'how the file is decoded and encoded back; other codecs are refused' }),
  ...attrSchema,
}, { additionalProperties: false, required: ['regexp'], anyOf: [{ required: ['path'] }, { required: ['dest'] }, { required: ['destfile'] }, { required: ['name'] }] });

export type ReplaceArgs = Static<typeof schema>;

function decode(path: string, bytes: Buffer, encoding: string): string {
  const enc = encoding.toLowerCase();
  if (enc === 'latin-1' || enc === 'latin1' || enc === 'iso-8859-1') return bytes.toString('latin1');
  if (enc === 'ascii') {
    const bad = bytes.findIndex((b) => b > 0x7f);
    if (bad !== -1) throw new ModuleError(`${path}: byte 0x${bytes[bad].toString(16)} at offset ${bad} is not ascii; the file is left untouched`);
    return bytes.toString('latin1');
  }
  try {
    // Python's utf-8 codec keeps a byte order mark as U+FEFF
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new ModuleError(`${path} is not valid ${encoding} (set encoding to the file's); the file is left untouched`);
  }
}

function encode(text: string, encoding: string): Buffer {
  const enc = encoding.toLowerCase();
  if (enc === 'utf-8' || enc === 'utf8') return Buffer.from(text, 'utf8');
  for (let i = 0; i < text.length; i++) {
    const limit = enc === 'ascii' ? 0x7f : 0xff;
    if (text.charCodeAt(i) > limit) throw new ModuleError(`the replacement gives ${JSON.stringify(text[i])}, which ${encoding} cannot encode`);
  }
  return Buffer.from(text, 'latin1');
}

/** re.subn(regexp, replace, text): the new text and the number of replacements. */
function subn(re: RegExp, label: string, text: string, repl: string): [string, number] {
  return matchBounded(re, label, () => {
    let out = '';
    let last = 0;
    let n = 0;
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      out += text.slice(last, m.index) + expandBackrefs(repl, m);
      last = m.index + m[0].length;
      n++;
      if (m[0].length === 0) re.lastIndex++;
    }
    return [out + text.slice(last), n];
  });
}

function compile(pattern: string, text: string, opts: { multiline: boolean; dotall: boolean }, what: string): RegExp {
  try {
    return compileWholeTextRegex(pattern, text, opts, what);
  } catch (e) {
    if (e instanceof RegexError) throw new ModuleError(e.message);
    throw e;
  }
}

export default defineModule<typeof schema, FileState>({
  name: 'replace',
  description: 'Replace every match of a regexp in a file (Python re, MULTILINE)',
  schema,
  async gather(args, host) {
    const state = await host.get(fileContent, args.path ?? args.dest ?? args.destfile ?? args.name ?? '');
    // A missing file is reported first, as Ansible's replace does.
    if (state.exists) await requireKnownAccounts(host, args, state);
    return state;
  },
  plan(args, state) {
    const path = editedPath({ path: args.path ?? args.dest ?? args.destfile ?? args.name });
    if (!state.exists) throw new ModuleError(`Path ${path} does not exist !`);
    if (state.type === 'directory') throw new ModuleError(`Path ${path} is a directory !`);
    requireEditableText(path, state);
    const contents = decode(path, state.content ?? Buffer.alloc(0), args.encoding);

    // The section: Ansible builds one pattern from after/before and searches it with re.DOTALL.
    let section = contents;
    let start = 0;
    let end = contents.length;
    if (args.after !== undefined || args.before !== undefined) {
      const pattern = args.after !== undefined && args.before !== undefined ? `${args.after}(?P<subsection>.*?)${args.before}`
        : args.after !== undefined ? `${args.after}(?P<subsection>.*)` : `(?P<subsection>.*)${args.before ?? ''}`;
      const plain = compile(pattern, contents, { multiline: false, dotall: true }, 'after/before');
      const re = new RegExp(plain.source, plain.flags + 'd'); // d: the subsection's indices
      const m = matchBounded(re, `after/before pattern ${JSON.stringify(pattern)}`, () => { re.lastIndex = 0; return re.exec(contents); });
      const at = m?.indices?.groups?.subsection;
      if (!m || !at) {
        const msg = `Pattern for before/after params did not match the given file: ${pattern}`;
        return { changed: false, reason: msg, result: { msg } };
      }
      [start, end] = at;
      section = contents.slice(start, end);
    }

    const re = compile(args.regexp, section, { multiline: true, dotall: false }, 'regexp');
    let replaced: [string, number];
    try {
      replaced = subn(re, `regexp ${JSON.stringify(args.regexp)}`, section, args.replace);
    } catch (e) {
      if (e instanceof RegexError) throw new ModuleError(e.message);
      throw e;
    }
    const [newSection, count] = replaced;
    const changed = count > 0 && newSection !== section;
    const after = changed ? contents.slice(0, start) + newSection + contents.slice(end) : contents;
    // Ansible's check_file_attrs appends to the message when the attributes change too
    const attrsChange = planAttributes(path, args, state, { isDir: false }).steps.length > 0;
    const attrMsg = 'ownership, perms or SE linux context changed';
    const msg = changed ? `${count} replacements made${attrsChange ? ` and ${attrMsg}` : ''}` : attrsChange ? attrMsg : '';
    return planContent({
      path, state, after: changed ? encode(after, args.encoding) : state.content ?? Buffer.alloc(0), attrs: args,
      backup: args.backup, validate: args.validate,
      what: msg, unchangedReason: count > 0 ? `${count} matches, each already the replacement` : `regexp ${JSON.stringify(args.regexp)} matches nothing`,
      result: { msg, rc: 0 },
    });
  },
});
