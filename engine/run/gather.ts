// Fact gathering, in one place: the play's gather_facts step and the probe
// for modules when a play does not gather (both call gatherHostFacts).

import type { Host } from '../host/host.js';
import { gatherFacts } from '../facts/system.js';
import type { Facts } from '../module-api.js';

export function gatherHostFacts(host: Host): Promise<Facts> {
  return gatherFacts(host);
}
