// What file, copy, template and lineinfile return to `register`, against the
// real Ansible 2.14 on this machine (test/helpers/result-differential.ts):
// every key Ansible returns (path/dest, state, mode, owner, group, uid, gid,
// size, src, checksum, md5sum, backup...) with the same value, in --check, a
// real run and a second run. Roles read these (weareinteractive.environment:
// `changed_when: r.state != "file"`). All expected values come from running
// Ansible here, in the same test.

import test from 'ava';
import { differentialUnavailable } from '../../helpers/module-differential.js';
import type { DiffCase } from '../../helpers/module-differential.js';
import { resultSummary, runResultDifferential } from '../../helpers/result-differential.js';

const FILE_CASES: DiffCase[] = [
  { name: 'file-mode', files: { f: { content: 'hi\n', mode: 0o644 } }, task: { file: { path: '@DIR@/f', mode: '0600' } } },
  { name: 'file-state-file', files: { f: 'hi\n' }, task: { file: { path: '@DIR@/f', state: 'file' } } },
  { name: 'file-no-state', files: { f: 'hello\n' }, task: { file: { path: '@DIR@/f' } } },
  { name: 'file-missing', task: { file: { path: '@DIR@/nope', state: 'file' } } },
  { name: 'dir-create', task: { file: { path: '@DIR@/sub', state: 'directory' } } },
  { name: 'dir-create-mode', task: { file: { path: '@DIR@/a/b', state: 'directory', mode: '0750' } } },
  { name: 'dir-exists', files: { d: { dir: true, mode: 0o755 } }, task: { file: { path: '@DIR@/d', state: 'directory' } } },
  { name: 'dir-mode', files: { d: { dir: true, mode: 0o755 } }, task: { file: { path: '@DIR@/d', state: 'directory', mode: '0700' } } },
  { name: 'dir-recurse', files: { 'd/x': { content: 'x', mode: 0o600 } }, task: { file: { path: '@DIR@/d', state: 'directory', recurse: true, mode: 'u=rwX,go=rX' } } },
  { name: 'link-create', files: { f: 'hi\n' }, task: { file: { path: '@DIR@/l', state: 'link', src: 'f' } } },
  { name: 'link-same', files: { f: 'hi\n', l: { link: 'f' } }, task: { file: { path: '@DIR@/l', state: 'link', src: 'f' } } },
  { name: 'link-retarget', files: { f: 'hi\n', g: 'ho\n', l: { link: 'f' } }, task: { file: { path: '@DIR@/l', state: 'link', src: 'g' } } },
  { name: 'link-force', files: { f: 'hi\n', l: 'plain\n' }, task: { file: { path: '@DIR@/l', state: 'link', src: 'f', force: true } } },
  { name: 'touch-new', task: { file: { path: '@DIR@/t', state: 'touch' } } },
  { name: 'touch-new-mode', task: { file: { path: '@DIR@/t', state: 'touch', mode: '0640' } } },
  { name: 'absent-file', files: { f: 'hi\n' }, task: { file: { path: '@DIR@/f', state: 'absent' } } },
  { name: 'absent-dir', files: { 'd/x': 'x' }, task: { file: { path: '@DIR@/d', state: 'absent' } } },
  { name: 'absent-missing', task: { file: { path: '@DIR@/nope', state: 'absent' } } },
  { name: 'dest-alias', files: { f: 'hi\n' }, task: { file: { dest: '@DIR@/f', mode: '0640' } } },
];

