// modules/lib/fstab-ansible.ts: fstab edited as ansible.posix.mount edits it.
// Expected values are what Ansible 2.14 with ansible.posix 1.5.4 wrote for the
// same input (observed in test/unit/modules/mount-vs-ansible.test.ts), except
// the escaping of tabs and newlines, tsplay's own (docs/modules/mount.md), and
// the CRLF case, which follows Python's documented text-mode readlines.

import test from 'ava';
import { bootOpts, escapeFstab, readLines, setMount, unsetMount } from '../../../../modules/lib/fstab-ansible.js';

const want = { src: '/dev/sdb1', name: '/data', fstype: 'ext4', opts: 'defaults', dump: '0', passno: '0' };
const line = '/dev/sdb1 /data ext4 defaults 0 0\n';

const setCases: Array<[string, string, Partial<typeof want>, { changed: boolean; text: string }]> = [
  ['appended', '# c\n', {}, { changed: true, text: `# c\n${line}` }],
  ['already, tabs', '/dev/sdb1\t/data\text4\tdefaults\t0\t0\n', {}, { changed: false, text: '/dev/sdb1\t/data\text4\tdefaults\t0\t0\n' }],
  ['four fields rewritten', '/dev/sdb1 /data ext4 defaults\n', {}, { changed: true, text: line }],
  ['five fields rewritten', '/dev/sdb1 /data ext4 defaults 0\n', {}, { changed: true, text: line }],
  ['trailing slash is another entry', '/dev/sdb1 /data/ ext4 defaults 0 0\n', {}, { changed: true, text: `/dev/sdb1 /data/ ext4 defaults 0 0\n${line}` }],
  ['duplicates both rewritten', '/dev/sdb1 /data ext4 defaults 0 0\n/dev/sdc1 /data xfs defaults 0 0\n', {}, { changed: true, text: `${line}${line}` }],
  ['last line gets its newline', '/dev/sdb1 /data ext4 defaults 0 0', { opts: 'ro' }, { changed: true, text: '/dev/sdb1 /data ext4 ro 0 0\n' }],
  ['malformed line kept', 'x\n/dev/x /data\n', {}, { changed: true, text: `x\n/dev/x /data\n${line}` }],
  ['CRLF read as LF', '# c\r\n', {}, { changed: true, text: `# c\n${line}` }],
  ['ampersand and space escaped', '', { src: '//srv/a&b', name: '/my data' }, { changed: true, text: '//srv/a\\046b /my\\040data ext4 defaults 0 0\n' }],
  ['other swap device kept', '/dev/sda2 none swap sw 0 0\n', { src: '/dev/sdc1', name: 'none', fstype: 'swap', opts: 'sw' }, { changed: true, text: '/dev/sda2 none swap sw 0 0\n/dev/sdc1 none swap sw 0 0\n' }],
];
for (const [name, text, over, expected] of setCases) {
  test(`setMount: ${name}`, (t) => t.deepEqual(setMount(text, { ...want, ...over }), expected));
}

test('unsetMount: only 6-field lines for the path go; the last line keeps its missing newline', (t) => {
  t.deepEqual(unsetMount(`# c\n${line}/dev/sdc1 /data ext4 ro\n/x /y z w 0 0`, '/data'), { changed: true, text: '# c\n/dev/sdc1 /data ext4 ro\n/x /y z w 0 0' });
  t.deepEqual(unsetMount('# c\n', '/data'), { changed: false, text: '# c\n' });
  t.deepEqual(unsetMount('/dev/sda2 none swap sw 0 0\n', 'none', '/dev/sdc1'), { changed: false, text: '/dev/sda2 none swap sw 0 0\n' });
});

test('escapeFstab: Ansible\'s three escapes, and tsplay\'s for other whitespace', (t) => {
  t.is(escapeFstab('a b&c\\d'), 'a\\040b\\046c\\134d');
  t.is(escapeFstab('a\tb\nc'), 'a\\011b\\012c');
});

test('readLines: Python\'s readlines in text mode', (t) => {
  t.deepEqual(readLines('a\r\nb\rc\nd'), ['a\n', 'b\n', 'c\n', 'd']);
  t.deepEqual(readLines(''), []);
});

test('bootOpts: noauto added for boot false unless noauto or defaults', (t) => {
  t.is(bootOpts('ro', false), 'ro,noauto');
  t.is(bootOpts('defaults', false), 'defaults');
  t.is(bootOpts('noauto,ro', false), 'noauto,ro');
  t.is(bootOpts('ro', true), 'ro');
});
