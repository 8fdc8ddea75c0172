// A host's facts as Ansible keeps them (its fact cache): the gathered system
// facts (HostRun.facts, stored without the `ansible_` prefix) and the facts
// modules returned under `ansible_facts` (HostRun.moduleFacts, stored by the
// name the module gave them). Both are host data.
//
// As Ansible 2.14 with its default inject_facts_as_vars: a gathered fact X is
// `ansible_facts.X` and `ansible_X` (ansible_local stays `ansible_local`
// under `ansible_facts`); a module's fact Y (getent_passwd, services,
// packages) is `ansible_facts.Y` and `Y`; setup's own `gather_subset` and
// `module_setup` are module facts.

import type { Facts } from '../module-api.js';
import type { Vars } from '../template/vars.js';
import { unsafe } from '../template/unsafe.js';
import type { HostRun } from './host-run.js';

/**
 * Layers already built, by facts object, for the moduleFacts object they were
 * built with. Every task on a host reads the same facts: the layer (one
 * wrapped value per fact) is built once per change of the facts, not per task.
 * The layer is read-only to its users (buildVars copies what it merges).
 */
const NO_FACTS = {};
const built = new WeakMap<object, { moduleFacts: Vars | undefined; layer: Vars }>();

/** The `facts` variable layer: ansible_facts and the injected names. */
export function factCacheLayer(facts: Facts | undefined, moduleFacts: Vars | undefined): Vars {
  const known = built.get(facts ?? NO_FACTS);
  if (known && known.moduleFacts === moduleFacts) return known.layer;
  const layer = factLayerOf(facts, moduleFacts);
  built.set(facts ?? NO_FACTS, { moduleFacts, layer });
  return layer;
}

function factLayerOf(facts: Facts | undefined, moduleFacts: Vars | undefined): Vars {
  const namespaced: Record<string, unknown> = {};
  const layer: Vars = {};
  for (const [k, v] of Object.entries(facts ?? {})) {
    namespaced[k === 'local' ? 'ansible_local' : k] = v;
    layer[`ansible_${k}`] = unsafe(v);
  }
  for (const [k, v] of Object.entries(moduleFacts ?? {})) {
    namespaced[k] = v;
    layer[k] = unsafe(v);
  }
  layer.ansible_facts = unsafe(namespaced);
  return layer;
}

/**
 * Record what a module returned under `ansible_facts` in the host's fact
 * cache, as Ansible does for every module but set_fact: `ansible_X` updates
 * the system fact X (setup), anything else is kept by its own name.
 */
export function recordModuleFacts(h: HostRun, returned: Record<string, unknown>): void {
  // The facts change in place: the layer built from them is stale.
  built.delete(h.facts ?? NO_FACTS);
  for (const [k, v] of Object.entries(returned)) {
    if (k.startsWith('ansible_') && k.length > 'ansible_'.length) {
      h.facts ??= {} as Facts;
      h.facts[k.slice('ansible_'.length)] = v;
    } else {
      h.moduleFacts ??= {};
      h.moduleFacts[k] = v;
    }
  }
}

/** Fresh facts over earlier ones: the fresh object (it carries what its parse recorded), with the earlier facts it lacks. */
export function mergedFacts(earlier: Facts | undefined, fresh: Facts): Facts {
  if (!earlier) return fresh;
  const out = fresh as Record<string, unknown>;
  for (const [k, v] of Object.entries(earlier)) if (!Object.hasOwn(out, k)) out[k] = v;
  return fresh;
}
