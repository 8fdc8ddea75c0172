// Issue 12, divergence 8: an owner/group name that no account has.
// Each case runs through Ansible 2.14 and tsplay on fresh copies of the same
// files (test/helpers/module-differential.ts): failed, changed, the rerun, and
// tsplay's --check predicting its own run. tsplay looks the name up at gather
// and fails before writing; Ansible fails after writing. Where that leaves
// different files, the case is listed in DELIBERATE (docs/modules/file.md,
// "Owner and group names"); its flags must still be Ansible's.

import test from 'ava';
import { differentialSummary, differentialUnavailable, runDifferential } from '../../helpers/module-differential.js';
import type { DiffCase } from '../../helpers/module-differential.js';
import { runPlaybook } from '../../helpers/run-playbook.js';

const U = 'tsplaynosuchuser';
const G = 'tsplaynosuchgroup';

const cases: DiffCase[] = [
  { name: 'touch-owner', task: { file: { path: '@DIR@/f', state: 'touch', owner: U } } },
  { name: 'dir-existing-owner', files: { d: { dir: true } }, task: { file: { path: '@DIR@/d', state: 'directory', owner: U } } },
  { name: 'dir-missing-group', task: { file: { path: '@DIR@/d', state: 'directory', group: G } } },
  { name: 'file-existing-group', files: { f: 'x\n' }, task: { file: { path: '@DIR@/f', group: G } } },
  { name: 'absent-owner', files: { f: 'x\n' }, task: { file: { path: '@DIR@/f', state: 'absent', owner: U } } },
  { name: 'absent-missing-owner', task: { file: { path: '@DIR@/f', state: 'absent', owner: U } } },
  { name: 'touch-numeric-ids', task: { file: { path: '@DIR@/f', state: 'touch', owner: 4242, group: 4243 } } },
  { name: 'touch-root-names', task: { file: { path: '@DIR@/f', state: 'touch', owner: 'root', group: 'root' } } },
  { name: 'copy-new-owner', task: { copy: { content: 'x\n', dest: '@DIR@/f', owner: U } } },
  { name: 'copy-same-owner', files: { f: 'x\n' }, task: { copy: { content: 'x\n', dest: '@DIR@/f', owner: U } } },
  { name: 'copy-same-group', files: { f: 'x\n' }, task: { copy: { content: 'x\n', dest: '@DIR@/f', group: G } } },
  { name: 'template-new-group', files: { 't.j2': 'a\n' }, task: { template: { src: '@DIR@/t.j2', dest: '@DIR@/f', group: G } } },
  { name: 'lineinfile-add-owner', files: { f: 'a\n' }, task: { lineinfile: { path: '@DIR@/f', line: 'b', owner: U } } },
  { name: 'lineinfile-present-owner', files: { f: 'a\n' }, task: { lineinfile: { path: '@DIR@/f', line: 'a', owner: U } } },
  { name: 'lineinfile-create-group', task: { lineinfile: { path: '@DIR@/f', line: 'a', create: true, group: G } } },
  { name: 'lineinfile-absent-owner', files: { f: 'a\n' }, task: { lineinfile: { path: '@DIR@/f', line: 'a', state: 'absent', owner: U } } },
  { name: 'blockinfile-add-owner', files: { f: 'a\n' }, task: { blockinfile: { path: '@DIR@/f', block: 'b', owner: U } } },
  { name: 'replace-nomatch-owner', files: { f: 'a\n' }, task: { replace: { path: '@DIR@/f', regexp: 'zz', replace: 'y', owner: U } } },
  { name: 'replace-match-group', files: { f: 'a\n' }, task: { replace: { path: '@DIR@/f', regexp: 'a', replace: 'y', group: G } } },
  { name: 'replace-missing-file-owner', task: { replace: { path: '@DIR@/f', regexp: 'a', replace: 'y', owner: U } } },
];

/** Ansible created or rewrote this path before failing; tsplay failed first and left it as it was. */
const DELIBERATE: Record<string, string> = {
  'dir-missing-group': 'd',
  'copy-new-owner': 'f',
  'template-new-group': 'f',
  'lineinfile-add-owner': 'f',
  'lineinfile-create-group': 'f',
  'lineinfile-absent-owner': 'f',
  'blockinfile-add-owner': 'f',
  'replace-match-group': 'f',
};

