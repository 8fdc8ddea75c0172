// slurp against the real Ansible 2.14 on this machine: the registered result
// (content, encoding, source, changed) for text, binary, empty and linked
// files, in --check, a run and a rerun; and the same failure, with Ansible's
// message, for a missing file, a directory and a dangling link. Every
// expected value is what ansible-playbook returns here, in the same test.

import test from 'ava';
import { differentialSummary, differentialUnavailable, runDifferential } from '../../helpers/module-differential.js';
import type { DiffCase } from '../../helpers/module-differential.js';
import { resultSummary, runResultDifferential } from '../../helpers/result-differential.js';

const BINARY = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0x0a, 0x0d, 0x0a, 0xc3, 0x28, 0]);

const CASES: DiffCase[] = [
  { name: 'text', files: { f: 'hello\nworld\n' }, task: { slurp: { src: '@DIR@/f' } } },
  { name: 'no-final-newline', files: { f: 'abc' }, task: { slurp: { src: '@DIR@/f' } } },
  { name: 'binary', files: { f: BINARY }, task: { slurp: { src: '@DIR@/f' } } },
  { name: 'latin1', files: { f: Buffer.from('caf\xe9\n', 'latin1') }, task: { slurp: { src: '@DIR@/f' } } },
  { name: 'utf8', files: { f: 'ünïcødé ✓\n' }, task: { slurp: { src: '@DIR@/f' } } },
  { name: 'empty', files: { f: '' }, task: { slurp: { src: '@DIR@/f' } } },
  { name: 'path-alias', files: { f: 'x\n' }, task: { slurp: { path: '@DIR@/f' } } },
  { name: 'mode-0000', files: { f: { content: 'secret\n', mode: 0o000 } }, task: { slurp: { src: '@DIR@/f' } } },
  { name: 'symlink', files: { f: 'target\n', l: { link: 'f' } }, task: { slurp: { src: '@DIR@/l' } } },
  { name: 'symlink-chain', files: { 'd/f': 'deep\n', l1: { link: 'd/f' }, l2: { link: 'l1' } }, task: { slurp: { src: '@DIR@/l2' } } },
  { name: 'missing', task: { slurp: { src: '@DIR@/nope' } } },
  { name: 'directory', files: { d: { dir: true } }, task: { slurp: { src: '@DIR@/d' } } },
  { name: 'dangling-link', files: { l: { link: 'nope' } }, task: { slurp: { src: '@DIR@/l' } } },
];

const missing = differentialUnavailable();
if (missing !== undefined) {
  test('ansible-playbook is installed for the slurp differential', (t) => t.fail(`missing ${missing}`));
} else {
  test.serial('slurp: the same result as Ansible (content, encoding, source), in --check, a run and a rerun', async (t) => {
    t.timeout(15 * 60_000);
    const outcomes = await runResultDifferential(CASES);
    t.log(resultSummary('slurp results', outcomes));
    t.deepEqual(outcomes.filter((o) => o.differences.length).map((o) => `${o.name} (${o.pass}): ${o.differences.join('; ')}`), []);
    const run = Object.fromEntries(outcomes.filter((o) => o.pass === 'run').map((o) => [o.name, o]));
    t.is(run.binary.tsplay.content, BINARY.toString('base64'));
    t.is(run.binary.ansible.content, BINARY.toString('base64'));
    t.is(run.empty.tsplay.content, '');
    // The failures carry Ansible's message.
    for (const name of ['missing', 'directory', 'dangling-link']) {
      t.is(run[name].tsplay.failed, true, name);
      t.is(run[name].tsplay.msg, run[name].ansible.msg, name);
    }
  });

  test.serial('slurp: never changes a file, and --check predicts the run (module differential)', async (t) => {
    t.timeout(15 * 60_000);
    const outcomes = await runDifferential(CASES);
    t.log(differentialSummary('slurp', outcomes));
    t.deepEqual(outcomes.filter((o) => o.differences.length).map((o) => `${o.name}: ${o.differences.join('; ')}`), []);
    t.is(outcomes.filter((o) => o.tsplay.changed).length, 0);
  });
}
