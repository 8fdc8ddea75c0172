import { booleanOf } from '../../load/coerce.js';
import { renderString } from '../../template/template.js';
import { toText } from '../../template/expression.js';
import { unsafe } from '../../template/unsafe.js';
import { ModuleError } from '../../module-api.js';
import type { BuiltinAction } from './builtin.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const YAML_BOOLEAN_WORDS = new Set(['true', 'false', 'yes', 'no']);

/** The value set_fact stores for a rendered argument: as Ansible (without jinja2_native), the text true/false/yes/no is a boolean. */
export function setFactValue(v: unknown): unknown {
  return typeof v === 'string' && YAML_BOOLEAN_WORDS.has(v.toLowerCase()) ? booleanOf(v) : v;
}

/** set_fact: host variables for the rest of the run (the set_fact layer). */
export const setFact = (): BuiltinAction => ({
  name: 'set_fact',
  run(ctx, args) {
    const facts: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(args)) {
      // There is no fact cache: `cacheable` changes nothing within a run, as in Ansible's default memory cache.
      if (k === 'cacheable') continue;
      // As Ansible: a key may be a template (`"{{ name }}_port": 80`), rendered on each host.
      const name = toText(renderString(k, ctx.vars));
      if (!IDENTIFIER.test(name)) throw new ModuleError(`set_fact: the variable name "${name}" is not valid: it must start with a letter or underscore and contain only letters, digits and underscores`);
      const value = setFactValue(v);
      facts[name] = value;
      // A value that read host data stays data; playbook text stays a template.
      ctx.host.setFacts[name] = ctx.argsFromData.has(k) ? unsafe(value) : value;
    }
    return { status: 'ok', result: { changed: false, ansible_facts: facts } };
  },
});
