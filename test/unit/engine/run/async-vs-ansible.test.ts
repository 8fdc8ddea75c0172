// async, poll, async_status and timeout (issue 14): the same playbook under
// ansible-playbook 2.14 (Debian's; .ci/run installs it) and under tsplay, over
// the local connection. Per task and host: the same status (ok, changed,
// failed, skipped), the same job fields (ansible_job_id, started, finished),
// the same message, rc and stdout; a job past its time is killed on both; and
// a poll: 0 job the play never waits for has still done its work when the run
// ends (tsplay waits for it; Ansible's runs on the host by itself).
// Deliberate difference (docs/playbooks.md "Long tasks"): in check mode tsplay
// predicts an async task, Ansible fails it.

import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPlaybook, writeTree } from '../../../helpers/run-playbook.js';

const ANSIBLE = '/usr/bin/ansible-playbook';

const playbook = (dir: string) => `
- hosts: all
  gather_facts: false
  tasks:
    - name: poll 1
      command: sh -c 'sleep 2; echo done'
      async: 10
      poll: 1
    - name: started
      command: sh -c 'sleep 2; echo bg > ${dir}/{{ inventory_hostname }}.bg'
      async: 20
      poll: 0
      register: job
    - name: running
      async_status: jid={{ job.ansible_job_id }}
    - name: wait
      async_status:
        jid: "{{ job.ansible_job_id }}"
      register: st
      until: st.finished
      retries: 20
      delay: 1
    - name: out of time
      command: sh -c 'sleep 40; touch ${dir}/{{ inventory_hostname }}.late'
      async: 1
      poll: 1
      ignore_errors: true
    - name: failing job
      command: sh -c 'echo no; exit 3'
      async: 10
      poll: 1
      ignore_errors: true
    - name: unknown job
      async_status: jid=j1.1
      ignore_errors: true
    - name: task timeout
      command: sleep 5
      timeout: 1
      ignore_errors: true
    - name: no async on copy
      copy: content=x dest=${dir}/{{ inventory_hostname }}.copy
      async: 5
      ignore_errors: true
    - name: last
      command: sh -c 'sleep 1; echo forgotten > ${dir}/{{ inventory_hostname }}.forgotten'
      async: 20
      poll: 0
`;

interface Seen {
  status: string;
  job?: boolean;
  started?: unknown;
  finished?: unknown;
  msg?: unknown;
  rc?: unknown;
  stdout?: unknown;
  async_result?: boolean;
}

function seen(status: string, r: Record<string, unknown>): Seen {
  const s: Seen = { status };
  if ('ansible_job_id' in r) s.job = true;
  for (const k of ['started', 'finished', 'rc', 'stdout'] as const) if (k in r) s[k] = r[k];
  if (status === 'failed') s.msg = r.msg;
  if ('async_result' in r) s.async_result = true;
  return s;
}

function ansibleSeen(dir: string): Record<string, Seen> {
  const out = execFileSync(ANSIBLE, ['-i', join(dir, 'inv.ini'), join(dir, 'pb.yml')], {
    env: { ...process.env, ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_NOCOLOR: '1', ANSIBLE_HOST_KEY_CHECKING: 'False' },
    encoding: 'utf8',
  });
  const doc = JSON.parse(out.slice(out.indexOf('{'))) as { plays: Array<{ tasks: Array<{ task: { name: string }; hosts: Record<string, Record<string, unknown>> }> }> };
  const r: Record<string, Seen> = {};
  for (const t of doc.plays[0].tasks) {
    for (const [h, res] of Object.entries(t.hosts)) {
      const status = res.failed ? 'failed' : res.skipped ? 'skipped' : res.changed ? 'changed' : 'ok';
      r[`${t.task.name} ${h}`] = seen(status, res);
    }
  }
  return r;
}

/** A process has `marker` in its command line. */
function running(marker: string): boolean {
  return readdirSync('/proc').some((p) => {
    if (!/^\d+$/.test(p)) return false;
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'latin1').includes(marker);
    } catch {
      return false;
    }
  });
}

