// Rendering a template file (the template module, lookup('template')): the
// variables Ansible's template action adds (ansible_managed, template_path,
// template_fullpath, template_host, template_uid, template_run_date,
// template_destpath), and errors that name the file and its line.

import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { toText } from './expression.js';
import { isJinjaStatementTemplate, renderJinja, type JinjaLoader } from './jinja.js';
import { renderString, TemplateError } from './template.js';

/** Ansible 2.14's default `ansible_managed` text (its DEFAULT_MANAGED_STR; tsplay has no ansible.cfg to change it). */
export const ANSIBLE_MANAGED = 'Ansible managed';

export interface TemplateFileOptions {
  /** The template's path (absolute, or relative to the first search directory). */
  path: string;
  /** `dest` of the template task, for template_destpath. */
  dest?: string;
  /** Where `{% include %}`/`{% import %}` look after the template's own directory. */
  searchPath: string[];
  /** For tests: the clock and host name. */
  now?: Date;
  host?: string;
}

/** Python's str(datetime.now()): `2026-11-30 18:54:09.550238` (local time). */
export function pythonDateTime(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const base = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  const ms = d.getMilliseconds();
  return ms ? `${base}.${p(ms * 1000, 6)}` : base;
}

/** The name of the user owning a file (Ansible's template_uid), or the uid when /etc/passwd has no entry. */
function ownerName(path: string): string {
  let uid: number;
  try {
    uid = statSync(path).uid;
  } catch {
    return '';
  }
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length > 2 && Number(f[2]) === uid) return f[0];
    }
  } catch {
    // no passwd file: fall back to the number, as Ansible does
  }
  return String(uid);
}

/** The variables Ansible's template action adds for one template file. */
export function templateFileVars(opts: TemplateFileOptions): Record<string, unknown> {
  const full = resolve(opts.searchPath[0] ?? '.', opts.path);
  const vars: Record<string, unknown> = {
    ansible_managed: ANSIBLE_MANAGED,
    template_path: full,
    template_fullpath: full,
    template_host: opts.host ?? hostname(),
    template_uid: ownerName(full),
    template_run_date: pythonDateTime(opts.now ?? new Date()),
  };
  if (opts.dest !== undefined) vars.template_destpath = opts.dest;
  return vars;
}

/**
 * Render a template file's text with the task's variables plus the template
 * variables. A render error names the file, line and column.
 */
export function renderTemplateFile(text: string, vars: Record<string, unknown>, opts: TemplateFileOptions): string {
  const full = resolve(opts.searchPath[0] ?? '.', opts.path);
  const scope = Object.create(vars) as Record<string, unknown>;
  for (const [k, v] of Object.entries(templateFileVars(opts))) {
    Object.defineProperty(scope, k, { value: v, enumerable: true, configurable: true, writable: true });
  }
  if (isJinjaStatementTemplate(text)) {
    const loader: JinjaLoader = { searchPath: opts.searchPath };
    return renderJinja(text, scope, { file: full, loader });
  }
  try {
    return toText(renderString(text, scope, { templateFile: true }));
  } catch (e) {
    if (e instanceof TemplateError && e.file === undefined) {
      throw new TemplateError(e.reason, text, offsetOf(text, e.line, e.column), e.variable, full);
    }
    throw e;
  }
}

function offsetOf(text: string, line?: number, column?: number): number | undefined {
  if (line === undefined || column === undefined) return undefined;
  let off = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', off);
    if (nl < 0) break;
    off = nl + 1;
  }
  return off + column - 1;
}
