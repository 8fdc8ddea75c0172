// setup: gather the host's facts as a task, as Ansible 2.14's setup module:
// gather_subset and filter choose what is returned under ansible_facts (each
// fact as ansible_<name>), and the engine records them in the host's facts
// (engine/run/fact-cache.ts). Never changes anything; runs in --check too.

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Facts, HostReader } from '../engine/module-api.js';
import { GatherSubsetError, resolveGatherSubset, subsetList } from '../engine/facts/setup/subset.js';
import { gatherHostFacts } from '../engine/run/gather.js';
import { fnmatch } from '../engine/template/fnmatch.js';


const schema = S.object({
  gather_subset: S.anyOf([S.string(), S.array(S.string())], {
    description: 'what to gather: all, min, hardware, network, virtual, a collector name, or !name to leave it out (a list, or comma-separated); default all',
  }),
  gather_timeout: S.integer({ minimum: 1, description: 'seconds the whole gathering may take (Ansible: per collector, default 10); unset: no bound but the connection\'s' }),
  filter: S.anyOf([S.string(), S.array(S.string())], {
    description: 'return only the facts whose ansible_ name matches one of these shell-style patterns (ansible_eth*); a list, or comma-separated',
  }),
}, { additionalProperties: false });

export interface SetupState {
  subset: string[];
  facts: Facts;
}

export default defineModule<typeof schema, SetupState>({
  name: 'setup',
  description: "Gather the host's facts (gather_subset, filter) into ansible_facts",
  schema,

  async gather(args, host: HostReader): Promise<SetupState> {
    const subset = subsetList(args.gather_subset);
    try {
      resolveGatherSubset(subset);
    } catch (e) {
      if (e instanceof GatherSubsetError) throw new ModuleError(e.message);
      throw e;
    }
    return { subset, facts: await gatherHostFacts(host, { subset, timeoutS: args.gather_timeout }) };
  },

  plan(args, state) {
    const patterns = args.filter === undefined ? [] : subsetList(args.filter).filter((p) => p !== '');
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(state.facts)) {
      const name = `ansible_${k}`;
      if (!patterns.length || patterns.some((p) => fnmatch(name, p))) out[name] = v;
    }
    // as Ansible: setup's own two facts come only without a filter
    if (!patterns.length) Object.assign(out, { gather_subset: state.subset, module_setup: true });
    return { changed: false, reason: `gathered ${Object.keys(out).length} facts`, result: { ansible_facts: out } };
  },
});
