// Where a task's relative file names are found: Ansible's search path.
//
// Every loaded task carries `src.searchPath` (engine/load/playbook.ts, Source):
// the directories its relative files are looked up in, most specific first.
// For a task in a role: the role's directory (then the directories of the
// roles that depend on it, nearest first), then the directory of the task's
// own file, then the playbook's directory. Outside a role: the task file's
// directory, then the playbook's directory.
//
// A relative name is looked up in each directory D of the list, in order, as
// `D/<kind>/<name>`, then `D/<name>`, where kind is the folder Ansible uses for
// that sort of file: `templates` (template src, the template lookup), `files`
// (copy src, the file/fileglob lookups), `vars` (include_vars), `tasks`
// (include_tasks/import_tasks). The first that exists wins (findInSearchPath);
// when none does, the error lists every place tried (searchedPlaces).
//
// Lookups and other runtime readers: call findInSearchPath(task.src.searchPath
// ?? [playbookDir], 'files', name).

import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

export type SearchKind = 'templates' | 'files' | 'vars' | 'tasks';

/** The places tried for `name`, in order (an absolute name is itself). */
export function searchedPlaces(searchPath: readonly string[], kind: SearchKind, name: string): string[] {
  if (isAbsolute(name)) return [name];
  const out: string[] = [];
  for (const dir of searchPath) {
    // A task file's own directory inside a role is `<role>/tasks`: `tasks/tasks/x` is not a place.
    // As Ansible's path_dwim_relative_stack: a role's tasks/ dir is searched as `<role>/<kind>/x` then
    // `<role>/tasks/x`; no `templates/templates/x` when the name already starts with the folder.
    const places = dir.endsWith('/tasks') ? [join(dir, '..', kind, name), join(dir, name)]
      : name.split('/')[0] === kind ? [join(dir, name)] : [join(dir, kind, name), join(dir, name)];
    for (const p of places) if (!out.includes(resolve(p))) out.push(resolve(p));
  }
  return out;
}

/** The first place that exists, or undefined. */
export function findInSearchPath(searchPath: readonly string[], kind: SearchKind, name: string): string | undefined {
  return searchedPlaces(searchPath, kind, name).find((p) => existsSync(p));
}

/** The search path of a task: role dirs (nearest first), its file's dir, the playbook's dir, without repeats. */
export function searchPathOf(roleDirs: readonly string[], taskFileDir: string, playDir: string): string[] {
  return [...new Set([...roleDirs, taskFileDir, playDir].map((d) => resolve(d)))];
}

/** Where a template's own include/import names are looked for: each search directory's templates/, then the directory. */
export function templateDirs(searchPath: readonly string[]): string[] {
  return searchPath.flatMap((d) => [join(d, 'templates'), d]);
}
