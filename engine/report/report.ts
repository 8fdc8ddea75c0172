// Reporters: formatters over the runner's event stream (DESIGN.md §9).
// console: ansible-playbook-like text; json: one event object per line.

import { booleanOf } from '../load/coerce.js';
import type { RunEvent, Reporter, HostResultEvent } from './events.js';
import { unifiedDiff } from './unified-diff.js';
import { pyStr } from '../template/py-text.js';

export interface ConsoleOptions {
  out?: NodeJS.WritableStream & { isTTY?: boolean };
  color?: boolean;
  verbosity?: number;
  diff?: boolean;
}

const codes = { green: 32, yellow: 33, red: 31, cyan: 36, magenta: 35, gray: 90, bold: 1 } as const;
type Color = keyof typeof codes;

function heading(title: string): string {
  return `${title} ${'*'.repeat(Math.max(3, 79 - title.length))}`;
}

/** A loop item (or its label) as Ansible prints it: Python's str() of the value. */
function itemText(item: unknown): string {
  return pyStr(item);
}

/** A copy with every mapping's keys sorted, as Ansible's callback dumps results (sort_keys). */
function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortedKeys((v as Record<string, unknown>)[k])]));
  return v;
}

export function formatReadinessTable(ev: Extract<RunEvent, { kind: 'readiness' }>): string {
  const cols = ['host', ...ev.columns];
  const rows = ev.rows.map((r) => [r.host, ...ev.columns.map((c) => {
    const cell = r.cells[c];
    return !cell ? '-' : cell.ok ? (cell.detail ? `ok: ${cell.detail}` : 'ok') : `NO: ${cell.reason ?? ''}`;
  })]);
  const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ').trimEnd();
  const ready = ev.rows.filter((r) => Object.values(r.cells).every((c) => c.ok)).length;
  return [
    heading(ev.title.toUpperCase()),
    line(cols),
    widths.map((w) => '-'.repeat(w)).join('-+-'),
    ...rows.map(line),
    `${ready} of ${ev.rows.length} hosts ready`,
  ].join('\n');
}

const truthy = (v: string | undefined): boolean => v !== undefined && booleanOf(v) === true;

/**
 * Colour on a terminal, unless NO_COLOR (any value) or ANSIBLE_NOCOLOR says no;
 * FORCE_COLOR or ANSIBLE_FORCE_COLOR (true, 1, yes) force it, also into a pipe (a CI log).
 */
export function colorWanted(tty: boolean, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (truthy(env.ANSIBLE_NOCOLOR)) return false;
  if (truthy(env.FORCE_COLOR) || truthy(env.ANSIBLE_FORCE_COLOR)) return true;
  return tty;
}

