// The user module against Ansible's on real hosts (issue 12): a table of cases
// (create with each option combination; modify uid, group, groups with and
// without append, shell, home with and without move_home; system users;
// password, update_password and password_lock; expires; remove with and
// without `remove`; a user already as wanted; a missing group; ssh keys).
// Each case's tasks run with ansible-playbook on host 1 and with tsplay on host
// 2 (lab `musr`, two fresh hosts from one base, the cases in the same order on
// both, so useradd picks the same IDs). Per case it compares:
//   - changed and failed of every task (first run), and of the rerun (idempotent),
//     from Ansible's minimal callback (one `HOST | STATUS => {result}` per task);
//   - tsplay's --check prediction: the tasks it says would change are the ones its run changes;
//   - the end state: getent passwd, group and shadow of the whole host, and every
//     path under /home and /srv with its type, mode, owner, group (and content
//     hash, except ssh private/public keys, which are random);
//   - the return values Ansible documents (name, state, uid, group, home, shell,
//     comment, groups, system, create_home, append, move_home, password masked,
//     force, remove, ssh_key_file; ssh_fingerprint/ssh_public_key by their form).
// It prints one verdict per case and "N of M cases agree with Ansible".
// Ansible's side of the whole table is kept in the reference cache
// (test/helpers/ansible-reference.ts), keyed by the cases, the lab base, the day
// (shadow's last-change field), Ansible's packages and the harness source. The
// last-change field a case sets is compared as TODAY (see sameDayShadow), so a
// case that runs across midnight does not differ by a day.
// Runs whenever this machine can host a lab (labGate); needs ansible-core.

import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labDown, labUp, type LabInfo } from '../../engine/lab/index.js';
import { ansibleMissing, hostRun, labInputs, PREPARED_PACKAGES, prepareHost } from '../helpers/ansible-compare.js';
import { readReference, referenceKey, writeReference } from '../helpers/ansible-reference.js';
import { labGate } from '../helpers/lab-gate.js';
import { flagsSummary, modulePlaybook, runBothSides, sideProblems, type AnsibleCase, type TaskOutcome } from '../helpers/lab-module-compare.js';

const LAB = 'musr';
const THIS_FILE = fileURLToPath(import.meta.url);
const COMPARE_SOURCE = fileURLToPath(new URL('../helpers/ansible-compare.ts', import.meta.url));
const REFERENCE_SOURCE = fileURLToPath(new URL('../helpers/ansible-reference.ts', import.meta.url));

/** Ansible's side of one case: its first run, the end state after it, its rerun, the end state after that. */
const canHost = labGate('the user module lab tests');
const noAnsible = ansibleMissing();

const HASH1 = `$6$saltsalt$${'a1B2c3D4e5F6g7H8i9J0k.'.repeat(4).slice(0, 86)}`;
const HASH2 = `$6$othersal$${'Zy9Xw8Vu7Ts6Rq5Po4Nm3/'.repeat(4).slice(0, 86)}`;

interface Case {
  name: string;
  /** Shell run on both hosts first (as root). */
  setup?: string;
  /** The user module's arguments, one task each. */
  tasks: Array<Record<string, unknown>>;
}

// Groups every case may use, made on both hosts before the cases.
const GLOBAL_SETUP = 'groupadd -g 3001 ugrp1 && groupadd -g 3002 ugrp2 && groupadd -g 3003 ugrp3 && mkdir -p /srv/uhomes';

