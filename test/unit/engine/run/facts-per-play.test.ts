// Facts are gathered again by every play that gathers, as Ansible does: a
// later play sees fresh facts, and a subset gathered later is merged over the
// facts an earlier play gathered. Expected values: ansible-playbook 2.14.18
// ran the same playbook on this machine (local connection): "Gathering Facts"
// in the first two plays, the debug printed "True True" and then ['!all'],
// and the recap was ok=6.

import test from 'ava';
import { runPlaybook } from '../../../helpers/run-playbook.js';

const INVENTORY = 'all:\n  hosts:\n    localhost: { ansible_connection: local }\n';
const PLAYBOOK = `
- hosts: localhost
  gather_facts: true
  tasks:
    - set_fact: { first: "{{ ansible_date_time.epoch }}" }
    - pause: { seconds: 1 }
- hosts: localhost
  gather_facts: true
  gather_subset: ['!all']
  tasks:
    - name: fresh
      debug: { msg: "{{ (ansible_date_time.epoch | int) > (first | int) }} {{ ansible_memtotal_mb is defined }}" }
- hosts: localhost
  gather_facts: false
  tasks:
    - name: subset
      debug: { msg: "{{ ansible_facts.gather_subset }}" }
`;

for (const check of [false, true]) {
  test(`every play that gathers gathers again; a later subset is merged over earlier facts${check ? ' (--check)' : ''}`, async (t) => {
    const run = await runPlaybook({ 'inventory.yml': INVENTORY, 'playbook.yml': PLAYBOOK }, { check });
    t.is(run.code, 0);
    t.is(run.results('Gathering Facts').length, 2);
    const msg = (task: string) => {
      const e = run.events.find((x) => x.kind === 'debug' && x.task === task);
      return e?.kind === 'debug' ? JSON.parse(JSON.stringify(e.msg)) as unknown : undefined;
    };
    t.is(msg('fresh'), 'True True');
    t.deepEqual(msg('subset'), ['!all']);
    t.like(run.recap().localhost, { ok: 6, changed: 0, failed: 0 });
  });
}
