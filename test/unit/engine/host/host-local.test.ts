// The host layer through a real LocalConnection on a temporary directory:
// runAll framing, stat/readFile, atomic writeFile, quoting, become wrapping.

import test from 'ava';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandTimeoutError, type Connection } from '../../../../engine/connection/connection.js';
import { Host } from '../../../../engine/host/host.js';
import { quote } from '../../../../engine/host/shell.js';
import { LocalConnection } from '../../../../engine/connection/local-connection.js';
import { ModuleError, type RunResult } from '../../../../engine/module-api.js';
import { users } from '../../../../engine/facts/users.js';
import { packages } from '../../../../engine/facts/packages.js';
import { mounts } from '../../../../engine/facts/mounts.js';
import { groups } from '../../../../engine/facts/groups.js';
import { file as fileFact, fileContent } from '../../../../engine/facts/file.js';

const isRoot = process.getuid?.() === 0;
const conn = new LocalConnection('local');
const host = new Host(conn, { name: 'local' });

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tsplay-host-'));
}

test('LocalConnection: rc, stdout, stderr and stdin', async (t) => {
  const r = await conn.exec('cat; echo err >&2; exit 7', { stdin: 'in put' });
  t.deepEqual(r, { rc: 7, stdout: 'in put', stdoutBytes: Buffer.from('in put'), stderr: 'err\n' });
  const bytes = Buffer.from([0, 0xe9, 0xff, 0x0a, 0xc3]);
  const raw = await conn.exec('cat', { stdin: bytes });
  t.true(raw.stdoutBytes.equals(bytes), 'a Buffer on stdin comes back byte for byte');
});

test('LocalConnection: timeout kills the whole process group', async (t) => {
  const dir = tempDir();
  const marker = join(dir, 'late');
  const started = Date.now();
  // Margins for a loaded machine: the point is that the 200 ms timeout ends a 60 s
  // command and its background child, not how fast a loaded machine spawns.
  await t.throwsAsync(conn.exec(`(sleep 8; touch ${marker}) & sleep 60`, { timeoutMs: 200 }), { instanceOf: CommandTimeoutError });
  t.true(Date.now() - started < 7000, 'the command ended at its timeout, long before its 60 s');
  await new Promise((r) => setTimeout(r, Math.max(0, started + 9000 - Date.now())));
  t.false(existsSync(marker), 'background child of the timed-out command was killed too');
  rmSync(dir, { recursive: true });
});

test('run: argv arrives literally, non-zero rc is returned', async (t) => {
  const nasty = `a'b "c" $(touch /tmp/pwned) ; \\ \`x\` \n end`;
  const r = await host.run(['printf', '%s', nasty]);
  t.is(r.rc, 0);
  t.is(r.stdout, nasty);
  const f = await host.run(['sh', '-c', 'exit 4']);
  t.is(f.rc, 4);
});

test('run: cwd and env', async (t) => {
  const dir = tempDir();
  const sub = join(dir, "d i'r");
  mkdirSync(sub);
  const r = await host.run(['sh', '-c', 'pwd; printf %s "$FOO"'], { cwd: sub, env: { FOO: 'b a$r' } });
  t.is(r.stdout, `${sub}\nb a$r`);
  rmSync(dir, { recursive: true });
});

test('runAll: one round trip, exact per-command output and rc', async (t) => {
  let calls = 0;
  const counting: Connection = { host: 'c', connect: async () => {}, close: async () => {}, exec: (c, o) => (calls++, conn.exec(c, o)) };
  const h = new Host(counting, { name: 'c' });
  const fakeMarker = '@@tsplay:0123456789abcdef01:end:0@@ 0\n';
  const rs = await h.runAll([
    ['printf', 'no newline'],
    ['sh', '-c', 'echo out; echo err >&2; exit 3'],
    ['printf', '%s', fakeMarker],
    ['true'],
    ['cat'], // stdin is /dev/null: must not hang or eat the script
    ['exit', '9'], // runs in a subshell: does not end the script
    ['printf', 'a\n\n'],
  ]);
  t.is(calls, 1);
  t.deepEqual(rs[0], { rc: 0, stdout: 'no newline', stderr: '' });
  t.deepEqual(rs[1], { rc: 3, stdout: 'out\n', stderr: 'err\n' });
  t.deepEqual(rs[2], { rc: 0, stdout: fakeMarker, stderr: '' });
  t.deepEqual(rs[3], { rc: 0, stdout: '', stderr: '' });
  t.deepEqual(rs[4], { rc: 0, stdout: '', stderr: '' });
  t.is(rs[5].rc, 9);
  t.is(rs[6].stdout, 'a\n\n');
});

