// --report FILE.html (issue 13), the page model and the page as text: events →
// hosts × tasks matrix and counts; every string from the run escaped; nothing
// external; written atomically at run_end (or by flush when the run did not
// end); and from the command line: beside --output json, on a load error, with
// vaulted values redacted. The page in a real browser: html-browser.test.ts.

import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CellStatus, htmlReporter, pageModel, reportHtml } from '../../../../engine/report/html.js';
import type { RunEvent } from '../../../../engine/report/events.js';
import { runCli } from '../../../helpers/cli-capture.js';

const dir = mkdtempSync(join(tmpdir(), 'tsplay-html-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const base = { durationMs: 10 };
const recapOf = (o: Partial<Record<string, number>>) => ({ ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0, ...o });
const EVENTS: RunEvent[] = [
  { kind: 'run_start', playbooks: ['site.yml'], check: true, diff: false, forks: 5, time: '2026-12-01T10:00:00.000Z' },
  { kind: 'play_start', play: 'web', hosts: ['h1', 'h2'] },
  { kind: 'task_start', task: 'conf', play: 'web', hosts: ['h1', 'h2'], place: 'site.yml:5:7' },
  { kind: 'host_result', host: 'h1', task: 'conf', status: 'changed', check: true, msg: 'content changed', diff: [{ path: '/etc/x', before: 'a\n', after: 'b\n' }], place: 'site.yml:5:7', ...base },
  { kind: 'host_result', host: 'h2', task: 'conf', status: 'ok', place: 'site.yml:5:7', ...base },
  { kind: 'task_start', task: 'loop', play: 'web', hosts: ['h1', 'h2'], place: 'site.yml:9:7' },
  { kind: 'host_result', host: 'h1', task: 'loop', status: 'skipped', item: 'a', place: 'site.yml:9:7', ...base },
  { kind: 'host_result', host: 'h1', task: 'loop', status: 'ok', item: 'b', place: 'site.yml:9:7', ...base },
  { kind: 'host_result', host: 'h1', task: 'loop', status: 'failed', item: { n: 3 }, msg: 'rc 1', place: 'site.yml:9:7', ...base },
  { kind: 'host_result', host: 'h2', task: 'loop', status: 'skipped', item: 'a', place: 'site.yml:9:7', ...base },
  { kind: 'host_result', host: 'h2', task: 'loop', status: 'skipped', item: 'b', place: 'site.yml:9:7', ...base },
  { kind: 'task_start', task: 'try', play: 'web', hosts: ['h2'], place: 'site.yml:14:7' },
  { kind: 'host_result', host: 'h2', task: 'try', status: 'failed', ignored: true, msg: 'no matter', place: 'site.yml:14:7', ...base },
  { kind: 'warning', msg: 'a warning' },
  // The same task name in a second play is another column.
  { kind: 'play_start', play: 'db', hosts: ['h3'] },
  { kind: 'task_start', task: 'conf', play: 'db', hosts: ['h3'], place: 'site.yml:5:7' },
  { kind: 'host_result', host: 'h3', task: 'conf', status: 'unreachable', msg: 'timed out', place: 'site.yml:5:7', ...base },
  { kind: 'readiness', title: 'Ready?', columns: ['disk'], rows: [{ host: 'h3', cells: { disk: { ok: false, reason: 'full' } } }] },
  { kind: 'recap', hosts: { h1: recapOf({ changed: 1, failed: 1, skipped: 1, ok: 1 }), h2: recapOf({ ok: 1, skipped: 1, ignored: 1 }), h3: recapOf({ unreachable: 1 }) }, durationMs: 2500 },
  { kind: 'run_end', exitCode: 3, durationMs: 2500 },
];

test('pageModel: hosts in order, a column per play and task, a loop cell is the worst item (all skipped: skipped), ignored, counts from the recap', (t) => {
  const m = pageModel(EVENTS);
  t.deepEqual(m.hosts, ['h1', 'h2', 'h3']);
  t.deepEqual(m.columns.map((c) => `${c.play}/${c.task}`), ['web/conf', 'web/loop', 'web/try', 'db/conf']);
  const cell = (col: number, h: string) => m.cells[col].get(h);
  const cases: Array<[number, string, CellStatus | undefined, number]> = [
    [0, 'h1', 'changed', 0],
    [0, 'h2', 'ok', 0],
    [1, 'h1', 'failed', 3],
    [1, 'h2', 'skipped', 2],
    [2, 'h1', undefined, 0],
    [2, 'h2', 'ignored', 0],
    [3, 'h3', 'unreachable', 0],
    [0, 'h3', undefined, 0],
  ];
  for (const [col, h, status, items] of cases) {
    t.is(cell(col, h)?.status, status, `${col} ${h}`);
    if (status) t.is(cell(col, h)?.items, items, `${col} ${h} items`);
  }
  t.true(cell(0, 'h1')!.check);
  t.deepEqual(cell(0, 'h1')!.diffs, ['--- before: /etc/x\n+++ after: /etc/x\n@@ -1,1 +1,1 @@\n-a\n+b\n']);
  t.deepEqual(cell(1, 'h1')!.msgs, ["(item={'n': 3}) rc 1"]);
  t.deepEqual(m.totals, recapOf({ ok: 2, changed: 1, failed: 1, skipped: 2, ignored: 1, unreachable: 1 }));
  t.is(m.exitCode, 3);
  t.is(m.ended, '2026-12-01T10:00:02.500Z');
  t.false(m.incomplete);
  t.is(m.readiness.length, 1);
  t.deepEqual(m.warnings, ['a warning']);
});

test('pageModel: a run that did not end is incomplete; an error before the run is kept', (t) => {
  const m = pageModel(EVENTS.slice(0, 5));
  t.true(m.incomplete);
  t.is(m.exitCode, undefined);
  t.deepEqual(m.totals, recapOf({}));
  const e = pageModel([{ kind: 'error', msg: 'bad yaml', place: 'pb.yml:2:3', exitCode: 4 }, { kind: 'run_end', exitCode: 4, durationMs: 0 }]);
  t.deepEqual(e.error, { msg: 'bad yaml', place: 'pb.yml:2:3' });
  t.is(e.exitCode, 4);
});

test('reportHtml: every string from the run escaped (hosts, plays, tasks, messages, diffs, readiness); nothing external; CSP hashes match', (t) => {
  const evil = '<script>alert(1)</script>"\'&';
  const events: RunEvent[] = [
    { kind: 'run_start', playbooks: [`${evil}.yml`], check: false, diff: false, forks: 1, time: '2026-12-01T10:00:00.000Z' },
    { kind: 'play_start', play: evil, hosts: [evil] },
    { kind: 'task_start', task: evil, play: evil, hosts: [evil], place: evil },
    { kind: 'host_result', host: evil, task: evil, status: 'changed', msg: evil, item: evil, diff: [{ path: evil, before: `${evil}\n`, after: '</pre><img src=x onerror=alert(2)>\n' }], place: evil, ...base },
    { kind: 'readiness', title: evil, columns: [evil], rows: [{ host: evil, cells: { [evil]: { ok: false, reason: evil } } }] },
    { kind: 'warning', msg: evil },
    { kind: 'recap', hosts: { [evil]: recapOf({ changed: 1 }) }, durationMs: 1 },
    { kind: 'run_end', exitCode: 0, durationMs: 1 },
  ];
  const html = reportHtml(pageModel(events));
  t.false(html.includes('<script>alert'), 'no raw script from the run');
  t.false(html.includes('<img'), 'no raw element from a diff');
  t.false(html.includes("'&<"), 'quotes and ampersands escaped');
  t.true(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;'));
  t.true(html.includes('+&lt;/pre&gt;&lt;img src=x onerror=alert(2)&gt;'));
  // One script and one style, ours; nothing that loads anything.
  t.is(html.match(/<script/g)?.length, 1);
  t.notRegex(html, /<[a-z][^>]*\s(src|href|action|srcset)=|url\(|@import|https?:|\/\//i);
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1];
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1];
  const hash = (s: string) => createHash('sha256').update(s).digest('base64');
  t.true(html.includes(`script-src 'sha256-${hash(script)}'`));
  t.true(html.includes(`style-src 'sha256-${hash(style)}'`));
  t.true(html.includes("default-src 'none'"));
});

test('htmlReporter: written at run_end, atomically (no temporary left); flush writes what came when the run did not end', (t) => {
  const d = mkdtempSync(join(dir, 'w-'));
  const file = join(d, 'r.html');
  const r = htmlReporter(file);
  for (const e of EVENTS.slice(0, -1)) r.emit(e);
  t.false(existsSync(file), 'nothing before run_end');
  r.emit(EVENTS[EVENTS.length - 1]);
  t.deepEqual(readdirSync(d), ['r.html']);
  t.true(readFileSync(file, 'utf8').includes('3 (a host unreachable)'));
  writeFileSync(file, 'kept');
  r.flush();
  t.is(readFileSync(file, 'utf8'), 'kept', 'flush after run_end writes nothing');
  const early = htmlReporter(file);
  for (const e of EVENTS.slice(0, 5)) early.emit(e);
  early.flush();
  const page = readFileSync(file, 'utf8');
  t.true(page.includes('id="incomplete"'));
  t.true(page.includes('data-status="changed"'));
  t.deepEqual(readdirSync(d), ['r.html']);
});

test('--report from the command line: beside --output json; a load error is a page too; refused with --list-tasks; vaulted values redacted on the page', async (t) => {
  const d = mkdtempSync(join(dir, 'cli-'));
  const target = join(d, 'target.conf');
  writeFileSync(target, 'old\n');
  writeFileSync(join(d, 'hosts.ini'), 'localhost ansible_connection=local\n');
  writeFileSync(join(d, 'pw'), 'pass-word\n');
  const enc = await runCli(['vault', 'encrypt_string', '--vault-password-file', 'pw', '--name', 'secret', 'Sup3r-s3cret'], d);
  t.is(enc.code, 0, enc.err);
  writeFileSync(join(d, 'vars.yml'), enc.out);
  writeFileSync(join(d, 'pb.yml'), [
    '- name: audit',
    '  hosts: all',
    '  gather_facts: false',
    '  vars_files: [vars.yml]',
    '  tasks:',
    `    - name: conf\n      copy: { content: "pw={{ secret }}\\n", dest: ${JSON.stringify(target)} }`,
    '',
  ].join('\n'));
  const run = await runCli(['run', 'pb.yml', '-i', 'hosts.ini', '--check', '--output', 'json', '--report', 'r.html', '--vault-password-file', 'pw'], d);
  t.is(run.code, 0, run.err);
  const events = run.out.trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
  t.true(events.some((e) => e.kind === 'recap'), 'the JSON output is unchanged');
  const page = readFileSync(join(d, 'r.html'), 'utf8');
  t.true(page.includes('+pw=********'), 'the diff is on the page, its secret hidden');
  t.false(page.includes('Sup3r-s3cret'));
  t.is(readFileSync(target, 'utf8'), 'old\n');

  writeFileSync(join(d, 'broken.yml'), '- hosts: all\n  tasks: [\n');
  const broken = await runCli(['run', 'broken.yml', '-i', 'hosts.ini', '--report', 'broken.html'], d);
  t.is(broken.code, 4);
  t.regex(broken.err, /ERROR/);
  t.regex(readFileSync(join(d, 'broken.html'), 'utf8'), /id="run-error">The run could not start: [^<]*\([^<]*broken\.yml:\d+:\d+\)/);

  const listed = await runCli(['run', 'pb.yml', '-i', 'hosts.ini', '--list-tasks', '--report', 'l.html'], d);
  t.is(listed.code, 5);
  t.regex(listed.err, /--report records a run/);
  t.false(existsSync(join(d, 'l.html')));
  const nodir = await runCli(['run', 'pb.yml', '-i', 'hosts.ini', '--report', 'no/such/dir/r.html'], d);
  t.is(nodir.code, 5);
  t.regex(nodir.err, /--report no\/such\/dir\/r\.html: cannot write/);
});
