// blockinfile: a block of lines between two marker lines, inserted, replaced or
// removed, as Ansible 2.14's blockinfile does it. Like Ansible's it works on
// the file's bytes (lib/byte-text.ts: one char per byte; the block, markers and
// regexps as their UTF-8 bytes), splits lines as Python's bytes.splitlines
// (keeping endings), and finds the markers by comparing whole lines, endings
// included. Differences in docs/modules/blockinfile.md.

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import { fileContent } from '../engine/facts/file.js';
import { withParent, withParentState, type CreatedFileState } from './lib/created-parent.js';
import { fromByteString, utf8ByteString, byteString } from './lib/byte-text.js';
import { attrSchema, planAttributes } from './lib/file-attrs.js';
import { editedPath, planContent, requireEditableText } from './lib/file-content.js';
import { compilePythonRegex, matchBounded, RegexError } from './lib/py-regex.js';

const schema = S.object({
  path: S.string({ minLength: 1, description: 'the file to edit' }),
  dest: S.string({ minLength: 1, description: 'alias of path' }),
  destfile: S.string({ minLength: 1, description: 'alias of path' }),
  name: S.string({ minLength: 1, description: 'alias of path' }),
  state: S.enum(['present', 'absent'], { default: 'present', description: 'whether the block should be there' }),
  marker: S.string({ default: '# {mark} ANSIBLE MANAGED BLOCK', description: 'the marker line template; {mark} becomes marker_begin or marker_end' }),
  block: S.string({ description: 'the text between the markers; empty (the default) removes the block' }),
  content: S.string({ description: 'alias of block' }),
  insertafter: S.string({ minLength: 1, description: 'EOF (the default) or a Python regexp: a new block goes after the last matching line' }),
  insertbefore: S.string({ minLength: 1, description: 'BOF or a Python regexp: a new block goes before the last matching line' }),
  create: S.boolean({ default: false, description: 'create the file when it is missing' }),
  backup: S.boolean({ default: false, description: 'keep a timestamped copy of the old file (returned as backup_file)' }),
  marker_begin: S.string({ default: 'BEGIN', description: 'what {mark} becomes in the first marker' }),
  marker_end: S.string({ default: 'END', description: 'what {mark} becomes in the last marker' }),
  validate: S.string({ description: 'command with %s (the temporary file) that must exit 0 before the file is installed' }),
  ...attrSchema,
}, {
  additionalProperties: false,
  anyOf: [{ required: ['path'] }, { required: ['dest'] }, { required: ['destfile'] }, { required: ['name'] }],
});

export type BlockinfileArgs = Static<typeof schema>;

/** Python's bytes.splitlines(keepends=True): lines end at "\n", "\r\n" or "\r". */
export function splitKeepEnds(s: string): string[] {
  return s.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? [];
}

function pathOf(args: BlockinfileArgs): string {
  return editedPath({ path: args.path ?? args.dest ?? args.destfile ?? args.name });
}

/** The last line (index) `re` finds, matched as Python's search on the line with its ending. */
function lastMatch(lines: string[], pattern: string, what: string): number | undefined {
  let re: RegExp;
  try {
    re = compilePythonRegex(utf8ByteString(pattern), what);
  } catch (e) {
    if (e instanceof RegexError) throw new ModuleError(e.message.split(JSON.stringify(utf8ByteString(pattern))).join(JSON.stringify(pattern)));
    throw e;
  }
  try {
    return matchBounded(re, `${what} ${JSON.stringify(pattern)}`, () => {
      let found: number | undefined;
      // Python's $ matches before a final "\n": the line is matched without it
      lines.forEach((l, i) => { if (re.test(l.endsWith('\n') ? l.slice(0, -1) : l)) found = i; });
      return found;
    });
  } catch (e) {
    if (e instanceof RegexError) throw new ModuleError(e.message);
    throw e;
  }
}

export default defineModule<typeof schema, CreatedFileState>({
  name: 'blockinfile',
  description: 'Insert, update or remove a block of lines between marker lines',
  schema,
  async gather(args, host) {
    const path = pathOf(args);
    return withParentState(host, path, args.create, args, () => host.get(fileContent, path));
  },
  plan(args, state) {
    const path = pathOf(args);
    if (state.exists && state.type === 'directory') throw new ModuleError(`Path ${path} is a directory !`);
    requireEditableText(path, state);
    if (args.insertafter !== undefined && args.insertbefore !== undefined) throw new ModuleError('parameters are mutually exclusive: insertbefore|insertafter');
    if (args.block !== undefined && args.content !== undefined) throw new ModuleError('parameters are mutually exclusive: block|content');
    const present = args.state === 'present';
    if (!state.exists) {
      // Ansible checks create first, also for state absent
      if (!args.create) throw new ModuleError(`Path ${path} does not exist !`);
      if (!present) return { changed: false, reason: `File ${path} not present`, result: { msg: `File ${path} not present` } };
    }
    const lines = state.exists ? splitKeepEnds(byteString(state.content ?? Buffer.alloc(0))) : [];
    const original = lines.join('');

    const marker = utf8ByteString(args.marker);
    const marker0 = marker.split('{mark}').join(utf8ByteString(args.marker_begin)) + '\n';
    const marker1 = marker.split('{mark}').join(utf8ByteString(args.marker_end)) + '\n';
    let block = utf8ByteString(args.block ?? args.content ?? '');
    let blockLines: string[] = [];
    if (present && block !== '') {
      if (!block.endsWith('\n')) block += '\n';
      blockLines = [marker0, ...splitKeepEnds(block), marker1];
    }

    let n0: number | undefined;
    let n1: number | undefined;
    lines.forEach((l, i) => {
      if (l === marker0) n0 = i;
      if (l === marker1) n1 = i;
    });
    let at: number;
    if (n0 === undefined || n1 === undefined) {
      const insertafter = args.insertafter ?? (args.insertbefore === undefined ? 'EOF' : undefined);
      if (insertafter !== undefined && insertafter !== 'EOF') {
        const m = lastMatch(lines, insertafter, 'insertafter');
        at = m === undefined ? lines.length : m + 1;
      } else if (args.insertbefore !== undefined && args.insertbefore !== 'BOF') {
        const m = lastMatch(lines, args.insertbefore, 'insertbefore');
        at = m ?? lines.length;
      } else if (args.insertbefore !== undefined) {
        at = 0;
      } else {
        at = lines.length;
      }
    } else if (n0 < n1) {
      lines.splice(n0, n1 - n0 + 1);
      at = n0;
    } else {
      lines.splice(n1, n0 - n1 + 1);
      at = n1;
    }
    // the line before the block gets a line ending (also when there is no block: Ansible's quirk)
    if (at > 0 && !lines[at - 1].endsWith('\n')) lines[at - 1] += '\n';
    lines.splice(at, 0, ...blockLines);
    const result = lines.join('');

    let msg = '';
    if (!state.exists) msg = 'File created';
    else if (result !== original) msg = blockLines.length ? 'Block inserted' : 'Block removed';
    const attrsChange = state.exists && planAttributes(path, args, state, { isDir: false }).steps.length > 0;
    const attrMsg = 'ownership, perms or SE linux context changed';
    const fullMsg = msg && attrsChange ? `${msg} and ${attrMsg}` : msg || (attrsChange ? attrMsg : '');
    return withParent(planContent({
      path, state, after: fromByteString(result), attrs: args, backup: args.backup, validate: args.validate,
      what: msg, unchangedReason: present ? 'the block is already there' : 'no block to remove',
      result: { msg: fullMsg },
    }), state, path);
  },
});
