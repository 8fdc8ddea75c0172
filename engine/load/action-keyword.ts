// Ansible's `action:` and `local_action:` task keywords, as its
// ModuleArgsParser reads them: `action: apt name=x state=present` or
// `action: {module: apt, name: x}` is the task `apt: name=x state=present`;
// `local_action:` is the same with `delegate_to: localhost` (which wins over a
// `delegate_to:` beside it, as in Ansible 2.14). The module name
// may be a template (`action: "{{ ansible_pkg_mgr }} name=x"`, a form older
// roles use): it is rendered per host when the task runs (engine/run/action.ts),
// and its options must then be key=value words or a mapping, as in Ansible
// (free-form text needs the module known at load). Pure.

import { isTemplated } from '../template/template.js';

export type ActionKeywordName = 'action' | 'local_action';

export interface ActionKeyword {
  /** The keyword as written. */
  key: ActionKeywordName;
  /** The module's name as written (a template when `templated`). */
  module: string;
  /** The options: the rest of the string (key=value or free form), a mapping, or undefined. */
  value: unknown;
  templated: boolean;
}

export class ActionKeywordError extends Error {
  constructor(message: string, readonly at: ActionKeywordName) {
    super(message);
    this.name = 'ActionKeywordError';
  }
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The first word of `text` and the text after it. A `{{ ... }}` in the
 * first word is one piece with its spaces (`{{ pkg_mgr }} name=x`).
 */
export function splitModuleWord(text: string): { word: string; rest: string } {
  const s = text.trimStart();
  let i = 0;
  while (i < s.length && !/\s/.test(s[i])) {
    if (s.startsWith('{{', i)) {
      const end = s.indexOf('}}', i + 2);
      i = end < 0 ? s.length : end + 2;
    } else {
      i++;
    }
  }
  return { word: s.slice(0, i), rest: s.slice(i).trim() };
}

/**
 * The `action`/`local_action` of a task, or undefined when it has neither.
 * `otherActions`: the task's keys that are neither task keywords nor these two.
 * Throws ActionKeywordError with Ansible 2.14's words for its errors.
 */
export function actionKeyword(task: Record<string, unknown>, otherActions: string[]): ActionKeyword | undefined {
  const has = (k: string) => Object.prototype.hasOwnProperty.call(task, k);
  if (!has('action') && !has('local_action')) return undefined;
  if (has('action') && has('local_action')) throw new ActionKeywordError('action and local_action are mutually exclusive', 'local_action');
  const key: ActionKeywordName = has('action') ? 'action' : 'local_action';
  const raw = task[key];
  let module: string;
  let value: unknown;
  if (isMapping(raw)) {
    const { module: m, ...rest } = raw;
    if (typeof m !== 'string' || m.trim() === '') throw new ActionKeywordError(`no module/action detected in task (${key} as a mapping names it with "module:")`, key);
    const split = splitModuleWord(m);
    if (split.rest !== '') throw new ActionKeywordError(`${key}: "module: ${m}" is one module name; give its options beside it`, key);
    module = split.word;
    value = rest;
  } else if (typeof raw === 'string') {
    const split = splitModuleWord(raw);
    if (split.word === '') throw new ActionKeywordError(`no module/action detected in task (${key} is empty)`, key);
    module = split.word;
    value = split.rest === '' ? undefined : split.rest;
  } else {
    throw new ActionKeywordError(`${key}: expected a module name with its options (a string or a mapping with "module:")`, key);
  }
  if (otherActions.length) throw new ActionKeywordError(`conflicting action statements: ${otherActions[0]}, ${module}`, key);
  return { key, module, value, templated: isTemplated(module) };
}
