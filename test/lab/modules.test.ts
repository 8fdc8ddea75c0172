// Every module on real lab hosts, through the engine (issue 4, "How it is checked"):
//   - per module: --check predicts exactly what the real run then changes, the real
//     run changes, a second run changes nothing, the diff shows the change;
//   - a bad argument fails before anything runs (exit 4, nothing on the host);
//   - a failing command reports its exit code and stderr (exit 2 from the CLI);
//   - chown_find re-owns only the right files (several directories, a symlink
//     pointing outside, a tmpfs below the path, a bind of the peer host's directory);
//   - free text (file names, lines, ini values, file content, template values,
//     command argv and stdin, fstab fields, lookup keys) with quotes, `$()`,
//     backquotes, `;` and newlines arrives byte for byte and runs nothing.
// Effects are checked over plain `ssh` (the lab's key and known_hosts), not
// only through tsplay's report. The modules run in a few batched playbooks (one
// per phase) so that the file stays within a few minutes; assertions stay per module.
// Runs whenever this machine can host a lab (root and systemd-nspawn); under CI=true always.

import test from 'ava';
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { labDown, labUp, type LabInfo } from '../../engine/lab/index.js';
import { loadInventory } from '../../engine/inventory/inventory.js';
import { loadPlaybook } from '../../engine/load/playbook.js';
import { loadRegistry } from '../../engine/load/registry.js';
import { Runner } from '../../engine/run/runner.js';
import type { HostResultEvent, RunEvent } from '../../engine/report/events.js';
import { labOut, labSsh, runCli, type CliRun } from '../helpers/lab-cli.js';
import { labGate } from '../helpers/lab-gate.js';

const canHost = labGate('the module lab tests');
const LAB = 'mods';
const H1 = `${LAB}1`;
const H2 = `${LAB}2`;
const HOSTS = [H1, H2];

// ---------------------------------------------------------------- free text
/** Created by any injected command that runs (it must never exist). */
const PW = '/tmp/tsplay-pwned';
/** One line (no slash: it is also part of file names): quotes, $(), backquotes, ;, a backslash, a variable. */
const Q = `it's "q" $(cd;touch tsplay-pwned1) \`cd;touch tsplay-pwned2\`; cd; touch tsplay-pwned3 \\ $HOME & | >x`;
/** Several lines, each with shell syntax; ends with a newline. */
const NL = `${Q}\nsecond line; $(touch ${PW}4)\n\tthird 'line'\n`;
/** A file name (no slash; an injected command would write in $HOME) with quotes, $(), ; and a newline. */
const FN = `we'ird "$(cd;touch tsplay-pwned5)";\nname`;
/** Mount point and source (fstab and mountinfo escape blanks as \040, newlines as \012). */
const MNT = `/mnt/sp ace'q"$(cd;touch tsplay-pwned6);\nx`;
const MSRC = `tsplay'src"$(touch ${PW}7);y`;
/** A lookup key (getent refuses blanks in keys). */
const KEY = `k'"$(cd;touch\${IFS}tsplay-pwned10);\`id\`;x`;
/** ini section and option names. */
const SEC = `s'ec "$(touch ${PW}8)";x`;
const OPT = `o;pt$(touch ${PW}9)`;

const y = (s: string): string => JSON.stringify(s); // a JSON string is a YAML double-quoted scalar
/** Single-quote for the remote login shell (the test's own quoting, independent of engine/host/shell.ts). */
const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

// ---------------------------------------------------------------- lab access
let info: LabInfo;

/** One command on a lab host through the plain OpenSSH client. */
const ssh = (host: string, command: string) => labSsh(info, host, command);

const out = (host: string, command: string): Promise<string> => labOut(info, host, command);

/** The exact bytes of a file on a host. */
async function fileBytes(host: string, path: string): Promise<string> {
  return Buffer.from((await out(host, `base64 -w0 -- ${sq(path)}`)).trim(), 'base64').toString('utf8');
}

// ---------------------------------------------------------------- running playbooks
interface Run {
  code: number;
  events: RunEvent[];
  ms: number;
}

function writeDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-modlab-'));
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  return dir;
}

/** In-process run of a playbook against the lab (the runner's own events, as `--output json` prints them). */
async function run(files: Record<string, string>, opts: { check?: boolean; diff?: boolean } = {}): Promise<Run> {
  const t0 = Date.now();
  const dir = writeDir(files);
  const inventory = await loadInventory([info.inventoryPath]);
  const registry = await loadRegistry();
  const pb = await loadPlaybook(join(dir, 'playbook.yml'), registry);
  const events: RunEvent[] = [];
  const runner = new Runner({
    inventory, registry, check: opts.check ?? false, diff: opts.diff ?? true, forks: 5, strategy: 'linear',
    tags: [], skipTags: [], extraVars: {}, verbosity: 0, emit: (e) => events.push(e),
  });
  const code = await runner.run([pb]);
  return { code, events, ms: Date.now() - t0 };
}

/** `tsplay run` as a separate process (exit codes and the text reporter). */
function cli(files: Record<string, string>, extra: string[]): Promise<CliRun> {
  return runCli(['run', join(writeDir(files), 'playbook.yml'), '-i', info.inventoryPath, ...extra]);
}

const results = (r: Run, task?: string): HostResultEvent[] =>
  r.events.filter((e): e is HostResultEvent => e.kind === 'host_result' && (task === undefined || e.task === task));

function only(r: Run, host: string, task: string): HostResultEvent {
  const found = results(r, task).filter((e) => e.host === host);
  if (found.length !== 1) throw new Error(`${found.length} results for ${host} / ${task}: ${JSON.stringify(results(r).map((e) => [e.host, e.task, e.status]))}`);
  return found[0];
}

const pairs = (r: Run, status: string, tasks?: string[]): string[] =>
  [...new Set(results(r).filter((e) => e.status === status && (!tasks || tasks.includes(e.task))).map((e) => `${e.host} | ${e.task}`))].sort();

function failures(r: Run): string {
  return results(r)
    .filter((e) => (e.status === 'failed' || e.status === 'unreachable') && !e.ignored)
    .map((e) => `${e.host} ${e.task}: ${e.msg ?? JSON.stringify(e.result)}`)
    .join('\n');
}

