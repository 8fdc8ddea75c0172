// The pure parts of unarchive's zip handling (modules/lib/zip-archive.ts):
// zipinfo -T -s and unzip -v listings as unzip 6.00 prints them on Debian 12,
// the stat script's output, and Ansible's ZipArchive comparison row by row.

import test from 'ava';
import { compareZip, filesInArchive, parseListing, parseStat, parseUnzipV, parseZipinfo, permstrToOctal, pySplit, zipinfoTime } from '../../../../modules/lib/zip-archive.js';
import type { ZipCompareArgs, ZipEntry, ZipHostIds, ZipPathState } from '../../../../modules/lib/zip-archive.js';

const ZIPINFO = [
  'Archive:  z1.zip',
  'Zip file size: 756 bytes, number of entries: 6',
  'drwxr-xr-x  3.0 unx        0 bx stor 20261201.155208 app/',
  'lrwxrwxrwx  3.0 unx        5 bx stor 20261201.155208 app/link',
  '-rw-r-----  3.0 unx        2 tx stor 20261201.155208 app/sub/b.txt',
  '?rw-------  2.0 unx        4 b- stor 20240102.030404 app/sub/c.txt',
  '-rw-a--     2.0 fat       12 t- defN 20240102.030404 dos name.txt',
  '-rw-r--r--  3.0 unx        3 tx stor 20261201.155208 app/two  spaces ',
  '6 files, 26 bytes uncompressed, 26 bytes compressed:  0.0%',
  '',
].join('\n');

test('zipinfo -T -s: entries kept, header and footer skipped, names with spaces whole', (t) => {
  t.deepEqual(parseZipinfo(ZIPINFO), [
    { ztype: 'd', permstr: 'rwxr-xr-x', size: 0, time: '20261201.155208', path: 'app/' },
    { ztype: 'l', permstr: 'rwxrwxrwx', size: 5, time: '20261201.155208', path: 'app/link' },
    { ztype: '-', permstr: 'rw-r-----', size: 2, time: '20261201.155208', path: 'app/sub/b.txt' },
    { ztype: '?', permstr: 'rw-------', size: 4, time: '20240102.030404', path: 'app/sub/c.txt' },
    { ztype: '-', permstr: 'rw-a--', size: 12, time: '20240102.030404', path: 'dos name.txt' },
    { ztype: '-', permstr: 'rw-r--r--', size: 3, time: '20261201.155208', path: 'app/two  spaces ' },
  ]);
  t.deepEqual(parseZipinfo(''), []);
  t.deepEqual(parseZipinfo('caution: filename not matched:  x\n'), []);
});

test('pySplit is Python str.split(None, max)', (t) => {
  const rows: Array<[string, number, string[]]> = [
    ['  a  b c ', 7, ['a', 'b', 'c']],
    ['a b c d', 2, ['a', 'b', 'c d']],
    ['a b  c d  ', 2, ['a', 'b', 'c d  ']],
    ['', 3, []],
    ['   ', 3, []],
  ];
  for (const [line, max, want] of rows) t.deepEqual(pySplit(line, max), want, JSON.stringify(line));
});

test('unzip -v: CRC-32 by name, header and footer lines skipped', (t) => {
  const out = [
    'Archive:  z1.zip',
    ' Length   Method    Size  Cmpr    Date    Time   CRC-32   Name',
    '--------  ------  ------- ---- ---------- ----- --------  ----',
    '       0  Stored        0   0% 2026-12-01 15:52 00000000  app/',
    '       5  Stored        5   0% 2026-12-01 15:52 c1ebf7ba  app/link',
    '       3  Defl:N        5 -67% 2026-12-01 15:52 ed6f7a7a  app/a b.txt',
    '--------          -------  ---                            -------',
    '       8               10   0%                            3 files',
    '',
  ].join('\n');
  t.deepEqual([...parseUnzipV(out)], [['app/', 0], ['app/link', 0xc1ebf7ba], ['app/a b.txt', 0xed6f7a7a]]);
});

test('permission strings: r/w/x/s/t count, S/T do not; a FAT umask removes bits', (t) => {
  const rows: Array<[string, number, number]> = [
    ['rwxr-xr-x', 0, 0o755], ['rw-r-----', 0, 0o640], ['rwsr-sr-t', 0, 0o755], ['rwSr-Sr-T', 0, 0o644], ['rw-rw-rw-', 0o022, 0o644], ['rwxrwxrwx', 0o027, 0o750],
  ];
  for (const [s, umask, want] of rows) t.is(permstrToOctal(s, umask), want, s);
});

