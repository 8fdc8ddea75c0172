// The constant scripts chown_find/mount/wait_for/command send to hosts, run here for real.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WAIT_SCRIPT, parseWaitOutput } from '../../../modules/wait_for.js';
import { parseListing } from '../../../modules/mount.js';
import { resolveLink } from '../../../modules/stat.js';

const run = promisify(execFile);

async function waitFor(...args: string[]) {
  const r: { code?: number; stdout: string; stderr: string } = await run('bash', ['-c', WAIT_SCRIPT, 'wait_for', ...args]).catch((e: unknown) => e as { code?: number; stdout: string; stderr: string });
  return parseWaitOutput(r.code ?? 0, r.stdout, r.stderr);
}

test('wait script: an open port is reported at once, a closed one times out', async (t) => {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((res) => server.once('listening', res));
  const port = String((server.address() as AddressInfo).port);
  try {
    const open = await waitFor('0', '5', '0.2', '1', 'up', 'port', '127.0.0.1', port);
    t.is(open.outcome, 'ok');
    t.true(open.elapsed_ms < 2000);
    const notClosed = await waitFor('0', '1', '0.2', '1', 'down', 'port', '127.0.0.1', port);
    t.is(notClosed.outcome, 'timeout');
    t.true(notClosed.elapsed_ms >= 1000);
  } finally {
    server.close();
  }
  const closed = await waitFor('0', '5', '0.2', '1', 'down', 'port', '127.0.0.1', port);
  t.is(closed.outcome, 'ok');
});

test('wait script: its clock is ms since the epoch, from bash\'s EPOCHREALTIME or from date', async (t) => {
  const clock = WAIT_SCRIPT.split('\n')[0];
  t.regex(clock, /^now\(\)/);
  for (const [how, pre] of [['EPOCHREALTIME', ''], ['date', 'unset EPOCHREALTIME; ']]) {
    const before = Date.now();
    const r = await run('bash', ['-c', `${pre}${clock}\nnow; echo "$now"`]);
    const after = Date.now();
    const ms = Number(r.stdout.trim());
    t.true(Number.isInteger(ms) && ms >= before - 2 && ms <= after + 2, `${how}: ${r.stdout.trim()} not within ${before}..${after}`);
  }
});

test('wait script: a delay of 0 starts no sleep; a delay runs before the clock starts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-wait-'));
  try {
    const started = Date.now();
    const r = await waitFor('1', '5', '0.1', '1', 'up', 'path', dir, '');
    t.is(r.outcome, 'ok');
    t.true(Date.now() - started >= 1000, 'the delay was slept');
    t.true(r.elapsed_ms < 1000, `elapsed counts from after the delay: ${r.elapsed_ms}`);
    const noSleep = await run('bash', ['-c', `sleep() { echo slept >&2; }\n${WAIT_SCRIPT}`, 'wait_for', '0', '5', '0.1', '1', 'up', 'path', dir, '']);
    t.is(noSleep.stderr, '', 'delay 0: no sleep');
    t.regex(noSleep.stdout, /^ok \d+\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wait script: a host argument with shell syntax is data, not code', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-wait-'));
  try {
    const r = await waitFor('0', '1', '0.2', '1', 'up', 'port', `127.0.0.1$(touch ${dir}/pwned)`, '1');
    t.is(r.outcome, 'timeout');
    const ls = await run('ls', ['-A', dir]);
    t.is(ls.stdout, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wait script: a path that appears', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-wait-'));
  try {
    setTimeout(() => writeFileSync(join(dir, 'sock'), ''), 400);
    const r = await waitFor('0', '5', '0.1', '1', 'up', 'path', join(dir, 'sock'), '');
    t.is(r.outcome, 'ok');
    t.true(r.elapsed_ms >= 200 && r.elapsed_ms < 3000, String(r.elapsed_ms));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mount listing script: first five names and the count, names with newlines intact', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-mnt-'));
  try {
    const script = (await import('../../../modules/mount.js')).LIST_SCRIPT;
    const empty = await run('sh', ['-c', script, 'sh', dir]);
    t.deepEqual(parseListing(empty.stdout), { count: 0, first: [] });
    for (const n of ['a', 'b c', 'd\ne', 'f', 'g', 'h', 'i']) writeFileSync(join(dir, n), '');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'deep'), '');
    const full = await run('sh', ['-c', script, 'sh', dir]);
    const l = parseListing(full.stdout);
    t.is(l.count, 8);
    t.is(l.first.length, 5);
    for (const n of l.first) t.true(['a', 'b c', 'd\ne', 'f', 'g', 'h', 'i', 'sub'].includes(n), n);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stat resolves link targets relative to the link directory', (t) => {
  t.is(resolveLink('/etc/alternatives/editor', '/usr/bin/vim'), '/usr/bin/vim');
  t.is(resolveLink('/usr/bin/editor', '../lib/x/./y'), '/usr/lib/x/y');
  t.is(resolveLink('/a', 'b'), '/b');
});
