import test from 'ava';
import {
  decodeField, encodeField, findEntries, formatEntry, normalizeMountPath, parseEntry, parseFstab,
  removeEntries, sameEntry, serializeFstab, setEntry,
} from '../../../../modules/lib/fstab.js';

const SAMPLE = [
  '# /etc/fstab',
  '',
  'UUID=1234  /      ext4  errors=remount-ro  0  1',
  '   # indented comment',
  'tmpfs\t/tmp\ttmpfs\tdefaults',
  '/dev/sdb1 /srv/my\\040disk ext4 noatime 0 2',
  'garbage',
].join('\n');

test('round trip keeps every byte, with and without a final newline', (t) => {
  t.is(serializeFstab(parseFstab(SAMPLE)), SAMPLE);
  t.is(serializeFstab(parseFstab(SAMPLE + '\n')), SAMPLE + '\n');
  t.is(serializeFstab(parseFstab('')), '');
  t.is(serializeFstab(parseFstab('\n\n')), '\n\n');
  t.is(serializeFstab(parseFstab('a b c d\r\n')), 'a b c d\r\n');
});

test('entries are recognised; comments, blanks and one-field lines are not', (t) => {
  const lines = parseFstab(SAMPLE);
  t.deepEqual(lines.map((l) => l.entry?.path ?? null), [null, null, '/', null, '/tmp', '/srv/my disk', null]);
  t.deepEqual(lines[4].entry, { src: 'tmpfs', path: '/tmp', fstype: 'tmpfs', opts: 'defaults', dump: undefined, passno: undefined });
  t.deepEqual(lines[2].entry, { src: 'UUID=1234', path: '/', fstype: 'ext4', opts: 'errors=remount-ro', dump: '0', passno: '1' });
});

test('octal escapes decode and encode', (t) => {
  t.is(decodeField('/srv/a\\040b\\011c\\134d'), '/srv/a b\tc\\d');
  t.is(decodeField('no\\escape'), 'no\\escape');
  t.is(encodeField('/srv/a b\tc\\d'), '/srv/a\\040b\\011c\\134d');
  t.is(decodeField(encodeField('x y\nz\\')), 'x y\nz\\');
  t.is(parseEntry('//fs/my\\040share /mnt/x cifs ro')!.src, '//fs/my share');
});

test('formatEntry writes six fields and defaults dump/passno to 0', (t) => {
  t.is(formatEntry({ src: 'a:/b', path: '/mnt/a b', fstype: 'nfs', opts: 'ro' }), 'a:/b /mnt/a\\040b nfs ro 0 0');
  t.is(formatEntry({ src: 's', path: '/p', fstype: 't', opts: 'o', dump: '1', passno: '2' }), 's /p t o 1 2');
});

test('paths are compared normalized', (t) => {
  t.is(normalizeMountPath('/mnt//x/'), '/mnt/x');
  t.is(normalizeMountPath('/'), '/');
  t.deepEqual(findEntries(parseFstab('a /mnt/x/ t o\nb /mnt/x t o\nc /mnt/xy t o\n'), '/mnt/x'), [0, 1]);
});

test('sameEntry treats a missing dump/passno as 0 and compares opts exactly', (t) => {
  const e = { src: 's', path: '/p', fstype: 't', opts: 'defaults' };
  t.true(sameEntry(e, { ...e, dump: '0', passno: '0' }));
  t.false(sameEntry(e, { ...e, passno: '2' }));
  t.false(sameEntry(e, { ...e, opts: 'defaults,ro' }));
});

test('setEntry appends, updates in place, and removes later duplicates', (t) => {
  const desired = { src: 'n:/e', path: '/mnt/e', fstype: 'nfs4', opts: 'defaults', dump: '0', passno: '0' };
  const added = setEntry(parseFstab('# c\nx / ext4 d 0 1'), desired);
  t.is(added.what, 'added');
  t.is(serializeFstab(added.lines), '# c\nx / ext4 d 0 1\nn:/e /mnt/e nfs4 defaults 0 0\n');

  const updated = setEntry(parseFstab('old:/e /mnt/e nfs ro 0 0 # tail\n# keep\nz:/e /mnt/e/ nfs4 defaults\n'), desired);
  t.is(updated.what, 'updated');
  t.is(serializeFstab(updated.lines), 'n:/e /mnt/e nfs4 defaults 0 0\n# keep\n');

  const same = setEntry(parseFstab('n:/e /mnt/e nfs4 defaults\n'), desired);
  t.false(same.changed);
  t.is(same.what, 'none');
});

test('setEntry keeps a missing final newline on an updated last line', (t) => {
  const desired = { src: 'n:/e', path: '/mnt/e', fstype: 'nfs4', opts: 'ro', dump: '0', passno: '0' };
  t.is(serializeFstab(setEntry(parseFstab('# c\nn:/e /mnt/e nfs4 rw'), desired).lines), '# c\nn:/e /mnt/e nfs4 ro 0 0');
});

test('removeEntries removes every entry for the path and nothing else', (t) => {
  const r = removeEntries(parseFstab('a /mnt/e t o\n#a /mnt/e t o\nb / t o\nc /mnt/e t o'), '/mnt/e/');
  t.true(r.changed);
  t.is(serializeFstab(r.lines), '#a /mnt/e t o\nb / t o\n');
  t.false(removeEntries(parseFstab('b / t o\n'), '/mnt/e').changed);
});