const CASES: Case[] = [
  { name: 'create with defaults', tasks: [{ name: 'u1' }] },
  { name: 'create with uid, group, groups, shell, comment, home', tasks: [{ name: 'u2', uid: 2102, group: 'ugrp1', groups: ['ugrp2', 'ugrp3'], shell: '/bin/bash', comment: 'User Two,,,', home: '/srv/uhomes/u2' }] },
  { name: 'system users, with and without a home', tasks: [{ name: 'u3', system: true }, { name: 'u3b', system: true, create_home: false, shell: '/usr/sbin/nologin' }] },
  { name: 'create without a home, then a run that wants one', tasks: [{ name: 'u4', create_home: false }, { name: 'u4' }] },
  { name: "home whose parents do not exist (Ansible's own copy of the skeleton)", tasks: [{ name: 'u5', home: '/srv/deep/nest/u5' }] },
  { name: 'a group named as the user already exists (-N)', setup: 'groupadd u6', tasks: [{ name: 'u6' }] },
  { name: 'modify uid, shell and comment', setup: 'useradd -m u7', tasks: [{ name: 'u7', uid: 2107, shell: '/bin/sh', comment: 'Seven' }] },
  { name: 'groups: append, replace, remove all', setup: 'useradd -m -G ugrp1 u8', tasks: [{ name: 'u8', groups: ['ugrp2'], append: true }, { name: 'u8', groups: ['ugrp2'], append: true }, { name: 'u8', groups: 'ugrp3' }, { name: 'u8', groups: '' }] },
  { name: 'groups as a comma-separated string with blanks', tasks: [{ name: 'u9', groups: 'ugrp1, ugrp2', create_home: false }, { name: 'u9', groups: ['ugrp2', 'ugrp1'] }] },
  { name: 'primary group by name, then by GID', setup: 'useradd -m u10', tasks: [{ name: 'u10', group: 'ugrp2' }, { name: 'u10', group: '3001' }, { name: 'u10', group: 'ugrp1' }] },
  { name: 'new home without move_home (made from the skeleton)', setup: 'useradd -m u11', tasks: [{ name: 'u11', home: '/srv/uhomes/u11' }] },
  { name: 'new home with move_home', setup: 'useradd -m u12 && echo data > /home/u12/file && chown u12: /home/u12/file', tasks: [{ name: 'u12', home: '/srv/uhomes/u12', move_home: true }] },
  { name: 'password, update_password on_create and always', tasks: [{ name: 'u13', password: HASH1 }, { name: 'u13', password: HASH2, update_password: 'on_create' }, { name: 'u13', password: HASH2 }] },
  { name: 'password_lock', tasks: [{ name: 'u14', password: HASH1, password_lock: true }, { name: 'u14', password_lock: false }, { name: 'u14', password_lock: true }, { name: 'u14', password: HASH2, password_lock: true }] },
  { name: 'expires: set, same day, removed', tasks: [{ name: 'u15', expires: 1893456000 }, { name: 'u15', expires: 1893459600 }, { name: 'u15', expires: -1 }] },
  { name: 'remove with its home; an absent user', setup: 'useradd -m u16', tasks: [{ name: 'u16', state: 'absent', remove: true }, { name: 'u16b', state: 'absent' }] },
  { name: 'remove, keeping the home', setup: 'useradd -m u17', tasks: [{ name: 'u17', state: 'absent' }] },
  { name: 'a group that does not exist fails', tasks: [{ name: 'u18', group: 'nosuchgroup' }, { name: 'u18', groups: ['ugrp1', 'nosuchgroup'] }] },
  { name: 'already as wanted', setup: 'useradd -m -s /bin/bash -c Nineteen u19', tasks: [{ name: 'u19', shell: '/bin/bash', comment: 'Nineteen', create_home: true }] },
  { name: 'ssh keys: default rsa, then an ed25519 elsewhere', tasks: [{ name: 'u20', generate_ssh_key: true, ssh_key_comment: 'c20' }, { name: 'u20', generate_ssh_key: true, ssh_key_type: 'ed25519', ssh_key_file: '.ssh/id_ed' }, { name: 'u20', generate_ssh_key: true }] },
  { name: 'uid of another user: non_unique allows it, without it fails', setup: 'useradd -M -u 2121 u21a', tasks: [{ name: 'u21', uid: 2121, non_unique: true, create_home: false }, { name: 'u21c', uid: 2121, create_home: false }] },
  { name: 'aliases user and createhome', tasks: [{ user: 'u22', createhome: false }] },
  { name: 'a task after another on the same user (check mode reads the prediction)', tasks: [{ name: 'u23', shell: '/bin/bash', groups: ['ugrp1'] }, { name: 'u23', shell: '/bin/bash', groups: ['ugrp1'] }, { name: 'u23', state: 'absent', remove: true }, { name: 'u23', state: 'absent' }] },
  { name: 'skeleton', setup: 'mkdir -p /etc/skel24 && echo x > /etc/skel24/.rc24', tasks: [{ name: 'u24', skeleton: '/etc/skel24' }] },
  { name: "a new user's defaults, as --check predicts them (locked empty password, useradd -D's shell)", tasks: [{ name: 'u26', create_home: false }, { name: 'u26', password_lock: true, shell: '/bin/sh' }, { name: 'u26', password_lock: false }] },
  { name: 'remove a user whose own group has another member', setup: 'useradd -m u25 && useradd -M -G u25 u25b', tasks: [{ name: 'u25', state: 'absent', remove: true }] },
];

