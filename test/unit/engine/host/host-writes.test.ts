// All-or-nothing writes (issue 8, items 1, 6, 7) through the real write script
// over a LocalConnection: a transfer cut short or altered, a signal, a writer
// killed with SIGKILL, a target changed since it was read, option-like values.

import test from 'ava';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '../../../../engine/host/content-hash.js';
import type { Connection, ExecOptions } from '../../../../engine/connection/connection.js';
import { Host } from '../../../../engine/host/host.js';
import { LocalConnection } from '../../../../engine/connection/local-connection.js';
import { ModuleError, StaleTargetError, type ModuleContext } from '../../../../engine/module-api.js';
import { quote } from '../../../../engine/host/shell.js';
import { runModule, STALE_ATTEMPTS } from '../../../../engine/run/task-exec.js';
import { writeFileScript } from '../../../../engine/host/write-script.js';
import lineinfile from '../../../../modules/lineinfile.js';

const isRoot = process.getuid?.() === 0;
const local = new LocalConnection('local');
const host = new Host(local, { name: 'local' });

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tsplay-writes-'));
}

/** A connection that hands each command's stdin through `edit` first (a transfer gone wrong). */
function tampering(edit: (stdin: Buffer) => Buffer): Connection {
  return {
    host: 'tampered', connect: async () => {}, close: async () => {},
    exec: (cmd: string, o: ExecOptions = {}) => local.exec(cmd, { ...o, stdin: o.stdin === undefined ? undefined : edit(Buffer.from(o.stdin)) }),
  };
}

/** A connection that runs every command in `dir` (for relative paths). */
function inDir(dir: string): Connection {
  return { host: 'cwd', connect: async () => {}, close: async () => {}, exec: (cmd, o) => local.exec(`cd ${quote(dir)} && ${cmd}`, o) };
}

const temps = (dir: string): string[] => readdirSync(dir).filter((f) => f.includes('.tsplay'));

/** Start the write script by hand (stdin left open) to interrupt it; resolves when its temp file exists. */
async function startWrite(dir: string, path: string, content: Buffer): Promise<{ child: ReturnType<typeof spawn>; done: Promise<number> }> {
  const script = writeFileScript(path, { size: content.length, sha256: sha256Hex(content) });
  const child = spawn('/bin/sh', ['-c', script], { stdio: ['pipe', 'ignore', 'ignore'] });
  const done = new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : 128))));
  child.stdin.on('error', () => {});
  child.stdin.write(content.subarray(0, content.length >> 1));
  for (let i = 0; i < 200 && temps(dir).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  return { child, done };
}

test('a transfer cut short never reaches the target, and leaves no temp file', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'big');
  writeFileSync(file, 'old content\n');
  const h = new Host(tampering((b) => b.subarray(0, b.length >> 1)), { name: 'h1' });
  const err = await t.throwsAsync(h.writeFile(file, 'x'.repeat(100_000)), { instanceOf: ModuleError });
  t.regex(err.message, /^h1: write .*\/big: the content arrived incomplete .*received 50000 of 100000 bytes/);
  t.is(readFileSync(file, 'utf8'), 'old content\n');
  t.deepEqual(temps(dir), []);
  // nothing at all arrives: a new file is not created empty
  const empty = new Host(tampering(() => Buffer.alloc(0)), { name: 'h1' });
  await t.throwsAsync(empty.writeFile(join(dir, 'new'), 'content'), { message: /received 0 of 7 bytes/ });
  t.false(existsSync(join(dir, 'new')));
  t.deepEqual(temps(dir), []);
  rmSync(dir, { recursive: true });
});

test('bytes altered on the way (same size) are refused by their SHA-256', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'f');
  writeFileSync(file, 'old');
  const h = new Host(tampering((b) => Buffer.from(b.toString('latin1').replace('new', 'NEW'), 'latin1')), { name: 'h1' });
  const err = await t.throwsAsync(h.writeFile(file, 'new content'), { instanceOf: ModuleError });
  t.regex(err.message, /SHA-256 [0-9a-f]{64}, expected [0-9a-f]{64}/);
  t.is(readFileSync(file, 'utf8'), 'old');
  t.deepEqual(temps(dir), []);
  rmSync(dir, { recursive: true });
});

