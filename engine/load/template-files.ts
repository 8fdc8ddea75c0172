// Template files are checked before anything runs (`tsplay validate` and the
// load phase of a run): every `template` task whose `src` is written as plain
// text has its file read and parsed, with the files it includes or imports.
// A syntax error is reported at the template file's own line and column, and
// names the task; a missing file is reported at the task's `src`. A templated
// `src` is checked when the task runs.

import { readFileSync } from 'node:fs';
import { openControllerText } from '../vault/read.js';
import { isAbsolute } from 'node:path';
import { LoadError, snippetAt, type Place } from '../errors.js';
import { checkJinja, isJinjaStatementTemplate } from '../template/jinja.js';
import { checkTemplate, isTemplated, TemplateError } from '../template/template.js';
import { isUnsafe } from '../template/unsafe.js';
import type { PathSeg, YamlDoc } from './yaml.js';
import { findInSearchPath, searchedPlaces, templateDirs } from './search-path.js';

// The shapes of playbook.ts's Task, Block and Play this check reads (written
// here so that playbook.ts, which calls the check, is not imported back).
interface Task {
  kind: 'task';
  action: string;
  args: Record<string, unknown>;
  src: { doc: YamlDoc; path: PathSeg[]; searchPath?: string[] };
}
interface Block {
  kind: 'block';
  block: Item[];
  rescue: Item[];
  always: Item[];
}
type Item = Task | Block;
interface Play {
  preTasks: Item[];
  tasks: Item[];
  postTasks: Item[];
  handlers: Item[];
  baseDir: string;
}

function placeOf(src: Task['src'], sub: PathSeg[] = []): Place {
  return src.doc.placeOf([...src.path, ...sub]);
}

function formatSourcePlace(src: Task['src']): string {
  const p = placeOf(src);
  return `${p.file}:${p.line}:${p.col}`;
}

/** Modules whose `src` is a template file. */
const TEMPLATE_ACTIONS = new Set(['template', 'ansible.builtin.template', 'ansible.legacy.template']);

/**
 * Directories a task's template `src` (and the templates it includes) are
 * looked up in. Today: the play's directory, as the template module reads it.
 * (Roles add the role's `templates/` directory in front.)
 */
export function templateSearchPath(play: Pick<Play, 'baseDir'>): string[] {
  return [play.baseDir];
}

function walk(items: Item[], fn: (t: Task) => void): void {
  for (const it of items) {
    if (it.kind === 'block') {
      walk(it.block, fn);
      walk(it.rescue, fn);
      walk(it.always, fn);
    } else fn(it);
  }
}

/** Check the template file of every template task in the play; throws LoadError. */
export function checkTemplateFiles(play: Play): void {
  const searchPath = templateSearchPath(play);
  for (const items of [play.preTasks, play.tasks, play.postTasks, play.handlers]) {
    walk(items, (t) => {
      if (!TEMPLATE_ACTIONS.has(t.action)) return;
      const src = t.args.src;
      if (typeof src !== 'string' || isUnsafe(src) || isTemplated(src)) return;
      checkTemplateFile(src, t, searchPath);
    });
  }
}

/** Where `src` sits under the task as written (`template: {src: …}`), for the error's place. */
function srcPath(t: Task): PathSeg[] {
  let raw: unknown = t.src.doc.value;
  for (const seg of t.src.path) raw = raw && typeof raw === 'object' ? (raw as Record<string | number, unknown>)[seg] : undefined;
  if (!raw || typeof raw !== 'object') return [];
  for (const [k, v] of Object.entries(raw)) {
    if (TEMPLATE_ACTIONS.has(k) && v && typeof v === 'object' && 'src' in v) return [k, 'src'];
    if (TEMPLATE_ACTIONS.has(k)) return [k];
  }
  return [];
}

function checkTemplateFile(src: string, t: Task, playSearchPath: string[]): void {
  // As the run finds it (engine/run/action.ts localFile): the task's search path, role templates/ first.
  const taskPath = t.src.searchPath ?? playSearchPath;
  const path = isAbsolute(src) ? src : findInSearchPath(taskPath, 'templates', src);
  const searchPath = templateDirs(taskPath);
  let text: string;
  try {
    if (path === undefined) throw Object.assign(new Error('not found'), { code: 'ENOENT' });
    // A vaulted template is checked decrypted (the run decrypts it: engine/vault/read.ts).
    text = openControllerText(readFileSync(path, 'utf8'), path);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : `cannot be read (${(e as Error).message})`;
    if (path === undefined) {
      const place = placeOf(t.src, srcPath(t));
      throw new LoadError(`template file ${src} not found; looked in: ${searchedPlaces(taskPath, 'templates', src).join(', ')}`, place, snippetAt(t.src.doc.source, place.line, place.col));
    }
    const place = placeOf(t.src, srcPath(t));
    throw new LoadError(`template file ${path} ${why}`, place, snippetAt(t.src.doc.source, place.line, place.col));
  }
  try {
    if (isJinjaStatementTemplate(text)) checkJinja(text, path, { searchPath });
    else checkTemplate(text);
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    const file = e.file ?? path;
    const place: Place = { file, line: e.line ?? 1, col: e.column ?? 1 };
    let source = text;
    if (file !== path) {
      try {
        source = readFileSync(file, 'utf8');
      } catch {
        source = '';
      }
    }
    throw new LoadError(`${e.reason} (in the template of the task at ${formatSourcePlace(t.src)})`, place, source ? snippetAt(source, place.line, place.col) : undefined);
  }
}
