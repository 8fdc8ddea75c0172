// The mount module's live states against ansible.posix.mount (1.5.4, under
// Ansible 2.14) on real hosts (issue 12): mounted, unmounted, remounted and
// absent act on the live mount table, which the local differential
// (test/unit/modules/mount-vs-ansible.test.ts) cannot touch. The lab kernel has
// no NFS, so the cases mount tmpfs and bind mounts.
//
// Lab `mnta`, two fresh hosts from one base: each case's tasks run with
// ansible-playbook on host 1 and with tsplay on host 2, after the same setup
// script on both (state reset first: every mount under /mnt unmounted, fstab put
// back, the case directories removed). Per case it compares:
//   - changed and failed of every task (first run), and of the rerun (idempotency),
//     from Ansible's minimal callback (one `HOST | STATUS => {result}` per task);
//   - tsplay's --check (run first, on the fresh state): the tasks it predicts as
//     changed or failing are the ones its run changes or fails;
//   - the end state after each run: the bytes of /etc/fstab and of the alternate
//     fstab (cat -A: tabs, line ends and a missing final newline show), what
//     findmnt shows under /mnt (target, source, type, options, in mount order)
//     and the files under /mnt and /srv/msrc;
//   - failure messages loosely: both sides' message of a failed task must match
//     the case's pattern.
// It prints one verdict per case and "N of M cases agree with Ansible".
// Ansible's side of the whole table is kept in the reference cache
// (test/helpers/ansible-reference.ts), keyed by the cases, the lab base,
// Ansible's packages and the harness source.
// Runs whenever this machine can host a lab (labGate); needs ansible-core.

import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labDown, labUp, type LabInfo } from '../../engine/lab/index.js';
import { ansibleMissing, hostRun, labInputs } from '../helpers/ansible-compare.js';
import { readReference, referenceKey, writeReference } from '../helpers/ansible-reference.js';
import { labGate } from '../helpers/lab-gate.js';
import { flagsSummary, modulePlaybook, runBothSides, sideProblems, type AnsibleCase, type CaseRuns } from '../helpers/lab-module-compare.js';

const LAB = 'mnta';
const THIS_FILE = fileURLToPath(import.meta.url);
const COMPARE_SOURCE = fileURLToPath(new URL('../helpers/ansible-compare.ts', import.meta.url));
const REFERENCE_SOURCE = fileURLToPath(new URL('../helpers/ansible-reference.ts', import.meta.url));

const canHost = labGate('the mount module lab comparison');
const noAnsible = ansibleMissing();

interface Case {
  name: string;
  /** Shell run on both hosts (as root) after the reset. */
  setup?: string;
  /** The mount module's arguments, one task each. */
  tasks: Array<Record<string, unknown>>;
  /** A failed task's message, on both sides, must match this. */
  failure?: RegExp;
  /**
   * A difference kept on purpose (docs/modules/mount.md, "Differences from Ansible"):
   * the case must differ, and every problem must start with one of these.
   */
  deliberate?: string[];
}

// Once on both hosts: Ansible needs python3 there; the pristine fstab is kept for the resets.
const GLOBAL_SETUP = 'cp -p /etc/fstab /root/fstab.orig';
// Before every case: unmount everything under /mnt (stacked mounts too, latest first), put fstab back.
const RESET = [
  'while m=$(findmnt -rn -o TARGET | grep "^/mnt/" | tail -n 1); [ -n "$m" ]; do umount "$m" || exit 1; done',
  'cp -p /root/fstab.orig /etc/fstab',
  'rm -rf /etc/fstab.alt /etc/alt /mnt/* /srv/msrc',
  'mkdir -p /srv/msrc',
].join('; ');

const tmpfs = (path: string, opts?: string) => ({ path, src: 'tmpfs', fstype: 'tmpfs', ...(opts ? { opts } : {}), state: 'mounted' });
const line = (s: string) => `printf '%s\\n' ${JSON.stringify(s)} >> /etc/fstab`;

