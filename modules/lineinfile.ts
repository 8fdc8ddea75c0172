// lineinfile: make sure one line is in a file (or replace the line a regexp
// finds), or remove every line that matches. Ansible's semantics, with the
// differences listed in docs/modules/lineinfile.md.
//
// Like Ansible's, it works on bytes: the file's lines are byte strings
// (lib/byte-text.ts) and line, regexp, search_string, insertafter and
// insertbefore are matched and written as their UTF-8 bytes, so every byte the
// edit does not touch is written back as it was, whatever the file's encoding.

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import type { FileState, Plan } from '../engine/module-api.js';
import { attrSchema } from './lib/file-attrs.js';
import { fromByteString, utf8ByteString } from './lib/byte-text.js';
import { editableLines, editedPath, planContent, requireEditableText } from './lib/file-content.js';
import { compilePythonRegex, expandBackrefs, matchBounded, RegexError } from './lib/py-regex.js';
import { detectEol, insertLine, joinLines, replaceLine } from './lib/text-lines.js';
import type { Line } from './lib/text-lines.js';
import { fileContent } from '../engine/facts/file.js';
import { withParent, withParentState, type CreatedFileState } from './lib/created-parent.js';

const schema = S.object({
  path: S.string({ minLength: 1, description: 'the file to edit' }),
  dest: S.string({ minLength: 1, description: 'alias of path' }),
  line: S.string({ description: 'the line to ensure (one line, no newline); required for state present' }),
  regexp: S.string({ minLength: 1, description: 'Python-style regexp: present replaces the last matching line, absent removes every match' }),
  search_string: S.string({ minLength: 1, description: 'a literal substring instead of regexp' }),
  insertafter: S.string({ minLength: 1, description: 'EOF, BOF or a regexp: where to add the line when nothing matches' }),
  insertbefore: S.string({ minLength: 1, description: 'BOF or a regexp: add the line before the matching line' }),
  firstmatch: S.boolean({ default: false, description: 'use the first match of regexp/insertafter/insertbefore instead of the last' }),
  backrefs: S.boolean({ default: false, description: 'expand the regexp groups in line; no match leaves the file alone' }),
  state: S.enum(['present', 'absent'], { default: 'present', description: 'whether the line should be there' }),
  create: S.boolean({ default: false, description: 'create the file when it is missing (and its missing directories, as Ansible)' }),
  backup: S.boolean({ default: false, description: 'keep a timestamped copy of the old file (returned as backup_file)' }),
  validate: S.string({ description: 'command with %s (the temporary file) that must exit 0 before the file is installed' }),
  ...attrSchema,
}, { additionalProperties: false, anyOf: [{ required: ['path'] }, { required: ['dest'] }] });

export type LineinfileArgs = Static<typeof schema>;

/** Compile a user's pattern for matching byte-string lines: its non-ASCII characters become their UTF-8 bytes. */
function compile(pattern: string, what: string): RegExp {
  const bytePattern = utf8ByteString(pattern);
  try {
    return compilePythonRegex(bytePattern, what);
  } catch (e) {
    // Messages quote the pattern as the user wrote it, not its byte string.
    if (e instanceof RegexError) throw new ModuleError(e.message.split(JSON.stringify(bytePattern)).join(JSON.stringify(pattern)));
    throw e;
  }
}


type Matcher = (text: string) => RegExpExecArray | boolean | null;

/** How lines are matched; `re` when it is a regexp (matched within the time limit, named by `by`). */
interface LineMatch { match: Matcher; by: string; re?: RegExp }

function regexMatcher(pattern: string, what: string): LineMatch {
  const re = compile(pattern, what);
  return { match: (t) => re.exec(t), by: `${what} ${JSON.stringify(pattern)}`, re };
}

function lineMatcher(args: LineinfileArgs): LineMatch {
  if (args.regexp !== undefined) return regexMatcher(args.regexp, 'regexp');
  if (args.search_string !== undefined) {
    const s = utf8ByteString(args.search_string);
    return { match: (t) => t.includes(s), by: `search_string ${JSON.stringify(args.search_string)}` };
  }
  const line = utf8ByteString(args.line ?? '');
  return { match: (t) => t === line, by: 'line' };
}

/** Indices of matching lines and the match objects (for backrefs); one time limit for the whole file. */
function findMatches(lines: Line[], how: LineMatch): { index: number; m: RegExpExecArray | boolean }[] {
  const scan = () => {
    const found: { index: number; m: RegExpExecArray | boolean }[] = [];
    lines.forEach((l, index) => {
      const m = how.match(l.text);
      if (m) found.push({ index, m });
    });
    return found;
  };
  if (!how.re) return scan();
  try {
    return matchBounded(how.re, how.by, scan);
  } catch (e) {
    if (e instanceof RegexError) throw new ModuleError(e.message);
    throw e;
  }
}

