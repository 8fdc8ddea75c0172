// authorized_keys parsing and writing, as ansible.posix.authorized_key does it.
// ansible.posix is not installed on this machine (only ansible-core 2.14), so the
// expected values here are worked out from that module's source (parsekey,
// parseoptions, parsekeys, serialize, enforce_state), not observed; the lab test
// (test/lab/modules-small.test.ts) compares the real module where it is present.

import test from 'ava';
import { applyKeys, parseKey, parseOptions, sameOptions, splitLinesKeep } from '../../../../modules/lib/ssh-keys.js';
import type { KeyRequest } from '../../../../modules/lib/ssh-keys.js';

const A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA alice@a';
const B = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAB bob@b';
const C = 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY carol';

test('options split on commas outside quotes, bare names have no value', (t) => {
  t.deepEqual(parseOptions('no-pty,from="10.0.0.1,10.0.0.2",command="echo a,b"'), [['no-pty', null], ['from', '"10.0.0.1,10.0.0.2"'], ['command', '"echo a,b"']]);
  t.deepEqual(parseOptions(''), []);
  t.deepEqual(parseOptions(null), []);
  t.true(sameOptions(parseOptions('no-pty,from="x"'), parseOptions('from="x",no-pty')));
  t.false(sameOptions(parseOptions('no-pty'), parseOptions('no-pty,no-pty')));
});

test('a key line: options, type, blob, comment (words joined by one space)', (t) => {
  t.like(parseKey('no-pty,from="x y" ssh-rsa AAAA my  key\n', 3), { id: 'AAAA', type: 'ssh-rsa', comment: 'my key', rank: 3 });
  t.deepEqual(parseKey('from="x y" ssh-rsa AAAA c', 0)?.options, [['from', '"x y"']]);
  t.is(parseKey('ssh-rsa AAAA', 0)?.comment, '');
  t.like(parseKey('# a comment\n', 1), { type: 'skipped', id: '# a comment\n' });
  t.is(parseKey('#ssh-rsa AAAA x', 0), undefined);
  t.is(parseKey('\n', 0), undefined);
  t.throws(() => parseKey('ssh-rsa', 0));
});

test('splitlines keeps every ending Python knows', (t) => {
  t.deepEqual(splitLinesKeep('a\nb\r\nc\x0bd'), ['a\n', 'b\r\n', 'c\x0b', 'd']);
  t.deepEqual(splitLinesKeep(''), []);
});

const req = (key: string, more: Partial<KeyRequest> = {}): KeyRequest => ({ key, state: 'present', exclusive: false, ...more });

// [name, file before, request, changed, file after]
const ROWS: Array<[string, string, KeyRequest, boolean, string]> = [
  ['add to an empty file', '', req(A), true, `${A}\n`],
  ['already there', `${A}\n`, req(A), false, `${A}\n`],
  ['a key without comment gets a trailing space', '', req('ssh-rsa AAAAB3'), true, 'ssh-rsa AAAAB3 \n'],
  ['the same key without comment is there with its trailing space', 'ssh-rsa AAAAB3 \n', req('ssh-rsa AAAAB3'), false, 'ssh-rsa AAAAB3 \n'],
  ['appended after existing lines, comments kept', `# keys\n${B}\n`, req(A), true, `# keys\n${B}\n${A}\n`],
  ['several keys in the order given', `${B}\n`, req(`${A}\n${C}\n`), true, `${B}\n${A}\n${C}\n`],
  ['blank and # lines of the key argument skipped', '', req(`\n# mine\n${A}\n\n`), true, `${A}\n`],
  ['a key with another comment is replaced and moves to the end', `${A.replace('alice@a', 'old')}\n${B}\n`, req(A), true, `${B}\n${A}\n`],
  ['key_options replace the key\'s options', `${A}\n`, req(A, { keyOptions: 'no-pty,from="10.0.0.1"' }), true, `no-pty,from="10.0.0.1" ${A}\n`],
  ['the same options in another order match', `from="10.0.0.1",no-pty ${A}\n`, req(A, { keyOptions: 'no-pty,from="10.0.0.1"' }), false, `from="10.0.0.1",no-pty ${A}\n`],
  ['comment replaces the key\'s comment', '', req(A, { comment: 'deploy' }), true, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA deploy\n'],
  ['absent removes the key whatever its options', `# c\nno-pty ${A}\n${B}\n`, req(A, { state: 'absent' }), true, `# c\n${B}\n`],
  ['absent and not there', `${B}\n`, req(A, { state: 'absent' }), false, `${B}\n`],
  ['exclusive removes every other line, comments too', `# c\n${B}\n${A}\n`, req(A, { exclusive: true }), true, `${A}\n`],
  ['exclusive with only our key: unchanged', `${A}\n`, req(A, { exclusive: true }), false, `${A}\n`],
  ['exclusive writes the given keys in their order', `${B}\n`, req(`${A}\n${C}`, { exclusive: true }), true, `${A}\n${C}\n`],
  ['a duplicated key is written once, at its last place', `${A}\n${B}\n${A}\n`, req(C), true, `${B}\n${A}\n${C}\n`],
  ['spacing in an existing key line is normalised on write', `ssh-rsa  AAAAB3NzaC1yc2EAAAADAQABAAAB   bob@b\n`, req(A), true, `${B}\n${A}\n`],
  ['a last line without newline is completed', `${B}`, req(A), true, `${B}\n${A}\n`],
  ['an unterminated comment line is not glued to the new key (Ansible would)', '# c', req(A), true, `# c\n${A}\n`],
  ['an existing escaped \\# comment is kept', `${B}\n`, req(`${A.replace('alice@a', 'a\\#b')}`), true, `${B}\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA a#b\n`],
];

for (const [name, before, request, changed, after] of ROWS) {
  test(`applyKeys: ${name}`, (t) => {
    const r = applyKeys(before, request);
    t.is(r.changed, changed);
    t.is(r.after, after);
  });
}

test('an invalid key is refused with Ansible\'s message', (t) => {
  t.throws(() => applyKeys('', req('not a key')), { message: 'invalid key specified: not a key' });
});
