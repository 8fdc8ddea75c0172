// fetch against the real Ansible 2.14 on this machine (local connection: the
// "host" and the controller are the same machine): the files each tool leaves
// in the case's directory, changed/failed of a run and a rerun, and what the
// task returns (checksum, dest, file, md5sum, remote_checksum, remote_md5sum,
// msg of a failure), for text, binary, empty and linked files, flat and the
// per-host tree, a local copy that is already there or differs, and the missing
// and directory sources with and without fail_on_missing. Every expected value
// is what ansible-playbook does here, in the same test.
//
// Check mode: Ansible's fetch is skipped in --check ("check mode not (yet)
// supported for this module"), and so is tsplay's; the result differential
// compares that pass too. The module differential's own "--check predicts the
// run" line is the one difference allowed here, for the cases that change.
//
// The per-host tree names the source's absolute path, which differs between the
// two tools' case directories; those cases fetch fixed files of this machine
// (read only): /etc/os-release, and /usr/bin/true as a binary.

import test from 'ava';
import { readFileSync } from 'node:fs';
import { differentialSummary, differentialUnavailable, runDifferential } from '../../helpers/module-differential.js';
import type { DiffCase } from '../../helpers/module-differential.js';
import { resultSummary, runResultDifferential } from '../../helpers/result-differential.js';

const BINARY = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 0x0a, 0x0d, 0x0a, 0xc3, 0x28, 0]);

const CASES: DiffCase[] = [
  { name: 'tree-text', task: { fetch: { src: '/etc/os-release', dest: '@DIR@/out' } } },
  { name: 'tree-binary', task: { fetch: { src: '/usr/bin/true', dest: '@DIR@/out' } } },
  { name: 'tree-other-copy-there', files: { 'out/localhost/etc/os-release': 'stale\n' }, task: { fetch: { src: '/etc/os-release', dest: '@DIR@/out' } } },
  { name: 'tree-trailing-slash', task: { fetch: { src: '/etc/os-release', dest: '@DIR@/out/' } } },
  { name: 'tree-same-copy-there', files: { 'out/localhost/etc/os-release': readFileSync('/etc/os-release') }, task: { fetch: { src: '/etc/os-release', dest: '@DIR@/out' } } },
  { name: 'flat-file', files: { f: 'hello\nworld\n' }, task: { fetch: { src: '@DIR@/f', dest: '@DIR@/copy', flat: true } } },
  { name: 'flat-binary', files: { f: BINARY }, task: { fetch: { src: '@DIR@/f', dest: '@DIR@/copy.bin', flat: true } } },
  { name: 'flat-latin1', files: { f: Buffer.from('caf\xe9\r\n', 'latin1') }, task: { fetch: { src: '@DIR@/f', dest: '@DIR@/copy', flat: true } } },
  { name: 'flat-empty', files: { f: '' }, task: { fetch: { src: '@DIR@/f', dest: '@DIR@/copy', flat: true } } },
  { name: 'flat-into-dir', files: { f: 'a\n', 'd/keep': 'k' }, task: { fetch: { src: '@DIR@/f', dest: '@DIR@/d/', flat: true } } },
  { name: 'flat-new-parents', files: { f: 'a\n' }, task: { fetch: { src: '@DIR@/f', dest: '@DIR@/x/y/z', flat: true } } },
  { name: 'flat-existing-dir-no-slash', files: { f: 'a\n', d: { dir: true } }, task: { fetch: { src: '@DIR@/f', dest: '@DIR@/d', flat: true } } },
  { name: 'flat-identical', files: { f: 'same\n', copy: 'same\n' }, task: { fetch: { src: '@DIR@/f', dest: '@DIR@/copy', flat: true } } },
  { name: 'flat-differs-mode-kept', files: { f: 'new\n', copy: { content: 'old\n', mode: 0o600 } }, task: { fetch: { src: '@DIR@/f', dest: '@DIR@/copy', flat: true } } },
  { name: 'flat-src-symlink', files: { f: 'target\n', l: { link: 'f' } }, task: { fetch: { src: '@DIR@/l', dest: '@DIR@/copy', flat: true } } },
  { name: 'flat-dest-symlink', files: { f: 'new\n', real: 'old\n', copy: { link: 'real' } }, task: { fetch: { src: '@DIR@/f', dest: '@DIR@/copy', flat: true } } },
  { name: 'flat-no-validate', files: { f: 'v\n' }, task: { fetch: { src: '@DIR@/f', dest: '@DIR@/copy', flat: true, validate_checksum: false } } },
  { name: 'missing-fails', task: { fetch: { src: '@DIR@/nope', dest: '@DIR@/copy', flat: true } } },
  { name: 'missing-ignored', task: { fetch: { src: '@DIR@/nope', dest: '@DIR@/copy', flat: true, fail_on_missing: false } } },
  { name: 'directory-fails', files: { d: { dir: true } }, task: { fetch: { src: '@DIR@/d', dest: '@DIR@/copy', flat: true } } },
  { name: 'directory-ignored', files: { d: { dir: true } }, task: { fetch: { src: '@DIR@/d', dest: '@DIR@/copy', flat: true, fail_on_missing: false } } },
  { name: 'dangling-src-link', files: { l: { link: 'nope' } }, task: { fetch: { src: '@DIR@/l', dest: '@DIR@/copy', flat: true } } },
];

