// slurp in tsplay's own runs (the comparison with Ansible is slurp-vs-ansible):
// under --check it sees what an earlier task would write (the predicted-state
// overlay), and the file module's result after a real change is a fresh lstat.

import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPlaybook } from '../../helpers/run-playbook.js';

const ONE_HOST = 'all:\n  hosts:\n    local1: { ansible_connection: local }\n';

test('--check: slurp returns the content an earlier copy would write; nothing is written', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-slurp-'));
  writeFileSync(join(dir, 'f'), 'old\n');
  const playbook = JSON.stringify([{ hosts: 'all', gather_facts: false, tasks: [
    { name: 'write', copy: { dest: join(dir, 'f'), content: 'new\n' } },
    { name: 'read', slurp: { src: join(dir, 'f') }, register: 'r' },
  ] }]);
  const check = await runPlaybook({ 'inventory.yml': ONE_HOST, 'playbook.yml': playbook }, { check: true });
  const [read] = check.results('read');
  t.is(read.status, 'ok');
  t.is(read.result?.content, Buffer.from('new\n').toString('base64'));
  t.is(read.result?.source, join(dir, 'f'));
  const run = await runPlaybook({ 'inventory.yml': ONE_HOST, 'playbook.yml': playbook });
  t.is(run.results('read')[0].result?.content, Buffer.from('new\n').toString('base64'));
});

test('file: after a real change the result is the new lstat; in --check the old one (as Ansible)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-fileres-'));
  writeFileSync(join(dir, 'f'), 'abc', { mode: 0o644 });
  const playbook = JSON.stringify([{ hosts: 'all', gather_facts: false, tasks: [
    { name: 'mode', file: { path: join(dir, 'f'), mode: '0600' } },
  ] }]);
  const check = await runPlaybook({ 'inventory.yml': ONE_HOST, 'playbook.yml': playbook }, { check: true });
  t.like(check.results('mode')[0].result, { path: join(dir, 'f'), state: 'file', mode: '0644', size: 3, changed: true });
  const run = await runPlaybook({ 'inventory.yml': ONE_HOST, 'playbook.yml': playbook });
  t.like(run.results('mode')[0].result, { path: join(dir, 'f'), state: 'file', mode: '0600', size: 3, changed: true });
});
