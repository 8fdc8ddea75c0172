// Loops over the local connection: loop_control, with_<lookup>, the output
// lines (labels) and the registered shapes. The expected lines and shapes are
// what ansible-playbook 2.14.18 printed and registered for the same tasks on
// this machine (local connection; keys tsplay's modules do not return, such
// as `invocation`, left out of the comparison).

import test from 'ava';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { runPlaybook, writeTree, type PlaybookRun } from '../../../helpers/run-playbook.js';
import { consoleReporter } from '../../../../engine/report/report.js';
import { loadInventory } from '../../../../engine/inventory/inventory.js';
import { loadPlaybook } from '../../../../engine/load/playbook.js';
import { loadRegistry } from '../../../../engine/load/registry.js';
import { validatePlaybookVariables } from '../../../../engine/load/validate.js';

const INVENTORY = 'all:\n  hosts:\n    localhost: { ansible_connection: local }\n';

function text(run: PlaybookRun): string {
  let out = '';
  const w = new Writable({ write(chunk, _e, cb) { out += String(chunk); cb(); } });
  const r = consoleReporter({ out: w, color: false });
  for (const e of run.events) r(e);
  return out;
}

/** The registered value a later `debug: { var: NAME }` task printed, by its task name. */
function debugged(run: PlaybookRun, task: string): unknown {
  const e = run.events.find((x) => x.kind === 'debug' && x.task === task);
  if (!e || e.kind !== 'debug') throw new Error(`no debug output for ${task}`);
  const msg = JSON.parse(JSON.stringify(e.msg)) as Record<string, unknown>;
  return Object.values(msg)[0];
}

async function play(tasks: string, files: Record<string, string> = {}, vars = ''): Promise<PlaybookRun> {
  return runPlaybook({
    'inventory.yml': INVENTORY,
    'playbook.yml': `- hosts: localhost\n  gather_facts: false\n${vars ? `  vars:\n${vars}` : ''}  tasks:\n${tasks}`,
    ...files,
  });
}

test('loop_control: label, index_var, extended; the registered shape', async (t) => {
  const run = await play(`
    - name: loop
      debug: { msg: "{{ item }}" }
      loop: [a, b]
      loop_control: { label: "L-{{ item }}", index_var: i, extended: true }
      register: r
    - name: show
      debug: { var: r }
`);
  t.is(run.code, 0);
  const out = text(run);
  t.regex(out, /^ok: \[localhost\] => \(item=L-a\)$/m);
  t.regex(out, /^ok: \[localhost\] => \(item=L-b\)$/m);
  const r = debugged(run, 'show') as { results: Array<Record<string, unknown>> } & Record<string, unknown>;
  // Ansible: {"results": [...], "skipped": false, "msg": "All items completed", "changed": false}
  t.deepEqual(Object.keys(r), ['results', 'skipped', 'msg', 'changed']);
  t.like(r, { skipped: false, msg: 'All items completed', changed: false });
  t.like(r.results[0], {
    msg: 'a', changed: false, item: 'a', ansible_loop_var: 'item', i: 0, ansible_index_var: 'i',
    ansible_loop: { index: 1, index0: 0, first: true, last: false, length: 2, revindex: 2, revindex0: 1, allitems: ['a', 'b'], nextitem: 'b' },
  });
  t.deepEqual(r.results[1].ansible_loop, { index: 2, index0: 1, first: false, last: true, length: 2, revindex: 1, revindex0: 0, allitems: ['a', 'b'], previtem: 'a' });
  t.deepEqual(Object.keys(r.results[1]).slice(-5), ['item', 'ansible_loop_var', 'i', 'ansible_index_var', 'ansible_loop']);
});

test('loop_control.loop_var names the item; when is per item; a skipped item result', async (t) => {
  const run = await play(`
    - name: echo
      command: "echo {{ u.name }}"
      loop: "{{ users }}"
      loop_control: { loop_var: u }
      when: u.uid == 2
      register: r
    - name: show
      debug: { var: r }
`, {}, '    users:\n      - { name: alice, uid: 1 }\n      - { name: bob, uid: 2 }\n');
  t.is(run.code, 0);
  const out = text(run);
  // Ansible prints the item with Python's formatting
  t.regex(out, /^skipping: \[localhost\] => \(item=\{'name': 'alice', 'uid': 1\}\)$/m);
  t.regex(out, /^changed: \[localhost\] => \(item=\{'name': 'bob', 'uid': 2\}\)/m);
  const r = debugged(run, 'show') as { results: Array<Record<string, unknown>> } & Record<string, unknown>;
  t.like(r, { skipped: false, changed: true, msg: 'All items completed' });
  t.like(r.results[0], { changed: false, skipped: true, skip_reason: 'Conditional result was False', u: { name: 'alice', uid: 1 }, ansible_loop_var: 'u' });
  t.false('item' in r.results[0]);
  t.like(r.results[1], { changed: true, stdout: 'bob', rc: 0, u: { name: 'bob', uid: 2 }, ansible_loop_var: 'u' });
});

