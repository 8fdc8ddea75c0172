// The PLAY RECAP counts as ansible-playbook counts them: the same playbooks run
// under ansible-core (Debian's package; .ci/run installs it) and under tsplay,
// over the local connection, must give the same recap for every host.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runPlaybook, writeTree } from '../../../helpers/run-playbook.js';

const ANSIBLE = '/usr/bin/ansible-playbook';
const INI = 'local1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\nlocal2 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n';

const playbooks: Record<string, string> = {
  'ok, changed, skipped and loops': `
- hosts: all
  gather_facts: false
  tasks:
    - debug: { msg: hello }
    - command: "true"
    - command: "true"
      changed_when: false
    - command: "true"
      when: inventory_hostname == 'local1'
    - command: "echo {{ item }}"
      loop: [1, 2, 3]
      when: item != 2
    - debug: { msg: "{{ item }}" }
      loop: [1, 2]
      when: false
    - set_fact: { x: 1 }
`,
  'failures, ignore_errors, failed_when': `
- hosts: all
  gather_facts: false
  tasks:
    - command: "false"
      ignore_errors: true
    - command: "echo out"
      register: r
      failed_when: "'out' in r.stdout and inventory_hostname == 'local2'"
    - debug: { msg: after }
`,
  'block, rescue and always': `
- hosts: all
  gather_facts: false
  tasks:
    - block:
        - command: "false"
          when: inventory_hostname == 'local1'
        - debug: { msg: in block }
      rescue:
        - debug: { msg: rescued }
      always:
        - command: "true"
    - block:
        - fail: { msg: unrescued }
          when: inventory_hostname == 'local2'
      always:
        - debug: { msg: always }
    - debug: { msg: end }
`,
  'handlers': `
- hosts: all
  gather_facts: false
  tasks:
    - command: "true"
      notify: h1
    - command: "true"
      changed_when: false
      notify: h2
    - assert: { that: [1 == 1] }
  handlers:
    - name: h1
      command: "true"
    - name: h2
      debug: { msg: never }
`,
};

type Recap = Record<string, Record<string, number>>;

function ansibleRecap(dir: string): Recap {
  let out: string;
  try {
    out = execFileSync(ANSIBLE, ['-i', join(dir, 'hosts.ini'), join(dir, 'playbook.yml')], {
      env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_LOCALHOST_WARNING: 'False', ANSIBLE_INVENTORY_UNPARSED_WARNING: 'False' },
      encoding: 'utf8',
    });
  } catch (e) {
    out = (e as { stdout: string }).stdout;
  }
  const recap: Recap = {};
  for (const m of out.matchAll(/^(\S+)\s+:\s+(ok=.*)$/gm)) {
    recap[m[1]] = Object.fromEntries([...m[2].matchAll(/(\w+)=(\d+)/g)].map((x) => [x[1], Number(x[2])]));
  }
  return recap;
}

// Outside CI, machines without ansible-core skip these; in CI they always run.
const maybe = existsSync(ANSIBLE) || process.env.CI ? test : test.skip;

for (const [name, text] of Object.entries(playbooks)) {
  maybe(`recap equals ansible-playbook's: ${name}`, async (t) => {
    const dir = writeTree({ 'playbook.yml': text, 'hosts.ini': INI });
    const expected = ansibleRecap(dir);
    t.deepEqual(Object.keys(expected).sort(), ['local1', 'local2'], 'ansible-playbook produced a recap');
    const ours = await runPlaybook({ 'playbook.yml': text });
    const got: Recap = {};
    for (const [h, c] of Object.entries(ours.recap())) got[h] = { ...c };
    t.deepEqual(got, expected);
  });
}
