import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  batches, buildFindArgv, chownArgvs, escapeFindPattern, idMaps, escapeLogPath, logContent, LOG_HEADER, MAX_BATCH_PATHS,
  parseFindOutput, pruneList, rechowns, restoreModeArgvs,
} from '../../../../modules/lib/find-owned.js';

test('parseFindOutput reads NUL-separated records, keeping spaces and newlines in names', (t) => {
  t.deepEqual(parseFindOutput('107 113 644 /a b\x000 113 2755 /x\ny\x00'), [
    { uid: 107, gid: 113, mode: '644', path: '/a b' },
    { uid: 0, gid: 113, mode: '2755', path: '/x\ny' },
  ]);
  t.deepEqual(parseFindOutput(''), []);
  t.throws(() => parseFindOutput('garbage\x00'), { message: /unexpected find output record "garbage"/ });
});

test('pruneList keeps pseudo and network file systems out unless a start path is in them', (t) => {
  t.deepEqual(pruneList(['/'], ['/mnt/nfs']), ['/proc', '/sys', '/dev', '/run', '/mnt/nfs']);
  t.deepEqual(pruneList(['/mnt/nfs'], ['/mnt/nfs', '/srv/cifs']), ['/proc', '/sys', '/dev', '/run', '/srv/cifs']);
  t.deepEqual(pruneList(['/run/user/1000', '/'], []), ['/proc', '/sys', '/dev']);
  t.deepEqual(pruneList(['/mnt/nfs/sub'], ['/mnt/nfs']), ['/proc', '/sys', '/dev', '/run']);
});

test('buildFindArgv: -P, -xdev, escaped prune patterns, uid/gid tests, NUL printf', (t) => {
  t.deepEqual(buildFindArgv(['/', '/srv'], ['/proc', '/mnt/a*b'], [{ old_uid: 107, new_uid: 111, old_gid: 113, new_gid: 119 }], true), [
    'find', '-P', '/', '/srv', '-xdev', '(', '-path', '/proc', '-o', '-path', '/mnt/a\\*b', ')', '-prune', '-o',
    '(', '-uid', '107', '-o', '-gid', '113', ')', '-printf', '%U %G %m %p\\0',
  ]);
  t.deepEqual(buildFindArgv(['/srv'], [], [{ old_gid: 5, new_gid: 6 }], false), ['find', '-P', '/srv', '(', '-gid', '5', ')', '-printf', '%U %G %m %p\\0']);
  t.is(escapeFindPattern('/a[1]?\\'), '/a\\[1\\]\\?\\\\');
});

test('rechowns decides uid and gid per file; chownArgvs groups by spec; setuid/setgid restored', (t) => {
  const files = parseFindOutput('1 2 755 /both\x001 9 4755 /uidonly\x009 2 644 /gidonly\x009 9 644 /neither\x00');
  const ch = rechowns(files, [{ old_uid: 1, new_uid: 10, old_gid: 2, new_gid: 20 }]);
  t.deepEqual(ch.map((c) => [c.file.path, c.uid, c.gid]), [['/both', 10, 20], ['/uidonly', 10, undefined], ['/gidonly', undefined, 20]]);
  t.deepEqual(chownArgvs(ch), [
    ['chown', '-h', '--', '10:20', '/both'], ['chown', '-h', '--', '10', '/uidonly'], ['chown', '-h', '--', ':20', '/gidonly'],
  ]);
  t.deepEqual(restoreModeArgvs(ch), [['chmod', '4755', '--', '/uidonly']]);
});

test('several changes: one find with each old ID once; each file looked up by the IDs it has now', (t) => {
  const changes = [{ old_uid: 107, new_uid: 111 }, { old_gid: 113, new_gid: 119 }, { old_uid: 111, new_uid: 107 }, { old_gid: 113, new_gid: 119, old_uid: 107, new_uid: 111 }];
  t.deepEqual(buildFindArgv(['/'], [], changes, true), [
    'find', '-P', '/', '-xdev', '(', '-uid', '107', '-o', '-uid', '111', '-o', '-gid', '113', ')', '-printf', '%U %G %m %p\\0',
  ]);
  // 107 and 111 swap: a file is re-owned by the owner it had before the walk, once.
  const files = parseFindOutput('107 113 644 /a\x00111 5 644 /b\x005 113 644 /c\x00');
  t.deepEqual(rechowns(files, changes).map((c) => [c.file.path, c.uid, c.gid]), [['/a', 111, 119], ['/b', 107, undefined], ['/c', undefined, 119]]);
  t.deepEqual(idMaps(changes), { uid: new Map([[107, 111], [111, 107]]), gid: new Map([[113, 119]]) });
  t.throws(() => idMaps([{ old_gid: 5, new_gid: 6 }, { old_gid: 5, new_gid: 7 }]), { message: 'old_gid 5 is given two new values: 6 and 7' });
});

test('batches split at the path count and at the byte budget', (t) => {
  const many = Array.from({ length: MAX_BATCH_PATHS * 2 + 1 }, (_v, i) => `/f${i}`);
  t.deepEqual(batches(many).map((b) => b.length), [MAX_BATCH_PATHS, MAX_BATCH_PATHS, 1]);
  const long = Array.from({ length: 5 }, () => '/' + 'x'.repeat(30000));
  t.deepEqual(batches(long).map((b) => b.length), [2, 2, 1]);
});

test('the undo log escapes tabs, newlines and backslashes in paths', (t) => {
  t.is(escapeLogPath('/a\tb\nc\\d'), '/a\\tb\\nc\\\\d');
  const ch = rechowns(parseFindOutput('107 113 644 /x\ty\x00'), [{ old_uid: 107, new_uid: 111 }]);
  t.is(logContent(ch), LOG_HEADER + '/x\\ty\t107:113\t111:113\n');
});

test('the built find command runs as planned on this machine and lists exactly the owned files', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-find-'));
  try {
    mkdirSync(join(dir, 'sub dir'));
    writeFileSync(join(dir, 'sub dir', 'a;$(id)'), 'x');
    writeFileSync(join(dir, 'new\nline'), 'x');
    symlinkSync('/etc/passwd', join(dir, 'link'));
    mkdirSync(join(dir, 'pruned'));
    writeFileSync(join(dir, 'pruned', 'hidden'), 'x');
    const uid = process.getuid!();
    const argv = buildFindArgv([dir], [join(dir, 'pruned')], [{ old_uid: uid, new_uid: uid + 1 }], true);
    const out = execFileSync(argv[0], argv.slice(1), { encoding: 'utf8' });
    const paths = parseFindOutput(out).map((f) => f.path).sort();
    t.deepEqual(paths, [dir, join(dir, 'link'), join(dir, 'new\nline'), join(dir, 'sub dir'), join(dir, 'sub dir', 'a;$(id)')].sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
