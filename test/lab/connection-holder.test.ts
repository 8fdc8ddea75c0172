// Connections kept between runs (engine/connection/connection-holder.ts), as
// Ansible's default ControlPersist=60s keeps OpenSSH's: the next run within the
// persist time goes through the same SSH session on the host (no login), and
// everything that can go wrong around that ends as a fresh connection, never as
// a failed or wrong run:
// - a session killed on the host, or a host rebuilt at the same address (a new
//   host key), between runs: the next run logs in afresh and checks the key;
// - a run killed (SIGKILL) in the middle of a command: the command is killed on
//   the host, as Ctrl-C's abort does;
// - ControlMaster=no or TSPLAY_CONTROL_PERSIST=0: a login per run;
// - a control directory other users can enter: refused, the run connects directly;
// - the holder exits once its persist time has passed with no run.
// Each test has its own control directory, so its own holder. Runs on a 2-host
// lab whenever this machine can host one (labGate).

import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp, type LabInfo } from '../../engine/lab/index.js';
import { labSsh, runJson, type CliRun } from '../helpers/lab-cli.js';
import { labGate } from '../helpers/lab-gate.js';
import { holderPids } from '../helpers/holder-procs.js';
import { tsplayCommand } from '../helpers/tsplay-command.js';

const canHost = labGate('connections kept between runs');
const LAB = 'held';
const HOSTS = ['held1', 'held2'];
const ROOT = join(import.meta.dirname ?? '', '..', '..');

// The sshd session process a task's command runs under: its pid and start time (field 22 of
// /proc/PID/stat), which name one login on the host.
const SESSION = `
p=$$
while [ "$p" -gt 1 ]; do
  case "$(tr '\\0' ' ' < /proc/$p/cmdline)" in sshd:*) echo "$p $(cut -d' ' -f22 /proc/$p/stat)"; exit 0;; esac
  p=$(cut -d' ' -f4 /proc/$p/stat)
done
exit 1`;

let info: LabInfo;
let work: string;