export function consoleReporter(opts: ConsoleOptions = {}): Reporter {
  const out = opts.out ?? process.stdout;
  const tty = Boolean(out.isTTY);
  const color = opts.color ?? colorWanted(tty, process.env);
  const verbosity = opts.verbosity ?? 0;
  const paint = (c: Color, s: string) => (color ? `\x1b[${codes[c]}m${s}\x1b[0m` : s);
  let progress: NodeJS.Timeout | undefined;
  let progressShown = false;
  let taskStarted = 0;
  let pending = new Set<string>();
  // host + task whose debug output was printed (no second "ok" line for that result).
  const debugged = new Set<string>();
  // Task banners by task (name and place), and the task of the last banner printed.
  // Under --strategy free, hosts run different tasks at once: a result whose task
  // is not the last banner's prints its banner again first (as Ansible's free
  // strategy output does), so every result sits under its own task's heading.
  const banners = new Map<string, string>();
  let bannerTask: string | undefined;
  const taskKey = (task: string, place: string | undefined) => `${task}\u0000${place ?? ''}`;
  const banner = (key: string) => {
    const text = banners.get(key);
    if (text === undefined || key === bannerTask) return;
    stopProgress();
    write('');
    write(text);
    bannerTask = key;
  };
  const write = (s: string) => {
    if (progressShown) {
      out.write('\r\x1b[2K');
      progressShown = false;
    }
    out.write(s + '\n');
  };
  const stopProgress = () => {
    if (progress) clearInterval(progress);
    progress = undefined;
    if (progressShown) {
      out.write('\r\x1b[2K');
      progressShown = false;
    }
  };
  const result = (e: HostResultEvent) => {
    const key = taskKey(e.task, e.place);
    banner(key);
    pending.delete(e.host);
    const item = e.item !== undefined ? ` => (item=${itemText(e.item)})` : '';
    const time = verbosity > 0 ? paint('gray', ` (${(e.durationMs / 1000).toFixed(2)}s)`) : '';
    const where = e.place && verbosity > 1 ? paint('gray', ` ${e.place}`) : '';
    if (e.diff && opts.diff) {
      for (const d of e.diff) {
        // A binary side has no lines to show: say so, in Ansible's words.
        if (d.beforeBinary) write('diff skipped: destination file appears to be binary');
        if (d.afterBinary) write('diff skipped: source file appears to be binary');
        if (d.beforeBinary || d.afterBinary) continue;
        const text = unifiedDiff(d.before, d.after, d.beforeHeader ?? `before: ${d.path}`, d.afterHeader ?? `after: ${d.path}`);
        if (text) write(text.trimEnd().split('\n').map((l) => (l.startsWith('+') && !l.startsWith('+++') ? paint('green', l) : l.startsWith('-') && !l.startsWith('---') ? paint('red', l) : l.startsWith('@@') ? paint('cyan', l) : l)).join('\n'));
      }
    }
    switch (e.status) {
      case 'ok':
        if (debugged.delete(`${e.host}\u0000${key}`) && e.item === undefined) break;
        write(paint('green', `ok: [${e.host}]${item}`) + time + (verbosity > 0 && e.msg ? paint('gray', ` ${e.msg}`) : '') + where);
        break;
      case 'changed':
        // As Ansible: `changed: [host]` alone; what changed (or would) is told from -v on, as ok's message is.
        write(paint('yellow', `changed: [${e.host}]${item}`) + (verbosity > 0 && e.msg ? paint('yellow', ` ${e.check ? 'would: ' : ''}${e.msg}`) : '') + time + where);
        break;
      case 'skipped':
        write(paint('cyan', `skipping: [${e.host}]${item}`) + (e.msg && e.msg !== 'Conditional result was False' ? paint('cyan', ` ${e.msg}`) : '') + time);
        break;
      case 'unreachable':
        write(paint('red', `fatal: [${e.host}]: UNREACHABLE! => ${e.msg ?? ''}`) + where);
        break;
      case 'failed': {
        const r = e.result ?? {};
        const extra: string[] = [];
        if (r.rc !== undefined) extra.push(`rc=${typeof r.rc === 'number' || typeof r.rc === 'string' ? String(r.rc) : JSON.stringify(r.rc)}`);
        if (typeof r.stderr === 'string' && r.stderr.trim() && !(e.msg ?? '').includes(r.stderr.trim())) extra.push(`stderr: ${r.stderr.trim()}`);
        const text = `${e.msg ?? 'failed'}${extra.length ? `\n  ${extra.join('\n  ')}` : ''}`;
        // as Ansible: a failed loop item is "failed: [h] (item=x) => ...", a failed task "fatal: [h]: FAILED! => ..."
        write(paint('red', e.item !== undefined ? `failed: [${e.host}] (item=${itemText(e.item)}) => ${text}` : `fatal: [${e.host}]: FAILED! => ${text}`) + where);
        if (e.ignored) write(paint('cyan', '...ignoring'));
        break;
      }
    }
  };
  return (ev: RunEvent) => {
    switch (ev.kind) {
      case 'run_start':
        if (ev.check) write(paint('magenta', 'CHECK MODE: nothing will be changed; changes are predicted'));
        break;
      case 'play_start':
        stopProgress();
        write('');
        write(paint('bold', heading(`PLAY [${ev.play}]`)));
        bannerTask = undefined;
        break;
      case 'task_start': {
        const key = taskKey(ev.task, ev.place);
        banners.set(key, paint('bold', heading(`${ev.handler ? 'RUNNING HANDLER' : 'TASK'} [${ev.task}]`)) + (verbosity > 1 && ev.place ? paint('gray', ` ${ev.place}`) : ''));
        if (key === bannerTask) {
          // Another host starting the task under way (free strategy): no second banner.
          for (const h of ev.hosts) pending.add(h);
          break;
        }
        banner(key);
        pending = new Set(ev.hosts);
        taskStarted = Date.now();
        if (tty) {
          progress = setInterval(() => {
            if (!pending.size) return;
            const secs = Math.round((Date.now() - taskStarted) / 1000);
            out.write(`\r\x1b[2K${paint('gray', `  ... ${pending.size} host(s) running (${secs}s): ${[...pending].slice(0, 5).join(', ')}${pending.size > 5 ? ', ...' : ''}`)}`);
            progressShown = true;
          }, 2000);
          progress.unref();
        }
        break;
      }
      case 'host_result':
        result(ev);
        break;
      case 'included':
        banner(taskKey(ev.task, ev.place));
        for (const h of ev.hosts) pending.delete(h);
        write(paint('cyan', `included: ${ev.file} for ${ev.hosts.join(', ')}${ev.item !== undefined ? ` => (item=${itemText(ev.item)})` : ''}`));
        break;
      case 'debug': {
        const key = taskKey(ev.task, ev.place);
        banner(key);
        // Ansible 2.14 prints a no_log debug as a bare "ok: [host]", and the censored result from -v on.
        if (isCensored(ev.msg) && verbosity === 0) break;
        debugged.add(`${ev.host}\u0000${key}`);
        // as Ansible's default callback: {"msg": ...} (any type), or {"name": value} for var=; indented by 4
        const shown = ev.var !== undefined || isCensored(ev.msg) ? ev.msg : { msg: ev.msg };
        write(paint('green', `ok: [${ev.host}] => ${JSON.stringify(sortedKeys(shown), null, 4)}`));
        break;
      }
      case 'command':
        if (verbosity >= 3) write(paint('gray', `<${ev.host}> EXEC (rc=${ev.rc}, ${ev.durationMs} ms${ev.stdinBytes !== undefined ? `, ${ev.stdinBytes} bytes on stdin` : ''}): ${ev.command}`));
        break;
      case 'retry':
        banner(taskKey(ev.task, ev.place));
        write(paint('gray', `FAILED - RETRYING: [${ev.host}]: ${ev.task} (${ev.left} retries left).`));
        break;
      case 'async_poll':
        banner(taskKey(ev.task, ev.place));
        // Ansible's default callback, in its debug colour (dark grey)
        write(paint('gray', ev.state === 'poll' ? `ASYNC POLL on ${ev.host}: jid=${ev.jid} started=1 finished=0` : `ASYNC ${ev.state === 'ok' ? 'OK' : 'FAILED'} on ${ev.host}: jid=${ev.jid}`));
        break;
      case 'warning':
        write(paint('magenta', `[${ev.deprecation ? 'DEPRECATION WARNING' : 'WARNING'}]: ${ev.host ? `[${ev.host}] ` : ''}${ev.msg}`));
        break;
      case 'host_key_added':
        // OpenSSH's own words, then which host, which key, which file.
        write(paint('magenta', `Warning: Permanently added '${ev.name}' (${keyTypeLabel(ev.keyType)}) to the list of known hosts (${ev.host}, ${ev.fingerprint}, ${ev.file}).`));
        break;
      case 'connection_note':
        if (verbosity > 1) write(paint('gray', `<${ev.host}> ${ev.msg}`));
        break;
      case 'readiness':
        stopProgress();
        write('');
        write(formatReadinessTable(ev));
        break;
      case 'recap': {
        stopProgress();
        write('');
        write(paint('bold', heading('PLAY RECAP')));
        for (const [host, c] of Object.entries(ev.hosts)) {
          const hc: Color = c.failed || c.unreachable ? 'red' : c.changed ? 'yellow' : 'green';
          const f = (k: string, n: number, col: Color) => (n ? paint(col, `${k}=${n}`.padEnd(k.length + 5)) : `${k}=${n}`.padEnd(k.length + 5));
          write(`${paint(hc, host.padEnd(26))} : ${f('ok', c.ok, 'green')} ${f('changed', c.changed, 'yellow')} ${f('unreachable', c.unreachable, 'red')} ${f('failed', c.failed, 'red')} ${f('skipped', c.skipped, 'cyan')} ${f('rescued', c.rescued, 'magenta')} ${f('ignored', c.ignored, 'magenta')}`.trimEnd());
        }
        if (verbosity > 0) write(paint('gray', `\nduration: ${(ev.durationMs / 1000).toFixed(2)}s`));
        break;
      }
      case 'run_end':
        stopProgress();
        break;
    }
  };
}

/** The key type as OpenSSH names it in messages: ED25519, ECDSA, RSA. */
function keyTypeLabel(keyType: string): string {
  if (keyType === 'ssh-ed25519') return 'ED25519';
  if (keyType.startsWith('ecdsa-')) return 'ECDSA';
  if (keyType === 'ssh-rsa' || keyType.startsWith('rsa-')) return 'RSA';
  if (keyType === 'ssh-dss') return 'DSA';
  return keyType.toUpperCase();
}

/** One JSON object per line; the event union in engine/report/events.ts is the documented format. */
export function jsonReporter(out: NodeJS.WritableStream = process.stdout): Reporter {
  return (ev: RunEvent) => {
    out.write(JSON.stringify(ev) + '\n');
  };
}

function isCensored(msg: unknown): boolean {
  return typeof msg === 'object' && msg !== null && Object.keys(msg).length === 1 && 'censored' in msg;
}
