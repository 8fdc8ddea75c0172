// Every play, block and task keyword Ansible 2.14 has (ansible-doc -t keyword
// -l on this machine) is either implemented or refused at load with its place
// and "not supported by tsplay": never taken for a module, never ignored.

import test from 'ava';
import { join } from 'node:path';
import { loadPlaybook } from '../../../../engine/load/playbook.js';
import { loadRegistry } from '../../../../engine/load/registry.js';
import { LoadError } from '../../../../engine/errors.js';
import { ansibleKeywords } from '../../../../engine/load/ansible-keywords.js';
import { BLOCK_KEYWORDS, PLAY_SCHEMA, TASK_KEYWORDS } from '../../../../engine/load/playbook-schema.js';
import { writeTree } from '../../../helpers/run-playbook.js';

async function loadError(playbook: string): Promise<string> {
  const dir = writeTree({ 'p.yml': playbook });
  try {
    await loadPlaybook(join(dir, 'p.yml'), await loadRegistry());
  } catch (e) {
    if (e instanceof LoadError) return e.message;
    throw e;
  }
  return 'loaded';
}

const supported = {
  play: Object.keys(PLAY_SCHEMA.properties ?? {}),
  block: [...BLOCK_KEYWORDS] as string[],
  // action and local_action name the module (engine/load/action-keyword.ts, test/unit/engine/run/action-keyword.test.ts).
  task: [...TASK_KEYWORDS, 'action', 'local_action'],
};

for (const key of ansibleKeywords('task').filter((k) => !supported.task.includes(k))) {
  test(`task keyword "${key}" is refused at load with its place`, async (t) => {
    const msg = await loadError(`- hosts: all\n  tasks:\n    - debug: msg=x\n      ${key}: 1\n`);
    t.regex(msg, new RegExp(`p\\.yml:4:7: "${key}" is an Ansible task keyword that is not supported by tsplay`));
  });
}

for (const key of ansibleKeywords('block').filter((k) => !supported.block.includes(k))) {
  test(`block keyword "${key}" is refused at load with its place`, async (t) => {
    const msg = await loadError(`- hosts: all\n  tasks:\n    - block:\n        - debug: msg=x\n      ${key}: 1\n`);
    t.regex(msg, new RegExp(`p\\.yml:5:7: "${key}" is an Ansible block keyword that is not supported by tsplay`));
  });
}

for (const key of ansibleKeywords('play').filter((k) => !supported.play.includes(k))) {
  test(`play keyword "${key}" is refused at load with its place`, async (t) => {
    const msg = await loadError(`- hosts: all\n  ${key}: 1\n  tasks: []\n`);
    t.regex(msg, new RegExp(`p\\.yml:2:3: "${key}" is an Ansible play keyword that is not supported by tsplay`));
  });
}

test('a with_ loop tsplay does not have is refused as a loop, not as an unknown module', async (t) => {
  t.regex(await loadError('- hosts: all\n  tasks:\n    - debug: msg=x\n      with_nope: [1]\n'), /p\.yml:4:7: with_nope: unknown lookup "nope"/);
});

test('become_method: sudo and su are what tsplay does; another method is refused at load', async (t) => {
  t.is(await loadError('- hosts: all\n  become_method: sudo\n  tasks:\n    - debug: msg=x\n      become_method: su\n'), 'loaded');
  t.is(await loadError('- hosts: all\n  tasks:\n    - debug: msg=x\n      become_method: ansible.builtin.su\n'), 'loaded');
  t.regex(await loadError('- hosts: all\n  become_method: doas\n  tasks: []\n'), /p\.yml:2:18: become_method "doas" is not supported by tsplay: tsplay becomes with sudo or su only/);
});
