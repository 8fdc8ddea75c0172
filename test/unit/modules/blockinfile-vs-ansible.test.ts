// blockinfile under Ansible 2.14 (ansible-playbook, local connection) and under
// tsplay, on fresh copies of the same files (test/helpers/module-differential.ts):
// the same files afterwards, the same changed/failed flags, the same second run,
// and tsplay's --check predicting its own run. Every case here runs against the
// real Ansible on this machine. Cases follow Ansible's own integration tests
// (test/integration/targets/blockinfile) and the forms roles use.

import test from 'ava';
import { differentialSummary, differentialUnavailable, runDifferential } from '../../helpers/module-differential.js';
import type { DiffCase } from '../../helpers/module-differential.js';

const sshd = 'Port 22\nPermitRootLogin no\n# Match blocks\nSubsystem sftp /usr/lib/sftp-server\n';
const withBlock = 'Port 22\n# BEGIN ANSIBLE MANAGED BLOCK\nMatch User x\n  X11Forwarding no\n# END ANSIBLE MANAGED BLOCK\nSubsystem sftp x\n';
const block = 'Match User ansible\n  PasswordAuthentication no\n';

const cases: DiffCase[] = [
  { name: 'append-eof', files: { f: sshd }, task: { blockinfile: { path: '@DIR@/f', block } } },
  { name: 'block-without-newline', files: { f: sshd }, task: { blockinfile: { path: '@DIR@/f', block: 'a=1\nb=2' } } },
  { name: 'already-there', files: { f: withBlock }, task: { blockinfile: { path: '@DIR@/f', block: 'Match User x\n  X11Forwarding no\n' } } },
  { name: 'update-in-place', files: { f: withBlock }, task: { blockinfile: { path: '@DIR@/f', block } } },
  { name: 'update-ignores-insertafter', files: { f: withBlock }, task: { blockinfile: { path: '@DIR@/f', block, insertafter: 'EOF' } } },
  { name: 'remove', files: { f: withBlock }, task: { blockinfile: { path: '@DIR@/f', state: 'absent' } } },
  { name: 'empty-block-removes', files: { f: withBlock }, task: { blockinfile: { path: '@DIR@/f', block: '' } } },
  { name: 'remove-none', files: { f: sshd }, task: { blockinfile: { path: '@DIR@/f', state: 'absent' } } },
  { name: 'remove-none-no-final-newline', files: { f: 'a\nb' }, task: { blockinfile: { path: '@DIR@/f', state: 'absent' } } },
  { name: 'insertafter-regexp', files: { f: sshd }, task: { blockinfile: { path: '@DIR@/f', block, insertafter: '^PermitRootLogin' } } },
  { name: 'insertafter-last-match', files: { f: 'a\nx\na\ny\n' }, task: { blockinfile: { path: '@DIR@/f', block: 'B', insertafter: '^a' } } },
  { name: 'insertafter-no-match', files: { f: sshd }, task: { blockinfile: { path: '@DIR@/f', block, insertafter: '^nothing' } } },
  { name: 'insertbefore-regexp', files: { f: sshd }, task: { blockinfile: { path: '@DIR@/f', block, insertbefore: '^Subsystem' } } },
  { name: 'insertbefore-no-match', files: { f: sshd }, task: { blockinfile: { path: '@DIR@/f', block, insertbefore: '^nothing' } } },
  { name: 'insertbefore-bof', files: { f: sshd }, task: { blockinfile: { path: '@DIR@/f', block, insertbefore: 'BOF' } } },
  { name: 'insertafter-dollar', files: { f: 'a\nb\n' }, task: { blockinfile: { path: '@DIR@/f', block: 'X', insertafter: '^a$' } } },
  { name: 'custom-marker', files: { f: sshd }, task: { blockinfile: { path: '@DIR@/f', block, marker: '<!-- {mark} ANSIBLE MANAGED BLOCK -->' } } },
  { name: 'marker-begin-end', files: { f: sshd }, task: { blockinfile: { path: '@DIR@/f', block, marker_begin: 'START', marker_end: 'STOP' } } },
  { name: 'two-blocks', files: { f: withBlock }, task: { blockinfile: { path: '@DIR@/f', block: 'second', marker: '# {mark} second' } } },
  { name: 'content-alias', files: { f: sshd }, task: { blockinfile: { dest: '@DIR@/f', content: block } } },
  { name: 'no-final-newline', files: { f: 'a\nb' }, task: { blockinfile: { path: '@DIR@/f', block: 'X' } } },
  { name: 'end-marker-without-newline', files: { f: 'a\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK' }, task: { blockinfile: { path: '@DIR@/f', block: 'new' } } },
  { name: 'markers-reversed', files: { f: 'a\n# END ANSIBLE MANAGED BLOCK\nmid\n# BEGIN ANSIBLE MANAGED BLOCK\nz\n' }, task: { blockinfile: { path: '@DIR@/f', block: 'new' } } },
  { name: 'crlf-file', files: { f: 'a\r\nb\r\n' }, task: { blockinfile: { path: '@DIR@/f', block: 'X' } } },
  { name: 'unicode-block', files: { f: 'a\n' }, task: { blockinfile: { path: '@DIR@/f', block: 'Grüße\n' } } },
  { name: 'create', task: { blockinfile: { path: '@DIR@/new', block, create: true } } },
  { name: 'create-mode', task: { blockinfile: { path: '@DIR@/new', block, create: true, mode: '0600' } } },
  { name: 'create-in-missing-dir', task: { blockinfile: { path: '@DIR@/sub/dir/new', block, create: true } } },
  { name: 'create-empty-block', task: { blockinfile: { path: '@DIR@/new', create: true } } },
  { name: 'missing-no-create', task: { blockinfile: { path: '@DIR@/new', block } } },
  { name: 'missing-absent', task: { blockinfile: { path: '@DIR@/new', state: 'absent' } } },
  { name: 'directory', files: { d: { dir: true } }, task: { blockinfile: { path: '@DIR@/d', block } } },
  { name: 'mode-only', files: { f: { content: withBlock, mode: 0o600 } }, task: { blockinfile: { path: '@DIR@/f', block: 'Match User x\n  X11Forwarding no\n', mode: '0644' } } },
  { name: 'keeps-mode', files: { f: { content: sshd, mode: 0o640 } }, task: { blockinfile: { path: '@DIR@/f', block } } },
  { name: 'validate-ok', files: { f: sshd }, task: { blockinfile: { path: '@DIR@/f', block, validate: 'grep -q ansible %s' } } },
  { name: 'empty-file', files: { f: '' }, task: { blockinfile: { path: '@DIR@/f', block: 'X', insertbefore: 'BOF' } } },
];

const missing = differentialUnavailable();
if (missing !== undefined) {
  test('ansible-playbook is installed for the blockinfile differential', (t) => t.fail(`missing ${missing}`));
} else {
  test('blockinfile: the same outcome as Ansible 2.14 in every case', async (t) => {
    t.timeout(10 * 60_000);
    const outcomes = await runDifferential(cases);
    t.log(differentialSummary('blockinfile', outcomes));
    const by = Object.fromEntries(outcomes.map((o) => [o.name, o]));
    t.deepEqual(outcomes.filter((o) => o.differences.length).map((o) => `${o.name}: ${o.differences.join('; ')}`), []);
    // the comparison is real: these cases change, fail or leave the file as Ansible does
    t.true(by['append-eof'].ansible.changed);
    t.false(by['already-there'].tsplay.changed);
    t.true(by['missing-no-create'].tsplay.failed);
    t.regex(by['insertbefore-bof'].tsplay.tree.f, /^file 0\d+ \d+:\d+ "# BEGIN ANSIBLE MANAGED BLOCK\\nMatch User ansible/);
  });
}