test('zipinfo time for date(1)', (t) => {
  t.is(zipinfoTime('20240102.030404'), '2024-01-02 03:04:04');
  t.throws(() => zipinfoTime('2024-01-02'), { message: /not YYYYMMDD\.HHMMSS/ });
});

test('the listing script: programs, unzip -l, zipinfo, names, CRCs, the filter test', (t) => {
  const out = '/usr/bin/unzip\n/usr/bin/zipinfo\n@@tsplay-zip 0\n\n@@tsplay-zip 0\nArchive:  x\n-rw-r--r--  3.0 unx        3 tx stor 20261201.155208 a\n@@tsplay-zip names\na\n@@tsplay-zip crc\nCRC\n@@tsplay-zip 11\ncaution: filename not matched:  z\n';
  const l = parseListing(out);
  t.like(l, { unzip: '/usr/bin/unzip', zipinfo: '/usr/bin/zipinfo', listRc: 0, listErr: '', zipinfoRc: 0, names: ['a'], filterRc: 11, filterErr: 'caution: filename not matched:  z' });
  t.deepEqual(parseListing('\n\n'), {}, 'no unzip, no zipinfo: nothing more');
  t.like(parseListing('/usr/bin/unzip\n\n@@tsplay-zip 9\n  End-of-central-directory signature not found.\n'), { unzip: '/usr/bin/unzip', listRc: 9, listErr: '  End-of-central-directory signature not found.' });
});

