// Fact gathering, in one place: the play's gather_facts step (with its
// gather_subset and gather_timeout), the setup module, and the probe for
// modules when a play does not gather (all call gatherHostFacts).

import type { Host } from '../host/host.js';
import { gatherFacts } from '../facts/system.js';
import { ModuleError, type Facts, type HostReader } from '../module-api.js';

export interface GatherOptions {
  /** Ansible's gather_subset (default ['all']). */
  subset?: readonly string[];
  /** gather_timeout in seconds: the whole gathering round trip must end within it. */
  timeoutS?: number;
}

/** The facts a module needs when the play did not gather (the minimal set: platform, distribution, service_mgr...). */
export const PROBE_SUBSET: readonly string[] = ['!all'];

export function gatherHostFacts(host: Host | Pick<HostReader, 'get' | 'name'>, opts: GatherOptions = {}): Promise<Facts> {
  const reading = gatherFacts(host, { subset: opts.subset });
  if (opts.timeoutS === undefined) return reading;
  const ms = opts.timeoutS * 1000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ModuleError(`${host.name}: gathering facts took longer than gather_timeout (${opts.timeoutS}s)`, { host: host.name })), ms);
  });
  // the read goes on in the background after a timeout; its late result or error is dropped
  reading.catch(() => undefined);
  return Promise.race([reading, timeout]).finally(() => clearTimeout(timer));
}
