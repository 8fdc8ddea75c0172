// The reference cache of Ansible's side (test/helpers/ansible-reference.ts):
// what it returns from the cache is what was computed (Maps and Buffers too),
// and any change of the inputs or of a harness file computes again.

import test from 'ava';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'tsplay-ref-'));
process.env.TSPLAY_ANSIBLE_REFERENCE_DIR = join(dir, 'cache');
delete process.env.TSPLAY_ANSIBLE_REFERENCE;
const { ansibleReference } = await import('../../helpers/ansible-reference.js');

test.after.always(() => rmSync(dir, { recursive: true, force: true }));

test('a cached outcome is the computed one; inputs and harness files are part of the key', async (t) => {
  const harness = join(dir, 'harness.ts');
  writeFileSync(harness, 'v1');
  let computed = 0;
  const compute = () => {
    computed++;
    return Promise.resolve({ n: computed, files: new Map([['/etc/x', { type: 'file', hash: 'ab' }]]), bytes: Buffer.from([0, 255, 10]) });
  };
  const inputs = { cases: [{ name: 'a', files: { f: Buffer.from('x\r\n') } }] };

  const first = await ansibleReference('unit', inputs, [harness], compute);
  t.false(first.cached);
  const second = await ansibleReference('unit', inputs, [harness], compute);
  t.true(second.cached);
  t.is(computed, 1);
  t.deepEqual(second.value, first.value);
  t.true(second.value.files instanceof Map);
  t.true(Buffer.isBuffer(second.value.bytes));

  // Another byte in a case's file, another harness source: computed again.
  const third = await ansibleReference('unit', { cases: [{ name: 'a', files: { f: Buffer.from('x\n') } }] }, [harness], compute);
  t.false(third.cached);
  writeFileSync(harness, 'v2');
  const fourth = await ansibleReference('unit', inputs, [harness], compute);
  t.false(fourth.cached);
  t.is(computed, 3);
  t.is(readdirSync(join(dir, 'cache')).filter((f) => f.endsWith('.tmp')).length, 0);
});