// ---------------------------------------------------------------- the cases
interface Case {
  module: string;
  /** Task names (each task's `name:` in the main playbook), in order. */
  tasks: Array<{ name: string; yaml: string }>;
  /** Tasks that change on the first real run (default: all of them). */
  changes?: string[];
  /** command/shell: in --check they are reported skipped ("would run"), not changed. */
  checkSkips?: boolean;
  /** Expected file diffs in the real run's host_result events: task -> path -> [before, after]. */
  diffs?: Record<string, Record<string, [string, string]>>;
  /** Independent checks over ssh after the real run. */
  verify(t: import('ava').ExecutionContext, host: string): Promise<void>;
}

const task = (name: string, body: string) => ({ name, yaml: `    - name: ${y(name)}\n${body.replace(/^/gm, '      ').trimEnd()}\n` });

const LINES_BEFORE = 'a = 1\nb = 2\n';
const INI_BEFORE = '# app\n[main]\nkey = old\nother = 1\n';
const FSTAB_BEFORE_MARK = '# tsplay modules lab fstab\n';
const escFstab = (s: string) => s.replace(/\\/g, '\\134').replace(/ /g, '\\040').replace(/\t/g, '\\011').replace(/\n/g, '\\012');

// issue 11's modules: get_url serves this from a server on the lab bridge; unarchive's controller archive.
const M11_DATA = 'data for get_url\n';
const M11_DATA_SHA256 = 'af36db0dc39183764a6977ff411df5456db693c5689e55aa7366e8fdaf3913e8';
/** A ustar archive of app/a.txt and app/sub/b.txt: ASCII only, so it travels as a string file. */
function m11Tar(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsplay-m11tar-'));
  mkdirSync(join(dir, 'app/sub'), { recursive: true });
  writeFileSync(join(dir, 'app/a.txt'), 'a\n');
  writeFileSync(join(dir, 'app/sub/b.txt'), 'b\n');
  const bytes = execFileSync('tar', ['--format=ustar', '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', '-C', dir, 'app']);
  if (bytes.some((b) => b > 0x7f)) throw new Error('the test archive is not ASCII');
  return bytes.toString('latin1');
}
const M11_TAR = m11Tar();