test('the stat script: ids, accounts, lstat with CRC, missing paths, times', (t) => {
  const out = ['0022', '0', 'root', '0', 'root', '0', 'nobody:65534', '@', '@',
    '81a4|3|1704164646.000000000|0|0|root|root|7a7a6fed', '-', 'a1ff|5|1704164646.250000000|1234|0|UNKNOWN|root|-', '41ed|4096|1.5|0|0|root|root|-',
    '@', '1704164646', '1704164644', ''].join('\n');
  const s = parseStat(out, 4, 2);
  t.deepEqual(s.ids, { umask: 0o022, uid: 0, user: 'root', gid: 0, groupName: 'root', groups: [0], owner: { name: 'nobody', id: 65534 } });
  t.deepEqual(s.stats, [
    { type: 'file', size: 3, mtime: 1704164646, mtimeNs: 0, mode: 0o644, uid: 0, gid: 0, owner: 'root', group: 'root', crc: 0x7a7a6fed },
    undefined,
    { type: 'link', size: 5, mtime: 1704164646, mtimeNs: 250000000, mode: 0o777, uid: 1234, gid: 0, group: 'root' },
    { type: 'directory', size: 4096, mtime: 1, mtimeNs: 500000000, mode: 0o755, uid: 0, gid: 0, owner: 'root', group: 'root' },
  ]);
  t.deepEqual(s.times, [1704164646, 1704164644]);
  t.throws(() => parseStat(out, 4, 3), { message: /could not convert zipinfo's times/ });
});

// compareZip, one difference per row, against a member that otherwise matches.
const ids: ZipHostIds = { umask: 0o022, uid: 0, user: 'root', gid: 0, groupName: 'root', groups: [0] };
const T = 1704164646;
const entry = (over: Partial<ZipEntry> = {}): ZipEntry => ({ ztype: '-', permstr: 'rw-r--r--', size: 3, time: '20240102.030406', path: 'a.txt', ...over });
const file = (over: Partial<ZipPathState> = {}): ZipPathState => ({ type: 'file', size: 3, mtime: T, mtimeNs: 0, mode: 0o644, uid: 0, gid: 0, owner: 'root', group: 'root', crc: 0xed6f7a7a, ...over });
const base: ZipCompareArgs = { keep_newer: false, exclude: [] };
const run = (e: ZipEntry, st: ZipPathState | undefined, args: Partial<ZipCompareArgs> = {}, who: Partial<ZipHostIds> = {}) =>
  compareZip([e], new Map([[e.path, st]]), new Map([[e.path, T]]), new Map([[e.path, 0xed6f7a7a]]), { ...base, ...args }, { ...ids, ...who });

test("compareZip: Ansible's itemized differences", (t) => {
  const rows: Array<[string, ZipEntry, ZipPathState | undefined, Partial<ZipCompareArgs>, string[]]> = [
    ['the same', entry(), file(), {}, []],
    ['missing', entry(), undefined, {}, ['>f++++++.?? a.txt']],
    ['a directory where a file belongs', entry(), file({ type: 'directory' }), {}, ['cf++++++.?? a.txt']],
    ['newer on disk', entry(), file({ mtime: T + 10 }), {}, ['.f..t....?? a.txt']],
    ['nanoseconds differ', entry(), file({ mtimeNs: 1 }), {}, ['.f..t....?? a.txt']],
    ['size', entry({ size: 4 }), file(), {}, ['.f.s.....?? a.txt']],
    ['content', entry(), file({ crc: 1 }), {}, ['.fc......?? a.txt']],
    ['mode', entry(), file({ mode: 0o600 }), {}, ['.f...p...?? a.txt']],
    ['mode asked for', entry(), file(), { mode: '0600' }, ['.f...p...?? a.txt']],
    ['mode asked for, symbolic, already so', entry(), file(), { mode: 'u=rw,go=r' }, []],
    ['owner', entry(), file({ owner: 'nobody', uid: 65534 }), {}, ['.f....o..?? a.txt']],
    ['owner without a name', entry(), file({ owner: undefined, uid: 4321 }), {}, ['.f....o..?? a.txt']],
    ['group (reported over owner)', entry(), file({ owner: 'nobody', group: 'nogroup' }), {}, ['.f....g..?? a.txt']],
    ['a link: no mode, no content', entry({ ztype: 'l', permstr: 'rwxrwxrwx' }), file({ type: 'link', mode: 0o777, size: 99, crc: undefined }), {}, []],
    ['a directory: no time, no size', entry({ ztype: 'd', path: 'd/', permstr: 'rwxr-xr-x' }), file({ type: 'directory', mode: 0o755, size: 4096, mtime: 1 }), {}, []],
    ['? entries: their own bits, no umask', entry({ ztype: '?', permstr: 'rw-rw-rw-' }), file({ mode: 0o666 }), {}, []],
    ['FAT permissions: 666 under the umask', entry({ permstr: 'rw-a--' }), file({ mode: 0o644 }), {}, []],
    ['excluded by name', entry(), undefined, { exclude: ['a.txt'] }, []],
  ];
  for (const [label, e, st, args, want] of rows) {
    const r = run(e, st, args);
    t.deepEqual(r.diff, want, label);
    t.deepEqual(r.includes, want.length ? [e.path] : [], label);
  }
});

test('compareZip: keep_newer replaces older files and leaves newer ones out of unzip', (t) => {
  t.deepEqual(run(entry(), file({ mtime: T - 5 }), { keep_newer: true }).diff, ['.f..t....?? a.txt']);
  const newer = run(entry(), file({ mtime: T + 5, crc: 1 }), { keep_newer: true });
  t.deepEqual([newer.diff, newer.keptNewer], [[], ['a.txt']]);
  t.deepEqual(run(entry(), file({ crc: 1 }), { keep_newer: true }).diff, ['.fc......?? a.txt'], 'same age: the content still counts');
});

test('compareZip: owner/group asked for, the run user, refusals as Ansible raises them', (t) => {
  const nobody = { owner: { name: 'nobody', id: 65534 } };
  t.deepEqual(run(entry(), file(), { owner: 'nobody' }, nobody).diff, ['.f....o..?? a.txt']);
  t.deepEqual(run(entry(), file({ owner: 'nobody', uid: 65534 }), { owner: 'nobody' }, nobody).diff, []);
  t.deepEqual(run(entry(), file(), { owner: 'ghost' }).diff, [], 'an unknown owner compares as the run user (the chown fails later)');
  t.throws(() => run(entry(), file(), { owner: 'nobody' }, { ...nobody, uid: 1000, user: 'me' }), { message: /Cannot change ownership of a\.txt to nobody, as user me/ });
  t.throws(() => run(entry({ permstr: 'rw-r--r-x-' }), file()), { message: /ZIP info perm format incorrect, rw-r--r-x-/ });
  t.throws(() => run(entry({ ztype: 'd', path: 'd' }), file()), { message: /without a trailing "\/"/ });
});

test('files_in_archive: include once per matching pattern, exclude by fnmatch (slashes too)', (t) => {
  const names = ['app/', 'app/a.txt', 'app/sub/', 'app/sub/b.txt', 'app/link'];
  t.deepEqual(filesInArchive(names, [], []), names);
  t.deepEqual(filesInArchive(names, ['app/a*', '*.txt'], []), ['app/a.txt', 'app/a.txt', 'app/sub/b.txt']);
  t.deepEqual(filesInArchive(names, [], ['app/sub*']), ['app/', 'app/a.txt', 'app/link']);
  t.deepEqual(filesInArchive(names, [], ['*.txt']), ['app/', 'app/sub/', 'app/link']);
});
