// `--report FILE.html` (issue 13): the run as one self-contained page for an
// audit: the summary and the recap's counts, a matrix of hosts × tasks with a
// coloured cell per result (a loop's items are one cell: the worst of them
// decides, the item count shown), each change's unified diff (under --check,
// the predicted change) openable from its cell, the readiness tables, and
// filters by host and by status.
//
// Self-contained: inline CSS and JS, nothing fetched (a Content-Security-Policy
// allowing only this page's own style and script, by hash, says so to the
// browser too). Every string from the run (hosts, tasks, messages, file
// contents in diffs) is escaped; the script carries no data, it only reads the
// data-* attributes of the rendered table. The reporter collects the events it
// is given (the runner's redacted stream: vaulted values are never on the page)
// and writes the file at the end, atomically (a temporary file, then rename).

import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { FileDiff } from '../module-api.js';
import type { RecapCounts, Reporter, RunEvent } from './events.js';
import { unifiedDiff } from './unified-diff.js';
import { pyStr } from '../template/py-text.js';

/** A cell's status: the host_result statuses, and a failure ignore_errors turned into "ignored". */
export type CellStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable' | 'ignored';

export const CELL_STATUSES: readonly CellStatus[] = ['ok', 'changed', 'failed', 'unreachable', 'skipped', 'ignored'];

/** Which status a loop's cell shows: all items skipped is skipped; otherwise the worst. */
const RANK: Record<CellStatus, number> = { skipped: 0, ok: 1, changed: 2, ignored: 3, failed: 4, unreachable: 5 };

export const RECAP_KEYS: readonly (keyof RecapCounts)[] = ['ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued', 'ignored'];

export interface Column {
  play: string;
  task: string;
  place?: string;
  handler?: boolean;
}

export interface Cell {
  status: CellStatus;
  /** Loop items reported (0: not a loop). */
  items: number;
  /** Under --check: the change is predicted. */
  check: boolean;
  msgs: string[];
  /** Rendered unified diffs (or "binary content changed" lines). */
  diffs: string[];
}

export interface PageModel {
  playbooks: string[];
  check: boolean;
  started?: string;
  ended?: string;
  durationMs?: number;
  exitCode?: number;
  /** No run_end came: the page was written when the process ended early. */
  incomplete: boolean;
  /** The run could not start. */
  error?: { msg: string; place?: string };
  hosts: string[];
  columns: Column[];
  /** cells[column index].get(host) */
  cells: Array<Map<string, Cell>>;
  recap: Record<string, RecapCounts>;
  totals: RecapCounts;
  readiness: Array<Extract<RunEvent, { kind: 'readiness' }>>;
  warnings: string[];
}

function diffText(d: FileDiff): string {
  if (d.beforeBinary || d.afterBinary) return `${d.path}: binary content changed (no line diff)`;
  return unifiedDiff(d.before, d.after, d.beforeHeader ?? `before: ${d.path}`, d.afterHeader ?? `after: ${d.path}`);
}

const zero = (): RecapCounts => ({ ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });

