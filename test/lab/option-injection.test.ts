// Option injection on a real host (issue 8, item 6). Option-like values
// (--reference=/etc/shadow, -R, --help, -x) go to every module argument that
// passes the schema and reaches a command on the host; each task must fail with
// a clear refusal or give a literal result (the value used as a name, a line, a
// link target, a mount source), and nothing else on the host may change:
// /etc/shadow keeps its group, files keep their owners, only the expected paths
// are touched. (Arguments the schema refuses never reach a host; the unit table
// test/unit/engine/load/option-injection.test.ts covers them.) Effects are read over plain ssh.
// Runs whenever this machine can host a lab (root and systemd-nspawn); under CI=true always.

import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp, type LabInfo } from '../../engine/lab/index.js';
import type { HostResultEvent } from '../../engine/report/events.js';
import { labOut, runJson, type CliRun } from '../helpers/lab-cli.js';
import { labGate } from '../helpers/lab-gate.js';

const canHost = labGate('the option injection lab tests');
const LAB = 'bda';
const H = `${LAB}1`;

const EVIL = ['--reference=/etc/shadow', '-R', '--help', '-x'];
const MARKER = '/run/tsplay-injection-marker';

// Owned by someone else than root so that a stray chown --reference or -R shows.
const FIXTURE = [
  'set -e',
  'mkdir -p /srv/inj/d/sub /mnt',
  'printf "a\\n" > /srv/inj/f; printf "keep\\n" > /srv/inj/l; printf "[s]\\nk = v\\n" > /srv/inj/i; printf "x\\n" > /srv/inj/c',
  'printf "m\\n" > /srv/inj/m; chmod 0755 /srv/inj/m; : > /srv/inj/fstab',
  'chown -R daemon:daemon /srv/inj',
  `sleep 1; touch ${MARKER}`,
].join('\n');

/** What must not change: owners, groups and modes of the sensitive files and the fixture. */
const FINGERPRINT = "stat -c '%n %U:%G %a' /etc/shadow /etc/passwd /etc/group /etc/gshadow /etc/sudoers /root /srv/inj/f /srv/inj/c /srv/inj/d /srv/inj/d/sub";

/** Every path changed since the fixture, outside the ones the playbook may change. */
const CHANGED = `find /etc /root /srv /usr /home -xdev -newer ${MARKER} -printf '%p\\n' 2>/dev/null | sort`;

// (not "n": YAML 1.1 reads the key n as false)
const items = EVIL.map((v, n) => `      - { v: ${JSON.stringify(v)}, i: ${n} }`).join('\n');
const task = (name: string, body: string) => `    - name: ${name}\n${body}\n      loop: "{{ evil }}"\n      ignore_errors: true\n`;

const PLAYBOOK = `- hosts: all
  gather_facts: false
  vars:
    evil:
${items}
  tasks:
${[
    task('file owner', '      file: { path: /srv/inj/f, owner: "{{ item.v }}" }'),
    task('file group', '      file: { path: /srv/inj/f, group: "{{ item.v }}" }'),
    task('file recurse owner', '      file: { path: /srv/inj/d, state: directory, recurse: true, owner: "{{ item.v }}" }'),
    task('file recurse group', '      file: { path: /srv/inj/d, state: directory, recurse: true, group: "{{ item.v }}" }'),
    task('copy owner', '      copy: { dest: /srv/inj/c, content: "new\\n", owner: "{{ item.v }}" }'),
    task('copy group', '      copy: { dest: /srv/inj/c, content: "new\\n", group: "{{ item.v }}" }'),
    task('lineinfile owner', '      lineinfile: { path: /srv/inj/l, line: keep, owner: "{{ item.v }}" }'),
    task('ini_file group', '      ini_file: { path: /srv/inj/i, section: s, option: k, value: v, group: "{{ item.v }}" }'),
    task('file mode', '      file: { path: /srv/inj/m, mode: "{{ item.v }}" }'),
    task('apt name', '      apt: { name: "{{ item.v }}" }'),
    task('directory named like an option', '      file: { path: "{{ item.v }}", state: directory }'),
    task('chdir named like an option', '      command: { argv: [pwd], chdir: "{{ item.v }}" }'),
    task('link target', '      file: { path: "/srv/inj/link{{ item.i }}", src: "{{ item.v }}", state: link, force: true }'), // dangling: force, as Ansible
    task('lineinfile line', '      lineinfile: { path: /srv/inj/l, line: "{{ item.v }}" }'),
    task('ini_file section', '      ini_file: { path: /srv/inj/i, section: "{{ item.v }}", option: k, value: v }'),
    task('mount source', '      mount: { path: "/mnt/inj{{ item.i }}", src: "{{ item.v }}", fstype: tmpfs, opts: "size=1m", state: mounted, fstab: /srv/inj/fstab }'),
    task('mount remount options', '      mount: { path: /mnt/inj0, opts: "{{ item.v }}", state: remounted, fstab: /srv/inj/fstab }'),
  ].join('')}`;

let info: LabInfo;
let run: CliRun;
let before: string;
let after: string;
let changed: string[];

const out = (command: string): Promise<string> => labOut(info, H, command);

/** The results of one task, in loop order (one per option-like value). */
function results(name: string): HostResultEvent[] {
  const rs = run.events.filter((e): e is HostResultEvent => e.kind === 'host_result' && e.task === name);
  if (rs.length !== EVIL.length) throw new Error(`task ${name}: ${rs.length} results, expected ${EVIL.length}`);
  return rs;
}