test('stat: types, modes, owners, missing paths, awkward names', async (t) => {
  const dir = tempDir();
  const file = join(dir, `f 'q' "d" $(x);\\`);
  writeFileSync(file, 'hello');
  chmodSync(file, 0o640);
  const nl = join(dir, 'new\nline');
  writeFileSync(nl, '');
  symlinkSync('target with space', join(dir, 'lnk'));
  const sub = join(dir, 'sub');
  mkdirSync(sub);
  chmodSync(sub, 0o2750);
  if (isRoot) chownSync(file, 65534, 65534);
  const [f, n, l, d, m] = await host.getAll(fileFact, [file, nl, join(dir, 'lnk'), sub, join(dir, 'missing')]);
  t.like(f, { path: file, exists: true, type: 'file', mode: '0640', size: 5 });
  if (isRoot) t.like(f, { uid: 65534, gid: 65534, owner: 'nobody' });
  t.like(n, { exists: true, type: 'file', size: 0 });
  t.like(l, { exists: true, type: 'link', linkTarget: 'target with space' });
  t.like(d, { exists: true, type: 'directory', mode: '2750' });
  t.deepEqual(m, { path: join(dir, 'missing'), exists: false });
  if (isRoot) {
    chownSync(file, 54321, 54321);
    const [u] = await host.getAll(fileFact, [file]);
    t.like(u, { uid: 54321, owner: '54321', group: '54321' });
  }
  rmSync(dir, { recursive: true });
});

test('readFile: content exactly, only for regular files', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'c');
  const content = "line 1\n$(date) `id` 'q' \"dq\" \\n ; \n\nno final newline ✓";
  writeFileSync(file, content);
  const st = await host.get(fileContent, file);
  t.like(st, { exists: true, type: 'file' });
  t.true(st.content?.equals(Buffer.from(content, 'utf8')));
  const d = await host.get(fileContent, dir);
  t.is(d.type, 'directory');
  t.is(d.content, undefined);
  t.deepEqual(await host.get(fileContent, join(dir, 'nope')), { path: join(dir, 'nope'), exists: false });
  rmSync(dir, { recursive: true });
});

test('writeFile: new file, content literal, 0644, no temp left', async (t) => {
  const dir = tempDir();
  const file = join(dir, "new 'file'; $(rm -rf ~)");
  const content = "a'b\"c $(touch x) `y` ; \\ \\\\\n\nlast";
  t.deepEqual(await host.writeFile(file, content), {});
  t.is(readFileSync(file, 'utf8'), content);
  t.is(lstatSync(file).mode & 0o7777, 0o644);
  t.deepEqual(readdirSync(dir), ["new 'file'; $(rm -rf ~)"]);
  rmSync(dir, { recursive: true });
});

test('writeFile: keeps the old mode and owner, options override', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'keep');
  writeFileSync(file, 'old');
  chmodSync(file, 0o600);
  if (isRoot) chownSync(file, 65534, 65534);
  await host.writeFile(file, 'new');
  let st = lstatSync(file);
  t.is(st.mode & 0o7777, 0o600);
  if (isRoot) t.is(st.uid, 65534);
  await host.writeFile(file, 'newer', { mode: '0755', ...(isRoot ? { owner: 'root', group: 'root' } : {}) });
  st = lstatSync(file);
  t.is(st.mode & 0o7777, 0o755);
  if (isRoot) t.is(st.uid, 0);
  t.is(readFileSync(file, 'utf8'), 'newer');
  rmSync(dir, { recursive: true });
});

test('writeFile: failed validation leaves the target untouched and no temp file', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'conf');
  writeFileSync(file, 'good\n');
  const err = await t.throwsAsync(
    host.writeFile(file, 'bad\n', { validate: `sh -c 'grep -q good "$1" || { echo "no good in $1" >&2; exit 1; }' check %s` }),
    { instanceOf: ModuleError },
  );
  t.regex(err.message, /validation failed \(validate exited with rc 1\)/);
  t.regex(err.message, /no good in .*\/\.conf\.tsplay-\d+-\w{6}\n?/, 'validate ran on the temp file, named after the target and its writer');
  t.is(readFileSync(file, 'utf8'), 'good\n');
  t.deepEqual(readdirSync(dir), ['conf']);
  await host.writeFile(file, 'good too\n', { validate: `grep -q good %s` });
  t.is(readFileSync(file, 'utf8'), 'good too\n');
  rmSync(dir, { recursive: true });
});

