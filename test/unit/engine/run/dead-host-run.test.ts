// A whole run with one host that goes silent mid-command (the CLI as its own
// process): the run ends within the connection timeout, the silent host is
// unreachable, the other host's work is done, the recap is printed, exit 3;
// under --strategy linear and free. And the first Ctrl-C ends a run held by a
// silent host within a few seconds, with the recap, exit 99.
// The silent host is a real sshd on loopback behind a relay that stops
// passing bytes (test/helpers/freeze-proxy.ts); the other host is local.

import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FreezeProxy } from '../../../helpers/freeze-proxy.js';
import { writeTree } from '../../../helpers/run-playbook.js';
import { SshdFixture, startSshd } from '../../../helpers/sshd.js';
import { tsplayCommand } from '../../../helpers/tsplay-command.js';

const root = join(import.meta.dirname ?? '', '..', '..', '..', '..');
let sshd: SshdFixture;
const proxies: FreezeProxy[] = [];

test.before(async () => {
  sshd = await startSshd();
});

test.after.always(async () => {
  // A silent host's command cannot be killed through its connection: it outlives the run here.
  for (let run = 1; run <= runs; run++) for (const pid of slowPids(slowOf(run))) process.kill(pid, 'SIGKILL');
  for (const p of proxies) await p.stop();
  await sshd?.dispose();
});

/** The silent host's slow command: an odd duration per run, to find its process on this machine. */
let runs = 0;
const slowOf = (run: number) => `20.${process.pid}${run}`;

/** Pids of this run's slow command on the silent host (sshd is local, so its processes are ours to see). */
function slowPids(slow: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8') === `sleep\0${slow}\0`) pids.push(Number(d));
    } catch {
      // gone
    }
  }
  return pids;
}

const PLAYBOOK = `- hosts: all
  gather_facts: false
  tasks:
    - name: slow
      command: "sleep {{ slow_secs }}"
    - name: after
      shell: "touch {{ playbook_dir }}/{{ inventory_hostname }}-after"
`;

async function setup(timeoutSecs: number) {
  const slow = slowOf(++runs);
  const proxy = new FreezeProxy(sshd);
  await proxy.start();
  proxies.push(proxy);
  const dir = writeTree({
    'inv.yml': `all:
  hosts:
    busy: { ansible_connection: local, slow_secs: 1 }
    quiet:
      ansible_host: 127.0.0.1
      ansible_port: ${proxy.port}
      ansible_user: ${sshd.user}
      ansible_ssh_private_key_file: ${sshd.clientKeyFile}
      tsplay_host_key_checking: false
      ansible_timeout: ${timeoutSecs}
      slow_secs: ${slow}
`,
    'p.yml': PLAYBOOK,
  });
  return { proxy, dir, slow };
}

interface Outcome {
  code: number | null;
  out: string;
  /** ms from the freeze to the process's exit */
  afterFreezeMs: number;
  /** ms from SIGINT to exit, when one was sent */
  afterSigintMs?: number;
}

/**
 * Run the CLI; when the slow command runs on the host, freeze the relay; optionally
 * send SIGINT `sigintAfterMs` after the freeze. A run that does not end within
 * `limitMs` is killed, so the test itself cannot hang.
 */
function runFrozen({ dir, proxy, slow }: { dir: string; proxy: FreezeProxy; slow: string }, extra: string[], opts: { sigintAfterMs?: number; limitMs: number }): Promise<Outcome> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.SSH_AUTH_SOCK;
  const child = spawn(process.execPath, [...tsplayCommand(), 'run', join(dir, 'p.yml'), '-i', join(dir, 'inv.yml'), ...extra], { cwd: root, env });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  let frozenAt = 0;
  let sigintAt = 0;
  const poll = setInterval(() => {
    // the slow command runs on the host: now the host goes silent
    if (!frozenAt && slowPids(slow).length) {
      proxy.freeze();
      frozenAt = Date.now();
      if (opts.sigintAfterMs !== undefined) {
        setTimeout(() => {
          sigintAt = Date.now();
          child.kill('SIGINT');
        }, opts.sigintAfterMs);
      }
    }
  }, 50);
  const limit = setTimeout(() => child.kill('SIGKILL'), opts.limitMs);
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      const now = Date.now();
      clearInterval(poll);
      clearTimeout(limit);
      resolve({ code, out, afterFreezeMs: frozenAt > 0 ? now - frozenAt : -1, afterSigintMs: sigintAt ? now - sigintAt : undefined });
    });
  });
}

for (const strategy of ['linear', 'free']) {
  test.serial(`--strategy ${strategy}: a host silent mid-command is unreachable within the timeout; the others finish; exit 3`, async (t) => {
    const run = await setup(2);
    const dir = run.dir;
    const r = await runFrozen(run, ['--strategy', strategy], { limitMs: 30_000 });
    t.log(`${strategy}: exit ${r.code} ${r.afterFreezeMs} ms after the host went silent (timeout 2 s)`);
    t.is(r.code, 3, r.out);
    t.true(r.afterFreezeMs > 0 && r.afterFreezeMs < 2000 + 3500, `ended ${r.afterFreezeMs} ms after the freeze`);
    t.regex(r.out, /fatal: \[quiet\]: UNREACHABLE!.*no answer from .* for 2 s/);
    t.true(existsSync(join(dir, 'busy-after')), 'the other host did its work');
    t.false(existsSync(join(dir, 'quiet-after')), 'nothing more ran on the silent host');
    t.regex(r.out, /PLAY RECAP/);
    t.regex(r.out, /quiet\s+: ok=0\s+changed=0\s+unreachable=1/);
    t.regex(r.out, /busy\s+: ok=2\s+changed=2\s+unreachable=0\s+failed=0/);
  });
}

test.serial('the first Ctrl-C ends a run held by a silent host within a few seconds, with the recap, exit 99', async (t) => {
  const run = await setup(60); // keepalives would take a minute: only Ctrl-C can end this soon
  const dir = run.dir;
  const r = await runFrozen(run, [], { sigintAfterMs: 500, limitMs: 30_000 });
  t.log(`Ctrl-C: exit ${r.code} ${r.afterSigintMs} ms after SIGINT`);
  t.is(r.code, 99, r.out);
  t.true(r.afterSigintMs !== undefined && r.afterSigintMs < 7000, `ended ${r.afterSigintMs} ms after SIGINT`);
  t.regex(r.out, /PLAY RECAP/);
  t.regex(r.out, /\[WARNING\]: \[quiet\] task "slow": interrupted: the running command was abandoned/);
  t.false(existsSync(join(dir, 'busy-after')), 'nothing new started after Ctrl-C');
});