const cases: Case[] = [
  {
    module: 'apt',
    tasks: [task('apt: install tree', `apt: { name: tree, state: present }`)],
    async verify(t, h) {
      t.is(await out(h, "dpkg-query -W -f='${Status}' tree"), 'install ok installed', h);
      t.is((await ssh(h, 'tree --version')).rc, 0);
    },
  },
  {
    module: 'lineinfile',
    tasks: [
      task('lineinfile: replace b', `lineinfile:\n  path: /srv/inj/lines.conf\n  regexp: '^b = '\n  line: ${y('b = ' + Q)}`),
      task('lineinfile: new file', `lineinfile:\n  path: ${y('/srv/inj/' + FN + '.conf')}\n  line: ${y(Q)}\n  create: true`),
    ],
    diffs: {
      'lineinfile: replace b': { '/srv/inj/lines.conf': [LINES_BEFORE, `a = 1\nb = ${Q}\n`] },
      'lineinfile: new file': { [`/srv/inj/${FN}.conf`]: ['', `${Q}\n`] },
    },
    async verify(t, h) {
      t.is(await fileBytes(h, '/srv/inj/lines.conf'), `a = 1\nb = ${Q}\n`);
      t.is(await fileBytes(h, `/srv/inj/${FN}.conf`), `${Q}\n`);
    },
  },
  {
    module: 'ini_file',
    tasks: [
      task('ini_file: set key', `ini_file:\n  path: /srv/inj/app.ini\n  section: main\n  option: key\n  value: ${y(Q)}`),
      task('ini_file: new section', `ini_file:\n  path: /srv/inj/app.ini\n  section: ${y(SEC)}\n  option: ${y(OPT)}\n  value: ${y(Q)}`),
    ],
    diffs: { 'ini_file: set key': { '/srv/inj/app.ini': [INI_BEFORE, `# app\n[main]\nkey = ${Q}\nother = 1\n`] } },
    async verify(t, h) {
      const text = await fileBytes(h, '/srv/inj/app.ini');
      t.true(text.startsWith(`# app\n[main]\nkey = ${Q}\nother = 1\n`), JSON.stringify(text));
      const lines = text.split('\n');
      const at = lines.indexOf(`[${SEC}]`);
      t.true(at > 3, `section header written literally: ${JSON.stringify(text)}`);
      t.is(lines[at + 1], `${OPT} = ${Q}`);
    },
  },
  {
    module: 'file',
    tasks: [
      task('file: directory', `file:\n  path: ${y('/srv/inj/' + FN + '.d')}\n  state: directory\n  mode: '0750'\n  owner: nobody`),
      // The target does not exist: a dangling link needs force, as in Ansible (issue 12, divergence 7).
      task('file: link', `file:\n  path: /srv/inj/link\n  src: ${y('../' + FN + '.target')}\n  state: link\n  force: true`),
      task('file: mode', `file:\n  path: /srv/inj/lines.conf\n  mode: u=rw,g=r,o=`),
    ],
    async verify(t, h) {
      t.is((await out(h, `stat -c '%F %a %U' -- ${sq('/srv/inj/' + FN + '.d')}`)).trim(), 'directory 750 nobody');
      t.is(await out(h, 'readlink /srv/inj/link'), `../${FN}.target\n`);
      t.is((await out(h, 'stat -c %a /srv/inj/lines.conf')).trim(), '640');
    },
  },
  {
    module: 'copy',
    tasks: [task('copy: content', `copy:\n  dest: ${y('/srv/inj/' + FN + '.copy')}\n  content: ${y(NL)}\n  mode: '0600'`)],
    diffs: { 'copy: content': { [`/srv/inj/${FN}.copy`]: ['', NL] } },
    async verify(t, h) {
      t.is(await fileBytes(h, `/srv/inj/${FN}.copy`), NL);
      t.is((await out(h, `stat -c '%a %U:%G' -- ${sq('/srv/inj/' + FN + '.copy')}`)).trim(), '600 root:root');
    },
  },
  {
    module: 'template',
    tasks: [task('template: render', `template:\n  src: templates/t.conf.j2\n  dest: /srv/inj/t.conf\n  mode: '0644'`)],
    diffs: { 'template: render': { '/srv/inj/t.conf': ['old\n', `host=HOST\nvalue=${NL}end\n`] } },
    async verify(t, h) {
      t.is(await fileBytes(h, '/srv/inj/t.conf'), `host=${h}\nvalue=${NL}end\n`);
    },
  },
  {
    module: 'mount',
    tasks: [task('mount: tmpfs', `mount:\n  path: ${y(MNT)}\n  src: ${y(MSRC)}\n  fstype: tmpfs\n  opts: size=1m,mode=0755\n  state: mounted`)],
    diffs: {
      'mount: tmpfs': { '/etc/fstab': [FSTAB_BEFORE_MARK, `${FSTAB_BEFORE_MARK}${escFstab(MSRC)} ${escFstab(MNT)} tmpfs size=1m,mode=0755 0 0\n`] },
    },
    async verify(t, h) {
      t.is((await ssh(h, `mountpoint -q -- ${sq(MNT)}`)).rc, 0, `${h}: mounted`);
      t.is((await out(h, `findmnt -n -o FSTYPE --mountpoint ${sq(MNT)}`)).trim(), 'tmpfs');
      t.true((await out(h, 'cat /proc/self/mountinfo')).includes(` ${escFstab(MNT)} `), 'the live mount point is the literal path');
      t.true((await out(h, 'cat /proc/self/mountinfo')).includes(` - tmpfs ${escFstab(MSRC)} `), 'the live source is the literal src');
      t.is(await fileBytes(h, '/etc/fstab'), `${FSTAB_BEFORE_MARK}${escFstab(MSRC)} ${escFstab(MNT)} tmpfs size=1m,mode=0755 0 0\n`);
    },
  },
  {
    module: 'service',
    tasks: [task('service: cron stopped and disabled', `service: { name: cron, state: stopped, enabled: false }`)],
    async verify(t, h) {
      t.is((await ssh(h, 'systemctl is-active cron')).stdout.trim(), 'inactive');
      t.is((await ssh(h, 'systemctl is-enabled cron')).stdout.trim(), 'disabled');
    },
  },
  {
    module: 'groupmod',
    tasks: [task('groupmod: labgrp', `groupmod: { name: labgrp, gid: 3001 }\nregister: grp`)],
    async verify(t, h) {
      t.is((await out(h, 'getent group labgrp')).trim(), 'labgrp:x:3001:');
      t.is((await out(h, 'id -g labuser')).trim(), '3001', 'the primary group followed');
    },
  },
  {
    module: 'usermod',
    tasks: [task('usermod: labuser', `usermod: { name: labuser, uid: 3001 }\nregister: usr`)],
    async verify(t, h) {
      t.is((await out(h, 'id -u labuser')).trim(), '3001');
    },
  },
  {
    module: 'chown_find',
    tasks: [task('chown_find: labuser', `chown_find: { old_uid: 2001, new_uid: 3001, old_gid: 2001, new_gid: 3001, paths: [/srv/own], list_limit: 50 }`)],
    async verify(t, h) {
      const peer = h === H1 ? H2 : H1;
      const st = async (p: string, host = h) => (await out(host, `stat -c '%u:%g %a' -- ${sq(p)}`)).trim();
      t.is(await st('/srv/own/a/f1'), '3001:3001 644');
      t.is(await st('/srv/own/a'), '3001:3001 755', 'a directory itself');
      t.is(await st('/srv/own/b/c/f2'), '3001:0 644', 'old uid only: group kept');
      t.is(await st('/srv/own/b/g'), '0:3001 644', 'old gid only: owner kept');
      t.is(await st('/srv/own/a/suid'), '3001:3001 4755', 'setuid bit restored after chown');
      t.is(await st(`/srv/own/b/${FN}`), '3001:3001 644', 'a file name with shell syntax and a newline');
      t.is(await st('/srv/own/other'), '2002:2002 644', 'other IDs untouched');
      t.is((await out(h, "stat -c '%u:%g' /srv/own/link")).trim(), '3001:3001', 'the symlink itself re-owned');
      t.is(await st('/srv/outside/target'), '2001:2001 644', 'the symlink target outside the path untouched');
      t.is(await st('/srv/outside/dir/f'), '2001:2001 644', 'a directory behind a symlink untouched');
      t.is(await st('/srv/own/tmp/f'), '2001:2001 644', 'a tmpfs mounted below the path untouched (-xdev)');
      t.is(await st('/srv/own/peer/f'), '2001:2001 644', "the bind of the peer's directory untouched");
      t.is(await st('/srv/foreign/f', peer), '2001:2001 644', `${peer}'s own file untouched`);
      t.is(await st('/srv/foreign/f'), '2001:2001 644', 'outside the path untouched');
      // the undo log lists exactly the re-owned paths
      const log = await out(h, 'cat /var/log/tsplay/chown_find-*.log');
      const logged = log.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t')[0]).sort();
      t.deepEqual(logged, ['/srv/own/a', '/srv/own/a/f1', '/srv/own/a/suid', '/srv/own/b/c/f2', '/srv/own/b/g', `/srv/own/b/${FN.replace(/\n/g, '\\n')}`, '/srv/own/link'].sort());
    },
  },
  {
    module: 'command',
    checkSkips: true,
    tasks: [
      task('command: argv and stdin', `command:\n  argv: [tee, ${y('/srv/inj/' + FN + '.cmd')}]\n  stdin: ${y(NL)}\n  stdin_add_newline: false\n  creates: ${y('/srv/inj/' + FN + '.cmd')}`),
      task('command: split string', `command:\n  cmd: ${y(`touch '/srv/inj/cmd ${Q.replace(/'/g, `'\\''`)}' "/srv/inj/dq \\"x\\" \\$(y)"`)}\n  creates: /srv/inj/dq "x" $(y)`),
    ],
    async verify(t, h) {
      t.is(await fileBytes(h, `/srv/inj/${FN}.cmd`), NL);
      t.is((await ssh(h, `test -f ${sq('/srv/inj/cmd ' + Q)}`)).rc, 0, 'a single-quoted word arrives as one literal argument');
      t.is((await ssh(h, `test -f ${sq('/srv/inj/dq "x" $(y)')}`)).rc, 0, 'a double-quoted word keeps $() literal');
    },
  },
  {
    module: 'shell',
    checkSkips: true,
    tasks: [
      task('shell: script', `shell:\n  cmd: ${y(`printf '%s|%s' 'lit $(touch ${PW}s); x' "$(echo sub)" > /srv/inj/shell.out`)}\n  creates: /srv/inj/shell.out`),
      task('shell: stdin', `shell:\n  cmd: cat > /srv/inj/shell-stdin.out\n  stdin: ${y(NL)}\n  stdin_add_newline: false\n  creates: /srv/inj/shell-stdin.out`),
    ],
    async verify(t, h) {
      t.is(await fileBytes(h, '/srv/inj/shell.out'), `lit $(touch ${PW}s); x|sub`, 'the script reaches sh unchanged (sh expands only what it should)');
      t.is(await fileBytes(h, '/srv/inj/shell-stdin.out'), NL);
    },
  },
  {
    module: 'getent',
    changes: [],
    tasks: [
      task('getent: labuser', `getent: { database: passwd, key: labuser }\nregister: ge`),
      task('getent: odd key', `getent:\n  database: group\n  key: ${y(KEY)}\n  fail_key: false`),
    ],
    async verify() {},
  },
  {
    module: 'stat',
    changes: [],
    tasks: [task('stat: odd name', `stat:\n  path: ${y('/srv/inj/' + FN + '.pre')}\nregister: st`)],
    async verify() {},
  },
  {
    module: 'wait_for',
    changes: [],
    tasks: [
      task('wait_for: odd path', `wait_for:\n  path: ${y('/srv/inj/' + FN + '.pre')}\n  timeout: 5`),
      task('wait_for: ssh port', `wait_for: { port: 22, timeout: 5 }`),
    ],
    async verify() {},
  },
  // ---- issue 11's modules
  {
    module: 'package',
    tasks: [task('package: curl', `ansible.builtin.package: { name: curl, state: present }`)],
    async verify(t, h) {
      t.is(await out(h, "dpkg-query -W -f='${Status}' curl"), 'install ok installed', h);
    },
  },
  {
    module: 'systemd',
    tasks: [task('systemd: m11 started and enabled', `ansible.builtin.systemd: { name: m11, state: started, enabled: true, daemon_reload: true }\nregister: sd`)],
    async verify(t, h) {
      t.is((await ssh(h, 'systemctl is-active m11')).stdout.trim(), 'active');
      t.is((await ssh(h, 'systemctl is-enabled m11')).stdout.trim(), 'enabled');
    },
  },
  {
    module: 'systemd_service',
    tasks: [task('systemd_service: m11b masked', `systemd_service: { name: m11b.service, masked: true }`)],
    async verify(t, h) {
      t.is((await ssh(h, 'systemctl is-enabled m11b')).stdout.trim(), 'masked');
    },
  },
  {
    module: 'group',
    tasks: [task('group: m11grp', `group: { name: m11grp, gid: 3101, system: true }`)],
    async verify(t, h) {
      t.is((await out(h, 'getent group m11grp')).trim(), 'm11grp:x:3101:');
    },
  },
  {
    module: 'find',
    changes: [],
    tasks: [task('find: conf files', `find: { paths: /srv/m11/find, patterns: "*.conf", recurse: true }\nregister: found`)],
    async verify() {},
  },
  {
    module: 'get_url',
    tasks: [task('get_url: a file', `get_url:\n  url: "{{ m11_url }}/pkg/data.txt"\n  dest: /srv/m11/data.txt\n  mode: '0640'\n  checksum: "sha256:${M11_DATA_SHA256}"`)],
    async verify(t, h) {
      t.is(await fileBytes(h, '/srv/m11/data.txt'), M11_DATA);
      t.is((await out(h, 'stat -c %a /srv/m11/data.txt')).trim(), '640');
    },
  },
  {
    module: 'unarchive',
    tasks: [
      task('unarchive: controller tar', `unarchive: { src: files/app.tar, dest: /srv/m11/un1, mode: '0750' }`),
      task('unarchive: remote tgz', `unarchive: { src: /srv/m11/app.tgz, dest: /srv/m11/un2, remote_src: true, extra_opts: [--strip-components=1] }`),
    ],
    async verify(t, h) {
      t.is(await fileBytes(h, '/srv/m11/un1/app/sub/b.txt'), 'b\n');
      t.is((await out(h, 'stat -c %a /srv/m11/un1/app /srv/m11/un1/app/a.txt')).trim(), '750\n750');
      t.is(await fileBytes(h, '/srv/m11/un2/r.txt'), 'remote\n');
    },
  },
  {
    module: 'timezone',
    tasks: [task('timezone: Europe/Paris', `community.general.timezone: { name: Europe/Paris }`)],
    async verify(t, h) {
      t.is((await out(h, 'readlink /etc/localtime')).trim(), '/usr/share/zoneinfo/Europe/Paris');
      t.is(await fileBytes(h, '/etc/timezone'), 'Europe/Paris\n');
      t.is((await out(h, 'date +%Z -d 2026-01-15')).trim(), 'CET', 'the C library sees the zone');
    },
  },
  {
    module: 'locale_gen',
    tasks: [task('locale_gen: de_DE.UTF-8', `community.general.locale_gen: { name: de_DE.UTF-8, state: present }`)],
    async verify(t, h) {
      t.regex(await out(h, 'locale -a'), /^de_DE\.utf8$/m);
    },
  },
];