/** Return values compared as they are. */
const SAME_KEYS = ['name', 'state', 'uid', 'group', 'home', 'shell', 'comment', 'groups', 'system', 'create_home', 'append', 'move_home', 'password', 'force', 'remove', 'ssh_key_file'];

/** The day (days since 1970, UTC) this test file started: shadow's last-change field counts in these. */
const START_DAY = Math.floor(Date.now() / 86_400_000);

/**
 * shadow's last-change field, when a case set it (to its day: START_DAY or later),
 * as TODAY: Ansible's host and tsplay's run a case at nearly the same moment, but
 * a case that runs across midnight (UTC) would otherwise record two days, and that
 * account would differ in every later case's end state.
 */
function sameDayShadow(state: string): string {
  let inShadow = false;
  return state.split('\n').map((line) => {
    if (line.startsWith('## ')) inShadow = line === '## shadow';
    const f = line.split(':');
    if (!inShadow || f.length < 9 || !/^\d+$/.test(f[2]) || Number(f[2]) < START_DAY) return line;
    f[2] = 'TODAY';
    return f.join(':');
  }).join('\n');
}

/** The accounts and the files under /home and /srv, host names normalised. */
async function endState(info: LabInfo, host: string): Promise<string> {
  const out = await hostRun(info, host, [
    'echo "## passwd"; getent passwd',
    'echo "## group"; getent group',
    'echo "## shadow"; getent shadow',
    'echo "## files"; find /home /srv -printf "%p %y %m %u %g\\n" | sort',
    'echo "## content"; find /home /srv -type f ! -name "id_*" -exec md5sum {} + | sort -k2',
    'echo "## keys"; for f in $(find /home /srv -type f -name "id_*" | sort); do echo "$f $(ssh-keygen -l -f "$f" | sed "s/SHA256:[^ ]*/SHA256:X/")"; done',
  ].join('; '));
  return sameDayShadow(out.split(host).join('<HOST>'));
}

function resultDiffs(a: TaskOutcome, b: TaskOutcome): string[] {
  if (a.failed || b.failed) return [];
  const out: string[] = [];
  for (const k of SAME_KEYS) {
    const va = JSON.stringify(a.result[k]);
    const vb = JSON.stringify(b.result[k]);
    if (va !== vb) out.push(`${k}: ansible ${va} tsplay ${vb}`);
  }
  for (const k of ['ssh_fingerprint', 'ssh_public_key']) {
    const form = (v: unknown) => (typeof v === 'string' ? v.replace(/SHA256:\S+/, 'SHA256:X').replace(/ AAAA\S+/, ' AAAA').replace(/musr\d/g, '<HOST>') : JSON.stringify(v));
    if (form(a.result[k]) !== form(b.result[k])) out.push(`${k}: ansible ${JSON.stringify(a.result[k])} tsplay ${JSON.stringify(b.result[k])}`);
  }
  return out;
}


