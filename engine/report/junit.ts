// `--output junit`: the run as a JUnit XML report (issue 13), for CI systems
// and audit tools that read test reports. Printed once, when the run ends.
//
//   <testsuites name="tsplay" tests=.. failures=.. errors=.. skipped=.. time=..>
//     <testsuite name="PLAY" tests=.. ...>
//       <testcase classname="HOST" name="TASK" time="SECONDS">
//
// One test case per host and task (a loop's items are one case: the worst of
// them decides). What each status becomes:
//   failed (not ignored)   <failure message=MSG type="failed">
//   unreachable            <error message=MSG type="unreachable">
//   changed under --check  <failure message="would change: MSG" type="predicted-change">
//                          (an audit: the host is not in the declared state),
//                          with the diffs in <system-out>
//   changed in a real run  passes; "changed: MSG" and the diffs in <system-out>
//   skipped                <skipped/>
//   ok, ignored failure    passes
// An error before the run (`error` event) is one case in a suite named
// "tsplay", as an <error>.

import type { FileDiff } from '../module-api.js';
import type { HostResultEvent, Reporter, RunEvent } from './events.js';
import { unifiedDiff } from './unified-diff.js';

interface Case {
  play: string;
  host: string;
  task: string;
  status: 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable' | 'error';
  check: boolean;
  msgs: string[];
  diffs: FileDiff[];
  ms: number;
}

const RANK: Record<Case['status'], number> = { ok: 0, skipped: 1, changed: 2, failed: 3, unreachable: 4, error: 5 };

/** XML 1.0 text: escaped, and without the characters XML cannot hold. */
export function xmlText(s: string): string {
  return s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
    .replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

function diffText(d: FileDiff): string {
  if (d.beforeBinary || d.afterBinary) return `${d.path}: binary content changed`;
  return unifiedDiff(d.before, d.after, `before: ${d.path}`, `after: ${d.path}`);
}

function caseXml(c: Case): string {
  const attrs = `classname="${xmlText(c.host)}" name="${xmlText(c.task)}" time="${(c.ms / 1000).toFixed(3)}"`;
  const msg = c.msgs.filter(Boolean).join('; ');
  const out = [c.status === 'changed' ? `${c.check ? 'would change' : 'changed'}: ${msg}` : '', ...c.diffs.map(diffText)].filter(Boolean).join('\n');
  const sysout = out ? `\n      <system-out>${xmlText(out)}</system-out>` : '';
  let inner = '';
  if (c.status === 'failed') inner = `\n      <failure message="${xmlText(msg)}" type="failed">${xmlText(msg)}</failure>`;
  else if (c.status === 'unreachable' || c.status === 'error') inner = `\n      <error message="${xmlText(msg)}" type="${c.status}">${xmlText(msg)}</error>`;
  else if (c.status === 'changed' && c.check) inner = `\n      <failure message="${xmlText(`would change: ${msg}`)}" type="predicted-change">${xmlText(msg)}</failure>`;
  else if (c.status === 'skipped') inner = '\n      <skipped/>';
  return inner || sysout ? `    <testcase ${attrs}>${inner}${sysout}\n    </testcase>` : `    <testcase ${attrs}/>`;
}

function counts(cases: Case[]): { tests: number; failures: number; errors: number; skipped: number; time: string } {
  return {
    tests: cases.length,
    failures: cases.filter((c) => c.status === 'failed' || (c.status === 'changed' && c.check)).length,
    errors: cases.filter((c) => c.status === 'unreachable' || c.status === 'error').length,
    skipped: cases.filter((c) => c.status === 'skipped').length,
    time: (cases.reduce((n, c) => n + c.ms, 0) / 1000).toFixed(3),
  };
}

const attrsOf = (o: ReturnType<typeof counts>): string => `tests="${o.tests}" failures="${o.failures}" errors="${o.errors}" skipped="${o.skipped}" time="${o.time}"`;

/** The report of these events (pure: the reporter below collects them). */
export function junitXml(events: RunEvent[]): string {
  const cases: Case[] = [];
  const byKey = new Map<string, Case>();
  let play = '';
  let check = false;
  for (const e of events) {
    if (e.kind === 'run_start') check = e.check;
    else if (e.kind === 'play_start') play = e.play;
    else if (e.kind === 'error') cases.push({ play: 'tsplay', host: 'tsplay', task: e.place ? `${e.place}` : 'run', status: 'error', check, msgs: [e.msg], diffs: [], ms: 0 });
    else if (e.kind === 'host_result') {
      const r: HostResultEvent = e;
      const status: Case['status'] = r.status === 'failed' && r.ignored ? 'ok' : r.status;
      const key = `${play}\0${r.place ?? ''}\0${r.task}\0${r.host}`;
      let c = byKey.get(key);
      if (!c) {
        c = { play, host: r.host, task: r.task, status, check: Boolean(r.check) || check, msgs: [], diffs: [], ms: 0 };
        byKey.set(key, c);
        cases.push(c);
      } else if (RANK[status] > RANK[c.status]) {
        c.status = status;
      }
      if (r.msg && (status !== 'ok' || r.status === 'failed')) c.msgs.push(r.item !== undefined ? `(item=${typeof r.item === 'string' ? r.item : JSON.stringify(r.item)}) ${r.msg}` : r.msg);
      c.diffs.push(...(r.diff ?? []));
      c.ms += r.durationMs;
    }
  }
  const plays = [...new Set(cases.map((c) => c.play))];
  const suites = plays.map((p) => {
    const mine = cases.filter((c) => c.play === p);
    return `  <testsuite name="${xmlText(p)}" ${attrsOf(counts(mine))}>\n${mine.map(caseXml).join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="tsplay${check ? ' --check' : ''}" ${attrsOf(counts(cases))}>\n${suites.join('\n')}\n</testsuites>\n`;
}

export function junitReporter(out: NodeJS.WritableStream = process.stdout): Reporter {
  const events: RunEvent[] = [];
  return (ev: RunEvent) => {
    events.push(ev);
    if (ev.kind === 'run_end') out.write(junitXml(events));
  };
}
