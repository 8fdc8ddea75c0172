// Network loss on one lab host of three, mid-command: its link goes down on
// the machine side (its veth end leaves the bridge's traffic: packets are
// dropped silently, nothing is closed), during a long `command` while the
// other hosts do real work. The run must end within the connection timeout
// with exit 3, the other hosts' work done and the silent host unreachable,
// under --strategy linear and free; with the default timeout too; and the first
// Ctrl-C must end a run held by the silent host within a few seconds, with the
// recap, exit 99. Only this lab's own veth is touched, and it is brought back
// up after every case.

import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { labDown, labUp, type LabInfo } from '../../engine/lab/index.js';
import { ensureBase } from '../../engine/lab/base.js';
import { writeTree } from '../helpers/run-playbook.js';
import { labOut, labSsh } from '../helpers/lab-cli.js';
import { labGate } from '../helpers/lab-gate.js';
import { tsplayCommand } from '../helpers/tsplay-command.js';

const canHost = labGate('the network fault lab tests');
const ROOT = join(import.meta.dirname ?? '', '..', '..');

const LAB = 'hga';
/** The host that goes silent, and its odd sleep (to find it, and to clean up after). */
const VICTIM = `${LAB}2`;
const SLOW = '40.7373';

const PLAYBOOK = `- hosts: all
  gather_facts: false
  tasks:
    - name: slow
      command: "sleep {{ slow }}"
    - name: work
      copy:
        dest: /root/hg-work
        content: "{{ inventory_hostname }} did its work\\n"
`;

