// Ctrl-C: nothing new starts, the running command finishes, the recap is
// printed, and the exit code is 99.

import test from 'ava';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { writeTree } from '../helpers/run-playbook.js';

const root = join(import.meta.dirname ?? '', '..', '..');

test('SIGINT stops before the next task, prints the recap and exits 99', async (t) => {
  const dir = writeTree({
    'inv.yml': 'all:\n  hosts:\n    h1: { ansible_connection: local }\n',
    'p.yml': `- hosts: all
  gather_facts: false
  tasks:
    - name: slow
      shell: "sleep 1.5; touch {{ playbook_dir }}/slow-done"
    - name: next
      shell: "touch {{ playbook_dir }}/next-done"
`,
  });
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'engine', 'cli.ts'), 'run', join(dir, 'p.yml'), '-i', join(dir, 'inv.yml')], { cwd: root });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  // Interrupt once the slow task has started.
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (out.includes('TASK [slow]')) {
        clearInterval(poll);
        child.kill('SIGINT');
        resolve();
      }
    }, 20);
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.is(code, 99, out);
  t.true(existsSync(join(dir, 'slow-done')), 'the running command was allowed to finish');
  t.false(existsSync(join(dir, 'next-done')), 'no new task started');
  t.regex(out, /PLAY RECAP/);
  t.regex(out, /interrupted/);
});
