// authorized_key under Ansible 2.14 with ansible.posix (ansible-playbook, local
// connection) and under tsplay, on fresh copies of the same files
// (test/helpers/module-differential.ts): the same authorized_keys file
// afterwards (bytes, mode, owner), the same changed/failed flags, the same
// second run, and tsplay's --check predicting its own run. Every key file lives
// in the case's directory (path: @DIR@/authorized_keys, user root); the keys
// are fixed strings so that the cached reference stays valid.

import test from 'ava';
import { differentialSummary, differentialUnavailable, runDifferential } from '../../helpers/module-differential.js';
import type { CaseFile, DiffCase } from '../../helpers/module-differential.js';

const K1 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMseorItnTPGnbCitiEj8YKxiia8QrNgWgPmCNv360hL';
const K2 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILqk+U475jf27TH/zemJLgRLbbWvmRFkWZx0cHeWiqj3';
const K3 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIrr+bMXwcsTZ+CTMfbW4Gcq7KuV2CQkJamTMeawkX5p';
const RSA = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDJa8rW5p/b8kr8uleh9rj/4eAPfFyegwa5cGlUE68bM0EUhu88Zq/73SS2hNztSmB9thp5HAOSQa8EjuLbatkR564gp58Ht+1P6f05BrEVKq1CJhEBz6vFiri2146ZQ07CJd/iFT/H/fEZvU4bHfEIt5rarw+da5L1Vuu/U7lw/w==';
const ECDSA = 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBAVlsYJ/rxppMJm9D4d1G/zPUc2EcjD5AzQ5c+D6lsjH94w46TTq1ChJArOAQ+Pf2VTFoxXzAAN9JiBogdsmL4E=';

const F = 'authorized_keys';
const keyFile = (content: string, mode = 0o600): Record<string, CaseFile> => ({ [F]: { content, mode } });
const ak = (name: string, args: Record<string, unknown>, files: Record<string, CaseFile> = {}): DiffCase =>
  ({ name, files, task: { authorized_key: { user: 'root', path: `@DIR@/${F}`, manage_dir: false, ...args } } });

const mixed = `# managed by hand\n\n${K1} alice@a\n# old key below\n${K2} bob@b\n\n`;

