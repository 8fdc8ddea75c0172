// A play's vars_files, as Ansible reads them: each entry a file (relative to
// the playbook's directory), or a list of files of which the first that exists
// is read. A name with a template (`vars/{{ ansible_os_family }}.yml`) is
// rendered for each host once its facts are gathered, so each host may read
// a different file; names without one are read once when the play starts.

import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { LoadError } from '../errors.js';
import { loadVarsFile } from '../inventory/inventory.js';
import type { Play } from '../load/playbook.js';
import { isTemplated, renderString } from '../template/template.js';
import { toText } from '../template/expression.js';
import type { Vars } from '../template/vars.js';

function abs(play: Play, f: string): string {
  return isAbsolute(f) ? f : join(play.baseDir, f);
}

/** Does any entry name a file with a template (read per host)? */
export function hasTemplatedVarsFiles(play: Play): boolean {
  return play.varsFiles.some((e) => (Array.isArray(e) ? e : [e]).some((f) => isTemplated(f)));
}

/** One entry's variables; `render` turns a templated name into a file name. */
async function entryVars(play: Play, entry: string | string[], render: (f: string) => string): Promise<Vars> {
  if (!Array.isArray(entry)) {
    const file = abs(play, render(entry));
    if (!existsSync(file)) throw new LoadError(`vars file ${entry}${file !== entry ? ` (${file})` : ''} was not found`);
    return loadVarsFile(file);
  }
  const tried: string[] = [];
  for (const f of entry) {
    const file = abs(play, render(f));
    tried.push(file);
    if (existsSync(file)) return loadVarsFile(file);
  }
  throw new LoadError(`vars_files: none of the files of the list was found: ${tried.join(', ')}`);
}

/**
 * The variables of the play's vars_files for the play as a whole: every
 * entry when none has a template; otherwise only until the hosts' own are
 * read (hostVarsFiles), the entries without templates.
 */
export async function playVarsFiles(play: Play): Promise<Vars> {
  const out: Vars = {};
  for (const entry of play.varsFiles) {
    if ((Array.isArray(entry) ? entry : [entry]).some((f) => isTemplated(f))) continue;
    Object.assign(out, await entryVars(play, entry, (f) => f));
  }
  return out;
}

/** All of the play's vars_files for one host, names rendered with that host's variables. */
export async function hostVarsFiles(play: Play, vars: Vars): Promise<Vars> {
  const out: Vars = {};
  for (const entry of play.varsFiles) Object.assign(out, await entryVars(play, entry, (f) => (isTemplated(f) ? toText(renderString(f, vars)) : f)));
  return out;
}
