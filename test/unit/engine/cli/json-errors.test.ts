// --output json when the run cannot start (issue 13): a YAML error, a schema
// error, a bad option, a limit matching no host are JSON events on stdout,
// an `error` (with file:line:col when the error has a place) then `run_end`
// with the exit code, and nothing else is printed there.

import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../helpers/cli-capture.js';

const dir = mkdtempSync(join(tmpdir(), 'tsplay-jsonerr-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const inv = join(dir, 'hosts.ini');
writeFileSync(inv, 'localhost ansible_connection=local\n');
writeFileSync(join(dir, 'yaml.yml'), '- hosts: all\n  tasks:\n    - debug: { msg: [unclosed }\n');
writeFileSync(join(dir, 'schema.yml'), '- hosts: all\n  tasks:\n    - file: { path: /tmp/x, stat: touch }\n');
writeFileSync(join(dir, 'ok.yml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: { msg: hi }\n');

async function runJson(argv: string[]): Promise<{ code: number; events: Array<Record<string, unknown>>; out: string; err: string }> {
  const r = await runCli(['run', ...argv, '--output', 'json']);
  return { ...r, events: r.out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test.serial('a YAML syntax error: an error event with file:line:col, then run_end with exit 4', async (t) => {
  const r = await runJson([join(dir, 'yaml.yml'), '-i', inv]);
  t.is(r.code, 4);
  t.deepEqual(r.events.map((e) => e.kind), ['error', 'run_end']);
  t.regex(String(r.events[0].place), new RegExp(`^${join(dir, 'yaml.yml')}:3:\\d+$`));
  t.is(r.events[0].exitCode, 4);
  t.deepEqual(r.events[1], { kind: 'run_end', exitCode: 4, durationMs: 0 });
  t.is(r.err, '');
});

test.serial('a schema error (unknown module option): error event at the option, exit 4', async (t) => {
  const r = await runJson([join(dir, 'schema.yml'), '-i', inv]);
  t.is(r.code, 4);
  t.deepEqual(r.events.map((e) => e.kind), ['error', 'run_end']);
  t.regex(String(r.events[0].place), /schema\.yml:3:\d+$/);
  t.regex(String(r.events[0].msg), /stat/);
});

test.serial('a bad option and a limit matching nothing: JSON too (exit 5, exit 1 after the warning)', async (t) => {
  const bad = await runJson([join(dir, 'ok.yml'), '-i', inv, '-T', 'soon']);
  t.is(bad.code, 5);
  t.deepEqual(bad.events.map((e) => e.kind), ['error', 'run_end']);
  t.regex(String(bad.events[0].msg), /-T\/--timeout must be a positive number/);
  const none = await runJson([join(dir, 'ok.yml'), '-i', inv, '-l', 'nomatch']);
  t.is(none.code, 1);
  t.deepEqual(none.events.map((e) => e.kind), ['warning', 'error', 'run_end']);
  t.is(none.events[1].msg, 'Specified inventory, host pattern and/or --limit leaves us with no hosts to target.');
});

test.serial('a run that starts is unchanged: run_start first, run_end last, exit 0', async (t) => {
  const r = await runJson([join(dir, 'ok.yml'), '-i', inv]);
  t.is(r.code, 0, r.err);
  t.is(r.events[0].kind, 'run_start');
  t.deepEqual(r.events.at(-1), { ...r.events.at(-1), kind: 'run_end', exitCode: 0 });
});
