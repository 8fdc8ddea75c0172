// Task and play names rendered as ansible-playbook 2.14 prints them, and
// boolean keywords given as templates. The same playbook was run with
// ansible-playbook 2.14 on this machine (two local hosts, -e ev=extra): every
// expected name, the skipped check-mode task, the single run_once result and
// the recap (ok=6/5, skipped=1, failed=1 each, one more ok here for the
// "Task var" task, whose name was checked in a separate run) are what it printed.

import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runPlaybook } from '../../../helpers/run-playbook.js';

const INVENTORY = `all:
  hosts:
    local1: { ansible_connection: local, hv: hostvar }
    local2: { ansible_connection: local, hv: hostvar2 }
`;

const PLAYBOOK = `
- name: "Play {{ pkg2 }} {{ ev }}"
  hosts: all
  gather_facts: "{{ gf }}"
  vars: { pkg2: p2, gf: no, hide: yes, dry: true, once: "yes", pkg: nginx }
  tasks:
    - set_fact: { sf: setfact }
    - name: "Install {{ pkg }} on {{ inventory_hostname }} {{ sf }} {{ ev }} {{ hv }}"
      debug: msg=x
    - name: "Undef {{ nope }} and {{ pkg | upper }}"
      debug: msg=x
    - name: "Item {{ item }}"
      debug: msg=x
      loop: [1]
    - name: "Task var {{ tv }}"
      vars: { tv: taskvar }
      debug: msg=x
    - name: secret
      debug: msg=s3cret
      no_log: "{{ hide }}"
    - name: dry
      command: touch {{ playbook_dir }}/dry
      check_mode: "{{ dry }}"
    - name: once
      debug: msg=once
      run_once: "{{ once }}"
    - name: bad
      debug: msg=x
      no_log: "{{ 'maybe' }}"
- name: "Play {{ hv }}"
  hosts: local1
  gather_facts: false
  tasks: []
`;

test('names are rendered as Ansible prints them; boolean keywords may be templates', async (t) => {
  const r = await runPlaybook({ 'inventory.yml': INVENTORY, 'playbook.yml': PLAYBOOK }, { extraVars: { ev: 'extra' } });
  const plays = r.events.flatMap((e) => (e.kind === 'play_start' ? [e.play] : []));
  // Play names: the play's vars and the extra vars; a host var is undefined there, so the name is as written.
  t.deepEqual(plays, ['Play p2 extra', 'Play {{ hv }}']);
  const tasks = r.events.flatMap((e) => (e.kind === 'task_start' ? [e.task] : []));
  // gather_facts: "{{ gf }}" (no): no Gathering Facts. Task names: the first host's variables; anything
  // undefined (the loop item too) leaves the whole name as written.
  t.deepEqual(tasks, [
    'set_fact', 'Install nginx on local1 setfact extra hostvar', 'Undef {{ nope }} and {{ pkg | upper }}',
    'Item {{ item }}', 'Task var taskvar', 'secret', 'dry', 'once', 'bad',
  ]);
  // The host results carry the rendered name too.
  t.is(r.results('Install nginx on local1 setfact extra hostvar').length, 2);
  t.true(r.results('secret').every((x) => !JSON.stringify(x).includes('s3cret')));
  t.deepEqual(r.results('dry').map((x) => x.status), ['skipped', 'skipped']);
  t.false(existsSync(join(r.dir, 'dry')));
  t.deepEqual(r.results('once').map((x) => x.host), ['local1']);
  // A template that gives no boolean fails the task on each host, hidden since it is no_log.
  t.deepEqual(r.results('bad').map((x) => x.status), ['failed', 'failed']);
  t.false(JSON.stringify(r.results('bad')).includes('maybe'));
  const recap = r.recap();
  t.like(recap.local1, { ok: 7, changed: 0, failed: 1, skipped: 1 });
  t.like(recap.local2, { ok: 6, changed: 0, failed: 1, skipped: 1 });
});

test('a boolean keyword that is neither a boolean word nor a template is refused at load with its place', async (t) => {
  const e = await t.throwsAsync(runPlaybook({ 'playbook.yml': '- hosts: all\n  tasks:\n    - debug: msg=x\n      no_log: maybe\n' }));
  t.regex(e.message, /playbook\.yml:4:\d+: no_log: "maybe" is not a boolean/);
  const ok = await runPlaybook({ 'playbook.yml': '- hosts: local1\n  gather_facts: "no"\n  tasks:\n    - name: t\n      debug: msg=x\n      no_log: "yes"\n' });
  t.is(ok.code, 0);
});