/** The page's content from the run's events (pure). */
export function pageModel(events: RunEvent[]): PageModel {
  const m: PageModel = { playbooks: [], check: false, incomplete: true, hosts: [], columns: [], cells: [], recap: {}, totals: zero(), readiness: [], warnings: [] };
  const hostSeen = new Set<string>();
  const addHost = (h: string) => {
    if (!hostSeen.has(h)) {
      hostSeen.add(h);
      m.hosts.push(h);
    }
  };
  const colOf = new Map<string, number>();
  let play = '';
  let playIndex = -1;
  const column = (task: string, place: string | undefined, handler?: boolean): number => {
    const key = `${playIndex}\0${place ?? ''}\0${task}`;
    let i = colOf.get(key);
    if (i === undefined) {
      i = m.columns.length;
      colOf.set(key, i);
      m.columns.push({ play, task, ...(place ? { place } : {}), ...(handler ? { handler } : {}) });
      m.cells.push(new Map());
    }
    return i;
  };
  for (const e of events) {
    switch (e.kind) {
      case 'run_start':
        m.playbooks = e.playbooks;
        m.check = e.check;
        m.started = e.time;
        break;
      case 'play_start':
        play = e.play;
        playIndex++;
        for (const h of e.hosts) addHost(h);
        break;
      case 'task_start':
        column(e.task, e.place, e.handler);
        break;
      case 'host_result': {
        addHost(e.host);
        const cells = m.cells[column(e.task, e.place)];
        const status: CellStatus = e.status === 'failed' && e.ignored ? 'ignored' : e.status;
        let c = cells.get(e.host);
        if (!c) {
          c = { status, items: 0, check: false, msgs: [], diffs: [] };
          cells.set(e.host, c);
        } else if (RANK[status] > RANK[c.status]) {
          c.status = status;
        }
        if (e.item !== undefined) c.items++;
        if (e.check) c.check = true;
        if (e.msg) c.msgs.push(e.item !== undefined ? `(item=${pyStr(e.item)}) ${e.msg}` : e.msg);
        for (const d of e.diff ?? []) {
          const text = diffText(d);
          if (text) c.diffs.push(text);
        }
        break;
      }
      case 'readiness':
        m.readiness.push(e);
        for (const r of e.rows) addHost(r.host);
        break;
      case 'warning':
        m.warnings.push(e.host ? `[${e.host}] ${e.msg}` : e.msg);
        break;
      case 'recap':
        m.recap = e.hosts;
        for (const h of Object.keys(e.hosts)) addHost(h);
        break;
      case 'error':
        m.error = { msg: e.msg, ...(e.place ? { place: e.place } : {}) };
        break;
      case 'run_end':
        m.incomplete = false;
        m.exitCode = e.exitCode;
        m.durationMs = e.durationMs;
        if (m.started) m.ended = new Date(Date.parse(m.started) + e.durationMs).toISOString();
        break;
      default:
        break;
    }
  }
  for (const counts of Object.values(m.recap)) for (const k of RECAP_KEYS) m.totals[k] += counts[k];
  return m;
}

