// The bare `include:` task (deprecated in Ansible 2.14, removed in 2.16), as
// ansible-playbook 2.14.18 ran the same playbooks on this machine: static
// (its tasks listed one by one, no "included:" line, its when and tags on each)
// unless its name is a template, it loops, or it sits in a dynamic include;
// dynamic, it prints "included: FILE for HOST" and --tags does not deselect it.
// Its key=value arguments are variables of the included tasks, under `vars:`.
// Both deprecation texts are Ansible's (without its ansible.cfg sentence).

import test from 'ava';
import { runPlaybook, type PlaybookRun } from '../../../helpers/run-playbook.js';
import { BARE_INCLUDE_DEPRECATION, BARE_INCLUDE_RUN_DEPRECATION } from '../../../../engine/load/bare-include.js';
import { LoadError } from '../../../../engine/errors.js';

const INVENTORY = 'all:\n  hosts:\n    localhost: { ansible_connection: local }\n';
const INNER = '- name: inner1\n  debug: { msg: "inner1 {{ a | default(\'-\') }}" }\n- name: inner2\n  debug: { msg: inner2 }\n  tags: [t2]\n';

async function play(tasks: string, tags: string[] = [], files: Record<string, string> = {}): Promise<PlaybookRun> {
  return runPlaybook({
    'inventory.yml': INVENTORY,
    'inc/t.yml': INNER,
    'playbook.yml': `- hosts: localhost\n  gather_facts: false\n  vars: { f: t }\n  tasks:\n${tasks}`,
    ...files,
  }, { tags });
}

/** What ran, in order: "task status" per result, "included" per include line, "W"/"D" per warning. */
function trace(run: PlaybookRun): string[] {
  const out: string[] = [];
  for (const e of run.events) {
    if (e.kind === 'host_result') out.push(`${e.task} ${e.status}`);
    else if (e.kind === 'included') out.push(`included${e.item !== undefined ? ` ${JSON.stringify(e.item)}` : ''}`);
    else if (e.kind === 'warning') out.push(e.msg === BARE_INCLUDE_DEPRECATION ? 'D-load' : e.msg === BARE_INCLUDE_RUN_DEPRECATION ? 'D-run' : `W ${e.msg}`);
    else if (e.kind === 'debug') out.push(`  ${String(e.msg)}`);
  }
  return out;
}

const PLAYBOOK = `
    - include: inc/t.yml
      tags: [x]
      when: true
    - include: inc/t.yml a=1
      when: false
    - include: "inc/{{ f }}.yml"
    - name: named
      include: inc/t.yml
      loop: [1, 2]
`;

test('static and dynamic bare includes run as in Ansible 2.14', async (t) => {
  const run = await play(PLAYBOOK);
  t.is(run.code, 0);
  t.deepEqual(trace(run), [
    'D-load',
    '  inner1 -', 'inner1 ok', '  inner2', 'inner2 ok',
    'inner1 skipped', 'inner2 skipped',
    'D-run', 'included', '  inner1 -', 'inner1 ok', '  inner2', 'inner2 ok',
    'included 1', 'included 2', '  inner1 -', 'inner1 ok', '  inner2', 'inner2 ok', '  inner1 -', 'inner1 ok', '  inner2', 'inner2 ok',
  ]);
  // ansible-playbook: ok=11 changed=0 skipped=2
  t.like(run.recap().localhost, { ok: 11, changed: 0, skipped: 2, failed: 0 });
  t.true(run.events.find((e) => e.kind === 'warning' && e.msg === BARE_INCLUDE_DEPRECATION)?.kind === 'warning');
});

test('--tags: a static include gives its tags to its tasks; a dynamic one is not deselected', async (t) => {
  const run = await play(PLAYBOOK, ['x']);
  t.is(run.code, 0);
  t.deepEqual(trace(run), [
    'D-load',
    '  inner1 -', 'inner1 ok', '  inner2', 'inner2 ok',
    'D-run', 'included',
    'included 1', 'included 2',
  ]);
  // ansible-playbook --tags x: ok=5
  t.like(run.recap().localhost, { ok: 5, skipped: 0 });
});

test('key=value arguments and args: are variables of the included tasks; vars: win', async (t) => {
  const run = await play(`
    - include: inc/t.yml a=1
      vars: { a: 0 }
    - include: inc/t.yml a=1
    - include: "inc/{{ f }}.yml"
      args: { a: 2 }
`);
  t.is(run.code, 0);
  // ansible-playbook: "inner1 0", "inner1 1", "inner1 2"
  t.deepEqual(trace(run).filter((l) => l.startsWith('  inner1')), ['  inner1 0', '  inner1 1', '  inner1 2']);
});

test('a bare include inside a dynamically included file is dynamic', async (t) => {
  const run = await play('    - include_tasks: inc/outer.yml\n', [], { 'inc/outer.yml': '- include: t.yml\n' });
  t.is(run.code, 0);
  t.deepEqual(trace(run).filter((l) => !l.startsWith('  ')), ['D-load', 'included', 'D-run', 'included', 'inner1 ok', 'inner2 ok']);
});

test('a play-level include is refused at its place, as Ansible 2.14 refuses it', async (t) => {
  const e = await t.throwsAsync(runPlaybook({ 'inventory.yml': INVENTORY, 'other.yml': '- hosts: localhost\n  tasks: []\n', 'playbook.yml': '- include: other.yml\n' }), { instanceOf: LoadError });
  t.regex(e?.message ?? '', /playbook\.yml:1:3/);
  t.regex(e?.message ?? '', /'include' is not a valid attribute for a Play \(as in Ansible 2\.14: use import_playbook\)/);
});

test('a bare include without a file is refused at its place', async (t) => {
  const e = await t.throwsAsync(play('    - include:\n      when: true\n'), { instanceOf: LoadError });
  t.regex(e?.message ?? '', /playbook\.yml:5:7.*No file specified for include/s);
});
