// Built-in actions as plug-ins (engine/run/builtins/): the registry the loader
// reads, and state kept per instance (readiness) rather than by the Runner.

import test from 'ava';
import { BUILTIN_NAMES, createBuiltins } from '../../../../engine/run/builtins/index.js';
import type { BuiltinContext } from '../../../../engine/run/builtins/index.js';
import type { RunEvent } from '../../../../engine/report/events.js';
import type { HostRun } from '../../../../engine/run/host-run.js';
import { runPlaybook } from '../../../helpers/run-playbook.js';

test('the registry names every built-in action once', (t) => {
  t.deepEqual([...BUILTIN_NAMES].sort(), ['assert', 'async_status', 'debug', 'fail', 'include_vars', 'meta', 'pause', 'readiness', 'set_fact']);
});

function ctxFor(host: string, events: RunEvent[]): BuiltinContext {
  return {
    host: { name: host } as HostRun, task: { name: 'r', place: 'p', noLog: false }, vars: { v: true }, argsFromData: new Set(),
    baseDir: '.', playHosts: [host], hostRun: () => { throw new Error('unused'); }, condition: () => true, emit: (e) => events.push(e),
  };
}

test('readiness keeps its table in its instance: separate runs, a fresh table each play', async (t) => {
  const events: RunEvent[] = [];
  const a = createBuiltins().get('readiness')!;
  const b = createBuiltins().get('readiness')!;
  const args = { title: 'T', checks: [{ name: 'c', that: 'v' }] };
  a.playStart?.();
  b.playStart?.();
  await a.run(ctxFor('h1', events), args);
  await b.run(ctxFor('h2', events), args);
  a.playEnd?.((e) => events.push(e));
  const rows = (e: RunEvent | undefined) => (e?.kind === 'readiness' ? e.rows.map((r) => r.host) : undefined);
  t.deepEqual(rows(events.at(-1)), ['h1']);
  a.playStart?.();
  const before = events.length;
  a.playEnd?.((e) => events.push(e));
  t.is(events.length, before, 'a play without readiness tasks reports no table');
});

test('a playbook can not shadow a built-in with a module of the same name', async (t) => {
  const err = await t.throwsAsync(runPlaybook({
    'library/debug.js': "export default { name: 'debug', schema: { type: 'object' }, gather: async () => ({}), plan: () => ({ changed: false, steps: [] }) };\n",
    'playbook.yml': '- hosts: local1\n  gather_facts: false\n  tasks:\n    - debug: { msg: hi }\n',
  }));
  t.regex(err?.message ?? '', /module name "debug" is a built-in action/);
});