test('a Buffer is written byte for byte (not UTF-8, NUL, CR)', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'bin');
  const bytes = Buffer.from([0xe9, 0x00, 0xff, 0xfe, 0x0d, 0x0a, 0x80, 0xc3, 0x28]);
  await host.writeFile(file, bytes);
  t.true(readFileSync(file).equals(bytes));
  t.deepEqual(temps(dir), []);
  rmSync(dir, { recursive: true });
});

for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
  test(`${signal} to the write script while it receives removes its temp file; the target is untouched`, async (t) => {
    const dir = tempDir();
    const file = join(dir, 'f');
    writeFileSync(file, 'old');
    const { child, done } = await startWrite(dir, file, Buffer.alloc(64 * 1024, 'n'));
    t.is(temps(dir).length, 1, 'the temp file exists while the content arrives');
    child.kill(signal);
    // the shell runs its trap once its cat ends: the stream ends (the connection is gone)
    child.stdin!.end();
    const rc = await done;
    t.is(rc, { SIGTERM: 143, SIGHUP: 129, SIGINT: 130 }[signal]);
    t.is(readFileSync(file, 'utf8'), 'old');
    t.deepEqual(temps(dir), []);
    rmSync(dir, { recursive: true });
  });
}

test('a writer killed with SIGKILL leaves its temp file; the next write into the directory removes it', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'f');
  writeFileSync(file, 'old');
  const { child, done } = await startWrite(dir, file, Buffer.alloc(64 * 1024, 'n'));
  child.kill('SIGKILL');
  child.stdin!.end();
  await done;
  await new Promise((r) => setTimeout(r, 50)); // its orphaned cat sees EOF
  const left = temps(dir);
  t.is(left.length, 1);
  t.regex(left[0], new RegExp(`^\\.f\\.tsplay-${child.pid}-\\w{6}$`), 'the temp name identifies the target and the writer');
  // files that only look alike, and a live writer's temp file, stay
  const live = `.g.tsplay-${process.pid}-abcdef`;
  const notOurs = ['.f.tsplay-x1-abcdef', '.f.tsplay-123-abc', 'f.tsplay-1-abcdef'];
  for (const n of [live, ...notOurs]) writeFileSync(join(dir, n), '');
  await host.writeFile(join(dir, 'other'), 'x');
  t.is(readFileSync(file, 'utf8'), 'old');
  t.deepEqual(readdirSync(dir).sort(), ['f', 'other', live, ...notOurs].sort());
  rmSync(dir, { recursive: true });
});

test('compare-and-swap: a target that changed since it was read is left alone (StaleTargetError)', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'f');
  writeFileSync(file, 'read by the plan\n');
  const planned = sha256Hex('read by the plan\n');
  writeFileSync(file, 'changed by someone else\n');
  const err = await t.throwsAsync(host.writeFile(file, 'new\n', { expect: { sha256: planned } }), { instanceOf: StaleTargetError });
  t.is(err.host, 'local');
  t.is(err.path, file);
  t.regex(err.message, /changed since it was read \(its content differs\); nothing was written/);
  t.is(readFileSync(file, 'utf8'), 'changed by someone else\n');
  await t.throwsAsync(host.writeFile(file, 'new\n', { expect: { exists: false } }), { instanceOf: StaleTargetError, message: /it exists now/ });
  await t.throwsAsync(host.writeFile(join(dir, 'gone'), 'new\n', { expect: { sha256: planned } }), { instanceOf: StaleTargetError, message: /no longer exists/ });
  t.false(existsSync(join(dir, 'gone')));
  t.deepEqual(temps(dir), []);
  // the expected state: written
  await host.writeFile(file, 'new\n', { expect: { sha256: sha256Hex('changed by someone else\n') } });
  t.is(readFileSync(file, 'utf8'), 'new\n');
  await host.writeFile(join(dir, 'fresh'), 'n', { expect: { exists: false } });
  t.is(readFileSync(join(dir, 'fresh'), 'utf8'), 'n');
  rmSync(dir, { recursive: true });
});

