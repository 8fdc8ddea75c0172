// A task's environment reaches a module's reads (fact sections, runAll) too, as
// Ansible gives it to every command its module runs; the values go on stdin.

import test from 'ava';
import { Host } from '../../../../engine/host/host.js';
import { LocalConnection } from '../../../../engine/connection/local-connection.js';

test('runSections with env: every section sees the variables; without env, none', async (t) => {
  const host = new Host(new LocalConnection(), { name: 'local' });
  const withEnv = await host.runSections(['printf %s "$TSPLAY_A"', 'printf %s "$TSPLAY_B"'], { env: { TSPLAY_A: "x y'z", TSPLAY_B: '2' } });
  t.deepEqual(withEnv.map((r) => r.stdout), ["x y'z", '2']);
  const without = await host.runSections(['printf %s "${TSPLAY_A-unset}"']);
  t.deepEqual(without.map((r) => r.stdout), ['unset']);
});