const allTasks = cases.flatMap((c) => c.tasks.map((x) => x.name));

function mainPlaybook(): Record<string, string> {
  return {
    'playbook.yml': `- hosts: all\n  vars:\n    v: ${y(NL)}\n    m11_url: ${y(m11Url)}\n  tasks:\n${cases.flatMap((c) => c.tasks.map((x) => x.yaml)).join('')}`,
    'templates/t.conf.j2': 'host={{ inventory_hostname }}\nvalue={{ v }}end\n',
    'files/app.tar': M11_TAR,
  };
}

/** The same starting state on both hosts; peers' directories are bound in afterwards. */
const FIXTURE = [
  'set -e',
  'groupadd -g 2001 labgrp && useradd -M -N -u 2001 -g 2001 -d /nonexistent -s /usr/sbin/nologin labuser',
  'mkdir -p /srv/inj /srv/own/a /srv/own/b/c /srv/own/tmp /srv/own/peer /srv/outside/dir /srv/foreign /var/log/tsplay',
  `printf 'a = 1\\nb = 2\\n' > /srv/inj/lines.conf && chmod 644 /srv/inj/lines.conf`,
  `printf '# app\\n[main]\\nkey = old\\nother = 1\\n' > /srv/inj/app.ini`,
  `printf 'old\\n' > /srv/inj/t.conf`,
  `printf 'pre\\n' > ${sq('/srv/inj/' + FN + '.pre')}`,
  `printf '# tsplay modules lab fstab\\n' > /etc/fstab`,
  'cd /srv/own',
  `touch a/f1 a/suid b/c/f2 b/g other ${sq('b/' + FN)} /srv/outside/target /srv/outside/dir/f /srv/foreign/f`,
  `chmod 644 a/f1 b/c/f2 b/g other ${sq('b/' + FN)} /srv/outside/target /srv/outside/dir/f /srv/foreign/f && chmod 755 a`,
  `chown 2001:2001 a a/f1 a/suid ${sq('b/' + FN)} /srv/outside/target /srv/outside/dir/f /srv/foreign/f && chmod 4755 a/suid`,
  'chown 2001:0 b/c/f2 && chown 0:2001 b/g && chown 2002:2002 other',
  'ln -s /srv/outside/target link && ln -s /srv/outside/dir dirlink && chown -h 2001:2001 link',
  'mount -t tmpfs -o size=1m,mode=0755 labtmp /srv/own/tmp && touch tmp/f && chmod 644 tmp/f && chown 2001:2001 tmp/f',
  'systemctl enable --now cron >/dev/null 2>&1',
  `rm -f ${PW}* /root/tsplay-pwned*`,
  // issue 11's modules: two units (m11b where a package puts its units: mask links over /etc), a tree to find, a remote archive, tzdata and locales
  `printf '[Service]\\nExecStart=/bin/sleep infinity\\n[Install]\\nWantedBy=multi-user.target\\n' > /etc/systemd/system/m11.service`,
  `printf '[Service]\\nExecStart=/bin/sleep infinity\\n' > /lib/systemd/system/m11b.service`,
  'mkdir -p /srv/m11/find/sub /srv/m11/un1 /srv/m11/un2 /srv/m11/src/top && touch /srv/m11/find/a.conf /srv/m11/find/sub/b.conf /srv/m11/find/c.txt',
  `printf 'remote\\n' > /srv/m11/src/top/r.txt && tar czf /srv/m11/app.tgz -C /srv/m11/src top && rm -r /srv/m11/src`,
  'DEBIAN_FRONTEND=noninteractive apt-get install -y -q tzdata locales >/dev/null',
  'ln -sfn /usr/share/zoneinfo/Etc/UTC /etc/localtime && echo Etc/UTC > /etc/timezone',
].join('\n');

