// Environment values (the `environment:` keyword, env given to modules) may be
// secrets: any user on a host can read every process's command line (`ps`).
// They travel in the script on stdin, never on a command line (issue 8 item 5).
// Checked with a real process listing while the command runs.

import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Host } from '../../../../engine/host/host.js';
import { LocalConnection } from '../../../../engine/connection/local-connection.js';
import { SshConnection } from '../../../../engine/connection/ssh-connection.js';
import { runPlaybook } from '../../../helpers/run-playbook.js';
import { ensureSshd, startSshd } from '../../../helpers/sshd.js';

const run = promisify(execFile);
const SECRET = 'tok-9f3a-s3cret';

/** Every `ps -eo args` line seen while `work` runs (polled every 50 ms). */
async function processesDuring(work: Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  let done = false;
  const finished = work.finally(() => { done = true; });
  while (!done) {
    const { stdout } = await run('ps', ['-eo', 'args'], { maxBuffer: 1 << 24 });
    seen.push(...stdout.split('\n'));
    await new Promise((r) => setTimeout(r, 50));
  }
  await finished;
  return seen;
}

test.serial('Host.run: env values reach the command and appear on no command line', async (t) => {
  const host = new Host(new LocalConnection('local'), { name: 'local' });
  const echoed = await host.run(['sh', '-c', 'printf %s "$TSPLAY_TOKEN"'], { env: { TSPLAY_TOKEN: SECRET } });
  t.is(echoed.stdout, SECRET);
  const seen = await processesDuring(host.run(['sleep', '1.7531'], { env: { TSPLAY_TOKEN: SECRET }, cwd: '/' }));
  t.true(seen.some((l) => l.includes('sleep 1.7531')), 'the command was seen running (the listing works)');
  t.deepEqual(seen.filter((l) => l.includes(SECRET)), []);
});

test.serial('environment: keyword on a task: the value is absent from ps on the host', async (t) => {
  const r = runPlaybook({
    'playbook.yml': `
- hosts: local1
  gather_facts: false
  tasks:
    - name: uses the token
      shell: 'printf %s "$TOKEN" > {{ playbook_dir }}/got; sleep 1.8642'
      environment: { TOKEN: "${SECRET}" }
`,
  });
  const seen = await processesDuring(r);
  const done = await r;
  const { code, dir } = done;
  t.is(code, 0, JSON.stringify(done.results()));
  t.is(readFileSync(join(dir, 'got'), 'utf8'), SECRET, 'the command got the value');
  t.true(seen.some((l) => l.includes('sleep 1.8642')), 'the command was seen running');
  t.deepEqual(seen.filter((l) => l.includes(SECRET)), []);
});

test('with become, the script goes to sudo\'s shell on stdin: sudo\'s command line shows no value', async (t) => {
  const seen: Array<{ command: string; stdin?: string }> = [];
  const conn = { host: 'r', connect: async () => {}, close: async () => {}, exec: async (command: string, o?: { stdin?: string | Buffer }) => (seen.push({ command, stdin: o?.stdin?.toString() }), { rc: 0, stdout: '', stderr: '', stdoutBytes: Buffer.alloc(0) }) };
  const host = new Host(conn, { name: 'r', become: true, becomeUser: 'root', loginUser: 'deploy' });
  await host.run(['id'], { env: { TOKEN: SECRET } });
  t.is(seen[0].command, 'sudo -n -H -u root -- /bin/sh');
  t.is(seen[0].stdin, `{ TOKEN=${SECRET} id\n} </dev/null\n`);
  // A command that reads its own stdin keeps the text on the command line (nothing else can carry it).
  await host.run(['cat'], { env: { TOKEN: SECRET }, stdin: 'data' });
  t.regex(seen[1].command, /^sudo -n -H -u root -- \/bin\/sh -c /);
  t.is(seen[1].stdin, 'data');
});

const sshTest = ensureSshd() ? test.serial : test.serial.skip;

sshTest('over SSH (a loopback sshd): env values reach the command and appear on no command line', async (t) => {
  delete process.env.SSH_AUTH_SOCK; // only the fixture's key file authenticates
  const sshd = await startSshd();
  const conn = new SshConnection(sshd.settings());
  try {
    const host = new Host(conn, { name: 'ssh' });
    const echoed = await host.run(['sh', '-c', 'printf %s "$TSPLAY_TOKEN"; exit 4'], { env: { TSPLAY_TOKEN: SECRET } });
    t.deepEqual(echoed, { rc: 4, stdout: SECRET, stderr: '' });
    const seen = await processesDuring(host.run(['sleep', '1.9753'], { env: { TSPLAY_TOKEN: SECRET } }));
    t.true(seen.some((l) => l.includes('sleep 1.9753')), 'the command was seen running');
    t.deepEqual(seen.filter((l) => l.includes(SECRET)), []);
  } finally {
    await conn.close();
    await sshd.dispose();
  }
});