const CHECK_LINE = 'tsplay --check predicted';

const missing = differentialUnavailable();
if (missing !== undefined) {
  test('ansible-playbook is installed for the fetch differential', (t) => t.fail(`missing ${missing}`));
} else {
  test.serial('fetch: the same files, changed and failed as Ansible, in a run and a rerun (module differential)', async (t) => {
    t.timeout(15 * 60_000);
    const outcomes = await runDifferential(CASES);
    t.log(differentialSummary('fetch', outcomes));
    const real = outcomes.map((o) => ({ name: o.name, differences: o.differences.filter((d) => !d.startsWith(CHECK_LINE)) }));
    t.log(`fetch, but the --check line (skipped there, as Ansible's): ${real.filter((o) => !o.differences.length).length} of ${real.length} cases the same outcome as Ansible`);
    t.deepEqual(real.filter((o) => o.differences.length).map((o) => `${o.name}: ${o.differences.join('; ')}`), []);
    const byName = Object.fromEntries(outcomes.map((o) => [o.name, o]));
    // Binary bytes arrive unchanged, and a rerun changes nothing.
    t.is(byName['flat-binary'].tsplay.tree['copy.bin'], byName['flat-binary'].ansible.tree['copy.bin']);
    t.true(byName['flat-binary'].tsplay.changed);
    t.false(byName['flat-binary'].tsplay.changed2);
    // In --check fetch is skipped, never changed nor failed (as Ansible's).
    for (const o of outcomes) t.false(o.tsplay.checkChanged, o.name);
  });

  test.serial('fetch: the same results as Ansible (checksum, dest, md5sum, ...), in --check, a run and a rerun', async (t) => {
    t.timeout(15 * 60_000);
    const outcomes = await runResultDifferential(CASES);
    t.log(resultSummary('fetch results', outcomes));
    t.deepEqual(outcomes.filter((o) => o.differences.length).map((o) => `${o.name} (${o.pass}): ${o.differences.join('; ')}`), []);
    const check = outcomes.filter((o) => o.pass === 'check');
    for (const o of check) {
      t.is(o.tsplay.skipped, true, o.name);
      t.is(o.tsplay.msg, 'check mode not (yet) supported for this module', o.name);
    }
    const run = Object.fromEntries(outcomes.filter((o) => o.pass === 'run').map((o) => [o.name, o]));
    for (const name of ['missing-fails', 'directory-fails', 'flat-existing-dir-no-slash', 'dangling-src-link']) {
      t.is(run[name].tsplay.failed, true, name);
      t.is(run[name].tsplay.msg, run[name].ansible.msg, name);
    }
  });
}