if (canHost) {
  let info: LabInfo;
  let veth: string;
  let dir: string;

  const linkDown = () => execFileSync('ip', ['link', 'set', veth, 'down']);
  const linkUp = () => execFileSync('ip', ['link', 'set', veth, 'up']);

  /** The victim's link up again, the victim answering, its leftover sleep killed. */
  async function reconnect(): Promise<void> {
    linkUp();
    const deadline = Date.now() + 30_000;
    while ((await labSsh(info, VICTIM, 'true')).rc !== 0) {
      if (Date.now() > deadline) throw new Error(`${VICTIM} does not answer after its link came back up`);
      await new Promise((r) => setTimeout(r, 300));
    }
    await labSsh(info, VICTIM, `pkill -KILL -f '^sleep ${SLOW}' || true`);
  }

  /** Back to normal between cases: reconnected, and every host's work file gone. */
  async function restore(): Promise<void> {
    await reconnect();
    for (const h of info.hosts) await labOut(info, h.name, 'rm -f /root/hg-work');
  }

  test.before(async () => {
    await labDown(LAB); // left by an earlier killed run
    await ensureBase('systemd', (l) => console.log(`[lab base] ${l}`));
    info = await labUp({ name: LAB, hosts: 3 });
    const state = JSON.parse(readFileSync(join(info.stateDir, 'state.json'), 'utf8')) as { hosts: Array<{ name: string; veth: string }> };
    veth = state.hosts.find((h) => h.name === VICTIM)!.veth;
    dir = writeTree({
      'p.yml': PLAYBOOK,
      // the victim's command outlasts any bound; the others' is short
      'slow.yml': `all:\n  vars:\n    slow: 2\n  hosts:\n    ${VICTIM}:\n      slow: ${SLOW}\n`,
    });
  });

  test.after.always(async () => {
    if (veth) {
      try {
        linkUp();
      } catch {
        // the lab may be gone already
      }
    }
    await labDown(LAB).catch(() => {});
  });

  interface Outcome {
    code: number | null;
    out: string;
    /** ms from the link going down to the run's exit */
    afterLinkDownMs: number;
    /** ms from SIGINT to exit, when one was sent */
    afterSigintMs?: number;
  }

  /**
   * Run the playbook on the lab (the CLI as its own process); when the slow
   * command runs on the victim, take its link down; optionally SIGINT the run
   * `sigintAfterMs` later. Killed after `limitMs`, so the test cannot hang.
   */
  async function runWithLinkLoss(extra: string[], opts: { sigintAfterMs?: number; limitMs: number }): Promise<Outcome> {
    const child = spawn(process.execPath, [...tsplayCommand(), 'run', join(dir, 'p.yml'), '-i', info.inventoryPath, '-i', join(dir, 'slow.yml'), ...extra], {
      cwd: ROOT, env: { ...process.env, NO_COLOR: '1' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let done = false;
    void exited.then(() => (done = true));
    const limit = setTimeout(() => child.kill('SIGKILL'), opts.limitMs);
    // Wait for the slow command on the victim (through plain ssh, independent of tsplay).
    while (!done && (await labSsh(info, VICTIM, `pgrep -f '^sleep ${SLOW}'`)).rc !== 0) await new Promise((r) => setTimeout(r, 200));
    let downAt = 0;
    let sigintAt = 0;
    if (!done) {
      linkDown();
      downAt = Date.now();
      if (opts.sigintAfterMs !== undefined) {
        await new Promise((r) => setTimeout(r, opts.sigintAfterMs));
        sigintAt = Date.now();
        child.kill('SIGINT');
      }
    }
    const code = await exited;
    const now = Date.now();
    clearTimeout(limit);
    return { code, out, afterLinkDownMs: downAt ? now - downAt : -1, afterSigintMs: sigintAt ? now - sigintAt : undefined };
  }

  async function othersDidTheirWork(t: { deepEqual: (a: unknown, b: unknown, m?: string) => void }): Promise<void> {
    for (const h of info.hosts) {
      if (h.name === VICTIM) continue;
      t.deepEqual(await labOut(info, h.name, 'cat /root/hg-work'), `${h.name} did its work\n`, `${h.name}'s work`);
    }
    t.deepEqual((await labSsh(info, VICTIM, 'test -e /root/hg-work')).rc, 1, 'nothing more ran on the silent host');
  }

  for (const strategy of ['linear', 'free']) {
    test.serial(`--strategy ${strategy}, ansible_timeout=6: link down mid-command on one host of three: exit 3 within the bound, the others' work done`, async (t) => {
      try {
        const r = await runWithLinkLoss(['--strategy', strategy, '-e', 'ansible_timeout=6'], { limitMs: 60_000 });
        t.log(`${strategy}: exit ${r.code}, ${r.afterLinkDownMs} ms after the link went down (bound 6 s)`);
        t.is(r.code, 3, r.out);
        t.true(r.afterLinkDownMs > 0 && r.afterLinkDownMs < 6000 + 6000, `ended ${r.afterLinkDownMs} ms after the link went down`);
        t.regex(r.out, new RegExp(`fatal: \\[${VICTIM}\\]: UNREACHABLE!.*no answer from .* for 6 s`));
        t.regex(r.out, new RegExp(`${VICTIM}\\s+: ok=0\\s+changed=0\\s+unreachable=1\\s+failed=0`));
        for (const h of info.hosts) if (h.name !== VICTIM) t.regex(r.out, new RegExp(`${h.name}\\s+: ok=2\\s+changed=2\\s+unreachable=0\\s+failed=0`));
        await reconnect();
        await othersDidTheirWork(t);
      } finally {
        await restore().catch(() => linkUp());
      }
    });
  }

  test.serial('default timeout: link down mid-command: exit 3 within 10 s and a little', async (t) => {
    try {
      const r = await runWithLinkLoss([], { limitMs: 60_000 });
      t.log(`default: exit ${r.code}, ${r.afterLinkDownMs} ms after the link went down (default bound 10 s)`);
      t.is(r.code, 3, r.out);
      t.true(r.afterLinkDownMs > 0 && r.afterLinkDownMs < 10_000 + 6000, `ended ${r.afterLinkDownMs} ms after the link went down`);
      t.regex(r.out, new RegExp(`fatal: \\[${VICTIM}\\]: UNREACHABLE!.*no answer from .* for 10 s`));
    } finally {
      await restore().catch(() => linkUp());
    }
  });

  test.serial('the first Ctrl-C ends a run held by a silent host within a few seconds: recap, exit 99', async (t) => {
    try {
      // A long timeout: only Ctrl-C can end this run soon.
      const r = await runWithLinkLoss(['-e', 'ansible_timeout=120'], { sigintAfterMs: 1000, limitMs: 60_000 });
      t.log(`Ctrl-C: exit ${r.code}, ${r.afterSigintMs} ms after SIGINT`);
      t.is(r.code, 99, r.out);
      t.true(r.afterSigintMs !== undefined && r.afterSigintMs < 8000, `ended ${r.afterSigintMs} ms after SIGINT`);
      t.regex(r.out, /PLAY RECAP/);
      t.regex(r.out, new RegExp(`\\[WARNING\\]: \\[${VICTIM}\\] task "slow": interrupted: the running command was abandoned`));
      t.notRegex(r.out, /TASK \[work\]/, 'nothing new started after Ctrl-C');
    } finally {
      await restore().catch(() => linkUp());
    }
  });
}