test('writeFile: backup copy is returned and keeps the old content', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'b');
  writeFileSync(file, 'v1');
  const { backupPath } = await host.writeFile(file, 'v2', { backup: true });
  t.truthy(backupPath);
  t.true(backupPath!.startsWith(file + '.'));
  t.true(backupPath!.endsWith('~'));
  t.is(readFileSync(backupPath!, 'utf8'), 'v1');
  t.is(readFileSync(file, 'utf8'), 'v2');
  rmSync(dir, { recursive: true });
});

test('writeFile: missing directory is a clear error', async (t) => {
  const dir = tempDir();
  const err = await t.throwsAsync(host.writeFile(join(dir, 'no', 'f'), 'x'), { instanceOf: ModuleError });
  t.regex(err.message, /directory does not exist/);
  rmSync(dir, { recursive: true });
});

test('writeFile: failing chown removes the temp file', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'x');
  writeFileSync(file, 'orig');
  await t.throwsAsync(host.writeFile(file, 'new', { owner: 'no-such-user-tsplay' }), { message: /owner/ });
  t.is(readFileSync(file, 'utf8'), 'orig');
  t.deepEqual(readdirSync(dir), ['x']);
  rmSync(dir, { recursive: true });
});

test('users, groups, packages, mounts on the controller', async (t) => {
  const [root, none] = await host.getAll(users, ['root', 'no-such-user-tsplay']);
  t.like(root, { name: 'root', exists: true, uid: 0, gid: 0, home: '/root' });
  t.deepEqual(none, { name: 'no-such-user-tsplay', exists: false });
  const [g] = await host.getAll(groups, ['root']);
  t.like(g, { exists: true, gid: 0 });
  t.true(Array.isArray(g.members));
  const [dpkg, nope] = await host.getAll(packages, ['dpkg', 'no-such-package-tsplay']);
  t.true(dpkg.installed);
  t.regex(dpkg.version ?? '', /^\d/);
  t.deepEqual(nope, { name: 'no-such-package-tsplay', installed: false });
  const table = await host.get(mounts, undefined);
  t.true(table.some((m) => m.path === '/'));
});

// A connection that records command text and answers like sudo without NOPASSWD.
function recording(answer: RunResult): { conn: Connection; seen: string[] } {
  const seen: string[] = [];
  return { seen, conn: { host: 'r', connect: async () => {}, close: async () => {}, exec: async (c) => (seen.push(c), { ...answer, stdoutBytes: Buffer.from(answer.stdout) }) } };
}

test('become: wraps in sudo -n, skips when login user is the become user', async (t) => {
  const { conn: c, seen } = recording({ rc: 0, stdout: '', stderr: '' });
  await new Host(c, { name: 'r', become: true, becomeUser: 'root', loginUser: 'deploy' }).run(['id', '-u'], { cwd: '/tmp x' });
  t.is(seen[0], `sudo -n -H -u root -- /bin/sh -c ${quote("cd '/tmp x' && id -u")}`);
  await new Host(c, { name: 'r', become: true, loginUser: 'root' }).run(['id']);
  t.is(seen[1], 'id');
  await new Host(c, { name: 'r', become: false, loginUser: 'deploy' }).run(['id']);
  t.is(seen[2], 'id');
});

test('become: a sudo password requirement fails clearly', async (t) => {
  const { conn: c } = recording({ rc: 1, stdout: '', stderr: 'sudo: a password is required\n' });
  const h = new Host(c, { name: 'web1', become: true, loginUser: 'deploy' });
  await t.throwsAsync(h.run(['id']), { instanceOf: ModuleError, message: /web1: Missing sudo password \(sudo needs a password to run as/ });
});

test('become: really runs as another user (root controller only)', async (t) => {
  const haveSudo = (await conn.exec('command -v sudo')).rc === 0;
  if (!isRoot || !haveSudo) {
    t.pass('needs root and sudo');
    return;
  }
  const h = new Host(conn, { name: 'local', become: true, becomeUser: 'nobody', loginUser: 'root' });
  const r = await h.run(['id', '-un']);
  t.is(r.stdout.trim(), 'nobody');
});

test('runAll: a command that would change the script shell (exit, cd) runs in a subshell; the others in the script itself', async (t) => {
  const host = new Host(new LocalConnection('local'), { name: 'local' });
  const rs = await host.runAll([['exit', '3'], ['cd', '/'], ['pwd'], ['sh', '-c', 'exit 4'], ['echo', 'after']]);
  t.deepEqual(rs.map((r) => r.rc), [3, 0, 0, 4, 0]);
  t.not(rs[2].stdout.trim(), '/', 'cd ran in a subshell: the script did not move');
  t.is(rs[4].stdout, 'after\n');
});