const CASES: Case[] = [
  { name: 'tmpfs mounted, new: mount point made, entry added, mounted', tasks: [tmpfs('/mnt/t1', 'size=1m')] },
  { name: 'tmpfs mounted, defaults, mount point parents made', tasks: [tmpfs('/mnt/deep/er/t2')] },
  {
    name: 'tmpfs mounted with changed options on a mounted tmpfs: remounted',
    setup: `mkdir /mnt/t3 && ${line('tmpfs /mnt/t3 tmpfs size=1m 0 0')} && mount /mnt/t3`,
    tasks: [tmpfs('/mnt/t3', 'size=2m')],
  },
  {
    name: 'tmpfs mounted by hand, no fstab entry: entry added (and remounted from it)',
    setup: 'mkdir /mnt/t4 && mount -t tmpfs -o size=1m tmpfs /mnt/t4',
    tasks: [tmpfs('/mnt/t4', 'size=2m')],
  },
  {
    name: 'in fstab, not mounted: mounted',
    setup: `mkdir /mnt/t5 && ${line('tmpfs /mnt/t5 tmpfs size=1m 0 0')}`,
    tasks: [tmpfs('/mnt/t5', 'size=1m')],
  },
  {
    name: 'bind mount (opts bind, fstype none)',
    setup: 'mkdir -p /srv/msrc/b && echo x > /srv/msrc/b/f',
    tasks: [{ path: '/mnt/b', src: '/srv/msrc/b', fstype: 'none', opts: 'bind', state: 'mounted' }],
  },
  {
    name: 'bind mount, then its options changed (ro)',
    setup: 'mkdir -p /srv/msrc/b && echo x > /srv/msrc/b/f',
    tasks: [
      { path: '/mnt/b2', src: '/srv/msrc/b', fstype: 'none', opts: 'bind', state: 'mounted' },
      { path: '/mnt/b2', src: '/srv/msrc/b', fstype: 'none', opts: 'bind,ro', state: 'mounted' },
    ],
  },
  {
    name: 'unmounted: unmounts, keeps the entry; then not mounted: ok',
    setup: `mkdir /mnt/u && ${line('tmpfs /mnt/u tmpfs size=1m 0 0')} && mount /mnt/u`,
    tasks: [{ path: '/mnt/u', state: 'unmounted' }, { path: '/mnt/u', state: 'unmounted' }],
  },
  {
    name: 'unmounted on a bind mount',
    setup: `mkdir -p /srv/msrc/b /mnt/ub && ${line('/srv/msrc/b /mnt/ub none bind 0 0')} && mount /mnt/ub`,
    tasks: [{ path: '/mnt/ub', state: 'unmounted' }],
  },
  {
    name: 'remounted, without and with options (always changed)',
    setup: `mkdir /mnt/r && ${line('tmpfs /mnt/r tmpfs size=1m 0 0')} && mount /mnt/r`,
    tasks: [{ path: '/mnt/r', state: 'remounted' }, { path: '/mnt/r', state: 'remounted', opts: 'size=3m' }],
  },
  {
    name: 'remounted when not mounted: fails',
    setup: `mkdir /mnt/rn && ${line('tmpfs /mnt/rn tmpfs size=1m 0 0')}`,
    tasks: [{ path: '/mnt/rn', state: 'remounted' }],
    failure: /mount|remount/i,
  },
  {
    name: 'absent on a mounted one: unmounts, removes the entry and the mount point',
    setup: `mkdir /mnt/a && ${line('tmpfs /mnt/a tmpfs size=1m 0 0')} && mount /mnt/a`,
    tasks: [{ path: '/mnt/a', state: 'absent' }],
  },
  {
    name: 'absent on a mounted bind mount',
    setup: `mkdir -p /srv/msrc/b /mnt/ab && echo x > /srv/msrc/b/f && ${line('/srv/msrc/b /mnt/ab none bind 0 0')} && mount /mnt/ab`,
    tasks: [{ path: '/mnt/ab', state: 'absent' }],
  },
  {
    name: 'mounted where the mount point is a file: fails, fstab as it was',
    setup: 'echo data > /mnt/file',
    tasks: [tmpfs('/mnt/file', 'size=1m')],
    failure: /directory/i,
  },
  {
    name: 'bind mounted from a missing source: fails, fstab as it was, no mount point left',
    tasks: [{ path: '/mnt/nosrc', src: '/srv/msrc/missing', fstype: 'none', opts: 'bind', state: 'mounted' }],
    failure: /\/srv\/msrc\/missing/,
  },
  {
    name: 'alternate fstab (missing, made): mounted, unmounted, mounted again, remounted',
    tasks: [
      { ...tmpfs('/mnt/alt', 'size=1m'), fstab: '/etc/alt/fstab' },
      { path: '/mnt/alt', state: 'unmounted', fstab: '/etc/alt/fstab' },
      { ...tmpfs('/mnt/alt', 'size=1m'), fstab: '/etc/alt/fstab' },
      { ...tmpfs('/mnt/alt', 'size=2m'), fstab: '/etc/alt/fstab' },
      { path: '/mnt/alt', state: 'remounted', fstab: '/etc/alt/fstab' },
    ],
  },
  {
    name: 'boot false: noauto in the entry, mounted all the same',
    tasks: [{ ...tmpfs('/mnt/nb', 'size=1m'), boot: false }],
  },
  {
    name: 'tmpfs mounted, then absent in the same play',
    tasks: [tmpfs('/mnt/ma', 'size=1m'), { path: '/mnt/ma', state: 'absent' }],
  },
  {
    name: 'ephemeral tmpfs: mounted, fstab untouched; again: remounted (always changed)',
    tasks: [{ ...tmpfs('/mnt/e1', 'size=1m'), state: 'ephemeral' }, { ...tmpfs('/mnt/e1', 'size=2m'), state: 'ephemeral' }],
  },
  {
    name: 'ephemeral bind mount, defaults',
    setup: 'mkdir -p /srv/msrc/b && echo x > /srv/msrc/b/f',
    tasks: [{ path: '/mnt/e2', src: '/srv/msrc/b', fstype: 'none', opts: 'bind', state: 'ephemeral' }],
  },
  {
    name: 'ephemeral over a mount of another source: fails',
    setup: 'mkdir -p /srv/msrc/b /mnt/e3 && mount -t tmpfs -o size=1m tmpfs /mnt/e3',
    tasks: [{ path: '/mnt/e3', src: '/srv/msrc/b', fstype: 'none', opts: 'bind', state: 'ephemeral' }],
    failure: /different source/,
  },
  {
    name: 'ephemeral on a bind mount of the same source: remounted',
    setup: 'mkdir -p /srv/msrc/b /mnt/e4 && mount --bind /srv/msrc/b /mnt/e4',
    tasks: [{ path: '/mnt/e4', src: '/srv/msrc/b', fstype: 'none', opts: 'bind', state: 'ephemeral' }],
  },
  {
    name: 'bind mount whose source changed',
    setup: `mkdir -p /srv/msrc/b1 /srv/msrc/b2 /mnt/bs && echo 1 > /srv/msrc/b1/f && echo 2 > /srv/msrc/b2/f && ${line('/srv/msrc/b1 /mnt/bs none bind 0 0')} && mount /mnt/bs`,
    tasks: [{ path: '/mnt/bs', src: '/srv/msrc/b2', fstype: 'none', opts: 'bind', state: 'mounted' }],
    // Ansible does not see the old bind as this mount (another source) and mounts the new one over it,
    // and again on every run (a stack of mounts, never ok); tsplay unmounts the old one and mounts the new.
    deliberate: ['run 2 changed/failed: ansible C tsplay .', 'end state after run 1', 'end state after run 2'],
  },
  {
    name: 'tmpfs with an option the kernel refuses, on a new mount point: fails, fstab and directories as they were',
    tasks: [tmpfs('/mnt/bad/t', 'size=lots')],
    failure: /bad|invalid|wrong|unknown/i,
    // The kernel's refusal of an option shows only when mounting: --check (tsplay's, as Ansible's) says it would change.
    deliberate: ['tsplay --check C but its run F'],
  },
  {
    name: 'mounted on a directory that holds files',
    setup: 'mkdir /mnt/full && echo keep > /mnt/full/keep',
    tasks: [tmpfs('/mnt/full', 'size=1m')],
    failure: /not empty/,
    // tsplay refuses to hide files under a mount (allow_nonempty: true mounts); Ansible mounts over them.
    deliberate: ['run 1 changed/failed: ansible C tsplay F', 'run 2 changed/failed: ansible . tsplay F', 'end state after run 1', 'end state after run 2'],
  },
];