/** Every item of the task failed (ignored) with a message matching `says`. */
function refusedAll(t: import('ava').ExecutionContext, name: string, says: RegExp): void {
  for (const [i, r] of results(name).entries()) {
    t.is(r.status, 'failed', `${name} ${EVIL[i]}: ${r.msg}`);
    t.regex(r.msg ?? '', says, `${name} ${EVIL[i]}`);
  }
}

if (canHost) {
  test.before(async () => {
    await labDown(LAB);
    info = await labUp({ name: LAB, hosts: 1 });
    await out(FIXTURE);
    before = await out(FINGERPRINT);
    const dir = mkdtempSync(join(tmpdir(), 'tsplay-inject-'));
    writeFileSync(join(dir, 'p.yml'), PLAYBOOK);
    run = await runJson([join(dir, 'p.yml'), '-i', info.inventoryPath]);
    after = await out(FINGERPRINT);
    changed = (await out(CHANGED)).split('\n').filter((l) => l !== '');
    console.log(`[option-injection lab] run ${run.ms} ms, exit ${run.code}`);
  });

  test.after.always(async () => {
    if (info && !process.env.KEEP_LAB) await labDown(LAB);
  });

  test.serial('the run ends with every failure ignored', (t) => {
    t.is(run.code, 0, run.stderr + run.stdout.slice(-2000));
  });

  test.serial('/etc/shadow, the account files and the fixture keep their owners, groups and modes', (t) => {
    t.is(after, before);
    t.regex(after, /^\/etc\/shadow root:shadow 640$/m);
    t.regex(after, /^\/srv\/inj\/f daemon:daemon 644$/m);
  });

  test.serial('owner and group that look like options are refused, in every module that sets them', (t) => {
    for (const name of ['file owner', 'file recurse owner', 'copy owner', 'lineinfile owner']) refusedAll(t, name, /owner ".*" is not a valid user name or ID/);
    for (const name of ['file group', 'file recurse group', 'copy group', 'ini_file group']) refusedAll(t, name, /group ".*" is not a valid group name or ID/);
  });

  test.serial('a package name that looks like an option is refused before apt-get runs', (t) => {
    refusedAll(t, 'apt name', /invalid package name/);
  });

  test.serial('a mode that looks like an option is refused, or is the symbolic mode it is', async (t) => {
    const rs = results('file mode');
    for (const [i, r] of rs.entries()) {
      if (EVIL[i] === '-x') {
        // "-x" is chmod's symbolic mode "a-x": 0755 -> 0644, applied as an octal mode.
        t.is(r.status, 'changed', r.msg);
      } else {
        t.is(r.status, 'failed', `${EVIL[i]}: ${r.msg}`);
        t.regex(r.msg ?? '', /mode/i);
      }
    }
    t.is((await out('stat -c %a /srv/inj/m')).trim(), '644');
  });

  test.serial('a relative path and a chdir that look like options are names: the directories exist and pwd is inside them', async (t) => {
    for (const r of results('directory named like an option')) t.is(r.status, 'changed', r.msg);
    for (const [i, r] of results('chdir named like an option').entries()) {
      t.is(r.status, 'changed', `${EVIL[i]}: ${r.msg}`);
      t.is(r.result?.stdout, `/root/${EVIL[i]}`);
    }
    for (const v of EVIL) t.is((await out(`stat -c %F -- '/root/${v}'`)).trim(), 'directory', v);
  });

  test.serial('a link target, a line and an ini section that look like options are written literally', async (t) => {
    for (const [i, r] of results('link target').entries()) {
      t.is(r.status, 'changed', r.msg);
      t.is((await out(`readlink /srv/inj/link${i}`)).trim(), EVIL[i]);
    }
    for (const r of results('lineinfile line')) t.is(r.status, 'changed', r.msg);
    t.deepEqual((await out('cat /srv/inj/l')).split('\n').filter(Boolean), ['keep', ...EVIL]);
    for (const r of results('ini_file section')) t.is(r.status, 'changed', r.msg);
    const ini = await out('cat /srv/inj/i');
    for (const v of EVIL) t.true(ini.includes(`[${v}]\nk = v`), ini);
  });

  test.serial('a mount source that looks like an option is the source; mount options stay options of -o', async (t) => {
    for (const [i, r] of results('mount source').entries()) {
      t.is(r.status, 'changed', `${EVIL[i]}: ${r.msg}`);
      t.is((await out(`findmnt -n -o SOURCE /mnt/inj${i}`)).trim(), EVIL[i]);
    }
    // "remount,-R" is a mount option list: the kernel refuses it or ignores it; nothing else happens.
    for (const [i, r] of results('mount remount options').entries()) {
      t.true(r.status === 'failed' || r.status === 'changed', `${EVIL[i]}: ${r.status} ${r.msg}`);
      if (r.status === 'failed') t.regex(r.msg ?? '', /mount .*remount/);
    }
    t.is((await out('findmnt -n -o FSTYPE /mnt/inj0')).trim(), 'tmpfs');
  });

  test.serial('nothing outside the playbook\'s own paths changed', (t) => {
    const allowed = [/^\/srv\/inj(\/|$)/, /^\/root$/, /^\/root\/(--reference=|-R|--help|-x)/];
    t.deepEqual(changed.filter((p) => !allowed.some((re) => re.test(p))), []);
    // and the files whose owner was attacked were not rewritten
    t.false(changed.includes('/srv/inj/f'));
    t.false(changed.includes('/srv/inj/c'));
  });
}