const cases: DiffCase[] = [
  ak('new-file', { key: `${K1} alice@a` }),
  ak('new-file-no-comment', { key: K1 }),
  ak('already-present', { key: `${K1} alice@a` }, keyFile(`${K1} alice@a\n`)),
  ak('present-written-with-space', { key: K1 }, keyFile(`${K1} \n`)),
  ak('present-without-trailing-space', { key: K1 }, keyFile(`${K1}\n`)),
  ak('other-comment', { key: `${K1} alice@new` }, keyFile(`${K1} alice@old\n${K2} bob@b\n`)),
  ak('comment-option', { key: `${K1} alice@a`, comment: 'deploy key' }, keyFile(`${K1} alice@a\n`)),
  ak('comment-with-spaces-kept', { key: `${K1} alice at home` }, keyFile(`${K1} alice at home\n`)),
  ak('add-after-existing', { key: `${K3} carol@c` }, keyFile(mixed)),
  ak('existing-other-options', { key: `${K1} alice@a` }, keyFile(`no-pty ${K1} alice@a\n${K2} bob@b\n`)),
  ak('key-options-added', { key: `${K1} alice@a`, key_options: 'no-port-forwarding,from="10.0.0.1"' }, keyFile(`${K1} alice@a\n`)),
  ak('key-options-same', { key: `${K1} alice@a`, key_options: 'no-pty,from="10.0.0.1"' }, keyFile(`no-pty,from="10.0.0.1" ${K1} alice@a\n`)),
  ak('key-options-other-order', { key: `${K1} alice@a`, key_options: 'from="10.0.0.1",no-pty' }, keyFile(`no-pty,from="10.0.0.1" ${K1} alice@a\n`)),
  ak('key-options-quoted-comma', { key: `${K1} alice@a`, key_options: 'from="10.0.0.1,10.0.0.2",command="/bin/echo hi"' }),
  ak('options-in-key', { key: `command="/usr/bin/uptime",no-pty ${K1} alice@a` }, keyFile(`${K2} bob@b\n`)),
  ak('options-in-key-present', { key: `command="/usr/bin/uptime",no-pty ${K1} alice@a` }, keyFile(`command="/usr/bin/uptime",no-pty ${K1} alice@a\n`)),
  ak('key-options-override-key', { key: `no-pty ${K1} alice@a`, key_options: 'no-agent-forwarding' }, keyFile(`no-pty ${K1} alice@a\n`)),
  ak('multiple-keys', { key: `${K1} alice@a\n${K2} bob@b\n${RSA} rsa@r` }),
  ak('multiple-keys-some-present', { key: `${K1} alice@a\n${K3} carol@c` }, keyFile(`${K1} alice@a\n${K2} bob@b\n`)),
  ak('multiple-keys-comments-blanks', { key: `# team\n${K1} alice@a\n\n# ops\n${K2} bob@b\n` }, keyFile(`${K2} bob@b\n`)),
  ak('key-only-comment-lines', { key: '# nothing here\n' }, keyFile(`${K1} alice@a\n`)),
  ak('duplicates-no-change', { key: `${K1} alice@a` }, keyFile(`${K1} alice@a\n${K2} bob@b\n${K1} alice@a\n`)),
  ak('duplicates-with-change', { key: `${K3} carol@c` }, keyFile(`${K1} alice@a\n${K2} bob@b\n${K1} alice@a\n\n\n`)),
  ak('rsa-and-ecdsa', { key: `${RSA}\n${ECDSA} e@e` }, keyFile(`${K1} alice@a\n`)),
  ak('exclusive', { key: `${K2} bob@b`, exclusive: true }, keyFile(mixed)),
  ak('exclusive-already', { key: `${K1} alice@a`, exclusive: true }, keyFile(`${K1} alice@a\n`)),
  ak('exclusive-removes-comments', { key: `${K1} alice@a`, exclusive: true }, keyFile(`# header\n${K1} alice@a\n`)),
  ak('exclusive-two-keys', { key: `${K1} alice@a\n${K3} carol@c`, exclusive: true }, keyFile(mixed)),
  ak('exclusive-with-absent', { key: `${K1} alice@a`, state: 'absent', exclusive: true }, keyFile(mixed)),
  ak('absent-removes', { key: `${K1} alice@a`, state: 'absent' }, keyFile(mixed)),
  ak('absent-other-comment', { key: `${K2} someone-else`, state: 'absent' }, keyFile(mixed)),
  ak('absent-other-options', { key: K1, state: 'absent' }, keyFile(`no-pty ${K1} alice@a\n${K2} bob@b\n`)),
  ak('absent-not-there', { key: `${K3} carol@c`, state: 'absent' }, keyFile(mixed)),
  ak('absent-multiple', { key: `${K1}\n${K2}`, state: 'absent' }, keyFile(mixed)),
  ak('absent-missing-file', { key: `${K1} alice@a`, state: 'absent' }),
  ak('no-final-newline', { key: `${K2} bob@b` }, keyFile(`${K1} alice@a`)),
  ak('crlf-file', { key: `${K2} bob@b` }, keyFile(`${K1} alice@a\r\n`)),
  ak('crlf-file-present', { key: `${K1} alice@a` }, keyFile(`${K1} alice@a\r\n`)),
  ak('mode-kept-unchanged', { key: `${K1} alice@a` }, keyFile(`${K1} alice@a\n`, 0o644)),
  ak('mode-on-change', { key: `${K2} bob@b` }, keyFile(`${K1} alice@a\n`, 0o644)),
  ak('invalid-key', { key: 'not a key at all' }, keyFile(`${K1} alice@a\n`)),
  ak('type-without-blob', { key: 'ssh-ed25519' }, keyFile(`${K1} alice@a\n`)),
  ak('follow-link', { key: `${K2} bob@b`, follow: true }, { real: { content: `${K1} alice@a\n`, mode: 0o600 }, [F]: { link: 'real' } }),
  ak('no-follow-link', { key: `${K2} bob@b` }, { real: { content: `${K1} alice@a\n`, mode: 0o644 }, [F]: { link: 'real' } }),
  ak('follow-link-unchanged', { key: `${K1} alice@a`, follow: true }, { real: { content: `${K1} alice@a\n`, mode: 0o600 }, [F]: { link: 'real' } }),
  ak('options-space-in-quotes', { key: `command="echo hi there",no-pty ${K1} alice@a` }, keyFile(`${K2} bob@b\n`)),
  ak('options-space-in-quotes-present', { key: `command="echo hi there",no-pty ${K1} alice@a` }, keyFile(`command="echo hi there",no-pty ${K1} alice@a\n`)),
  ak('comment-empty', { key: `${K1} alice@a`, comment: '' }, keyFile(`${K1} alice@a\n`)),
  ak('key-options-empty', { key: `no-pty ${K1} alice@a`, key_options: '' }, keyFile(`no-pty ${K1} alice@a\n`)),
  ak('unknown-type-line', { key: `${K2} bob@b` }, keyFile(`ssh-foo AAAAB3Nz x\nno-pty weird line\n${K1} alice@a\n`)),
  ak('commented-key-in-file', { key: `${K1} alice@a` }, keyFile(`#${K1} alice@old\n# ${K1} alice@old2\n`)),
  ak('escaped-hash-comment', { key: `${K1} team\\#1` }),
  ak('leading-spaces-key', { key: `   ${K1} alice@a` }, keyFile(`${K1} alice@a\n`)),
  ak('tabs-in-file', { key: `${K1} alice@a` }, keyFile(`${K1.replace(' ', '\t')}\talice@a\n`)),
  ak('tabs-in-file-add', { key: `${K2} bob@b` }, keyFile(`${K1.replace(' ', '\t')}\talice@a\n`)),
  ak('latin1-file', { key: `${K2} bob@b` }, { [F]: { content: Buffer.from(`${K1} caf\xe9\n`, 'latin1'), mode: 0o600 } }),
  ak('path-is-directory', { key: `${K2} bob@b` }, { [F]: { dir: true } }),
  ak('same-key-twice-in-key', { key: `${K1} first\n${K1} second` }),
  ak('exclusive-duplicates', { key: `${K1} alice@a`, exclusive: true }, keyFile(`${K1} alice@a\n${K1} alice@a\n`)),
  { name: 'unknown-user', task: { authorized_key: { user: 'nosuchuser-tsplay', path: '@DIR@/authorized_keys', manage_dir: false, key: `${K1} alice@a` } } },
  ak('empty-file', { key: `${K1} alice@a` }, keyFile('')),
  ak('only-blank-lines-exclusive', { key: `${K1} alice@a`, exclusive: true }, keyFile('\n\n')),
  ak('absent-path-is-directory', { key: `${K2} bob@b`, state: 'absent' }, { [F]: { dir: true } }),
  ak('comment-last-no-newline', { key: `${K2} bob@b` }, keyFile(`${K1} alice@a\n# last`)),
  { name: 'manage-dir', files: { ssh: { dir: true, mode: 0o755 } }, task: { authorized_key: { user: 'root', path: '@DIR@/ssh/authorized_keys', key: `${K1} alice@a` } } },
  { name: 'missing-parent-no-manage-dir', task: { authorized_key: { user: 'root', path: '@DIR@/sub/authorized_keys', manage_dir: false, key: `${K1} alice@a` } } },
];

