// Boolean keywords that may be templates (`no_log: "{{ hide }}"`, `become:
// "{{ use_sudo }}"`), resolved where Ansible resolves them: a task's per host
// with that host's variables, a play's with the play's vars and extra vars. The
// rendered value is read as Ansible's boolean(): a boolean, or one of its
// words (yes/no, true/false, on/off, 1/0, y/n, t/f); anything else fails.

import { ModuleError } from '../module-api.js';
import { booleanOf } from '../load/coerce.js';
import type { Vars } from '../template/vars.js';
import { renderString } from '../template/template.js';
import { toText } from '../template/expression.js';

/** A keyword's value as loaded: a boolean, or a template rendered at run time. */
export type Flag = boolean | string;

export function resolveFlag(v: Flag | undefined, vars: Vars, keyword: string): boolean | undefined {
  if (v === undefined || typeof v === 'boolean') return v;
  const r = renderString(v, vars);
  if (typeof r === 'boolean') return r;
  if (typeof r === 'number' && (r === 0 || r === 1)) return r === 1;
  const b = booleanOf(toText(r));
  if (b === undefined) throw new ModuleError(`${keyword}: "${v}" gave ${JSON.stringify(r)}, which is not a boolean (true/false, yes/no, on/off, 1/0)`);
  return b;
}
