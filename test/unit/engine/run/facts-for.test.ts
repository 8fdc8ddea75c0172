// The facts a module sees (engine/run/action.ts factsFor): a module's returned
// ansible_* facts (hostname's ansible_hostname) on a host whose facts were not
// gathered must not hide the probed ones (service_mgr, os_family...) that
// later modules plan with; gathered facts are used as they are.

import test from 'ava';
import { factsFor } from '../../../../engine/run/action.js';
import type { HostRun } from '../../../../engine/run/host-run.js';
import type { Facts } from '../../../../engine/module-api.js';

const probed = { hostname: 'h1', os_id: 'debian', os_version: '12', architecture: 'x86_64', service_mgr: 'systemd', kvm: false, virtualization_hints: [] } as Facts;
const run = (o: Partial<HostRun>): HostRun => ({ name: 'h1', setFacts: {}, includeVars: {}, ...o }) as unknown as HostRun;

test('factsFor: gathered, probed, probed with module facts over them', (t) => {
  const gathered = { ...probed, hostname: 'g' } as Facts;
  t.is(factsFor(run({ facts: gathered, moduleFacts: { module_setup: true } })), gathered);
  t.is(factsFor(run({ facts: gathered, probedFacts: probed, moduleFacts: { module_setup: true } })), gathered);
  t.is(factsFor(run({ probedFacts: probed })), probed);
  t.is(factsFor(run({})), undefined);
  const returned = { hostname: 'new-name' } as Facts;
  t.deepEqual(factsFor(run({ facts: returned, probedFacts: probed })), { ...probed, hostname: 'new-name' });
  t.is(factsFor(run({ facts: returned, probedFacts: probed }))?.service_mgr, 'systemd');
});
