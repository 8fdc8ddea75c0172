import { unsafe } from '../../template/unsafe.js';
import type { BuiltinAction } from './builtin.js';

/** set_fact: host variables for the rest of the run (the set_fact layer). */
export const setFact = (): BuiltinAction => ({
  name: 'set_fact',
  run(ctx, args) {
    // As Ansible: a value that read host data stays data; playbook text stays a template.
    for (const [k, v] of Object.entries(args)) ctx.host.setFacts[k] = ctx.argsFromData.has(k) ? unsafe(v) : v;
    return { status: 'ok', result: { changed: false, ansible_facts: args } };
  },
});
