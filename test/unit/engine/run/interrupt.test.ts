// Ctrl-C: nothing new starts, the running command gets a short grace to
// finish (then it is abandoned and killed), the recap is printed, and the exit
// code is 99.

import test from 'ava';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { writeTree } from '../../../helpers/run-playbook.js';
import { tsplayCommand } from '../../../helpers/tsplay-command.js';

const root = join(import.meta.dirname ?? '', '..', '..', '..', '..');

/**
 * `tsplay run p.yml -i inv.yml EXTRA...` from DIR as a child process (tsplayCommand: the bundle when built);
 * sends SIGINT once `ready()` holds, then resolves with the exit code, the output
 * and the time from SIGINT to exit. SIGKILL after 30 s: the test itself must not hang.
 */
async function interruptRun(dir: string, extra: string[], ready: (out: string) => boolean): Promise<{ code: number | null; out: string; ms: number }> {
  const child = spawn(process.execPath, [...tsplayCommand(), 'run', join(dir, 'p.yml'), '-i', join(dir, 'inv.yml'), ...extra], { cwd: root });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const limit = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (ready(out)) {
        clearInterval(poll);
        resolve();
      }
    }, 20);
  });
  const sentAt = Date.now();
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(limit);
  return { code, out, ms: Date.now() - sentAt };
}

test('SIGINT stops before the next task, prints the recap and exits 99', async (t) => {
  const dir = writeTree({
    'inv.yml': 'all:\n  hosts:\n    h1: { ansible_connection: local }\n',
    'p.yml': `- hosts: all
  gather_facts: false
  tasks:
    - name: slow
      shell: "touch {{ playbook_dir }}/slow-started; sleep 1; touch {{ playbook_dir }}/slow-done"
    - name: next
      shell: "touch {{ playbook_dir }}/next-done"
`,
  });
  // Interrupt once the slow task's command runs (not at its header: on a loaded machine the
  // command may start seconds later, and the grace would then be spent before it ends).
  const { code, out } = await interruptRun(dir, [], () => existsSync(join(dir, 'slow-started')));
  t.is(code, 99, out);
  t.true(existsSync(join(dir, 'slow-done')), 'the running command was allowed to finish');
  t.false(existsSync(join(dir, 'next-done')), 'no new task started');
  t.regex(out, /PLAY RECAP/);
  t.regex(out, /interrupted/);
});

test('SIGINT during a command that outlasts the grace: abandoned and killed, recap, exit 99 within a few seconds', async (t) => {
  const dir = writeTree({
    'inv.yml': 'all:\n  hosts:\n    h1: { ansible_connection: local }\n',
    'p.yml': `- hosts: all
  gather_facts: false
  tasks:
    - name: endless
      shell: "echo $$ > {{ playbook_dir }}/pgid; sleep 60; touch {{ playbook_dir }}/endless-done"
    - name: next
      shell: "touch {{ playbook_dir }}/next-done"
`,
  });
  const pgidFile = join(dir, 'pgid');
  const { code, out, ms } = await interruptRun(dir, [], () => existsSync(pgidFile) && readFileSync(pgidFile, 'utf8').trim() !== '');
  t.log(`exit ${code} ${ms} ms after SIGINT`);
  t.is(code, 99, out);
  t.true(ms < 7000, `ended ${ms} ms after SIGINT`);
  t.regex(out, /PLAY RECAP/);
  t.regex(out, /\[WARNING\]: \[h1\] task "endless": interrupted: the running command was abandoned/);
  t.false(existsSync(join(dir, 'next-done')), 'no new task started');
  // The command's process group (the shell leads it) is gone: killed, not left behind.
  const pgid = Number(readFileSync(pgidFile, 'utf8').trim());
  t.throws(() => process.kill(-pgid, 0), { code: 'ESRCH' }, 'the abandoned command still runs');
  t.false(existsSync(join(dir, 'endless-done')));
});

test('SIGINT: hosts still queued for the running task (more hosts than forks) do not start it', async (t) => {
  const dir = writeTree({
    'inv.yml': 'all:\n  hosts:\n    h1: { ansible_connection: local }\n    h2: { ansible_connection: local }\n',
    'p.yml': `- hosts: all
  gather_facts: false
  tasks:
    - name: slow
      shell: "touch {{ playbook_dir }}/{{ inventory_hostname }}-started; sleep 1.5"
`,
  });
  const { code, out } = await interruptRun(dir, ['-f', '1'], () => existsSync(join(dir, 'h1-started')));
  t.is(code, 99, out);
  t.false(existsSync(join(dir, 'h2-started')), 'a queued host started the task after Ctrl-C');
  t.regex(out, /PLAY RECAP/);
});