if (canHost && noAnsible !== undefined) {
  test('ansible-playbook is installed for the user module comparison', (t) => t.fail(`missing ${noAnsible} (apt-get install ansible-core)`));
}

if (canHost && noAnsible === undefined) {
  let info: LabInfo | undefined;
  const verdicts: string[] = [];
  let agree = 0;

  // Ansible's side of every case (its runs and end states on host 1), from the reference cache when
  // nothing it depends on changed (test/helpers/ansible-reference.ts); recorded here otherwise and
  // stored once every case has run. All or nothing: a case's outcome depends on the cases before it.
  let referenceKeyOfRun = '';
  let cachedSide: AnsibleCase[] | undefined;
  const recorded: AnsibleCase[] = [];

  test.before(async () => {
    await labDown(LAB);
    info = await labUp({ name: LAB, hosts: 2 , packages: PREPARED_PACKAGES });
    const [ha, hb] = info.hosts.map((h) => h.name);
    referenceKeyOfRun = referenceKey('modules-user', { CASES, GLOBAL_SETUP, HASH1, HASH2, lab: labInputs(info, hb) }, [THIS_FILE, COMPARE_SOURCE, REFERENCE_SOURCE]);
    cachedSide = readReference<AnsibleCase[]>('modules-user', referenceKeyOfRun);
    await Promise.all([hb, ...(cachedSide ? [] : [ha])].map((h) => prepareHost(info!, h)));
    await Promise.all(info.hosts.map((h) => hostRun(info!, h.name, GLOBAL_SETUP)));
    process.env.ANSIBLE_STDOUT_CALLBACK = 'minimal';
  });

  test.after.always('lab down, summary', async () => {
    if (!cachedSide && recorded.length === CASES.length && recorded.every(Boolean)) writeReference('modules-user', referenceKeyOfRun, recorded);
    await labDown(LAB);
    if (cachedSide) console.log(`Ansible's side read from the reference cache (${referenceKeyOfRun})`);
    console.log(`\n${verdicts.join('\n')}\n${agree} of ${CASES.length} cases agree with Ansible (end state, changed/failed per task, rerun, --check, return values)\n`);
  });

  // One after another: both hosts must see the cases in the same order.
  for (const [index, c] of CASES.entries()) {
    test.serial(`user: ${c.name}: as Ansible`, async (t) => {
      t.timeout(10 * 60_000);
      const lab = info!;
      const dir = mkdtempSync(join(tmpdir(), 'musr-'));
      const pb = modulePlaybook('user', c.tasks, dir);
      // Host 1: Ansible (unless its side is cached); host 2 at the same time: tsplay --check, then its run, state, rerun, state.
      const r = await runBothSides(lab, pb, dir, { endState, prepare: c.setup, cached: cachedSide?.[index], record: (side) => (recorded[index] = side) });
      const { a1, b1, oa1, ob1 } = r;
      const problems = sideProblems(r);
      oa1.forEach((o, i) => {
        const d = ob1[i] ? resultDiffs(o, ob1[i]) : ['no tsplay result'];
        if (d.length) problems.push(`task ${i + 1} return values: ${d.join('; ')}`);
      });
      const verdict = `${problems.length ? 'DIFFERS' : 'SAME   '} ${c.name} (${flagsSummary(r)})`;
      verdicts.push(problems.length ? `${verdict}\n  ${problems.join('\n  ')}` : verdict);
      if (!problems.length) agree++;
      t.log(verdict);
      t.is(oa1.length, c.tasks.length, `Ansible ran every task:\n${a1.output.slice(-2000)}`);
      t.deepEqual(problems, [], `${c.name}:\n${b1.output.slice(-3000)}`);
    });
  }
}