/** fstab bytes (both files), the mounts under /mnt as findmnt shows them, the files under /mnt and /srv/msrc. */
async function endState(info: LabInfo, host: string): Promise<string> {
  const out = await hostRun(info, host, [
    'echo "## /etc/fstab"; cat -A /etc/fstab',
    'echo "## /etc/alt/fstab"; if [ -e /etc/alt/fstab ]; then cat -A /etc/alt/fstab; else echo "<none>"; fi',
    'echo "## mounts"; findmnt -rn -o TARGET,SOURCE,FSTYPE,OPTIONS | grep "^/mnt/" || true',
    'echo "## files"; find /mnt /srv/msrc -printf "%p %y %m %s\\n" | sort',
  ].join('; '));
  return out.split(host).join('<HOST>');
}


/** Problems of one case: everything that differs from Ansible, and --check against tsplay's own run. */
function caseProblems(c: Case, r: CaseRuns): string[] {
  const problems = sideProblems(r);
  for (const [side, list] of [['ansible', r.oa1], ['tsplay', r.ob1]] as const) {
    for (const [i, o] of list.entries()) {
      if (o.failed && !(c.failure ?? /./).test(o.msg)) problems.push(`task ${i + 1} ${side} failure message ${JSON.stringify(o.msg)} does not match ${String(c.failure)}`);
    }
  }
  return problems;
}

