// A task's arguments as Ansible 2.14 assembles them (its ModuleArgsParser):
// the value under the action key, a mapping or a `key=value` string
// (key-value.ts), laid over the `args:` keyword (the action's own value wins
// where both name an option). The words of a string that are not `key=value`
// are the command of a free-form module (command, shell: `freeForm`), the file
// of include_vars, the action of meta; any other action refuses them, as
// Ansible does ("has extra params").

import { isTemplated } from '../template/template.js';
import { KeyValueError, parseKeyValue } from './key-value.js';

/** Built-ins that take a bare word as one option (Ansible's _raw_params for them). */
const BUILTIN_RAW_OPTION: Readonly<Record<string, string>> = { include_vars: 'file', meta: 'action' };

export class ActionArgsError extends Error {
  constructor(message: string, readonly at: 'value' | 'args') {
    super(message);
    this.name = 'ActionArgsError';
  }
}

export interface ActionArgs {
  args: Record<string, unknown>;
  /** Options given in the key=value form: their values are strings for the schema to convert. */
  keyValue: ReadonlySet<string>;
  /** Options that come from the `args:` keyword (for placing an error at them). */
  fromArgsKeyword: ReadonlySet<string>;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The arguments of `action` from its value and the task's `args:` keyword.
 * `freeForm` is the module's option for free-form text (command/shell: cmd).
 */
export function actionArgs(action: string, value: unknown, freeForm: string | undefined, argsKeyword: unknown): ActionArgs {
  let own: Record<string, unknown>;
  const keyValue = new Set<string>();
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    let parsed;
    try {
      parsed = parseKeyValue(String(value), freeForm !== undefined);
    } catch (e) {
      if (e instanceof KeyValueError) throw new ActionArgsError(`${action}: ${e.message}`, 'value');
      throw e;
    }
    own = { ...parsed.options };
    for (const k of Object.keys(parsed.options)) keyValue.add(k);
    const rawOption = freeForm ?? BUILTIN_RAW_OPTION[action];
    if (parsed.raw !== undefined && parsed.raw !== '') {
      if (rawOption !== undefined) {
        own[rawOption] = parsed.raw;
      } else if (isTemplated(parsed.raw)) {
        throw new ActionArgsError(`${action}: a template standing for the whole of the options ("${parsed.raw}") is not supported by tsplay; write the options as a mapping or as key=value`, 'value');
      } else {
        throw new ActionArgsError(`${action} takes options as a mapping or as key=value words; "${parsed.raw}" is not key=value (only command and shell take free-form text)`, 'value');
      }
    }
  } else if (value === null || value === undefined) {
    own = {};
  } else if (isMapping(value)) {
    own = value;
  } else {
    throw new ActionArgsError(`${action} takes a mapping of options`, 'value');
  }
  if (argsKeyword === undefined || argsKeyword === null) return { args: own, keyValue, fromArgsKeyword: new Set() };
  if (!isMapping(argsKeyword)) throw new ActionArgsError('args: takes a mapping of options', 'args');
  // As Ansible: `args:` gives defaults; the action's own value overrides them.
  const fromArgsKeyword = new Set(Object.keys(argsKeyword).filter((k) => !(k in own)));
  return { args: { ...argsKeyword, ...own }, keyValue, fromArgsKeyword };
}