test('compare-and-swap under the directory lock: of 8 writers expecting the same content, exactly one wins', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'f');
  writeFileSync(file, 'base\n');
  const expect = { sha256: sha256Hex('base\n') };
  const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => host.writeFile(file, `writer ${i}\n`, { expect })));
  const won = outcomes.filter((o) => o.status === 'fulfilled').length;
  const stale = outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof StaleTargetError).length;
  t.is(won, 1, JSON.stringify(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ok'))));
  t.is(stale, 7);
  t.regex(readFileSync(file, 'utf8'), /^writer \d\n$/);
  t.deepEqual(temps(dir), []);
  rmSync(dir, { recursive: true });
});

test('mode, owner and group are on the temp file before the rename (seen by validate)', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'f');
  const seen = join(dir, 'seen');
  const owner = isRoot ? { owner: 'nobody', group: 'nogroup' } : {};
  await host.writeFile(file, 'x', { mode: '0640', ...owner, validate: `sh -c 'stat -c %a:%U:%G "$1" > "$2"' v %s ${seen}` });
  const [mode, user, group] = readFileSync(seen, 'utf8').trim().split(':');
  t.is(mode, '640');
  if (isRoot) t.deepEqual([user, group], ['nobody', 'nogroup']);
  t.is(lstatSync(file).mode & 0o7777, 0o640);
  // an existing file's mode comes along too
  chmodSync(file, 0o604);
  await host.writeFile(file, 'y', { validate: `sh -c 'stat -c %a "$1" > "$2"' v %s ${seen}` });
  t.is(readFileSync(seen, 'utf8').trim(), '604');
  rmSync(dir, { recursive: true });
});

test('a relative path under a directory named -x is written, never read as an option', async (t) => {
  const dir = tempDir();
  mkdirSync(join(dir, '-x'));
  writeFileSync(join(dir, '-x', '-f'), 'old');
  const h = new Host(inDir(dir), { name: 'cwd' });
  const r = await h.writeFile('-x/-f', 'new', { backup: true, mode: '0600', expect: { sha256: sha256Hex('old') } });
  t.is(readFileSync(join(dir, '-x', '-f'), 'utf8'), 'new');
  t.regex(r.backupPath ?? '', /^-x\/-f\.\d{4}-\d\d-\d\d@[\d:]+~$/, 'the backup path is given back as the path was written');
  t.is(readFileSync(join(dir, r.backupPath!), 'utf8'), 'old');
  await h.writeFile('-n', 'top');
  t.is(readFileSync(join(dir, '-n'), 'utf8'), 'top');
  t.deepEqual(temps(join(dir, '-x')), []);
  rmSync(dir, { recursive: true });
});

test('option-like owner, group and mode are refused or taken literally, never as options', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'f');
  writeFileSync(file, 'old');
  chmodSync(file, 0o600);
  const before = lstatSync(file);
  const e1 = await t.throwsAsync(host.writeFile(file, 'new', { owner: '--reference=/etc/shadow' }), { instanceOf: ModuleError });
  t.regex(e1.message, /cannot set the owner\/group.*invalid user/s);
  const e2 = await t.throwsAsync(host.writeFile(file, 'new', { group: '--reference=/etc/shadow' }), { instanceOf: ModuleError });
  t.regex(e2.message, /cannot set the owner\/group.*invalid group/s);
  await t.throwsAsync(host.writeFile(file, 'new', { mode: '--reference=/etc/shadow' }), { message: /is not an octal mode/ });
  await t.throwsAsync(host.writeFile(file, 'new', { mode: '-w' }), { message: /is not an octal mode/ });
  await t.throwsAsync(host.writeFile(file, 'new', { owner: 'root:shadow' }), { message: /not a valid user name/ });
  const after = lstatSync(file);
  t.is(readFileSync(file, 'utf8'), 'old');
  t.deepEqual([after.mode, after.uid, after.gid], [before.mode, before.uid, before.gid]);
  t.deepEqual(temps(dir), []);
  rmSync(dir, { recursive: true });
});