function playbook(): string {
  const file = join(work, `session-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, [
    '- hosts: all',
    '  gather_facts: false',
    '  tasks:',
    '    - name: session',
    '      shell: { cmd: ' + JSON.stringify(SESSION) + ' }',
    '      changed_when: false',
  ].join('\n') + '\n');
  return file;
}

/** Per host, the login its commands ran under. */
function sessions(r: CliRun): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of r.events) if (e.kind === 'host_result' && e.task === 'session') out[e.host] = typeof e.result?.stdout === 'string' ? e.result.stdout.trim() : '';
  return out;
}

function controlEnv(t: { title: string }, extra: Record<string, string> = {}): Record<string, string> {
  const dir = join(work, `cp-${t.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 30)}`);
  return { TSPLAY_CONTROL_PATH_DIR: dir, ...extra };
}

/** The holder processes serving this control directory. */
const holders = holderPids;

async function until(what: string, f: () => boolean | Promise<boolean>, ms: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await f()) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

/** -e ansible_ssh_args=TEXT */
const sshArgs = (text: string): string[] => ['-e', JSON.stringify({ ansible_ssh_args: text })];

async function twoRuns(env: Record<string, string>, more: string[] = []): Promise<[CliRun, CliRun]> {
  const pb = playbook();
  const a = await runJson([pb, '-i', info.inventoryPath, ...more], env);
  const b = await runJson([pb, '-i', info.inventoryPath, ...more], env);
  return [a, b];
}

if (canHost) {
  test.before(async () => {
    work = mkdtempSync(join(tmpdir(), 'tsplay-held-'));
    await labDown(LAB);
    info = await labUp({ name: LAB, hosts: HOSTS.length });
  });

  test.after.always(async () => {
    if (work) {
      for (const pid of holders(work)) process.kill(pid, 'SIGTERM');
      rmSync(work, { recursive: true, force: true });
    }
    if (info && !process.env.KEEP_LAB) await labDown(LAB);
  });

  test.serial('the next run within the persist time uses the same login; without persistence each run logs in', async (t) => {
    const env = controlEnv(t);
    const [a, b] = await twoRuns(env);
    t.is(a.code, 0, a.stdout + a.stderr);
    t.is(b.code, 0, b.stdout + b.stderr);
    const [sa, sb] = [sessions(a), sessions(b)];
    t.deepEqual(Object.keys(sa).sort(), HOSTS);
    for (const h of HOSTS) {
      t.regex(sa[h], /^\d+ \d+$/, `${h}: a session found`);
      t.is(sb[h], sa[h], `${h}: the second run came through the first run's login`);
    }
    t.is(holders(env.TSPLAY_CONTROL_PATH_DIR).length, 1, 'one holder for both hosts and both runs');
    t.deepEqual(readdirSync(env.TSPLAY_CONTROL_PATH_DIR).filter((f) => f.endsWith('.sock')).length, 1);
    t.is((execFileSync('stat', ['-c', '%a', env.TSPLAY_CONTROL_PATH_DIR], { encoding: 'utf8' })).trim(), '700', 'only its user can reach the socket');

    const [c, d] = await twoRuns({ ...env, TSPLAY_CONTROL_PERSIST: '0' });
    t.is(c.code, 0);
    t.is(d.code, 0);
    for (const h of HOSTS) {
      t.not(sessions(c)[h], sa[h], `${h}: TSPLAY_CONTROL_PERSIST=0 does not use the held login`);
      t.not(sessions(d)[h], sessions(c)[h], `${h}: TSPLAY_CONTROL_PERSIST=0 logs in at every run`);
    }
    const [e, f] = await twoRuns(env, sshArgs('-o ControlMaster=no'));
    t.is(e.code, 0);
    for (const h of HOSTS) t.not(sessions(f)[h], sessions(e)[h], `${h}: ControlMaster=no logs in at every run`);
    console.log(`[held lab] run 1 ${a.ms} ms, run 2 (held) ${b.ms} ms; without persistence ${c.ms} / ${d.ms} ms`);
  });

  test.serial('a login killed on the host, then a host rebuilt at its address with a new host key: the next run logs in afresh', async (t) => {
    const env = controlEnv(t);
    const pb = playbook();
    const a = await runJson([pb, '-i', info.inventoryPath], env);
    t.is(a.code, 0, a.stdout + a.stderr);
    const pid = sessions(a).held1.split(' ')[0];
    t.is((await labSsh(info, 'held1', `kill ${pid}`)).rc, 0);
    const b = await runJson([pb, '-i', info.inventoryPath], env);
    t.is(b.code, 0, b.stdout + b.stderr);
    t.not(sessions(b).held1, sessions(a).held1, 'held1: a new login');
    t.is(sessions(b).held2, sessions(a).held2, 'held2: still the held one');

    const keyBefore = readFileSync(info.knownHostsFile, 'utf8');
    await labDown(LAB);
    info = await labUp({ name: LAB, hosts: HOSTS.length });
    t.not(readFileSync(info.knownHostsFile, 'utf8'), keyBefore, 'the rebuilt hosts have new host keys');
    const c = await runJson([pb, '-i', info.inventoryPath], env);
    t.is(c.code, 0, c.stdout + c.stderr);
    t.false(c.events.some((e) => e.kind === 'host_result' && e.status === 'unreachable'), 'no host unreachable');
    for (const h of HOSTS) t.regex(sessions(c)[h], /^\d+ \d+$/, `${h}: ran on the rebuilt host`);
  });

  test.serial('a run killed during a command: the holder kills the command on the host', async (t) => {
    const env = controlEnv(t);
    const slow = `31.${process.pid}7`;
    const pb = join(work, 'slow.yml');
    writeFileSync(pb, `- hosts: held1\n  gather_facts: false\n  tasks:\n    - command: sleep ${slow}\n`);
    const child = spawn(process.execPath, [...tsplayCommand(), 'run', pb, '-i', info.inventoryPath], {
      cwd: ROOT, stdio: 'ignore', env: { ...process.env, ...env },
    });
    const running = async () => (await labSsh(info, 'held1', `pgrep -f 'sleep ${slow}'`)).rc === 0;
    await until('the command runs on the host', running, 20_000);
    child.kill('SIGKILL');
    const gone = await until('the command is gone from the host', async () => !(await running()), 10_000);
    t.pass();
    console.log(`[held lab] killed run: its command was gone from the host ${gone} ms after SIGKILL`);
  });

  test.serial('two runs at once on the same host get a login each; Ctrl-C in one leaves the other\'s command alone', async (t) => {
    const env = controlEnv(t);
    const slowB = `32.${process.pid}1`;
    const fileA = `/root/held-a-${process.pid}`;
    await labSsh(info, 'held1', `rm -f ${fileA}`);
    const pbA = join(work, 'a.yml');
    const pbB = join(work, 'b.yml');
    writeFileSync(pbA, `- hosts: held1\n  gather_facts: false\n  tasks:\n    - shell: { cmd: "sleep 5; echo done > ${fileA}" }\n`);
    writeFileSync(pbB, `- hosts: held1\n  gather_facts: false\n  tasks:\n    - command: sleep ${slowB}\n`);
    const start = (pb: string) => spawn(process.execPath, [...tsplayCommand(), 'run', pb, '-i', info.inventoryPath], {
      cwd: ROOT, stdio: 'ignore', env: { ...process.env, ...env },
    });
    const exited = (c: ReturnType<typeof spawn>) => new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
    const a = start(pbA);
    const aDone = exited(a);
    await until('run A\'s command runs', async () => (await labSsh(info, 'held1', `pgrep -f 'sleep 5; echo done'`)).rc === 0, 20_000);
    const b = start(pbB);
    const bDone = exited(b);
    await until('run B\'s command runs', async () => (await labSsh(info, 'held1', `pgrep -f 'sleep ${slowB}'`)).rc === 0, 20_000);
    b.kill('SIGINT');
    t.is(await bDone, 99, 'run B: interrupted');
    t.is(await aDone, 0, 'run A: finished');
    t.is((await labSsh(info, 'held1', `cat ${fileA}`)).stdout.trim(), 'done', 'run A\'s command ran to its end');
    t.is((await labSsh(info, 'held1', `pgrep -f 'sleep ${slowB}'`)).rc, 1, 'run B\'s command was killed');
  });

  test.serial('a control directory other users can enter is refused: the run connects directly and -vv says why', async (t) => {
    const env = controlEnv(t);
    mkdirSync(env.TSPLAY_CONTROL_PATH_DIR, { recursive: true });
    chmodSync(env.TSPLAY_CONTROL_PATH_DIR, 0o755);
    const r = await runJson([playbook(), '-i', info.inventoryPath, '-vv'], env);
    t.is(r.code, 0, r.stdout + r.stderr);
    const notes = r.events.filter((e) => e.kind === 'connection_note').map((e) => (e as { msg: string }).msg);
    t.is(notes.length, HOSTS.length, JSON.stringify(notes));
    for (const n of notes) t.regex(n, /connecting directly, not through the connection holder: .*can be entered by other users \(mode 755\)/);
    t.deepEqual(holders(env.TSPLAY_CONTROL_PATH_DIR), []);
    t.false(readdirSync(env.TSPLAY_CONTROL_PATH_DIR).some((f) => f.endsWith('.sock')));
  });

  test.serial('a holder that does not answer (stopped) does not hang the run: it connects directly and -vv says why', async (t) => {
    const env = controlEnv(t);
    const first = await runJson([playbook(), '-i', info.inventoryPath], env);
    t.is(first.code, 0, first.stdout + first.stderr);
    const [pid] = holders(env.TSPLAY_CONTROL_PATH_DIR);
    t.true(pid > 0, 'a holder');
    process.kill(pid, 'SIGSTOP');
    try {
      const r = await runJson([playbook(), '-i', info.inventoryPath, '-vv'], env);
      t.is(r.code, 0, r.stdout + r.stderr);
      const notes = r.events.filter((e) => e.kind === 'connection_note').map((e) => (e as { msg: string }).msg);
      t.is(notes.length, HOSTS.length, JSON.stringify(notes));
      for (const n of notes) t.regex(n, /connecting directly, not through the connection holder: the connection holder at .* did not answer within 3 s/);
      for (const h of HOSTS) t.not(sessions(r)[h], sessions(first)[h], `${h}: a login of its own`);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });

  test.serial('the holder exits when its persist time has passed with no run', async (t) => {
    const env = controlEnv(t);
    const r = await runJson([playbook(), '-i', info.inventoryPath, ...sshArgs('-o ControlMaster=auto -o ControlPersist=2s')], env);
    t.is(r.code, 0, r.stdout + r.stderr);
    t.is(holders(env.TSPLAY_CONTROL_PATH_DIR).length, 1, 'held after the run');
    const ms = await until('the holder exits', () => holders(env.TSPLAY_CONTROL_PATH_DIR).length === 0, 10_000);
    t.true(ms >= 1000, `not before its persist time (${ms} ms)`);
    t.false(existsSync(env.TSPLAY_CONTROL_PATH_DIR) && readdirSync(env.TSPLAY_CONTROL_PATH_DIR).some((f) => f.endsWith('.sock')), 'its socket removed');
    console.log(`[held lab] holder exited ${ms} ms after the run (ControlPersist=2s)`);
  });
}
