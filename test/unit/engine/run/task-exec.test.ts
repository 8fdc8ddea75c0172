// runModule (engine/run/task-exec.ts): a no-change plan's housekeeping steps
// (systemd's daemon_reload) run for real and leave the task ok; under --check
// they never run.

import test from 'ava';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../../../../engine/connection/local-connection.js';
import { Host } from '../../../../engine/host/host.js';
import { defineModule, S } from '../../../../engine/module-api.js';
import { runModule } from '../../../../engine/run/task-exec.js';

const root = mkdtempSync(join(tmpdir(), 'tsplay-task-exec-'));
test.after.always(() => rmSync(root, { recursive: true, force: true }));

const housekeeping = defineModule({
  name: 'housekeeping',
  description: 'test module: a no-change plan with a housekeeping step',
  schema: S.object({ marker: S.string({ description: 'file the step creates' }) }, { additionalProperties: false, required: ['marker'] }),
  gather: () => Promise.resolve(null),
  plan: (args) => ({ changed: false, reason: 'nothing to change', steps: [{ kind: 'run', argv: ['touch', '--', args.marker] }] }),
});

const ctx = { diff: false, facts: {} as never, render: (s: string) => s, readLocalFile: () => Promise.resolve(Buffer.alloc(0)) };

test('a no-change plan runs its housekeeping steps and stays ok', async (t) => {
  const marker = join(root, 'real');
  const out = await runModule(housekeeping, { marker }, new Host(new LocalConnection(), { name: 'localhost' }), { check: false, ctx });
  t.is(out.status, 'ok');
  t.is(out.result.changed, false);
  t.true(existsSync(marker), 'the step ran');
});

test('under --check the housekeeping steps do not run', async (t) => {
  const marker = join(root, 'check');
  const out = await runModule(housekeeping, { marker }, new Host(new LocalConnection(), { name: 'localhost' }), { check: true, ctx });
  t.is(out.status, 'ok');
  t.false(existsSync(marker), 'nothing ran in check mode');
});

// checkModeSkip (fetch): Ansible's action does not run in --check.
let gathered = 0;
const skipsCheck = defineModule({
  name: 'skips_check',
  description: 'test module: skipped in check mode',
  checkModeSkip: 'check mode not (yet) supported for this module',
  schema: S.object({ marker: S.string({ description: 'file the step creates' }) }, { additionalProperties: false, required: ['marker'] }),
  gather: () => { gathered++; return Promise.resolve(null); },
  plan: (args) => ({ changed: true, summary: 'touch', steps: [{ kind: 'run', argv: ['touch', '--', args.marker] }] }),
});

test.serial('checkModeSkip: under --check the task is skipped with the message, nothing gathered or run', async (t) => {
  const marker = join(root, 'skip-check');
  gathered = 0;
  const out = await runModule(skipsCheck, { marker }, new Host(new LocalConnection(), { name: 'localhost' }), { check: true, ctx });
  t.is(out.status, 'skipped');
  t.deepEqual(out.result, { changed: false, skipped: true, msg: 'check mode not (yet) supported for this module' });
  t.is(gathered, 0);
  t.false(existsSync(marker));
});

test.serial('checkModeSkip: a real run gathers, plans and changes as usual', async (t) => {
  const marker = join(root, 'skip-real');
  gathered = 0;
  const out = await runModule(skipsCheck, { marker }, new Host(new LocalConnection(), { name: 'localhost' }), { check: false, ctx });
  t.is(out.status, 'changed');
  t.is(gathered, 1);
  t.true(existsSync(marker));
});
