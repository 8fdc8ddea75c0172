// Task and play names as ansible-playbook 2.14 prints them: the name is
// rendered with the variables it can see (a task's: those of the first host it
// runs on, loop item excluded, since the name is printed before any item; a
// play's: its vars and the extra vars), and a name that reads anything
// undefined, or fails to render, is printed as written, whole (Ansible renders
// names with fail_on_undefined off, which gives back the original text).

import type { Vars } from '../template/vars.js';
import { isTemplated, renderString } from '../template/template.js';
import { toText } from '../template/expression.js';

export function renderName(name: string, vars: Vars): string {
  if (!isTemplated(name)) return name;
  try {
    return toText(renderString(name, vars));
  } catch {
    // Any error (undefined variable, failing filter): the name as written, as Ansible shows it.
    return name;
  }
}