function planPresent(args: LineinfileArgs, path: string, state: FileState) {
  if (args.line === undefined) throw new ModuleError('line is required with state: present');
  if (args.backrefs && args.regexp === undefined) throw new ModuleError('backrefs: true needs a regexp');
  if (args.insertafter !== undefined && args.insertbefore !== undefined) throw new ModuleError('insertafter and insertbefore are mutually exclusive');
  if (args.regexp !== undefined && args.search_string !== undefined) throw new ModuleError('regexp and search_string are mutually exclusive');
  if (args.line.includes('\n')) throw new ModuleError('line must be a single line (it contains a newline)');
  const lines = editableLines(path, state);
  const wanted = utf8ByteString(args.line);
  const eol = detectEol(lines);
  const how = lineMatcher(args);
  const by = how.by;
  const matches = findMatches(lines, how);
  const chosen = matches.length ? (args.firstmatch ? matches[0] : matches[matches.length - 1]) : undefined;

  let what: string;
  let unchanged: string;
  if (chosen) {
    let newLine = wanted;
    if (args.backrefs) {
      try {
        newLine = expandBackrefs(wanted, chosen.m as RegExpExecArray);
      } catch (e) {
        if (e instanceof RegexError) throw new ModuleError(e.message);
        throw e;
      }
    }
    if (lines[chosen.index].text === newLine) {
      what = '';
      unchanged = args.regexp === undefined && args.search_string === undefined
        ? 'line already present'
        : `line already present (the line ${by} matches is the wanted line)`;
    } else {
      replaceLine(lines, chosen.index, newLine, eol);
      what = `line ${chosen.index + 1} replaced`;
      unchanged = '';
    }
  } else if (args.backrefs) {
    return { changed: false as const, reason: `${by} matches no line; with backrefs nothing is added` };
  } else if ((args.regexp !== undefined || args.search_string !== undefined) && lines.some((l) => l.text === wanted)) {
    // The idempotency trap: the regexp no longer matches the line it was meant to
    // replace (because a previous run replaced it). Ansible appends a duplicate; we don't.
    return { changed: false as const, reason: `line already present (${by} matches no line)` };
  } else {
    let at = lines.length;
    if (args.insertbefore === 'BOF' || args.insertafter === 'BOF') at = 0;
    else if (args.insertafter !== undefined && args.insertafter !== 'EOF') {
      const anchors = findMatches(lines, regexMatcher(args.insertafter, 'insertafter'));
      if (anchors.length) at = (args.firstmatch ? anchors[0] : anchors[anchors.length - 1]).index + 1;
    } else if (args.insertbefore !== undefined) {
      const anchors = findMatches(lines, regexMatcher(args.insertbefore, 'insertbefore'));
      if (anchors.length) at = (args.firstmatch ? anchors[0] : anchors[anchors.length - 1]).index;
    }
    insertLine(lines, at, wanted, eol);
    what = at === lines.length - 1 ? 'line added at end of file' : `line added as line ${at + 1}`;
    unchanged = '';
  }
  return planContent({
    path, state, after: fromByteString(joinLines(lines)), attrs: args, backup: args.backup, validate: args.validate,
    what, unchangedReason: unchanged,
  });
}

function planAbsent(args: LineinfileArgs, path: string, state: FileState) {
  if (args.regexp === undefined && args.search_string === undefined && args.line === undefined) {
    throw new ModuleError('state: absent needs one of regexp, search_string or line');
  }
  if (!state.exists) return { changed: false as const, reason: `${path} does not exist` };
  const lines = editableLines(path, state);
  const how = lineMatcher(args);
  const by = how.by;
  const matches = findMatches(lines, how);
  const gone = new Set(matches.map((m) => m.index));
  const kept = lines.filter((_, i) => !gone.has(i));
  return planContent({
    path, state, after: fromByteString(joinLines(kept)), attrs: args, backup: args.backup, validate: args.validate,
    what: `${matches.length} line${matches.length === 1 ? '' : 's'} removed`,
    unchangedReason: `no line matches ${by === 'line' ? JSON.stringify(args.line) : by}`,
    result: { found: matches.length },
  });
}

/** Ansible's lineinfile returns `backup: ""` when it keeps no backup (with one, tsplay names it `backup_file`, as copy does). */
function withBackupKey(args: LineinfileArgs, plan: Plan): Plan {
  return args.backup ? plan : { ...plan, result: { ...plan.result, backup: '' } };
}

export default defineModule<typeof schema, CreatedFileState>({
  name: 'lineinfile',
  description: 'Ensure a line is in a file (or replace the line a regexp finds), or remove matching lines',
  schema,
  async gather(args, host) {
    const path = editedPath(args);
    return withParentState(host, path, args.create && args.state !== 'absent', args, () => host.get(fileContent, path));
  },
  plan(args, state) {
    const path = editedPath(args);
    requireEditableText(path, state);
    if (args.state === 'absent') return withBackupKey(args, planAbsent(args, path, state));
    if (!state.exists && !args.create) {
      throw new ModuleError(`${path} does not exist; set create: true to create it`);
    }
    // As Ansible's lineinfile: a created file's missing directories are made first.
    return withBackupKey(args, withParent(planPresent(args, path, state), state, path));
  },
});
