// The common end of every module that decides a file's whole new content
// (lineinfile, ini_file, copy, template): one atomic write step when the content
// changes (with mode/owner/group/backup/validate), chown/chmod steps when only the
// attributes differ, a diff, and a file prediction for the check-mode overlay. Pure.
// Content is bytes throughout; only the diff is decoded, for display.

import { ModuleError } from '../../engine/module-api.js';
import type { FileDiff, FileState, Plan, Prediction, Step, WriteExpectation } from '../../engine/module-api.js';
import { sha256Hex } from '../../engine/host/content-hash.js';
import { binaryOffset, byteString, isBinary } from './byte-text.js';
import { planAttributes, wantedAttrs } from './file-attrs.js';
import type { AttrArgs } from './file-attrs.js';
import { splitLines } from './text-lines.js';
import type { Line } from './text-lines.js';

/** The path a file module edits: `path`, or its alias `dest`. */
export function editedPath(args: { path?: string; dest?: string }): string {
  const p = args.path ?? args.dest;
  if (!p) throw new ModuleError('path is required');
  return p;
}

/**
 * Refuse to edit the lines of something that is not a regular file, of a
 * file whose content is not known (predicted by an earlier task without it),
 * or of a binary file (a NUL byte, Ansible's test): editing its "lines" would
 * damage it. Any other bytes (Latin-1, invalid UTF-8) are edited as bytes.
 */
export function requireEditableText(path: string, state: FileState): void {
  if (state.exists && state.type !== 'file') {
    throw new ModuleError(`${path} is a ${state.type}${state.type === 'link' ? ` (to ${state.linkTarget})` : ''}, not a regular file`);
  }
  if (state.exists && state.content === undefined) {
    throw new ModuleError(`the content of ${path} is not known${state.predicted ? ' (an earlier task is predicted to change it without a known content)' : ''}; cannot edit its lines`);
  }
  const nul = state.exists && state.content ? binaryOffset(state.content) : -1;
  if (nul !== -1) {
    throw new ModuleError(`${path} appears to be binary (a NUL byte at offset ${nul}); refusing to edit its lines, the file is left untouched`, { path });
  }
}

/** The lines of an editable file (none for a missing one), as byte strings. */
export function editableLines(path: string, state: FileState): Line[] {
  requireEditableText(path, state);
  return state.exists ? splitLines(byteString(state.content ?? Buffer.alloc(0))) : [];
}

/**
 * A content change for --diff: decoded as UTF-8 for display (an invalid
 * sequence shows as U+FFFD); a binary side is flagged and left empty, and the
 * reporter says the diff was skipped, as Ansible does.
 */
export function contentDiff(path: string, before: Buffer, after: Buffer): FileDiff {
  const d: FileDiff = { path, before: '', after: '' };
  if (isBinary(before)) d.beforeBinary = true;
  else d.before = before.toString('utf8');
  if (isBinary(after)) d.afterBinary = true;
  else d.after = after.toString('utf8');
  return d;
}

/**
 * What a write planned from `state` expects the target to still hold: absent, or
 * the content that was read (undefined when the content is not known).
 */
export function writeExpectation(state: { exists: boolean; content?: string | Buffer }): WriteExpectation | undefined {
  if (!state.exists) return { exists: false };
  return state.content !== undefined ? { sha256: sha256Hex(state.content) } : undefined;
}

export interface ContentPlanInput {
  path: string;
  /** The path's state (exists false for a new file). */
  state: FileState;
  /** The new full content. */
  after: Buffer;
  attrs: AttrArgs;
  backup?: boolean;
  validate?: string | null;
  /** What the content change is, e.g. "line added" (used in the summary). */
  what: string;
  /** Reason when neither content nor attributes change. */
  unchangedReason: string;
  result?: Record<string, unknown>;
}

export function checkValidate(validate: string | null | undefined): void {
  if (validate !== undefined && validate !== null && !validate.includes('%s')) {
    throw new ModuleError(`validate ${JSON.stringify(validate)} must contain %s (the path of the new file to check)`);
  }
}

function prediction(path: string, content: Buffer, want: { mode?: string; owner?: string; group?: string }): Prediction {
  const p: Extract<Prediction, { kind: 'file'; state: 'file' }> = { kind: 'file', path, state: 'file', content };
  if (want.mode !== undefined) p.mode = want.mode;
  if (want.owner !== undefined) p.owner = want.owner;
  if (want.group !== undefined) p.group = want.group;
  return p;
}

export function planContent(input: ContentPlanInput): Plan {
  const { path, state, after } = input;
  checkValidate(input.validate);
  const before = state.exists ? state.content ?? Buffer.alloc(0) : Buffer.alloc(0);
  const result = input.result ? { result: input.result } : {};
  if (!state.exists || !before.equals(after)) {
    const want = wantedAttrs(input.attrs, state, false);
    const step: Step = { kind: 'write', path, content: after };
    if (want.mode !== undefined) step.mode = want.mode;
    if (want.owner !== undefined) step.owner = want.owner;
    if (want.group !== undefined) step.group = want.group;
    if (input.backup && state.exists) step.backup = true;
    if (input.validate) step.validate = input.validate;
    // compare-and-swap: replace only what this plan was made against
    const expect = state.predicted ? undefined : writeExpectation(state);
    if (expect) step.expect = expect;
    const attrNotes = state.exists ? planAttributes(path, input.attrs, state, { isDir: false }).changes : [];
    const summary = `${state.exists ? '' : 'create '}${path}: ${[input.what, ...attrNotes].join(', ')}`;
    return {
      changed: true,
      summary,
      steps: [step],
      diff: [contentDiff(path, before, after)],
      predicts: [prediction(path, after, want)],
      ...result,
    };
  }
  const attrs = planAttributes(path, input.attrs, state, { isDir: false });
  if (attrs.steps.length === 0) return { changed: false, reason: input.unchangedReason, ...result };
  return {
    changed: true,
    summary: `${path}: ${attrs.changes.join(', ')}`,
    steps: attrs.steps,
    predicts: [prediction(path, after, attrs)],
    ...result,
  };
}
