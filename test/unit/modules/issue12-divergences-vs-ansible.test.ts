// The divergences issue 12 lists for ansible.builtin modules, each run through
// Ansible 2.14 and tsplay on fresh copies of the same files
// (test/helpers/module-differential.ts): the same files, changed, failed,
// rerun, and tsplay's --check predicting its own run.
//   1. a setgid directory given mode 0755 (or g=rx, g-s): Ansible clears setgid, once;
//   2. lineinfile create: true under a missing parent: Ansible creates the parents;
//   7. file state=link to a missing source without force: Ansible fails.
// (3–6 are ini_file's: test/unit/modules/ini-file-vs-ansible.test.ts runs them against
// community.general 6.6.2; 8, owner/group names checked in --check, is not done yet.)

import test from 'ava';
import { differentialSummary, differentialUnavailable, runDifferential } from '../../helpers/module-differential.js';
import type { DiffCase } from '../../helpers/module-differential.js';

const cases: DiffCase[] = [
  { name: 'd1-setgid-dir-0755', files: { d: { dir: true, mode: 0o2775 } }, task: { file: { path: '@DIR@/d', state: 'directory', mode: '0755' } } },
  { name: 'd1-setgid-dir-g-rx', files: { d: { dir: true, mode: 0o2775 } }, task: { file: { path: '@DIR@/d', mode: 'g=rx' } } },
  { name: 'd1-setgid-dir-g-s', files: { d: { dir: true, mode: 0o2775 } }, task: { file: { path: '@DIR@/d', mode: 'g-s' } } },
  { name: 'd2-lineinfile-create-parents', task: { lineinfile: { path: '@DIR@/a/b/f', line: 'x', create: true } } },
  { name: 'd7-link-missing-src', task: { file: { src: '@DIR@/nope', dest: '@DIR@/l', state: 'link' } } },
  { name: 'd7-link-missing-relative-src', files: { d: { dir: true } }, task: { file: { src: 'nope', dest: '@DIR@/d/l', state: 'link' } } },
  { name: 'd7-link-missing-src-force', task: { file: { src: 'nope', dest: '@DIR@/l', state: 'link', force: true } } },
  { name: 'd7-link-existing-relative-src', files: { d: { dir: true }, 'd/t': 'x\n' }, task: { file: { src: 't', dest: '@DIR@/d/l', state: 'link' } } },
];

const missing = differentialUnavailable();
if (missing !== undefined) {
  test('ansible-playbook is installed for the divergence differential', (t) => t.fail(`missing ${missing}`));
} else {
  test("issue 12's divergences 1, 2, 7: the same outcome as Ansible 2.14", async (t) => {
    t.timeout(10 * 60_000);
    const outcomes = await runDifferential(cases);
    t.log(differentialSummary('issue 12 divergences', outcomes));
    t.deepEqual(outcomes.filter((o) => o.differences.length).map((o) => `${o.name}: ${o.differences.join('; ')}`), []);
  });
}