/** Cases where tsplay keeps its own outcome on purpose (docs/modules/authorized_key.md); the value: how each difference starts. */
const DELIBERATE: Record<string, string[]> = {
  // Ansible reads the directory as an empty file, chmods it 0600, then fails moving its file onto it;
  // tsplay fails too, leaving the directory as it was.
  'path-is-directory': ['authorized_keys: ansible dir 0600'],
  // Ansible glues the new key onto a last line without its line ending ("# lastssh-ed25519 ..."), so
  // every run adds the key again; tsplay ends that line first.
  'comment-last-no-newline': ['second run changed: ansible true, tsplay false', 'authorized_keys: '],
};

const missing = differentialUnavailable();
if (missing !== undefined) {
  test('ansible-playbook is installed for the authorized_key differential', (t) => t.fail(`missing ${missing}`));
} else {
  test('authorized_key: the same outcome as ansible.posix under Ansible 2.14', async (t) => {
    t.timeout(10 * 60_000);
    const outcomes = await runDifferential(cases);
    t.log(differentialSummary('authorized_key', outcomes));
    const by = Object.fromEntries(outcomes.map((o) => [o.name, o]));
    for (const o of outcomes) {
      const expected = DELIBERATE[o.name];
      if (expected === undefined) t.deepEqual(o.differences, [], o.name);
      else t.true(o.differences.length > 0 && o.differences.every((d) => expected.some((e) => d.startsWith(e))), `${o.name}: ${o.differences.join('; ')}`);
    }
    // The comparison is real: what Ansible did, as observed.
    t.true(by['new-file'].ansible.changed);
    t.false(by['new-file'].ansible.changed2);
    t.regex(by['new-file'].tsplay.tree[F], /^file 0600 0:0 "ssh-ed25519 \S+ alice@a\\n"$/);
    t.false(by['already-present'].ansible.changed);
    t.true(by['invalid-key'].ansible.failed);
    t.true(by['path-is-directory'].ansible.failed && by['path-is-directory'].tsplay.failed);
    t.false(by['absent-path-is-directory'].ansible.failed);
    t.true(by['comment-last-no-newline'].ansible.changed2);
  });
}