const PUT_CASES: DiffCase[] = [
  { name: 'copy-new', task: { copy: { dest: '@DIR@/c', content: 'x\n' } } },
  { name: 'copy-same', files: { c: 'x\n' }, task: { copy: { dest: '@DIR@/c', content: 'x\n' } } },
  { name: 'copy-differs', files: { c: 'old\n' }, task: { copy: { dest: '@DIR@/c', content: 'new\n' } } },
  { name: 'copy-mode', files: { c: { content: 'x\n', mode: 0o644 } }, task: { copy: { dest: '@DIR@/c', content: 'x\n', mode: '0600' } } },
  { name: 'copy-new-mode', task: { copy: { dest: '@DIR@/c', content: 'abc', mode: '0640' } } },
  { name: 'copy-no-force', files: { c: 'old\n' }, task: { copy: { dest: '@DIR@/c', content: 'new\n', force: false } } },
  { name: 'copy-src', files: { 's/src.txt': 'from src\n' }, task: { copy: { dest: '@DIR@/c', src: '@DIR@/s/src.txt' } } },
  { name: 'copy-into-dir', files: { 's/src.txt': 'from src\n', d: { dir: true } }, task: { copy: { dest: '@DIR@/d/', src: '@DIR@/s/src.txt' } } },
  { name: 'copy-empty', task: { copy: { dest: '@DIR@/c', content: '' } } },
  { name: 'template-new', files: { 't.j2': 'v={{ 1 + 2 }}\n' }, task: { template: { src: '@DIR@/t.j2', dest: '@DIR@/out' } } },
  { name: 'template-same', files: { 't.j2': 'v={{ 1 + 2 }}\n', out: 'v=3\n' }, task: { template: { src: '@DIR@/t.j2', dest: '@DIR@/out' } } },
  { name: 'lineinfile-add', files: { f: 'a\n' }, task: { lineinfile: { path: '@DIR@/f', line: 'b' } } },
  { name: 'lineinfile-present', files: { f: 'a\n' }, task: { lineinfile: { path: '@DIR@/f', line: 'a' } } },
  { name: 'lineinfile-replace', files: { f: 'k=1\n' }, task: { lineinfile: { path: '@DIR@/f', regexp: '^k=', line: 'k=2' } } },
  { name: 'lineinfile-absent', files: { f: 'a\nb\n' }, task: { lineinfile: { path: '@DIR@/f', line: 'b', state: 'absent' } } },
  { name: 'lineinfile-create', task: { lineinfile: { path: '@DIR@/f', line: 'a', create: true } } },
];

const missing = differentialUnavailable();
if (missing !== undefined) {
  test('ansible-playbook is installed for the result differential', (t) => t.fail(`missing ${missing}`));
} else {
  test.serial('file: the registered result has Ansible\'s keys and values, in --check, a run and a rerun', async (t) => {
    t.timeout(15 * 60_000);
    const outcomes = await runResultDifferential(FILE_CASES);
    t.log(resultSummary('file results', outcomes));
    t.deepEqual(outcomes.filter((o) => o.differences.length).map((o) => `${o.name} (${o.pass}): ${o.differences.join('; ')}`), []);
    // The key the role reads, on the real run: state is there, as Ansible's.
    const run = Object.fromEntries(outcomes.filter((o) => o.pass === 'run').map((o) => [o.name, o.tsplay]));
    t.is(run['file-mode'].state, 'file');
    t.is(run['file-mode'].mode, '0600');
    t.is(run['dir-create'].state, 'directory');
    t.is(run['link-create'].src, 'f');
    t.is(run['absent-file'].state, 'absent');
  });

  test.serial('copy, template, lineinfile: the registered result has Ansible\'s keys and values', async (t) => {
    t.timeout(15 * 60_000);
    // msg is not compared: lineinfile's is tsplay's own one-line summary (docs/modules/lineinfile.md).
    const outcomes = await runResultDifferential(PUT_CASES, ['msg']);
    t.log(resultSummary('copy/template/lineinfile results', outcomes));
    t.deepEqual(outcomes.filter((o) => o.differences.length).map((o) => `${o.name} (${o.pass}): ${o.differences.join('; ')}`), []);
    const run = Object.fromEntries(outcomes.filter((o) => o.pass === 'run').map((o) => [o.name, o.tsplay]));
    t.is(run['copy-new'].checksum, '6fcf9dfbd479ed82697fee719b9f8c610a11ff2a'); // sha1("x\n"), as Ansible printed it
    t.is(run['copy-new'].state, 'file');
    t.is(run['copy-new'].md5sum, '401b30e3b8b5d629635a5c613cdb7919'); // md5("x\n"), as Ansible printed it
    t.is(run['lineinfile-add'].backup, '');
  });
}
