// --output junit (issue 13): one test case per host and task; failures,
// unreachable hosts and --check's predicted changes as such; XML that a
// parser reads (checked with Python's, as CI tools' are strict); a load error
// is a report too.

import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { junitXml } from '../../../../engine/report/junit.js';
import type { RunEvent } from '../../../../engine/report/events.js';
import { runCli } from '../../../helpers/cli-capture.js';

const dir = mkdtempSync(join(tmpdir(), 'tsplay-junit-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

/** Python's XML parser over the text: the element counts, or its error. */
function parsed(xml: string): { cases: number; failures: number; errors: number; skipped: number; predicted: number } {
  const f = join(dir, `r${Math.random().toString(36).slice(2)}.xml`);
  writeFileSync(f, xml);
  const py = `import sys, json, xml.dom.minidom as m
d = m.parse(sys.argv[1])
n = lambda t: len(d.getElementsByTagName(t))
print(json.dumps({"cases": n("testcase"), "failures": n("failure"), "errors": n("error"), "skipped": n("skipped"),
  "predicted": len([x for x in d.getElementsByTagName("failure") if x.getAttribute("type") == "predicted-change"])}))`;
  const r = spawnSync('python3', ['-c', py, f], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`not well-formed XML: ${r.stderr}`);
  return JSON.parse(r.stdout) as ReturnType<typeof parsed>;
}

const base = { durationMs: 1500 };
const EVENTS: RunEvent[] = [
  { kind: 'run_start', playbooks: ['site.yml'], check: true, diff: true, forks: 5, time: '2026-12-01T00:00:00Z' },
  { kind: 'play_start', play: 'web & <db>', hosts: ['h1', 'h2'] },
  { kind: 'host_result', host: 'h1', task: 'conf', status: 'changed', check: true, msg: 'set "x"', diff: [{ path: '/etc/x', before: 'a\n', after: 'b\n' }], place: 'site.yml:3:7', ...base },
  { kind: 'host_result', host: 'h2', task: 'conf', status: 'ok', place: 'site.yml:3:7', ...base },
  { kind: 'host_result', host: 'h1', task: 'loop', status: 'ok', item: 'a', place: 'site.yml:9:7', ...base },
  { kind: 'host_result', host: 'h1', task: 'loop', status: 'failed', item: 'b', msg: 'rc 1: \u0001bad', place: 'site.yml:9:7', ...base },
  { kind: 'host_result', host: 'h2', task: 'loop', status: 'skipped', place: 'site.yml:9:7', ...base },
  { kind: 'host_result', host: 'h2', task: 'ignored', status: 'failed', ignored: true, msg: 'no matter', place: 'site.yml:12:7', ...base },
  { kind: 'host_result', host: 'h3', task: 'conf', status: 'unreachable', msg: 'timed out', place: 'site.yml:3:7', ...base },
  { kind: 'run_end', exitCode: 2, durationMs: 9000 },
];

test('junitXml: a case per host and task (loop items merged, the worst decides), statuses as failure/error/skipped, escaped', (t) => {
  const xml = junitXml(EVENTS);
  t.deepEqual(parsed(xml), { cases: 6, failures: 2, errors: 1, skipped: 1, predicted: 1 });
  t.true(xml.includes('<testsuites name="tsplay --check" tests="6" failures="2" errors="1" skipped="1" time="10.500">'), xml);
  t.true(xml.includes('<testsuite name="web &amp; &lt;db&gt;" tests="6"'), xml);
  t.true(xml.includes('<testcase classname="h1" name="conf" time="1.500">\n      <failure message="would change: set &quot;x&quot;" type="predicted-change">'), xml);
  t.true(xml.includes('-a\n+b'), 'the diff is in system-out');
  t.true(xml.includes('<failure message="(item=b) rc 1: \ufffdbad" type="failed">'), xml);
  t.true(xml.includes('<testcase classname="h2" name="ignored" time="1.500"/>'), 'an ignored failure passes');
  t.true(xml.includes('<error message="timed out" type="unreachable">'), xml);
});

test('--output junit: a real run over the local connection, in --check and for real; a load error is a report too', async (t) => {
  const target = join(dir, 'target.conf');
  writeFileSync(target, 'old\n');
  writeFileSync(join(dir, 'hosts.ini'), 'localhost ansible_connection=local\n');
  writeFileSync(join(dir, 'pb.yml'), [
    '- name: audit',
    '  hosts: all',
    '  gather_facts: false',
    '  tasks:',
    `    - name: conf\n      copy: { content: "new\\n", dest: ${JSON.stringify(target)} }`,
    '    - name: skipped\n      debug: { msg: x }\n      when: false',
    '    - name: fails but ignored\n      command: "false"\n      ignore_errors: true',
    '',
  ].join('\n'));
  const check = await runCli(['run', 'pb.yml', '-i', 'hosts.ini', '--check', '--output', 'junit'], dir);
  t.is(check.code, 0, check.err);
  t.deepEqual(parsed(check.out), { cases: 3, failures: 1, errors: 0, skipped: 2, predicted: 1 });
  t.true(check.out.includes('-old\n+new'), check.out);
  const real = await runCli(['run', 'pb.yml', '-i', 'hosts.ini', '--output', 'junit'], dir);
  t.is(real.code, 0, real.err);
  t.deepEqual(parsed(real.out), { cases: 3, failures: 0, errors: 0, skipped: 1, predicted: 0 });
  t.regex(real.out, /<system-out>changed: /);
  writeFileSync(join(dir, 'broken.yml'), '- hosts: all\n  tasks: [\n');
  const broken = await runCli(['run', 'broken.yml', '-i', 'hosts.ini', '--output', 'junit'], dir);
  t.is(broken.code, 4);
  t.deepEqual(parsed(broken.out), { cases: 1, failures: 0, errors: 1, skipped: 0, predicted: 0 });
  t.regex(broken.out, /<testcase classname="tsplay" name="[^"]*broken\.yml:\d+:\d+"/);
});