test('without flock on the host the write still happens, with a warning', async (t) => {
  const dir = tempDir();
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const tool of ['mktemp', 'cat', 'wc', 'sha256sum', 'sync', 'chmod', 'chown', 'chgrp', 'cp', 'mv', 'rm', 'date']) {
    symlinkSync(['/usr/bin', '/bin'].map((d) => join(d, tool)).find((p) => existsSync(p))!, join(bin, tool));
  }
  const noFlock: Connection = { host: 'nf', connect: async () => {}, close: async () => {}, exec: (cmd, o) => local.exec(`PATH=${quote(bin)}; export PATH; ${cmd}`, o) };
  const h = new Host(noFlock, { name: 'nf' });
  const file = join(dir, 'f');
  writeFileSync(file, 'old');
  const r = await h.writeFile(file, 'new', { expect: { sha256: sha256Hex('old') } });
  t.is(readFileSync(file, 'utf8'), 'new');
  t.regex(r.warnings?.join('\n') ?? '', /^nf: flock is not installed: .*\/f was checked for concurrent changes without a lock/);
  // with flock: no warning
  t.deepEqual(await host.writeFile(file, 'newer', { expect: { sha256: sha256Hex('new') } }), {});
  rmSync(dir, { recursive: true });
});

// ---------------------------------------------------------------- runModule: gather and plan again

const ctx: ModuleContext = {
  diff: false, facts: host.facts,
  render: (s) => s, readLocalFile: async () => { throw new Error('no local files'); },
};

/** A host whose write scripts first let `interfere` change the file (another writer, just in time). */
function racing(interfere: (n: number) => void): Host {
  let writes = 0;
  const conn: Connection = {
    host: 'race', connect: async () => {}, close: async () => {},
    exec: (cmd, o) => {
      if (cmd.includes('mktemp')) interfere(++writes);
      return local.exec(cmd, o);
    },
  };
  return new Host(conn, { name: 'race' });
}

test('lineinfile whose file changes between read and write plans again and keeps both lines', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'conf');
  writeFileSync(file, 'a\n');
  const h = racing((n) => { if (n === 1) writeFileSync(file, 'a\nfrom the other run\n'); });
  const out = await runModule(lineinfile, { path: file, line: 'from this run', state: 'present' }, h, { check: false, ctx });
  t.is(out.status, 'changed');
  t.is(out.result.write_retries, 1, 'the result says the task planned again');
  t.is(readFileSync(file, 'utf8'), 'a\nfrom the other run\nfrom this run\n');
  t.deepEqual(temps(dir), []);
  rmSync(dir, { recursive: true });
});

test(`a file that keeps changing: the task fails after ${STALE_ATTEMPTS} attempts, naming host and file`, async (t) => {
  const dir = tempDir();
  const file = join(dir, 'conf');
  writeFileSync(file, 'a\n');
  const h = racing((n) => writeFileSync(file, `a\nchange ${n}\n`));
  const err = await t.throwsAsync(runModule(lineinfile, { path: file, line: 'mine', state: 'present' }, h, { check: false, ctx }), { instanceOf: ModuleError });
  t.false(err instanceof StaleTargetError);
  t.is(err.message, `race: ${file} changed under this task ${STALE_ATTEMPTS} times in a row (another writer keeps changing it); gave up, nothing was written by the last attempt`);
  t.is(readFileSync(file, 'utf8'), `a\nchange ${STALE_ATTEMPTS}\n`);
  rmSync(dir, { recursive: true });
});
