// Light lab hosts (`tsplay lab up N --light`, engine/lab/light.ts): a few hosts
// that are only an sshd come up, a small playbook runs on them over SSH through
// the lab's inventory, each host is isolated (its own root, hostname, address,
// processes, no route out), and `lab down` leaves nothing on the machine
// (process, namespace, link, address, route, mount, cgroup, file).
// Runs whenever this machine can host a lab (labGate).

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAB_ROOT, labCpuMs, labDown, labStatus, labUp } from '../../engine/lab/index.js';
import { labOut, labSsh, runJson } from '../helpers/lab-cli.js';
import { labGate } from '../helpers/lab-gate.js';

const canHost = labGate('the light lab hosts');
const LAB = 'light';
const N = 4;

/** What a lab of this name left on the machine, found without the lab code's bookkeeping. */
function leftovers(name: string, subnet: string): string[] {
  const found: string[] = [];
  const dir = `${LAB_ROOT}/${name}`;
  if (existsSync(dir)) found.push(`state dir ${dir}`);
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = line.split(' ')[4];
    if (mp && (mp === dir || mp.startsWith(dir + '/'))) found.push(`mount ${mp}`);
    if (mp && mp.startsWith(`/run/netns/tsplay-${name}-`)) found.push(`netns mount ${mp}`);
  }
  if (existsSync('/run/netns')) for (const ns of readdirSync('/run/netns')) if (ns.startsWith(`tsplay-${name}-`)) found.push(`netns ${ns}`);
  const links = JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' })) as Array<{ ifname: string; ifalias?: string }>;
  for (const l of links) if (l.ifalias === `tsplay-lab:${name}`) found.push(`link ${l.ifname}`);
  const prefix = subnet.replace(/\.0\/24$/, '.');
  if (execFileSync('ip', ['-4', 'addr', 'show'], { encoding: 'utf8' }).includes(prefix)) found.push(`address in ${subnet}`);
  if (execFileSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' }).includes(prefix)) found.push(`route for ${subnet}`);
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (cmd.includes(`${dir}/`) || cmd.includes(`tsplay-${name}-`)) found.push(`process ${e}: ${cmd.replace(/\0/g, ' ').slice(0, 120)}`);
    } catch {
      /* exited */
    }
  }
  for (const h of ['systemd', 'unified', 'memory']) {
    if (existsSync(`/sys/fs/cgroup/${h}/tsplay-lab/${name}`)) found.push(`cgroup ${h}/tsplay-lab/${name}`);
  }
  return found;
}

if (canHost) {
  const work = mkdtempSync(join(tmpdir(), 'tsplay-light-'));

  test.before(async () => {
    if ((await labStatus()).some((l) => l.name === LAB)) await labDown(LAB);
  });
  test.after.always(async () => {
    rmSync(work, { recursive: true, force: true });
    if ((await labStatus()).some((l) => l.name === LAB) && !process.env.KEEP_LAB) await labDown(LAB);
  });

  test.serial(`${N} light hosts: up, a playbook over SSH, isolated, down leaves nothing`, async (t) => {
    t.timeout(10 * 60_000);
    const lab = await labUp({ name: LAB, hosts: N, light: true });
    t.deepEqual(lab.hosts.map((h) => h.name), ['light1', 'light2', 'light3', 'light4']);
    const status = (await labStatus()).find((l) => l.name === LAB);
    t.is(status?.state, 'up', 'lab status sees the light lab up');
    t.deepEqual(status?.hosts.map((h) => h.running), [true, true, true, true], 'every light host runs (its sshd)');

    // A small playbook through the lab's own inventory, over SSH.
    writeFileSync(join(work, 'p.yml'), [
      '- hosts: all',
      '  gather_facts: false',
      '  tasks:',
      '    - name: a file with the host name',
      '      copy: { dest: /root/who, content: "{{ inventory_hostname }}\\n", mode: "0600" }',
      '    - name: read it back',
      '      command: { argv: [cat, /root/who] }',
      '      changed_when: false',
      '      register: who',
      '    - assert: { that: [who.stdout == inventory_hostname] }',
      '',
    ].join('\n'));
    const cpu0 = labCpuMs(LAB);
    const first = await runJson([join(work, 'p.yml'), '-i', lab.inventoryPath]);
    t.is(first.code, 0, first.stderr + first.stdout.slice(-2000));
    // The hosts' CPU (the benchmark's per-host figures): the run's sshds and shells are counted.
    const cpu1 = labCpuMs(LAB);
    t.true(cpu0 !== undefined && cpu1 !== undefined && cpu1 > cpu0, `the lab's CPU grew with the run: ${cpu0} -> ${cpu1} ms`);
    t.is(labCpuMs('no-such-lab'), undefined);
    const recap = first.events.find((e) => e.kind === 'recap');
    t.truthy(recap);
    if (recap?.kind === 'recap') {
      t.deepEqual(Object.keys(recap.hosts).sort(), lab.hosts.map((h) => h.name).sort());
      for (const [h, c] of Object.entries(recap.hosts)) t.is(c.changed, 1, `${h}: the copy changed`);
    }
    const again = await runJson([join(work, 'p.yml'), '-i', lab.inventoryPath]);
    t.is(again.code, 0);
    const recap2 = again.events.find((e) => e.kind === 'recap');
    if (recap2?.kind === 'recap') for (const [h, c] of Object.entries(recap2.hosts)) t.is(c.changed, 0, `${h}: the rerun changes nothing`);

    // Isolation: own root (the file each wrote is its own, not on the machine), own
    // hostname file, own address and no route out, own processes.
    t.false(existsSync('/root/who') && readFileSync('/root/who', 'utf8').startsWith('light'), 'the machine root is untouched');
    for (const h of lab.hosts) {
      t.is((await labOut(lab, h.name, 'cat /root/who; cat /etc/hostname')).trim(), `${h.name}\n${h.name}`, `${h.name}: its own root`);
      const addrs = await labOut(lab, h.name, 'ip -4 -o addr show');
      t.regex(addrs, new RegExp(`inet ${h.address.replace(/\./g, '\\.')}/24 `), `${h.name}: its own address`);
      t.is(addrs.split('\n').filter((l) => / inet /.test(l)).length, 2, `${h.name}: lo and eth0 only`);
      t.false(/default/.test(await labOut(lab, h.name, 'ip route')), `${h.name}: no default route`);
      const pids = (await labOut(lab, h.name, 'ls /proc | grep -c "^[0-9]"')).trim();
      t.true(Number(pids) < 20, `${h.name}: its own PID namespace (${pids} processes seen)`);
      t.is((await labSsh(lab, h.name, 'test -e /run/systemd/system')).rc, 1, `${h.name}: no systemd running`);
    }
    t.is((await labOut(lab, 'light1', 'cat /proc/1/comm')).trim(), 'sshd', 'PID 1 of a light host is its sshd, no init');

    await labDown(LAB);
    t.deepEqual(leftovers(LAB, lab.subnet), [], 'lab down removed everything');
  });
}
