// Persistent shells (engine/connection/shell-session.ts) on a real lab host over
// SSH: rc and both streams, a 5 MB binary file read and a 5 MB binary stdin
// write (sha256 checked over plain ssh), exit/cd/set -e isolation, a timeout
// that kills and the next command works, a shell killed from another channel
// and the next command works, 200 sequential commands on one session, 4 in
// parallel on at most 4. Lab "pshell", 1 host; reused when it is already up
// (`node bin/tsplay.js lab up 1 --name pshell`), else brought up and taken down.

import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { CommandTimeoutError, UnreachableError, type ConnectionSettings } from '../../engine/connection/connection.js';
import { SshConnection } from '../../engine/connection/ssh-connection.js';
import { labDown, labInfoOf, labStatus, labUp, type LabInfo } from '../../engine/lab/index.js';
import { labOut } from '../helpers/lab-cli.js';
import { labGate } from '../helpers/lab-gate.js';

const LAB = 'pshell';
const canHost = labGate('the persistent shell lab tests');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

if (canHost) {
  let info: LabInfo;
  let started = false;
  const conns: SshConnection[] = [];

  function settings(): ConnectionSettings {
    const h = info.hosts[0];
    return {
      host: h.name, connection: 'ssh', address: h.address, port: 22, user: 'root',
      privateKeyFile: info.keyFile, knownHostsFile: info.knownHostsFile, hostKeyChecking: 'strict',
      connectTimeoutMs: 10_000, commandTimeoutMs: 300_000, become: false, becomeUser: 'root', becomeMethod: 'sudo',
    };
  }

  function conn(): SshConnection {
    const c = new SshConnection(settings());
    conns.push(c);
    return c;
  }

  test.before(async () => {
    started = !(await labStatus()).some((l) => l.name === LAB && l.state === 'up');
    info = started ? await labUp({ name: LAB, hosts: 1 }) : labInfoOf(LAB);
  });

  test.after.always(async () => {
    for (const c of conns) await c.close();
    if (started) await labDown(LAB).catch(() => {});
  });

  test.serial('rc, stdout and stderr, exactly; isolation of exit, cd, set -e and variables', async (t) => {
    const c = conn();
    const cases: Array<[string, number, string, string]> = [
      ['echo out; echo err >&2', 0, 'out\n', 'err\n'],
      ['printf "no newline"; printf "e" >&2; exit 3', 3, 'no newline', 'e'],
      // the script's own process: the parent of a child it starts (in the shell, $$ is the loop's PID)
      ["kill -KILL $(exec sh -c 'echo $PPID')", 137, '', ''],
      ['cd /tmp; X=1; set -e; trap "echo trapped" EXIT; false; echo unreached', 1, 'trapped\n', ''],
      ['pwd; echo "${X-unset}"; false; echo "no set -e"', 0, '/root\nunset\nno set -e\n', ''],
      ['exec echo replaced', 0, 'replaced\n', ''],
      ['echo still here', 0, 'still here\n', ''],
    ];
    for (const [cmd, rc, out, err] of cases) {
      const r = await c.exec(cmd);
      t.deepEqual([r.rc, r.stdout, r.stderr], [rc, out, err], cmd);
    }
    t.is(c.shells.started, 1);
    t.is(c.shells.unavailable, undefined);
  });

  test.serial('a 5 MB binary file read and a 5 MB binary stdin write, exact bytes', async (t) => {
    const c = conn();
    const blob = randomBytes(5 << 20);
    const w = await c.exec("cat > /root/pshell.bin && sha256sum /root/pshell.bin | cut -c1-64", { stdin: blob });
    t.is(w.rc, 0);
    t.is(w.stdout.trim(), sha(blob));
    t.is((await labOut(info, info.hosts[0].name, 'sha256sum /root/pshell.bin | cut -c1-64')).trim(), sha(blob), 'checked over plain ssh');
    const r = await c.exec('cat /root/pshell.bin');
    t.true(r.stdoutBytes.equals(blob));
    await labOut(info, info.hosts[0].name, 'head -c 5242880 /dev/urandom > /root/pshell2.bin');
    const want = (await labOut(info, info.hosts[0].name, 'sha256sum /root/pshell2.bin | cut -c1-64')).trim();
    t.is(sha((await c.exec('cat /root/pshell2.bin; rm -f /root/pshell.bin /root/pshell2.bin')).stdoutBytes), want);
    t.is(c.shells.started, 1);
  });

  test.serial('a timeout kills the command on the host; the next command works', async (t) => {
    const c = conn();
    await c.exec('true');
    const t0 = Date.now();
    await t.throwsAsync(c.exec('sleep 30.6161', { timeoutMs: 500 }), { instanceOf: CommandTimeoutError });
    t.true(Date.now() - t0 < 6000);
    t.is((await c.exec('echo after')).stdout, 'after\n');
    await new Promise((r) => setTimeout(r, 300));
    t.false((await labOut(info, info.hosts[0].name, 'ps -eo args')).includes('sleep 30.6161'));
    t.is(c.connectCount, 1);
  });

  test.serial('a shell killed from another channel: that command is unreachable, the next works', async (t) => {
    const c = conn();
    const running = c.exec('echo $$ > /root/pshell.pid; sleep 1');
    await new Promise((r) => setTimeout(r, 400));
    await labOut(info, info.hosts[0].name, 'kill -KILL $(cat /root/pshell.pid); rm -f /root/pshell.pid');
    await t.throwsAsync(running, { instanceOf: UnreachableError, message: /persistent shell .* ended while a command was running/ });
    t.is((await c.exec('echo next')).stdout, 'next\n');
    t.is(c.connectCount, 1);
  });

  test.serial('200 sequential commands on one session; 4 in parallel on at most 4', async (t) => {
    const c = conn();
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) {
      const r = await c.exec(`echo ${i}`);
      if (r.stdout !== `${i}\n`) t.fail(`command ${i}: ${JSON.stringify(r.stdout)}`);
    }
    const seqMs = (performance.now() - t0) / 200;
    t.is(c.shells.started, 1);
    const rs = await Promise.all([0, 1, 2, 3].map((i) => c.exec(`sleep 0.3; echo p${i}`)));
    t.deepEqual(rs.map((r) => r.stdout), ['p0\n', 'p1\n', 'p2\n', 'p3\n']);
    t.true(c.shells.started <= 4);
    t.is(c.maxInFlight, 4);
    t.log(`${seqMs.toFixed(2)} ms per sequential command in a persistent shell`);
  });
}
