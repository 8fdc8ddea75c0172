// YAML with positions. js-yaml's event parser gives source offsets for every
// node; we record them per JSON pointer so any later error (schema, template,
// unknown module) can name file:line:col.

import { readFileSync } from 'node:fs';
import { parseEvents, constructFromEvents, getScalarValue, YAML11_SCHEMA, Schema, boolYaml11Tag, NOT_RESOLVED, mergeTag, defineScalarTag, EVENT_ID, YAMLException } from 'js-yaml';
import type { Event } from 'js-yaml';
import { LoadError, snippetAt, type Place } from '../errors.js';
import { Unsafe } from '../template/unsafe.js';
import { checkAliases } from './yaml-aliases.js';
import { loadWarning } from './load-warnings.js';
import { VaultedText, decryptVaultedValues, vaultTag } from '../vault/yaml-tag.js';
import { openVaultText, withoutSnippet } from '../vault/read.js';
import { registerSecretValues } from '../vault/redact.js';

// `!unsafe "{{ text }}"`: a string that is never rendered (Ansible's tag; engine/template/unsafe.ts).
const unsafeTag = defineScalarTag('!unsafe', {
  resolve: (source) => new Unsafe(source),
  identify: (data) => data instanceof Unsafe,
  represent: (data) => String((data as Unsafe).value),
});

// Booleans as PyYAML reads them: yes/no, true/false, on/off in lower, Capitalised or UPPER case;
// YAML 1.1's y/n (js-yaml's YAML 1.1 schema) are strings to PyYAML, hence to Ansible.
const PY_TRUE = ['yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'];
const PY_FALSE = ['no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'];
const pyBoolTag = defineScalarTag('tag:yaml.org,2002:bool', {
  implicit: true,
  implicitFirstChars: ['y', 'Y', 'n', 'N', 't', 'T', 'f', 'F', 'o', 'O'],
  resolve: (source) => (PY_TRUE.includes(source) ? true : PY_FALSE.includes(source) ? false : NOT_RESOLVED),
  identify: (data) => typeof data === 'boolean',
  represent: (data) => (data ? 'true' : 'false'),
});

// YAML 1.1 as Ansible (PyYAML) reads it: yes/no booleans, 0644 octal, << merge keys, !unsafe.
const SCHEMA = new Schema([...YAML11_SCHEMA.tags.filter((t) => t !== boolYaml11Tag), pyBoolTag, mergeTag, unsafeTag, vaultTag]);

export type PathSeg = string | number;

export interface YamlDoc {
  file: string;
  source: string;
  value: unknown;
  /** Place of the node at `path`, or of its nearest recorded ancestor. */
  placeOf(path: readonly PathSeg[]): Place;
  /** Place of a mapping key (for "unknown key" errors); falls back to placeOf. */
  keyPlaceOf(path: readonly PathSeg[]): Place;
}

