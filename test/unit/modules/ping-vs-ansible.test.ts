// ping against the real Ansible 2.14 on this machine (local connection): the
// registered result (`ping`, `changed`) with and without `data`, in --check, a
// run and a rerun, and the failure of `data: crash` with Ansible's message and
// rc. Every expected value is what ansible-playbook returns here, in the same test.

import test from 'ava';
import { differentialUnavailable } from '../../helpers/module-differential.js';
import type { DiffCase } from '../../helpers/module-differential.js';
import { resultSummary, runResultDifferential } from '../../helpers/result-differential.js';

const CASES: DiffCase[] = [
  { name: 'default', task: { ping: {} } },
  { name: 'data', task: { ping: { data: 'hello' } } },
  { name: 'data-spaces', task: { ping: { data: 'a b  c' } } },
  { name: 'crash', task: { ping: { data: 'crash' } } },
];

const missing = differentialUnavailable();
if (missing !== undefined) {
  test('ansible-playbook is installed for the ping differential', (t) => t.fail(`missing ${missing}`));
} else {
  test.serial('ping: the same result as Ansible, in --check, a run and a rerun', async (t) => {
    t.timeout(10 * 60_000);
    const outcomes = await runResultDifferential(CASES);
    t.log(resultSummary('ping results', outcomes));
    t.deepEqual(outcomes.filter((o) => o.differences.length).map((o) => `${o.name} (${o.pass}): ${o.differences.join('; ')}`), []);
    for (const o of outcomes) {
      if (o.name === 'crash') {
        t.is(o.tsplay.failed, true, o.pass);
        t.is(o.tsplay.msg, o.ansible.msg, o.pass);
        t.is(o.tsplay.rc, o.ansible.rc, o.pass);
      } else {
        t.is(o.tsplay.changed, false, `${o.name} ${o.pass}`);
        t.is(o.tsplay.ping, o.ansible.ping, `${o.name} ${o.pass}`);
      }
    }
  });
}