test('failed items, all items skipped, an empty loop', async (t) => {
  const run = await play(`
    - name: fail
      command: "false"
      loop: [1, 2]
      ignore_errors: true
      register: f
    - name: allskipped
      debug: { msg: x }
      loop: [1]
      when: false
      register: s
    - name: empty
      debug: { msg: x }
      loop: []
      register: e
    - name: show f
      debug: { var: f }
    - name: show s
      debug: { var: s }
    - name: show e
      debug: { var: e }
`);
  t.is(run.code, 0);
  const f = debugged(run, 'show f') as Record<string, unknown>;
  t.deepEqual(Object.keys(f), ['results', 'skipped', 'changed', 'failed', 'msg']);
  t.like(f, { skipped: false, changed: true, failed: true, msg: 'One or more items failed' });
  t.deepEqual(debugged(run, 'show s'), {
    // Ansible 2.14.18 gives no false_condition (it came with 2.15)
    results: [{ changed: false, skipped: true, skip_reason: 'Conditional result was False', item: 1, ansible_loop_var: 'item' }],
    skipped: true, msg: 'All items skipped', changed: false,
  });
  t.deepEqual(debugged(run, 'show e'), { changed: false, skipped: true, skipped_reason: 'No items in the list', results: [] });
  // Ansible: "skipping: [localhost]" once for the empty loop; the recap counts it skipped
  t.is(run.results('empty').length, 1);
  t.is(run.results('empty')[0].status, 'skipped');
  t.like(run.recap().localhost, { ok: 4, changed: 1, failed: 0, skipped: 2, ignored: 1 });
});

// Checked against ansible-playbook 2.14.18 (local connection): r1, r4 and r5
// registered {changed: false, skip_reason: "Conditional result was False",
// skipped: true} with one "skipping" line and no items; r2 and r3 failed with
// the loop's undefined error ("'dict object' has no attribute 'files'").
test('a loop over something undefined: a false when (evaluated without item) skips the task, else the loop error fails it', async (t) => {
  const run = await play(`
    - name: skipped find
      find: { paths: /nonexistent }
      when: false
      register: sc
    - name: r1
      debug: { msg: "{{ item.path }}" }
      loop: "{{ sc.files }}"
      when: [purge | bool, (item.path | basename) != 'x']
      register: r1
    - name: r2
      debug: { msg: "{{ item.path }}" }
      loop: "{{ sc.files }}"
      when: purge2 | bool
      register: r2
      ignore_errors: true
    - name: r3
      debug: { msg: "{{ item.path }}" }
      loop: "{{ sc.files }}"
      when: [purge2, (item.path | basename) != 'x']
      register: r3
      ignore_errors: true
    - name: r4
      debug: { msg: "{{ item }}" }
      loop: "{{ nosuch }}"
      when: nosuch is defined
      register: r4
    - name: r5
      debug: { msg: "{{ item }}" }
      with_items: "{{ nosuch }}"
      when: nosuch is defined
      register: r5
    - name: r6
      debug: { msg: "{{ item }}" }
      loop: "{{ 'not a list' }}"
      when: false
      ignore_errors: true
    - name: show
      debug: { msg: "{{ [r1, r2, r3, r4, r5] }}" }
`, {}, '    purge: false\n    purge2: true\n');
  t.is(run.code, 0);
  const skipped = { changed: false, skipped: true, skip_reason: 'Conditional result was False' };
  for (const name of ['r1', 'r4', 'r5']) {
    t.is(run.results(name).length, 1, name);
    t.is(run.results(name)[0].status, 'skipped', name);
    t.is(run.results(name)[0].item, undefined, name);
  }
  const e = run.events.find((x) => x.kind === 'debug' && x.task === 'show');
  const shown = JSON.parse(JSON.stringify(e?.kind === 'debug' ? e.msg : null)) as Array<Record<string, unknown>>;
  t.deepEqual(shown[0], skipped);
  t.deepEqual(shown[3], skipped);
  t.deepEqual(shown[4], skipped);
  for (const r of [shown[1], shown[2]]) {
    t.is(r.failed, true);
    t.regex(String(r.msg), /sc\.files/);
    t.false('results' in r);
  }
  // Not an undefined variable: the loop's error is not held back (Ansible: "Invalid data passed to 'loop'")
  t.is(run.results('r6')[0].status, 'failed');
  t.like(run.recap().localhost, { failed: 0, skipped: 4, ignored: 3 });
});

const withTable: Array<[string, string, unknown[]]> = [
  ['with_items flattens one level', 'with_items: [[1, 2], 3]', [1, 2, 3]],
  ['with_items over a bare word is that word', 'with_items: foo', ['foo']],
  ['with_list keeps lists', 'with_list: [[1, 2], 3]', [[1, 2], 3]],
  ['with_dict', 'with_dict: { a: 1 }', [{ key: 'a', value: 1 }]],
  ['with_together', 'with_together: [[1, 2], [a, b]]', [[1, 'a'], [2, 'b']]],
  ['with_nested', 'with_nested: [[1, 2], [a]]', [[1, 'a'], [2, 'a']]],
  ['with_sequence key=value', 'with_sequence: start=1 end=3 format=x%02d', ['x01', 'x02', 'x03']],
  ['with_sequence count', 'with_sequence: count=2', ['1', '2']],
  ['with_indexed_items', 'with_indexed_items: [a, b]', [[0, 'a'], [1, 'b']]],
  ['with_subelements skip_missing', 'with_subelements: ["{{ users }}", groups, { skip_missing: true }]', [[{ name: 'alice' }, 'p'], [{ name: 'alice' }, 'q']]],
];