export function pointer(path: readonly PathSeg[]): string {
  return path.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

function lineStarts(source: string): number[] {
  const starts = [0];
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function offsetToPlace(starts: number[], file: string, offset: number): Place {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { file, line: lo + 1, col: offset - starts[lo] + 1 };
}

interface Frame {
  kind: 'map' | 'seq';
  path: PathSeg[];
  index: number; // seq: next index; map: count of nodes seen (even = key, odd = value)
  key?: string;
  keyOffset?: number;
  /** map: where it starts, and the scalar keys seen so far (duplicates are warned about). */
  start?: number;
  seen?: Set<string>;
}

function eventOffset(e: Event): number {
  switch (e.type) {
    case EVENT_ID.SCALAR:
      return e.anchorStart >= 0 ? Math.min(e.anchorStart, e.tagStart >= 0 ? e.tagStart : Infinity, e.valueStart) : e.tagStart >= 0 ? Math.min(e.tagStart, e.valueStart) : e.valueStart;
    case EVENT_ID.MAPPING:
    case EVENT_ID.SEQUENCE:
      return e.start;
    case EVENT_ID.ALIAS:
      return e.anchorStart;
    default:
      return 0;
  }
}

/**
 * PyYAML (Ansible's reader) ignores indentation inside a flow collection, so
 * real roles close one at the parent's indent (`copy: {\n    src: a\n  }`),
 * which js-yaml refuses as "deficient indentation". Such a line (a flow line:
 * it closes a bracket, or follows an open bracket or a comma) is indented as
 * far as the line before it and the parse retried; anything else stays an error.
 */
function parseEventsAsPyYaml(source: string, file: string): { events: Event[]; source: string } {
  let src = source;
  for (let tries = 0; ; tries++) {
    try {
      return { events: parseEvents(src, { filename: file }), source: src };
    } catch (e) {
      if (!(e instanceof YAMLException) || !e.mark || !/deficient indentation/.test(e.reason) || tries > 200) throw e;
      const lines = src.split('\n');
      const at = e.mark.line;
      let prev = at - 1;
      while (prev >= 0 && lines[prev].trim() === '') prev--;
      const line = lines[at] ?? '';
      const text = line.trimStart();
      const before = prev >= 0 ? lines[prev].trimEnd() : '';
      const flowLine = /^[}\]]/.test(text) || /[[{,]$/.test(before);
      const want = prev >= 0 ? lines[prev].length - lines[prev].trimStart().length : 0;
      const have = line.length - text.length;
      if (!flowLine || prev < 0) throw e;
      lines[at] = ' '.repeat(Math.max(want, have + 1)) + text;
      src = lines.join('\n');
    }
  }
}

/**
 * A mapping's key seen again: Ansible (its YAML constructor) keeps the last
 * value and warns, naming the mapping's start as PyYAML marks it.
 */
function duplicateKey(frame: Frame, key: string, file: string, starts: number[]): void {
  if (!frame.seen || key === '<<') return;
  if (!frame.seen.has(key)) {
    frame.seen.add(key);
    return;
  }
  const { line, col } = offsetToPlace(starts, file, frame.start ?? 0);
  loadWarning({ msg: `While constructing a mapping from ${file}, line ${line}, column ${col}, found a duplicate dict key (${key}). Using last defined value only.` });
}

/**
 * Parse one YAML document (an empty file is null). Throws LoadError with place and snippet.
 * `quiet`: duplicate keys are not warned about (PyYAML's own loader, as Ansible's from_yaml uses).
 */
export function parseYaml(original: string, file: string, quiet = false): YamlDoc {
  let events: Event[];
  let values: unknown[];
  let source = original;
  try {
    ({ events, source } = parseEventsAsPyYaml(original, file));
    // Before anything is built or walked: an alias bomb stops here, at its place.
    const refused = checkAliases(events, source);
    if (refused) {
      const { line, col } = offsetToPlace(lineStarts(source), file, refused.offset);
      throw new LoadError(`YAML: ${refused.reason}`, { file, line, col }, snippetAt(source, line, col));
    }
    // As PyYAML: a duplicate key is accepted and the last value wins (`json`); it is warned about below.
    values = constructFromEvents(events, { source, filename: file, schema: SCHEMA, json: true });
  } catch (e) {
    if (e instanceof LoadError) throw e;
    if (e instanceof YAMLException && e.mark) {
      const line = e.mark.line + 1;
      const col = e.mark.column + 1;
      throw new LoadError(`YAML syntax error: ${e.reason}`, { file, line, col }, snippetAt(source, line, col));
    }
    throw new LoadError(`YAML syntax error: ${(e as Error).message}`, { file, line: 1, col: 1 });
  }
  const starts = lineStarts(source);
  const nodes = new Map<string, number>();
  const keys = new Map<string, number>();
  const stack: Frame[] = [];
  let documents = 0;
  for (const e of events) {
    if (e.type === EVENT_ID.DOCUMENT) {
      documents++;
      continue;
    }
    if (e.type === EVENT_ID.POP) {
      stack.pop();
      continue;
    }
    if (documents > 1) continue;
    const top = stack[stack.length - 1];
    let path: PathSeg[] = [];
    if (top) {
      if (top.kind === 'seq') {
        path = [...top.path, top.index++];
      } else {
        const isKey = top.index % 2 === 0;
        top.index++;
        if (isKey) {
          // Record the key; only scalar keys get a path.
          top.key = e.type === EVENT_ID.SCALAR ? source.slice(e.valueStart, e.valueEnd).replace(/^["']|["']$/g, '') : undefined;
          top.keyOffset = eventOffset(e);
          if (e.type === EVENT_ID.SCALAR && !quiet) duplicateKey(top, getScalarValue(source, e), file, starts);
          if (e.type === EVENT_ID.MAPPING || e.type === EVENT_ID.SEQUENCE) stack.push({ kind: e.type === EVENT_ID.MAPPING ? 'map' : 'seq', path: [...top.path, '<key>'], index: 0 });
          continue;
        }
        path = [...top.path, top.key ?? '<key>'];
        if (top.keyOffset !== undefined) keys.set(pointer(path), top.keyOffset);
      }
    }
    nodes.set(pointer(path), eventOffset(e));
    if (e.type === EVENT_ID.MAPPING) stack.push({ kind: 'map', path, index: 0, start: eventOffset(e), seen: new Set() });
    else if (e.type === EVENT_ID.SEQUENCE) stack.push({ kind: 'seq', path, index: 0 });
  }
  if (values.length > 1) {
    throw new LoadError('expected one YAML document, found several (remove the extra "---")', { file, line: 1, col: 1 });
  }
  const placeOf = (path: readonly PathSeg[]): Place => {
    for (let n = path.length; n >= 0; n--) {
      const off = nodes.get(pointer(path.slice(0, n)));
      if (off !== undefined) return offsetToPlace(starts, file, off);
    }
    return { file, line: 1, col: 1 };
  };
  const keyPlaceOf = (path: readonly PathSeg[]): Place => {
    const off = keys.get(pointer(path));
    return off !== undefined ? offsetToPlace(starts, file, off) : placeOf(path);
  };
  const value = values.length ? values[0] : null;
  // `!vault |` values: decrypted here, at load, so a wrong or missing password stops the run before any host is touched.
  return { file, source, value: VaultedText.pending ? decryptVaultedValues(value, placeOf) : value, placeOf, keyPlaceOf };
}

export async function loadYamlFile(file: string): Promise<YamlDoc> {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new LoadError(err.code === 'ENOENT' ? `file not found: ${file}` : `cannot read ${file}: ${err.message}`);
  }
  return parseVaultableYaml(source, file);
}

/** YAML text that may be a whole file encrypted with ansible-vault: decrypted, and its every value kept out of reports. */
export function parseVaultableYaml(source: string, file: string): YamlDoc {
  const { text, vaulted } = openVaultText(source, file);
  if (!vaulted) return parseYaml(source, file);
  let doc: YamlDoc;
  try {
    doc = parseYaml(text, file);
  } catch (e) {
    throw withoutSnippet(e);
  }
  registerSecretValues(doc.value);
  return doc;
}