// ---------------------------------------------------------------- phases (run once, asserted per module)
let check: Run;
/** Per host: the fingerprint before and after the --check run. */
let checkLeftAlone: Array<[string, string]>;
let afterReal: string[];
/** Everything the module playbook touches: paths with owner, mode, size and mtime; packages, service, mounts, IDs. */
const FINGERPRINT = [
  "find /srv /mnt /etc/fstab /etc/passwd /etc/group /var/log/tsplay -printf '%p %u:%g %m %s %T@ %l\\n' | sort | sha256sum",
  "dpkg-query -W -f='${Status}\\n' tree 2>&1 || true",
  'systemctl is-active cron || true',
  'systemctl is-enabled cron || true',
  "cut -d' ' -f5 /proc/self/mountinfo | sort | sha256sum",
  'id labuser',
  "readlink /etc/localtime; cat /etc/timezone; sha256sum /etc/locale.gen; locale -a | sha256sum",
  "dpkg-query -W -f='${Status}\\n' curl 2>&1 || true",
  'systemctl is-active m11 || true',
  'systemctl is-enabled m11 m11b || true',
].join('; ');
let real: Run;
let second: Run;
let m11Server: Server | undefined;
let m11Url = '';

if (canHost) {
  test.before(async () => {
    await labDown(LAB);
    info = await labUp({ name: LAB, hosts: 2 });
    // get_url's server: on the lab bridge only, never outside the lab
    m11Server = createServer((req, res) => {
      if (req.url === '/pkg/data.txt') res.writeHead(200, { 'content-type': 'text/plain' }).end(M11_DATA);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => m11Server!.listen(0, info.gateway, r));
    m11Url = `http://${info.gateway}:${(m11Server.address() as AddressInfo).port}`;
    await Promise.all(HOSTS.map((h) => out(h, FIXTURE)));
    // a bind of the other host's directory below the walked path (its root is reachable under the lab's peers path)
    await Promise.all(HOSTS.map((h) => out(h, `mount --bind /run/tsplay-lab-peers/${h === H1 ? H2 : H1}/srv/foreign /srv/own/peer`)));
    const files = mainPlaybook();
    const before = await Promise.all(HOSTS.map((h) => out(h, FINGERPRINT)));
    check = await run(files, { check: true });
    checkLeftAlone = (await Promise.all(HOSTS.map((h) => out(h, FINGERPRINT)))).map((after, i) => [before[i], after]);
    real = await run(files);
    afterReal = await Promise.all(HOSTS.map((h) => out(h, FINGERPRINT)));
    second = await run(files);
    console.log(`[modules lab] check ${check.ms} ms, real ${real.ms} ms, second ${second.ms} ms`);
  });

  test.after.always(async () => {
    m11Server?.close();
    if (info && !process.env.KEEP_LAB) await labDown(LAB);
  });

  test.serial('the three runs of the module playbook succeed', (t) => {
    t.is(check.code, 0, `--check failed:\n${failures(check)}`);
    t.is(real.code, 0, `real run failed:\n${failures(real)}`);
    t.is(second.code, 0, `second run failed:\n${failures(second)}`);
    t.deepEqual(pairs(second, 'changed'), [], 'the second run changes nothing');
    for (const r of [check, real, second]) t.is(results(r).filter((e) => e.task !== 'Gathering Facts').length, allTasks.length * HOSTS.length);
  });

  test.serial('--check changed nothing on the hosts', (t) => {
    for (const [i, [before, after]] of checkLeftAlone.entries()) {
      t.is(after, before, HOSTS[i]);
      t.regex(before, /uid=2001\(labuser\)/, 'the fingerprint sees the starting state');
      t.not(afterReal[i], before, 'and it does see what the real run changed');
    }
  });

  for (const c of cases) {
    test.serial(`${c.module}: check predicts the real change, the second run is a no-op, the diff and the host show it`, async (t) => {
      const names = c.tasks.map((x) => x.name);
      const changes = c.changes ?? names;
      const expected = HOSTS.flatMap((h) => changes.map((n) => `${h} | ${n}`)).sort();
      t.deepEqual(pairs(real, 'changed', names), expected, 'the fresh run changes');
      if (c.checkSkips) {
        t.deepEqual(pairs(check, 'changed', names), [], '--check does not run commands');
        t.deepEqual(pairs(check, 'skipped', names), expected);
        for (const e of results(check).filter((x) => names.includes(x.task))) t.regex(e.msg ?? '', /check mode: .* does not exist, so the command would run/s);
      } else {
        t.deepEqual(pairs(check, 'changed', names), pairs(real, 'changed', names), '--check predicted exactly what the real run changed');
      }
      t.deepEqual(pairs(second, 'changed', names), [], 'the second run reports no change');
      for (const n of names) for (const h of HOSTS) t.is(only(second, h, n).status, 'ok', `${h} | ${n}: second run`);
      for (const [name, byPath] of Object.entries(c.diffs ?? {})) {
        for (const h of HOSTS) {
          for (const r of [check, real]) {
            const ev = only(r, h, name);
            for (const [path, [before, after]] of Object.entries(byPath)) {
              const d = (ev.diff ?? []).find((x) => x.path === path);
              t.truthy(d, `${h} | ${name}: a diff for ${path} (${r === check ? 'check' : 'real'})`);
              if (d) {
                t.is(d.before, before.replace(/HOST/g, h));
                t.is(d.after, after.replace(/HOST/g, h));
              }
            }
          }
        }
      }
      await Promise.all(HOSTS.map((h) => c.verify(t, h)));
    });
  }

  test.serial('usermod/groupmod/getent/stat results: the same in --check as in the real run', (t) => {
    for (const h of HOSTS) {
      for (const r of [check, real]) {
        const which = r === check ? 'check' : 'real';
        t.like(only(r, h, 'usermod: labuser').result, { old_uid: 2001, uid: 3001 }, which);
        t.like(only(r, h, 'groupmod: labgrp').result, { old_gid: 2001, gid: 3001 }, which);
        t.like(only(r, h, 'getent: labuser').result, { uid: 3001, gid: 3001 }, `${which}: getent sees the predicted IDs`);
        t.like(only(r, h, 'chown_find: labuser').result, { count: 7 }, which);
      }
      t.like(only(real, h, 'stat: odd name').result, { stat: { exists: true, isreg: true, size: 4, mode: '0644' } });
      t.like(only(second, h, 'chown_find: labuser').result, { count: 0 });
      // read-only modules with odd free text: the key and the path reached the host as given
      for (const r of [check, real]) {
        const facts = (only(r, h, 'getent: odd key').result as { ansible_facts?: { getent_group?: Record<string, unknown> } }).ansible_facts;
        t.deepEqual(facts?.getent_group, { [KEY]: null }, 'a missing key with fail_key: false');
        t.like(only(r, h, 'wait_for: odd path').result, { path: `/srv/inj/${FN}.pre`, state: 'started' });
      }
    }
  });

  test.serial("find and systemd results: Ansible's shapes, the same in --check as in the real run", (t) => {
    for (const h of HOSTS) {
      for (const r of [check, real, second]) {
        const found = only(r, h, 'find: conf files').result as { files: Array<{ path: string; isreg: boolean }>; matched: number; examined: number };
        t.deepEqual(found.files.map((f) => f.path), ['/srv/m11/find/a.conf', '/srv/m11/find/sub/b.conf'], 'the .conf files, in os.walk order');
        t.is(found.matched, 2);
        t.is(found.examined, 4, 'a.conf, c.txt, sub, sub/b.conf');
      }
      for (const r of [check, real]) t.like(only(r, h, 'systemd: m11 started and enabled').result, { name: 'm11', state: 'started', enabled: true });
      const status = (only(real, h, 'systemd: m11 started and enabled').result as { status: Record<string, string> }).status;
      t.is(status.Id, 'm11.service', 'status is the unit\'s systemctl show properties');
      t.is(status.ActiveState, 'inactive', 'read before the change, as Ansible');
    }
  });

  test.serial('no injected command ran anywhere', async (t) => {
    // names a module looks up (package, service, user, group, owner) with shell syntax: refused as unknown, never run
    const inj = (n: number) => `x'"$(cd;touch\${IFS}tsplay-pwned${n});\`id\`;y`;
    const lookups: Array<[string, string]> = [
      ['apt', `apt: { name: ${y(inj(11))} }`],
      ['service', `service: { name: ${y(inj(12))}, state: started }`],
      ['usermod', `usermod: { name: labuser, group: ${y(inj(13))} }`],
      ['groupmod', `groupmod: { name: ${y(inj(14))}, gid: 4444 }`],
      ['chown_find', `chown_find: { old_uid: 3001, new_uid: ${y(inj(15))}, paths: /srv/own }`],
      ['file', `file: { path: /srv/inj/lines.conf, owner: ${y(inj(16))} }`],
    ];
    const pbOf = (list: Array<[string, string]>) => ({ 'playbook.yml': `- hosts: all\n  tasks:\n${list.map(([m, body]) => `    - name: ${m}\n      ignore_errors: true\n      ${body}\n`).join('')}` });
    // some schemas already refuse such a name at load (exit 4); the others must fail on the host
    const registry = await loadRegistry();
    const atRun: Array<[string, string]> = [];
    for (const l of lookups) {
      const e = await loadPlaybook(join(writeDir(pbOf([l])), 'playbook.yml'), registry).then(() => undefined, (err: Error) => err);
      if (e) t.is((e as unknown as { exitCode?: number }).exitCode, 4, `${l[0]}: ${e.message}`);
      else atRun.push(l);
    }
    t.log(`refused at load: ${lookups.filter((l) => !atRun.includes(l)).map((l) => l[0]).join(', ') || 'none'}; on the host: ${atRun.map((l) => l[0]).join(', ')}`);
    const r = await run(pbOf(atRun));
    for (const [m] of atRun) {
      for (const h of HOSTS) {
        const e = only(r, h, m);
        t.is(e.status, 'failed', `${h} ${m}: ${e.msg}`);
        t.true((e.msg ?? '').includes(inj(0).slice(0, 4)) || (e.msg ?? '').includes('tsplay-pwned'), `${h} ${m}: the message names the odd value: ${e.msg}`);
      }
    }
    for (const h of HOSTS) t.is((await out(h, `ls -d ${PW}* /root/tsplay-pwned* 2>/dev/null || true`)).trim(), '', h);
    t.false(existsSync(`${PW}1`) || existsSync(`${PW}5`), 'nor on the controller');
    // and no file was made from a fragment of a name
    const names = (await out(H1, "find /srv/inj -mindepth 1 -maxdepth 1 -printf '%f\\0' | base64 -w0")).trim();
    const listed = Buffer.from(names, 'base64').toString('utf8').split('\0').filter(Boolean).sort();
    t.deepEqual(listed, [
      'app.ini', 'lines.conf', 'link', 'shell-stdin.out', 'shell.out', 't.conf', `cmd ${Q}`, 'dq "x" $(y)',
      `${FN}.conf`, `${FN}.d`, `${FN}.copy`, `${FN}.pre`, `${FN}.cmd`,
    ].sort());
  });
}

// ---------------------------------------------------------------- bad arguments
/** Per module: a literal argument the schema refuses; the message must name it. */
const BAD_ARGS: Array<{ module: string; args: string; names: RegExp }> = [
  { module: 'apt', args: '{ name: sl, state: newest }', names: /state/ },
  { module: 'lineinfile', args: '{ path: /srv/bad/l, line: a, state: presnt }', names: /state/ },
  { module: 'ini_file', args: '{ path: /srv/bad/i, section: s, option: o, value: v, no_extra_spaces: maybe }', names: /no_extra_spaces/ },
  { module: 'file', args: '{ path: /srv/bad/f, state: folder }', names: /state/ },
  { module: 'copy', args: '{ dest: /srv/bad/c, content: x, mode: [1] }', names: /mode/ },
  { module: 'template', args: '{ src: t.j2 }', names: /dest/ },
  { module: 'mount', args: '{ path: /mnt/bad, src: x, fstype: tmpfs, state: mount }', names: /state/ },
  { module: 'service', args: '{ name: cron, state: running }', names: /state/ },
  { module: 'usermod', args: '{ name: labuser, uid: abc }', names: /uid/ },
  { module: 'groupmod', args: '{ name: labgrp }', names: /gid/ },
  { module: 'chown_find', args: '{ old_uid: 3001, new_uid: 4001, paths: /srv/own, follow_links: true }', names: /follow_links/ },
  { module: 'command', args: '{ cmd: "touch /srv/bad/x", stdin_add_newline: sometimes }', names: /stdin_add_newline/ },
  { module: 'shell', args: '{ cmd: "touch /srv/bad/x", chdir: [a] }', names: /chdir/ },
  { module: 'getent', args: '{ database: people }', names: /database/ },
  { module: 'stat', args: '{ follow: true }', names: /path/ },
  { module: 'wait_for', args: '{ port: 70000 }', names: /port/ },
];

/** A playbook whose first task would leave a marker on the hosts, then the bad task. */
const badPlaybook = (module: string, args: string) => ({
  'playbook.yml': `- hosts: all\n  tasks:\n    - copy: { dest: /srv/bad-${module}, content: ran }\n    - ${module}: ${args}\n`,
  't.j2': 'x\n',
});

// ---------------------------------------------------------------- failing commands
/**
 * Per module: a task whose command fails on the host; its message must carry the exit code and stderr,
 * in the step executor's one format ("ARGV exited with rc N: STDERR", engine/run/steps.ts).
 * Atomic writes (ini_file, copy, template, lineinfile) name the failed step instead of the write script's
 * internal code, and a validate command's own rc; usermod replaces rc 8 by the processes it found (documented).
 */
const FAILING: Array<{ module: string; yaml: string; rc: RegExp; stderr: RegExp; after?: (t: import('ava').ExecutionContext, h: string) => Promise<void> }> = [
  { module: 'apt', yaml: 'apt: { name: sl }', rc: /^apt-get install .* exited with rc 100\b/, stderr: /E: Failed to fetch .*sl_.*Could not connect|E: Failed to fetch .*Unable to connect/s,
    async after(t, h) { t.is((await ssh(h, 'dpkg -s sl')).rc, 1, 'sl not installed'); } },
  { module: 'lineinfile', yaml: `lineinfile:\n  path: /srv/inj/lines.conf\n  line: new\n  validate: "sh -c 'echo lineinfile-refused >&2; exit 3' %s"`, rc: /validate exited with rc 3\b/, stderr: /lineinfile-refused/,
    async after(t, h) { t.false((await fileBytes(h, '/srv/inj/lines.conf')).includes('new'), 'the file is left alone'); } },
  { module: 'ini_file', yaml: 'ini_file: { path: /srv/ro/app.ini, section: s, option: o, value: v }', rc: /cannot create a temporary file/, stderr: /mktemp: .*Read-only file system/ },
  { module: 'file', yaml: 'file: { path: /srv/ro/newdir, state: directory }', rc: /^mkdir -p -- \/srv\/ro\/newdir exited with rc 1\b/, stderr: /mkdir: cannot create directory '\/srv\/ro\/newdir': Read-only file system/ },
  { module: 'copy', yaml: `copy:\n  dest: /srv/inj/t.conf\n  content: other\n  validate: "sh -c 'echo copy-refused >&2; exit 4' %s"`, rc: /validate exited with rc 4\b/, stderr: /copy-refused/,
    async after(t, h) { t.is(await fileBytes(h, '/srv/inj/t.conf'), `host=${h}\nvalue=${NL}end\n`, 'the file is left alone'); } },
  { module: 'template', yaml: `template:\n  src: templates/t.conf.j2\n  dest: /srv/inj/t2.conf\n  validate: "sh -c 'echo template-refused >&2; exit 5' %s"`, rc: /validate exited with rc 5\b/, stderr: /template-refused/,
    async after(t, h) { t.is((await ssh(h, 'test -e /srv/inj/t2.conf')).rc, 1, 'no file installed'); } },
  { module: 'mount', yaml: 'mount: { path: /mnt/failing, src: labtmp, fstype: tmpfs, opts: "size=1m,no_such_option", state: mounted }', rc: /^mount -- \/mnt\/failing exited with rc 32\b.*; \/etc\/fstab restored to its previous content$/s, stderr: /mount: \/mnt\/failing: .*bad option/,
    async after(t, h) {
      t.is((await ssh(h, 'test -e /mnt/failing')).rc, 1, 'not mounted: the mount point it made is removed again, as Ansible does');
      t.false((await fileBytes(h, '/etc/fstab')).includes('/mnt/failing'), 'fstab restored');
    } },
  { module: 'service', yaml: 'service: { name: tsplay-fail, state: started }', rc: /^systemctl start -- tsplay-fail exited with rc 1\b/, stderr: /Job for tsplay-fail\.service failed/ },
  { module: 'usermod', yaml: 'usermod: { name: labuser, uid: 4001 }', rc: /the user is running processes/, stderr: /\(\d+ sleep\)/,
    async after(t, h) { t.is((await out(h, 'id -u labuser')).trim(), '3001', 'uid unchanged'); } },
  { module: 'groupmod', yaml: 'groupmod: { name: labgrp, gid: 4001 }', rc: /^groupmod -g 4001 -- labgrp exited with rc 10\b/, stderr: /groupmod: cannot lock \/etc\/group/,
    async after(t, h) { t.is((await out(h, 'getent group labgrp')).trim(), 'labgrp:x:3001:'); } },
  { module: 'chown_find', yaml: 'chown_find: { old_uid: 5001, new_uid: 5002, paths: /srv/ro }', rc: /^chown -h -- 5002 \/srv\/ro\/f exited with rc 1\b/, stderr: /chown: changing ownership of '\/srv\/ro\/f': Read-only file system/,
    async after(t, h) { t.is((await out(h, 'stat -c %u /srv/ro/f')).trim(), '5001'); } },
  { module: 'command', yaml: `command:\n  argv: [sh, -c, "echo command-stderr >&2; exit 7"]`, rc: /exited with rc 7\b/, stderr: /: command-stderr$/ },
  { module: 'shell', yaml: `shell: "echo shell-stderr >&2; exit 9"`, rc: /exited with rc 9\b/, stderr: /: shell-stderr$/ },
];

/** State the failing tasks need: a dead apt proxy, a read-only bind, a unit that fails, a process of labuser, a held group lock. */
const FAIL_FIXTURE = [
  'set -e',
  `echo 'Acquire::http::Proxy "http://127.0.0.1:9/";' > /etc/apt/apt.conf.d/99zz-tsplay-dead-proxy`,
  'apt-get clean',
  'mkdir -p /srv/rosrc /srv/ro && touch /srv/rosrc/f && chown 5001 /srv/rosrc/f && mount --bind /srv/rosrc /srv/ro && mount -o remount,bind,ro /srv/ro',
  `printf '[Service]\\nType=oneshot\\nExecStart=/bin/sh -c "exit 3"\\n' > /etc/systemd/system/tsplay-fail.service && systemctl daemon-reload`,
  'setpriv --reuid=3001 --regid=3001 --clear-groups sleep 600 </dev/null >/dev/null 2>&1 &',
  'echo 1 > /etc/group.lock',
].join('\n');
const FAIL_CLEANUP = 'rm -f /etc/apt/apt.conf.d/99zz-tsplay-dead-proxy /etc/group.lock; pkill -u 3001 sleep || true';

if (canHost) {
  test.serial('a bad argument fails at load, before anything runs (exit 4), naming the argument, for every module', async (t) => {
    const registry = await loadRegistry();
    for (const b of BAD_ARGS) {
      const dir = writeDir(badPlaybook(b.module, b.args));
      const e = await t.throwsAsync(loadPlaybook(join(dir, 'playbook.yml'), registry), undefined, b.module);
      t.is((e as unknown as { exitCode?: number })?.exitCode, 4, `${b.module}: exit code`);
      t.regex(e?.message ?? '', new RegExp(`${b.module}\\b`), `${b.module}: the message names the module`);
      t.regex(e?.message ?? '', b.names, `${b.module}: the message names the argument`);
      t.regex(e?.message ?? '', /playbook\.yml:4:/, `${b.module}: the message points at the task`);
    }
    // an argument only known once rendered fails that task before it does anything (exit 2)
    const templated = await run({ 'playbook.yml': `- hosts: all\n  gather_facts: false\n  vars:\n    st: folder\n  tasks:\n    - file: { path: /srv/bad-templated, state: "{{ st }}" }\n` });
    t.is(templated.code, 2);
    for (const h of HOSTS) t.regex(only(templated, h, 'file').msg ?? '', /state/, `${h}: ${only(templated, h, 'file').msg}`);
    // the command line: exit 4 and nothing ran on either host
    const r = await cli(badPlaybook('service', '{ name: cron, state: running }'), []);
    t.is(r.code, 4, r.stderr);
    t.regex(r.stderr, /service.*state/s);
    for (const h of HOSTS) t.is((await out(h, 'ls -d /srv/bad* 2>/dev/null || true')).trim(), '', `${h}: no task ran`);
  });

  test.serial('--diff text output shows the change as a unified diff', async (t) => {
    const r = await cli({
      'playbook.yml': `- hosts: ${H1}\n  gather_facts: false\n  tasks:\n    - lineinfile: { path: /srv/inj/lines.conf, regexp: '^a = ', line: 'a = diffed' }\n    - copy: { dest: /srv/inj/diff-new.txt, content: "new file\\n" }\n`,
    }, ['--check', '--diff']);
    t.is(r.code, 0, r.stdout + r.stderr);
    t.regex(r.stdout, /^-a = 1$/m);
    t.regex(r.stdout, /^\+a = diffed$/m);
    t.regex(r.stdout, /^\+new file$/m);
    t.regex(r.stdout, /\/srv\/inj\/lines\.conf/);
    t.is(await fileBytes(H1, '/srv/inj/lines.conf'), `a = 1\nb = ${Q}\n`, '--check changed nothing');
    t.is((await ssh(H1, 'test -e /srv/inj/diff-new.txt')).rc, 1);
  });

  test.serial('a failing command reports its exit code and stderr, for every module that runs one', async (t) => {
    await Promise.all(HOSTS.map((h) => out(h, FAIL_FIXTURE)));
    try {
      const tasks = FAILING.map((f) => `    - name: ${y('fail: ' + f.module)}\n      ignore_errors: true\n${f.yaml.replace(/^/gm, '      ')}\n`).join('');
      const r = await run({ ...mainPlaybook(), 'playbook.yml': `- hosts: all\n  gather_facts: true\n  vars:\n    v: x\n  tasks:\n${tasks}` });
      t.is(r.code, 0, 'every failure was ignored');
      for (const f of FAILING) {
        for (const h of HOSTS) {
          const e = only(r, h, `fail: ${f.module}`);
          t.is(e.status, 'failed', `${h} ${f.module}: ${e.msg}`);
          t.true(e.ignored);
          const text = e.msg ?? '';
          t.regex(text, f.rc, `${h} ${f.module}: exit code in ${e.msg}`);
          t.regex(text, f.stderr, `${h} ${f.module}: stderr in ${e.msg}`);
          if (h === H1) t.log(`${f.module}: ${e.msg} (${e.durationMs} ms)`);
        }
        if (f.after) await Promise.all(HOSTS.map((h) => f.after!(t, h)));
      }
      // the command line: exit 2, the rc and stderr in the text output
      const c = await cli({ 'playbook.yml': `- hosts: all\n  gather_facts: false\n  tasks:\n    - command:\n        argv: [sh, -c, "echo cli-stderr >&2; exit 6"]\n` }, []);
      t.is(c.code, 2, c.stdout + c.stderr);
      t.regex(c.stdout + c.stderr, /rc 6|exit code 6/);
      t.regex(c.stdout + c.stderr, /cli-stderr/);
    } finally {
      await Promise.all(HOSTS.map((h) => out(h, FAIL_CLEANUP)));
    }
  });
}