/** Text for HTML content and attribute values (quoted with "). */
export function esc(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

const EXIT_MEANING: Record<number, string> = { 0: 'ok', 1: 'error', 2: 'a host failed', 3: 'a host unreachable', 4: 'parse or schema error', 5: 'bad options', 99: 'interrupted' };

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}
h1{font-size:1.4em;margin:0 0 .5em}h2{font-size:1.15em;margin:1.5em 0 .5em}
dl.summary{display:grid;grid-template-columns:max-content auto;gap:.2em 1em;margin:0}
dl.summary dt{font-weight:600}dl.summary dd{margin:0}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.25em .5em;vertical-align:top;text-align:left}
th.task{font-weight:600;min-width:6em;max-width:16em}th.task .play{display:block;font-weight:400;color:#666;font-size:.85em}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{background:#d9f2d9}.changed{background:#ffe9a8}.failed{background:#f7c1c1}.unreachable{background:#e0a3e0}
.skipped{background:#d3ecf5}.ignored{background:#f2dcc4}.rescued{background:#e6e0f7}
td.cell.off{visibility:hidden}
.legend span,.filters label{display:inline-block;padding:.1em .5em;margin:.1em .2em;border-radius:3px}
.filters{margin:.5em 0;padding:.5em;border:1px solid #ddd;background:#fafafa}
.filters input[type=search]{width:14em}
pre.diff{margin:.3em 0;padding:.4em;background:#fff;border:1px solid #ccc;max-width:60em;max-height:30em;overflow:auto;font:12px/1.3 monospace;white-space:pre}
pre.diff .add{color:#0a6b0a;background:#e6ffe6}pre.diff .del{color:#a00;background:#ffe6e6}pre.diff .hunk{color:#0a5d8c}
.msg{white-space:pre-wrap;font-size:.9em;max-width:40em}
.error{color:#a00;font-weight:600}.note{color:#666}
.ready-yes{background:#d9f2d9}.ready-no{background:#f7c1c1}
details>summary{cursor:pointer}
`;

// Filters: rows (tr[data-host]) by host, matrix cells (td.cell[data-status]) by
// status; the counts of what is shown follow. It reads only the page's markup.
const JS = `
(function () {
  var all = function (s) { return Array.prototype.slice.call(document.querySelectorAll(s)); };
  var text = document.getElementById('host-filter');
  var select = document.getElementById('host-select');
  function apply() {
    var want = text.value.trim().toLowerCase();
    var exact = select.value;
    var on = {};
    all('input[name=status]').forEach(function (i) { on[i.value] = i.checked; });
    var shown = {};
    var hosts = 0;
    all('tr[data-host]').forEach(function (row) {
      var h = row.getAttribute('data-host');
      row.hidden = !((!exact || h === exact) && (!want || h.toLowerCase().indexOf(want) >= 0));
      if (!row.hidden && row.parentElement.parentElement.id === 'matrix') hosts++;
    });
    all('#matrix td.cell').forEach(function (cell) {
      var s = cell.getAttribute('data-status');
      var off = !on[s];
      cell.classList.toggle('off', off);
      if (!off && !cell.parentElement.hidden) shown[s] = (shown[s] || 0) + 1;
    });
    document.getElementById('shown-hosts').textContent = String(hosts);
    all('[data-shown]').forEach(function (el) { el.textContent = String(shown[el.getAttribute('data-shown')] || 0); });
  }
  text.addEventListener('input', apply);
  select.addEventListener('change', apply);
  all('input[name=status]').forEach(function (i) { i.addEventListener('change', apply); });
  apply();
})();
`;

const sha256 = (s: string): string => createHash('sha256').update(s).digest('base64');

function diffHtml(text: string): string {
  const lines = text.replace(/\n$/, '').split('\n').map((l) => {
    const cls = l.startsWith('@@') ? 'hunk' : l.startsWith('+') && !l.startsWith('+++') ? 'add' : l.startsWith('-') && !l.startsWith('---') ? 'del' : '';
    return cls ? `<span class="${cls}">${esc(l)}</span>` : esc(l);
  });
  return `<pre class="diff">${lines.join('\n')}</pre>`;
}

function cellHtml(c: Cell | undefined): string {
  if (!c) return '<td class="none"></td>';
  const label = c.status === 'changed' && c.check ? 'would change' : c.status;
  const items = c.items ? ` ×${c.items}` : '';
  const head = `${esc(label)}${items ? `<span class="items" title="loop items">${items}</span>` : ''}`;
  const body = [
    ...c.msgs.map((m) => `<div class="msg">${esc(m)}</div>`),
    ...c.diffs.map(diffHtml),
  ];
  const inner = body.length ? `<details><summary>${head}${c.diffs.length ? ' (diff)' : ''}</summary>${body.join('')}</details>` : `<span>${head}</span>`;
  return `<td class="cell ${c.status}" data-status="${c.status}">${inner}</td>`;
}

function readinessHtml(r: PageModel['readiness'][number]): string {
  const head = `<tr><th>Host</th>${r.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const rows = r.rows.map((row) => {
    const cells = r.columns.map((col) => {
      const c = row.cells[col];
      if (!c) return '<td></td>';
      const why = c.ok ? (c.detail ?? '') : (c.reason ?? '');
      return `<td class="${c.ok ? 'ready-yes' : 'ready-no'}">${c.ok ? 'yes' : 'no'}${why ? ` <span class="msg">${esc(why)}</span>` : ''}</td>`;
    });
    return `<tr data-host="${esc(row.host)}"><th>${esc(row.host)}</th>${cells.join('')}</tr>`;
  });
  return `<h2>${esc(r.title)}</h2>\n<table class="readiness"><thead>${head}</thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

/** The page (pure). */
export function reportHtml(m: PageModel): string {
  const mode = m.check ? 'check (--check: predicted changes, nothing written)' : 'real';
  const exit = m.exitCode === undefined ? 'none (the run did not end)' : `${m.exitCode} (${EXIT_MEANING[m.exitCode] ?? 'error'})`;
  const summary = [
    ['Playbooks', m.playbooks.map(esc).join(', ') || '(none)'],
    ['Mode', `<span id="mode">${esc(mode)}</span>`],
    ['Started', esc(m.started ?? '')],
    ['Ended', esc(m.ended ?? '')],
    ['Duration', m.durationMs === undefined ? '' : `${(m.durationMs / 1000).toFixed(1)} s`],
    ['Exit code', `<span id="exit-code">${esc(exit)}</span>`],
    ['Hosts', String(m.hosts.length)],
    ['Tasks', String(m.columns.length)],
  ].map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('\n');
  const recapHosts = Object.keys(m.recap);
  const recapRows = recapHosts.map((h) => `<tr data-host="${esc(h)}"><th>${esc(h)}</th>${RECAP_KEYS.map((k) => `<td class="num">${m.recap[h][k]}</td>`).join('')}</tr>`);
  const totals = `<tr id="totals"><th>total</th>${RECAP_KEYS.map((k) => `<td class="num ${k}" data-count="${k}">${m.totals[k]}</td>`).join('')}</tr>`;
  const recap = `<table id="recap"><thead><tr><th>Host</th>${RECAP_KEYS.map((k) => `<th class="${k}">${k}</th>`).join('')}</tr></thead><tbody>\n${recapRows.join('\n')}\n</tbody><tfoot>${totals}</tfoot></table>`;
  const colHead = m.columns.map((c) => `<th class="task" title="${esc(c.place ?? '')}"><span class="play">${esc(c.play)}${c.handler ? ' (handler)' : ''}</span>${esc(c.task)}</th>`).join('');
  const matrixRows = m.hosts.map((h) => `<tr data-host="${esc(h)}"><th>${esc(h)}</th>${m.cells.map((cells) => cellHtml(cells.get(h))).join('')}</tr>`);
  const matrix = `<table id="matrix"><thead><tr><th>Host</th>${colHead}</tr></thead><tbody>\n${matrixRows.join('\n')}\n</tbody></table>`;
  const checkboxes = CELL_STATUSES.map((s) => `<label class="${s}"><input type="checkbox" name="status" value="${s}" checked> ${s}</label>`).join('');
  const options = ['<option value="">all hosts</option>', ...m.hosts.map((h) => `<option value="${esc(h)}">${esc(h)}</option>`)].join('');
  const shown = CELL_STATUSES.map((s) => `${s} <span data-shown="${s}">0</span>`).join(', ');
  const filters = `<div class="filters">
<label>Host <input type="search" id="host-filter" placeholder="part of a name"></label>
<label><select id="host-select">${options}</select></label>
<span>Status ${checkboxes}</span>
<p id="shown">Showing <span id="shown-hosts">${m.hosts.length}</span> of ${m.hosts.length} hosts; cells shown: ${shown}</p>
</div>`;
  const error = m.error ? `<p class="error" id="run-error">The run could not start: ${esc(m.error.msg)}${m.error.place ? ` (${esc(m.error.place)})` : ''}</p>` : '';
  const incomplete = m.incomplete ? '<p class="error" id="incomplete">The run did not end normally: this page holds what happened until the process ended.</p>' : '';
  const warnings = m.warnings.length ? `<h2>Warnings</h2>\n<ul class="warnings">${m.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : '';
  const csp = `default-src 'none'; style-src 'sha256-${sha256(CSS)}'; script-src 'sha256-${sha256(JS)}'; base-uri 'none'; form-action 'none'`;
  const title = `tsplay report: ${m.playbooks.join(', ')}${m.check ? ' (--check)' : ''}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${esc(title)}</h1>
${error}${incomplete}
<dl class="summary">
${summary}
</dl>
<h2>Recap</h2>
${recap}
<h2>Hosts × tasks</h2>
${filters}
${matrix}
${m.readiness.map(readinessHtml).join('\n')}
${warnings}
<p class="note">A cell's status is its task's result on that host (a loop: all items skipped is skipped, otherwise the worst item; ×N counts the items). Open a cell for its messages and the diff of what it changed${m.check ? ' (under --check: would change)' : ''}.</p>
<script>${JS}</script>
</body>
</html>
`;
}

/** Write `text` to `file` atomically: a temporary file in the same directory, then rename. */
export function writeAtomic(file: string, text: string): void {
  const path = resolve(file);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text, { mode: 0o644 });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export interface HtmlReporter {
  emit: Reporter;
  /** Write the page now if run_end has not (the process is ending early). */
  flush(): void;
}

/** Collects the events; writes FILE at run_end, or at flush() when the run did not end. */
export function htmlReporter(file: string): HtmlReporter {
  const events: RunEvent[] = [];
  let written = false;
  const write = () => {
    written = true;
    writeAtomic(file, reportHtml(pageModel(events)));
  };
  return {
    emit: (ev: RunEvent) => {
      events.push(ev);
      if (ev.kind === 'run_end') write();
    },
    flush: () => {
      if (!written && events.length) write();
    },
  };
}