const missing = differentialUnavailable();
if (missing !== undefined) {
  test('ansible-playbook is installed for the owner/group name differential', (t) => t.fail(`missing ${missing}`));
} else {
  test('an owner/group name no account has: the failed and changed flags of Ansible 2.14, and --check predicts the failure', async (t) => {
    t.timeout(10 * 60_000);
    const outcomes = await runDifferential(cases);
    t.log(differentialSummary('owner/group names', outcomes));
    for (const o of outcomes) {
      const path = DELIBERATE[o.name];
      if (path === undefined) t.deepEqual(o.differences, [], o.name);
      else {
        // Only the file differs: Ansible's holds the new content, tsplay's the old (or none).
        t.true(o.differences.length > 0 && o.differences.every((d) => d.startsWith(`${path}: `)), `${o.name}: ${o.differences.join('; ')}`);
        t.true(o.ansible.failed && o.tsplay.failed && o.tsplay.checkFailed, o.name);
      }
    }
    const by = Object.fromEntries(outcomes.map((o) => [o.name, o]));
    // The comparison is real: what each side did, as observed.
    t.is(by['copy-new-owner'].ansible.msg, `chown failed: failed to look up user ${U}`);
    t.is(by['copy-new-owner'].tsplay.msg, `chown failed: failed to look up user ${U}`);
    t.false('f' in by['copy-new-owner'].tsplay.tree);
    t.regex(by['copy-new-owner'].ansible.tree.f, /^file 0644 0:0 /);
    t.is(by['dir-missing-group'].tsplay.msg, `chgrp failed: failed to look up group ${G}`);
    t.is(by['touch-root-names'].tsplay.changed, true);
    t.false('f' in by['absent-owner'].tsplay.tree);
  });
}

test('--check: an account an earlier task would create is a known owner', async (t) => {
  const name = 'tsplaycheckonly';
  const run = await runPlaybook({
    'playbook.yml': `- hosts: local1
  gather_facts: false
  tasks:
    - name: create the account
      user: { name: ${name} }
    - name: own a file by it
      file: { path: "{{ playbook_dir }}/f", state: touch, owner: ${name}, group: ${name} }
    - name: own it by an account nobody creates
      file: { path: "{{ playbook_dir }}/g", state: touch, owner: ${U} }
`,
  }, { check: true });
  const status = (task: string): string | undefined => run.results(task)[0]?.status;
  t.is(status('create the account'), 'changed');
  t.is(status('own a file by it'), 'changed');
  t.is(status('own it by an account nobody creates'), 'failed');
  t.is(run.results('own it by an account nobody creates')[0]?.result?.msg, `chown failed: failed to look up user ${U}`);
});

test('--check: an account a package from an earlier task may create is not refused; with no package predicted it is', async (t) => {
  const { Overlay } = await import('../../../engine/host/overlay.js');
  const { users } = await import('../../../engine/facts/users.js');
  const { groups } = await import('../../../engine/facts/groups.js');
  const { requireKnownAccounts } = await import('../../../modules/lib/account-names.js');
  type Reader = Parameters<typeof requireKnownAccounts>[0];
  const readerWith = (overlay: InstanceType<typeof Overlay>): Reader => ({
    name: 'h', facts: {} as never,
    run: () => Promise.reject(new Error('no run')), runAll: () => Promise.reject(new Error('no runAll')), getAll: () => Promise.reject(new Error('no getAll')),
    // The host has neither account; the fact's overlay rule decides.
    get: ((fact: { name: string; predict?: (a: string, v: unknown, p: unknown) => unknown }, name: string) =>
      Promise.resolve(fact.predict!(name, { name, exists: false }, { overlay }))) as never,
  });
  const none = new Overlay();
  await t.throwsAsync(requireKnownAccounts(readerWith(none), { owner: 'nova' }), { message: 'chown failed: failed to look up user nova' });
  await t.throwsAsync(requireKnownAccounts(readerWith(none), { group: 'nova' }), { message: 'chgrp failed: failed to look up group nova' });
  const pkg = new Overlay();
  pkg.add([{ kind: 'package', name: 'nova-compute', installed: true }]);
  await t.notThrowsAsync(requireKnownAccounts(readerWith(pkg), { owner: 'nova', group: 'nova' }));
  t.like(users.predict!('nova', { name: 'nova', exists: false }, { overlay: pkg } as never), { exists: false, mayExist: true });
  t.like(groups.predict!('nova', { name: 'nova', exists: false }, { overlay: pkg } as never), { exists: false, mayExist: true });
  // A removal an earlier task predicts stays a removal.
  const removed = new Overlay();
  removed.add([{ kind: 'package', name: 'x', installed: true }, { kind: 'user', name: 'nova', exists: false }]);
  await t.throwsAsync(requireKnownAccounts(readerWith(removed), { owner: 'nova' }));
});