for (const [title, loop, expected] of withTable) {
  test(`${title}: items as Ansible's`, async (t) => {
    const run = await play(`
    - name: each
      debug: { msg: "{{ item }}" }
      ${loop}
`, {}, '    users:\n      - { name: alice, groups: [p, q] }\n      - { name: bob }\n');
    t.is(run.code, 0, JSON.stringify(run.events.filter((e) => e.kind === 'host_result')));
    t.deepEqual(run.results('each').map((e) => e.result?.msg), expected);
  });
}

test('with_fileglob and with_first_found read the controller (files/ beside the playbook)', async (t) => {
  const run = await play(`
    - name: glob
      debug: { msg: "{{ item }}" }
      with_fileglob: "files/a.*"
    - name: found
      debug: { msg: "{{ item }}" }
      with_first_found:
        - files: [nope.txt, a.txt]
          paths: [files]
    - name: found2
      debug: { msg: "{{ item }}" }
      with_first_found: ["{{ undefined_name }}.txt", nope, a.txt]
`, { 'files/a.txt': 'A\n' });
  t.is(run.code, 0);
  for (const task of ['glob', 'found', 'found2']) t.deepEqual(run.results(task).map((e) => e.result?.msg), [`${run.dir}/files/a.txt`], task);
  t.regex(text(run), new RegExp(`^ok: \\[localhost\\] => \\(item=${run.dir}/files/a.txt\\)$`, 'm'));
});

test('loop_control.pause waits between items (not before the first)', async (t) => {
  const waits: number[] = [];
  const run = await runPlaybook({
    'inventory.yml': INVENTORY,
    'playbook.yml': '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: { msg: "{{ item }}" }\n      loop: [1, 2, 3]\n      loop_control: { pause: 2 }\n',
  }, { sleep: (ms) => (waits.push(ms), Promise.resolve()) });
  t.is(run.code, 0);
  t.deepEqual(waits, [2000, 2000]);
});

test('a nested loop variable already in use is warned about, as Ansible does', async (t) => {
  const run = await play(`
    - name: inner
      debug: { msg: "{{ item }}" }
      loop: [1]
      vars: { item: outer }
`);
  t.true(run.events.some((e) => e.kind === 'warning' && e.msg.includes("The loop variable 'item' is already in use")));
});

test('load: unknown with_ lookup, unknown loop_control key and two loops are refused at their place', async (t) => {
  const bad = async (task: string) => {
    const e = await t.throwsAsync(play(task));
    return e?.message ?? '';
  };
  t.regex(await bad('    - debug: { msg: x }\n      with_nosuch: [1]\n'), /playbook\.yml:5:7: with_nosuch: unknown lookup "nosuch"/);
  t.regex(await bad('    - debug: { msg: x }\n      with_random_choice: [1, 2]\n'), /with_random_choice: lookup "random_choice" is refused/);
  t.regex(await bad('    - debug: { msg: x }\n      loop: [1]\n      loop_control: { nosuch: 1 }\n'), /playbook\.yml:6:\d+: .*nosuch/);
  t.regex(await bad('    - debug: { msg: x }\n      loop: [1]\n      with_items: [2]\n'), /a task has one loop/);
  t.regex(await bad(`    - debug: { msg: "{{ lookup('nosuch', 'x') }}" }\n`), /playbook\.yml:4:\d+: .*unknown lookup "nosuch"/);
});

test('validate: loop_var, index_var and label are known names; with_first_found may name undefined variables', async (t) => {
  const dir = writeTree({
    'p.yml': `
- hosts: all
  tasks:
    - debug: { msg: "{{ u }} {{ i }} {{ ansible_loop.index }}" }
      loop: [1]
      loop_control: { loop_var: u, index_var: i, extended: true, label: "{{ u }}" }
    - debug: { msg: "{{ item }}" }
      with_first_found: ["{{ maybe_undefined }}.yml", default.yml]
    - debug: { msg: "{{ item }} {{ nope }}" }
      with_items: "{{ also_nope }}"
`,
    'inv.yml': 'all:\n  hosts:\n    h1:\n',
  });
  const registry = await loadRegistry();
  const problems = validatePlaybookVariables([await loadPlaybook(join(dir, 'p.yml'), registry)], await loadInventory([join(dir, 'inv.yml')]), {});
  t.is(problems.length, 2, problems.join('\n'));
  t.true(problems.some((p) => p.includes('"nope"')));
  t.true(problems.some((p) => p.includes('"also_nope"') && p.includes(':10:')));
});
