// -vvv (issue 13): every command a task sends is reported with its host, text,
// exit status and time, as Ansible's "<host> EXEC" lines; not at -vv, and not
// for a no_log task (its commands may carry the values no_log hides).

import test from 'ava';
import { runPlaybook } from '../../../helpers/run-playbook.js';
import { consoleReporter } from '../../../../engine/report/report.js';
import type { RunEvent } from '../../../../engine/report/events.js';

const playbook = `
- hosts: local1
  gather_facts: false
  tasks:
    - name: shown
      command: echo visible-marker
    - name: hidden
      command: echo secret-marker
      no_log: true
    - name: fails
      command: sh -c 'exit 4'
      ignore_errors: true
`;

const commands = (events: RunEvent[]) => events.filter((e): e is Extract<RunEvent, { kind: 'command' }> => e.kind === 'command');

test('-vvv reports each command with its rc; -vv reports none; no_log tasks report none', async (t) => {
  const vvv = await runPlaybook({ 'playbook.yml': playbook }, { verbosity: 3 });
  const cmds = commands(vvv.events);
  t.true(cmds.some((c) => c.host === 'local1' && c.command.includes('visible-marker') && c.rc === 0), JSON.stringify(cmds.map((c) => c.command)));
  t.true(cmds.some((c) => c.command.includes('exit 4') && c.rc === 4));
  t.false(cmds.some((c) => c.command.includes('secret-marker')));
  t.true(cmds.every((c) => c.durationMs >= 0));
  const vv = await runPlaybook({ 'playbook.yml': playbook }, { verbosity: 2 });
  t.deepEqual(commands(vv.events), []);
  // the text output: one "<host> EXEC (rc=N, T ms): ..." line per command
  let out = '';
  const report = consoleReporter({ out: { write: (s: string) => (out += s) } as unknown as NodeJS.WriteStream, verbosity: 3, color: false });
  for (const e of vvv.events) report(e);
  t.regex(out, /^<local1> EXEC \(rc=4, \d+ ms\): .*exit 4/m);
  t.false(out.includes('secret-marker'));
});