if (canHost && noAnsible !== undefined) {
  test('ansible-playbook is installed for the mount module comparison', (t) => t.fail(`missing ${noAnsible} (apt-get install ansible-core)`));
}

if (canHost && noAnsible === undefined) {
  let info: LabInfo | undefined;
  const verdicts: string[] = [];
  let agree = 0;
  let kept = 0;
  const started = Date.now();

  // Ansible's side of every case, from the reference cache when nothing it depends on changed;
  // recorded here otherwise and stored once every case has run (all or nothing, as modules-user).
  let referenceKeyOfRun = '';
  let cachedSide: AnsibleCase[] | undefined;
  const recorded: AnsibleCase[] = [];

  test.before(async () => {
    await labDown(LAB);
    info = await labUp({ name: LAB, hosts: 2 });
    const [ha, hb] = info.hosts.map((h) => h.name);
    referenceKeyOfRun = referenceKey('mount-vs-ansible', { CASES: CASES.map((c) => ({ ...c, failure: String(c.failure) })), GLOBAL_SETUP, RESET, lab: labInputs(info, hb) }, [THIS_FILE, COMPARE_SOURCE, REFERENCE_SOURCE]);
    cachedSide = readReference<AnsibleCase[]>('mount-vs-ansible', referenceKeyOfRun);
    if (!cachedSide) await hostRun(info, ha, 'export DEBIAN_FRONTEND=noninteractive; apt-get -q update >/dev/null && apt-get -q -y install python3 >/dev/null');
    await Promise.all(info.hosts.map((h) => hostRun(info!, h.name, GLOBAL_SETUP)));
    process.env.ANSIBLE_STDOUT_CALLBACK = 'minimal';
  });

  test.after.always('lab down, summary', async () => {
    if (!cachedSide && recorded.length === CASES.length && recorded.every(Boolean)) writeReference('mount-vs-ansible', referenceKeyOfRun, recorded);
    await labDown(LAB);
    if (cachedSide) console.log(`Ansible's side read from the reference cache (${referenceKeyOfRun})`);
    console.log(`\n${verdicts.join('\n')}\n${agree} of ${CASES.length} mount cases agree with Ansible (fstab bytes, findmnt, changed/failed per task, rerun, --check), ${kept} differ on purpose (docs/modules/mount.md), in ${Math.round((Date.now() - started) / 1000)} s\n`);
  });

  for (const [index, c] of CASES.entries()) {
    test.serial(`mount: ${c.name}: as ansible.posix.mount`, async (t) => {
      t.timeout(5 * 60_000);
      const lab = info!;
      const prepare = `${RESET}${c.setup ? ` && ${c.setup}` : ''}`;
      const dir = mkdtempSync(join(tmpdir(), 'mnta-'));
      const pb = modulePlaybook('mount', c.tasks, dir);
      const r = await runBothSides(lab, pb, dir, { endState, prepare, cached: cachedSide?.[index], record: (side) => (recorded[index] = side) });
      const { a1, b1, oa1, ob1 } = r;
      const problems = caseProblems(c, r);
      const msgs = [...oa1.entries()].filter(([, o]) => o.failed).map(([i, o]) => `task ${i + 1} ansible: ${o.msg.trim()}\n    tsplay: ${ob1[i]?.msg.trim() ?? '<none>'}`);
      const same = problems.length === 0;
      const verdict = `${same ? 'SAME   ' : c.deliberate ? 'KEPT   ' : 'DIFFERS'} ${c.name} (${flagsSummary(r)})`;
      verdicts.push([verdict, ...problems.map((p) => `  ${p}`), ...msgs.map((m) => `  ${m}`)].join('\n'));
      if (same) agree++;
      else if (c.deliberate) kept++;
      t.log(verdicts[verdicts.length - 1]);
      t.is(oa1.length, c.tasks.length, `Ansible ran every task:\n${a1.output.slice(-2000)}`);
      t.is(ob1.length, c.tasks.length, `tsplay ran every task:\n${b1.output.slice(-2000)}`);
      if (c.deliberate) {
        t.true(problems.length > 0 && problems.every((p) => c.deliberate!.some((d) => p.startsWith(d))), `${c.name}: kept difference changed:\n${problems.join('\n')}`);
      } else {
        t.deepEqual(problems, [], `${c.name}:\n${b1.output.slice(-3000)}`);
      }
    });
  }
}