/** Wait until no process has `marker` in its command line (at most maxMs). */
async function waitGone(marker: string, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (running(marker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
}

const have = existsSync(ANSIBLE);

test('async, poll, async_status and timeout: the same results as ansible-playbook; a job past its time is killed; a forgotten job is done by the end', async (t) => {
  if (!have) return t.fail(`${ANSIBLE} is missing (npm test installs it: test/install-test-tools.sh)`);
  const aDir = writeTree({ 'inv.ini': 'local1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n' });
  const tDir = writeTree({});
  const [ours, theirs] = await Promise.all([
    runPlaybook({ 'playbook.yml': playbook(tDir), 'inventory.yml': 'all:\n  hosts:\n    local1: { ansible_connection: local }\n' }),
    Promise.resolve().then(() => {
      writeTree({ 'pb.yml': playbook(aDir) }, aDir);
      return ansibleSeen(aDir);
    }),
  ]);
  const mine: Record<string, Seen> = {};
  for (const e of ours.results()) mine[`${e.task} ${e.host}`] = seen(e.status, e.result ?? {});
  // Deliberate, for every module (docs/modules/command.md): a failed command's msg names the command, its rc and output; Ansible's says "non-zero return code".
  t.regex(String(mine['failing job local1'].msg), /^sh -c 'echo no; exit 3' exited with rc 3: no$/);
  t.is(theirs['failing job local1'].msg, 'non-zero return code');
  delete mine['failing job local1'].msg;
  delete theirs['failing job local1'].msg;
  t.deepEqual(mine, theirs);
  // The shapes themselves, so that an agreement on nothing cannot pass.
  t.like(mine['poll 1 local1'], { status: 'changed', job: true, started: 1, finished: 1, rc: 0, stdout: 'done' });
  t.like(mine['started local1'], { status: 'changed', job: true, started: 1, finished: 0 });
  t.like(mine['running local1'], { status: 'ok', started: 1, finished: 0 });
  t.like(mine['wait local1'], { status: 'changed', finished: 1, rc: 0 });
  t.like(mine['out of time local1'], { status: 'failed', msg: 'async task did not complete within the requested time - 1s', async_result: true });
  t.like(mine['failing job local1'], { status: 'failed', rc: 3, stdout: 'no', finished: 1 });
  t.like(mine['unknown job local1'], { status: 'failed', msg: 'could not find job' });
  t.like(mine['task timeout local1'], { status: 'failed', msg: 'The command action failed to execute in the expected time frame (1) and was terminated' });
  t.like(mine['no async on copy local1'], { status: 'failed', msg: 'async is not supported for this task.' });
  // poll lines while the first job ran, then its end
  const polls = ours.events.filter((e) => e.kind === 'async_poll' && e.task === 'poll 1');
  t.true(polls.length >= 2, JSON.stringify(polls));
  t.like(polls.at(-1), { state: 'ok' });
  // The jobs' effects: the killed one never touched its file, the forgotten one did.
  // tsplay kills a job at its limit. Wait until its shell is gone: killed, or past its 40 s sleep and its
  // touch (then the file is there and the assertion fails). Ansible's side of the kill is not asserted:
  // 2.14's async_wrapper puts the job in its own process group from the parent after the fork
  // (os.setpgid(sub_pid, sub_pid)), so on a busy machine the command can start in the old group and
  // survive the killpg; this test failed twice on Ansible's side that way (a 12 s sleep, then a 40 s one).
  // (running() does see such a shell: checked on one of the same form, so the wait cannot pass by not seeing it)
  const probe = spawn('sh', ['-c', `sleep 30; touch ${tDir}/probe.late`], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 200));
  t.true(running(`${tDir}/probe.late`));
  probe.kill('SIGKILL');
  await waitGone(`${tDir}/local1.late`, 45_000);
  t.false(existsSync(join(tDir, 'local1.late')), 'tsplay: the job past its time was killed');
  for (const dir of [tDir, aDir]) {
    t.true(existsSync(join(dir, 'local1.bg')), dir);
    t.false(existsSync(join(dir, 'local1.copy')), dir);
  }
  t.true(existsSync(join(tDir, 'local1.forgotten')), 'tsplay waits for its jobs before the run ends');
});

test('check mode: an async task is predicted as any task (Ansible refuses the pair), and a poll: 0 job is finished with its prediction', async (t) => {
  const dir = writeTree({});
  const files = {
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - file: { path: ${dir}/made, state: touch }
      async: 10
      poll: 0
      register: job
    - async_status: jid={{ job.ansible_job_id }}
      register: st
      until: st.finished == 1
      retries: 10
      delay: 1
    - assert: { that: [st.finished == 1, st.changed, st.attempts == 1 or not ansible_check_mode] }
    - file: { path: ${dir}/made2, state: directory }
      async: 10
      poll: 2
`,
  };
  const check = await runPlaybook(files, { check: true });
  t.is(check.code, 0, JSON.stringify(check.results().filter((r) => r.status === 'failed')));
  t.deepEqual(check.results().map((r) => r.status), ['changed', 'changed', 'ok', 'changed']);
  t.false(existsSync(join(dir, 'made')));
  const real = await runPlaybook(files);
  t.is(real.code, 0, JSON.stringify(real.results().filter((r) => r.status === 'failed')));
  t.deepEqual(real.results().map((r) => r.status), ['changed', 'changed', 'ok', 'changed']);
  t.true(existsSync(join(dir, 'made')) && existsSync(join(dir, 'made2')));
});

test('async, poll and timeout must be whole seconds; async on a built-in is refused as Ansible refuses it', async (t) => {
  const r = await runPlaybook({
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - command: "true"
      async: soon
      ignore_errors: true
    - debug: { msg: x }
      async: 5
      ignore_errors: true
    - command: "true"
      async: "{{ 0 }}"
      poll: 0
`,
  });
  const [bad, builtin, zero] = r.results();
  t.regex(bad.msg ?? '', /async must be a whole number of seconds, got "soon"/);
  t.is(builtin.msg, 'async is not supported for this task.');
  // async: 0 runs the task as usual
  t.is(zero.status, 'changed');
  t.false('ansible_job_id' in (zero.result ?? {}));
});
