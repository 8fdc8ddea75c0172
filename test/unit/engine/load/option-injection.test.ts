// Option injection (issue 8): a user value that reaches a command must never be
// taken as an option. Every module argument that reaches a command is fed
// option-like values; each is either refused (schema or plan) or arrives where
// the command cannot read it as an option: after `--`, inside another word
// (`nova:--x`), or as a positional parameter of `sh -c SCRIPT NAME ARGS`.
// Commands run by gather() are recorded with a fake host; plan steps are checked
// as planned (write steps: the writer puts owner/group/mode on a command line too).

import test from 'ava';
import type { FileState, HostReader, ModuleDef, RunResult, Step } from '../../../../engine/module-api.js';
import { validateModuleArgs } from '../../../../engine/load/module-args.js';
import { Host } from '../../../../engine/host/host.js';
import { LocalConnection } from '../../../../engine/connection/local-connection.js';
import { loadRegistry } from '../../../../engine/load/registry.js';
import { crontab } from '../../../../engine/facts/crontab.js';
import { file, fileContent } from '../../../../engine/facts/file.js';
import { groups } from '../../../../engine/facts/groups.js';
import { gidHolder, primaryUsers, uidHolder } from '../../../../engine/facts/id-holders.js';
import { mounts } from '../../../../engine/facts/mounts.js';
import { packages } from '../../../../engine/facts/packages.js';
import { services } from '../../../../engine/facts/services.js';
import { users } from '../../../../engine/facts/users.js';
import { debconfSelections } from '../../../../engine/facts/debconf.js';
import { userAccount } from '../../../../engine/facts/user-account.js';
import { pipPackages } from '../../../../engine/facts/pip.js';
import { aptKeys } from '../../../../engine/facts/apt-keys.js';
import { gitCheckout } from '../../../../engine/facts/git-checkout.js';
import { row, tableReader } from '../facts/table-reader.js';

const registry = await loadRegistry();

const EVIL = ['--reference=/etc/shadow', '-R', '--help', '-x'];

const FACTS = {
  hostname: 'h', os_id: 'debian', os_version: '12', architecture: 'x86_64', service_mgr: 'systemd', kvm: false, virtualization_hints: [],
} as const;

/** A host where everything exists, so plans get as far as building commands; records every argv. */
function recordingHost(record: string[][], opts: { type?: FileState['type']; mounted?: string } = {}): HostReader {
  const fileWith = (path: string): FileState => ({
    path, exists: true, type: opts.type ?? 'file', mode: '0600', uid: 5, gid: 5, owner: 'other', group: 'other', size: 4, content: Buffer.from('a=1\n[s]\nk=v\n'),
  });
  const stat = (path: string): FileState => {
    const { content: _c, ...st } = fileWith(path);
    return st;
  };
  const answer = (argv: string[]): RunResult => {
    record.push(argv);
    if (argv[0] === 'getent') return { rc: 0, stdout: argv[1] === 'group' ? 'g5:x:5:\n' : 'u5:x:5:5::/home/u5:/bin/sh\n', stderr: '' };
    if (argv[0] === 'find') return { rc: 0, stdout: '5 5 644 /srv/a\0', stderr: '' };
    if (argv[0] === 'bash' && argv[3] === 'wait_for') return { rc: 0, stdout: 'ok 10\n', stderr: '' };
    if (argv.includes('policy')) return { rc: 0, stdout: '', stderr: '' };
    if (argv.includes('ls-remote')) return { rc: 0, stdout: `ref: refs/heads/main\tHEAD\n${'2'.repeat(40)}\tHEAD\n${'2'.repeat(40)}\trefs/heads/main\n${'d'.repeat(40)}\trefs/heads/dev\n`, stderr: '' };
    return { rc: 0, stdout: '0\n', stderr: '' };
  };
  // Fact reads are answered from a table (their commands are the host layer's: see the last test).
  return tableReader(
    [
      row(file, (p) => (p.includes('absent') ? { path: p, exists: false } : stat(p))),
      row(fileContent, (p) => fileWith(p)),
      row(packages, (name) => ({ name, installed: false })),
      row(users, (name) => ({ name, exists: true, uid: 1000, gid: 1000 })),
      row(groups, (name) => ({ name, exists: true, gid: 1000 })),
      row(services, (name) => ({ name, exists: true, active: false, enabled: false })),
      row(mounts, () => (opts.mounted ? [{ path: opts.mounted, src: 'tmpfs', fstype: 'tmpfs', opts: 'rw' }] : [])),
      // nobody holds the requested ids
      row(uidHolder, () => null),
      row(crontab, () => ''),
      row(gidHolder, () => null),
      row(primaryUsers, () => []),
      row(debconfSelections, () => ({ answers: { 'p/q': 'x' }, seen: [] })),
      row(userAccount, (name) => (name.startsWith('absent') ? { name, exists: false } : { name, exists: true, uid: 1000, gid: 1000, comment: '', home: '/home/u', shell: '/bin/bash', password: '!', expires: -1, groups: [] })),
      row(pipPackages, (w) => ({ venvExists: false, ...('venv' in w ? {} : { pip: ['/usr/bin/pip3'] }), installed: {} })),
      row(aptKeys, () => ({ keys: [] })),
      row(gitCheckout, (a) => (a.dest.includes('absent')
        ? { git: '/usr/bin/git', path: '/usr/bin', destExists: false, destNonEmpty: false, gitFile: false, repo: false }
        : { git: '/usr/bin/git', path: '/usr/bin', destExists: true, destNonEmpty: true, gitFile: false, repo: true, before: '1'.repeat(40), localMods: false, remoteUrl: 'file:///srv/old.git', head: 'ref: refs/heads/main', branches: ['* main'], gitmodules: false })),
    ],
    { name: 'h', facts: FACTS as never, run: answer },
  );
}

/**
 * Where `value` sits in `argv` so that the command could read it as an option
 * (undefined: nowhere). Words the module itself puts there (the same word at the
 * same place in the same command planned with ordinary values, e.g. chown's own -R)
 * are not the value.
 */
function optionUse(argv: readonly string[], value: string, own: readonly string[][] = []): string | undefined {
  // sh -c SCRIPT NAME ARGS...: the arguments are positional parameters; the script quotes them.
  const shellPositional = (argv[0] === 'sh' || argv[0] === 'bash' || argv[0].startsWith('/')) && argv[1] === '-c' ? 3 : Infinity;
  const endOfOptions = argv.indexOf('--');
  for (let i = 1; i < argv.length; i++) {
    if (!argv[i].includes(value) || !argv[i].startsWith('-')) continue;
    if (i >= shellPositional) continue;
    if (endOfOptions !== -1 && i > endOfOptions) continue;
    if (own.some((b) => b[0] === argv[0] && b[i] === argv[i])) continue;
    return `argv[${i}] of ${JSON.stringify(argv)}`;
  }
  return undefined;
}

function stepUses(step: Step, value: string, own: readonly string[][] = []): string | undefined {
  if (step.kind === 'run') {
    if (step.cwd !== undefined) {
      // The host layer turns cwd into `cd DIR && ...`: DIR must not read as an option of cd.
      const text = new Host(new LocalConnection(), { name: 'h' }).commandText(step.argv, { cwd: step.cwd });
      const dir = /^cd (?:-- )?('?)([^ ']*)/.exec(text)?.[2] ?? '';
      if (dir.startsWith('-')) return `cwd: ${text}`;
    }
    return optionUse(step.argv, value, own);
  }
  for (const k of ['owner', 'group', 'mode'] as const) {
    const v = step[k];
    if (typeof v === 'string' && v.startsWith('-') && v.includes(value)) return `write step ${k} ${JSON.stringify(v)} (chown/chgrp/chmod of the temp file)`;
  }
  return undefined;
}

interface Case {
  module: string;
  /** The arguments around the injected one. */
  base: Record<string, unknown>;
  /** Arguments that receive the value (each on its own). */
  inject: string[];
  host?: { type?: FileState['type']; mounted?: string };
  facts?: Record<string, unknown>;
  /** Build the injected value from the option-like one (e.g. a list for apt). */
  shape?: (v: string) => unknown;
}

const cases: Case[] = [
  { module: 'file', base: { path: '/srv/f', state: 'file', owner: 'root', group: 'root', mode: '0644' }, inject: ['path', 'owner', 'group', 'mode'] },
  { module: 'file', base: { path: '/srv/d', state: 'directory', owner: 'root', group: 'root', mode: 'u=rwx' }, inject: ['path', 'owner', 'group', 'mode'], host: { type: 'directory' } },
  { module: 'file', base: { path: '/srv/d', state: 'directory', recurse: true, owner: 'root', group: 'root', mode: 'u+rwX' }, inject: ['path', 'owner', 'group', 'mode'], host: { type: 'directory' } },
  { module: 'file', base: { path: '/srv/t', state: 'touch', owner: 'root' }, inject: ['path', 'owner', 'group', 'mode'] },
  { module: 'file', base: { path: '/srv/l', state: 'link', src: '/srv/t', force: true }, inject: ['path', 'src', 'owner', 'group'] },
  { module: 'file', base: { path: '/srv/gone', state: 'absent' }, inject: ['path'] },
  { module: 'copy', base: { dest: '/srv/c', content: 'x', owner: 'root', group: 'root', mode: '0644' }, inject: ['dest', 'owner', 'group', 'mode'] },
  // Same content: only chown/chgrp/chmod steps.
  { module: 'copy', base: { dest: '/srv/c', content: 'a=1\n[s]\nk=v\n', owner: 'root', group: 'root', mode: '0644' }, inject: ['owner', 'group', 'mode'] },
  { module: 'template', base: { src: 't.j2', dest: '/srv/t', owner: 'root', group: 'root', mode: '0644' }, inject: ['dest', 'owner', 'group', 'mode'] },
  { module: 'lineinfile', base: { path: '/srv/l', line: 'b=2', owner: 'root', group: 'root', mode: '0644' }, inject: ['path', 'owner', 'group', 'mode', 'line', 'regexp'] },
  { module: 'replace', base: { path: '/srv/l', regexp: 'b', replace: 'c', owner: 'root', group: 'root', mode: '0644' }, inject: ['path', 'owner', 'group', 'mode', 'regexp', 'replace'] },
  { module: 'blockinfile', base: { path: '/srv/l', block: 'b=2', create: true, owner: 'root', group: 'root', mode: '0644' }, inject: ['path', 'owner', 'group', 'mode', 'block', 'marker'] },
  { module: 'cron', base: { name: 'a', user: 'nova', job: 'true' }, inject: ['name', 'user', 'job'] },
  { module: 'cron', base: { name: 'a', user: 'root', job: 'true', cron_file: '/srv/cron' }, inject: ['name', 'user', 'job', 'cron_file'] },
  { module: 'sysctl', base: { name: 'net.ipv4.ip_forward', value: '1', sysctl_set: true, sysctl_file: '/srv/s.conf' }, inject: ['name', 'value', 'sysctl_file'] },
  { module: 'ini_file', base: { path: '/srv/i', section: 's', option: 'k', value: 'w', owner: 'root', group: 'root', mode: '0644' }, inject: ['path', 'owner', 'group', 'mode', 'section', 'option', 'value'] },
  { module: 'usermod', base: { name: 'nova', uid: 111, group: 'nova' }, inject: ['name', 'uid', 'group'] },
  { module: 'groupmod', base: { name: 'nova', gid: 111 }, inject: ['name', 'gid'] },
  { module: 'chown_find', base: { old_uid: 5, new_uid: 111, old_gid: 5, new_gid: 111, paths: ['/srv'] }, inject: ['old_uid', 'new_uid', 'old_gid', 'new_gid', 'paths', 'log_dir'] },
  { module: 'service', base: { name: 'nova-compute', state: 'started', enabled: true }, inject: ['name'] },
  { module: 'service', base: { name: 'nova-compute', state: 'restarted', enabled: true }, inject: ['name'], facts: { service_mgr: 'sysvinit' } },
  { module: 'service', base: { name: 'nova-compute', state: 'restarted', enabled: true }, inject: ['name'], facts: { service_mgr: 'upstart' } },
  { module: 'apt', base: { name: 'nfs-common', state: 'present', cache_valid_time: 60 }, inject: ['name', 'pkg'] },
  { module: 'apt', base: { name: 'nfs-common', state: 'present' }, inject: ['name'], shape: (v) => ['nfs-common', v] },
  { module: 'apt', base: { name: 'nfs-common', state: 'present' }, inject: ['name'], shape: (v) => `nfs-common=${v}` },
  { module: 'apt', base: { name: 'nfs-common', state: 'latest' }, inject: ['default_release', 'default-release'] },
  { module: 'apt_repository', base: { repo: 'deb http://r.example/d b c', filename: 'r', mode: '0644' }, inject: ['repo', 'filename', 'mode', 'codename'] },
  { module: 'debconf', base: { name: 'p', question: 'p/q', vtype: 'string', value: 'y' }, inject: ['name', 'question', 'value'] },
  { module: 'mount', base: { path: '/mnt/x', src: 'tmpfs', fstype: 'tmpfs', opts: 'size=1m', state: 'mounted' }, inject: ['path', 'src', 'fstype', 'opts', 'fstab', 'dump', 'passno'], host: { type: 'directory' } },
  { module: 'mount', base: { path: '/mnt/x', opts: 'size=2m', state: 'remounted' }, inject: ['path', 'opts', 'fstab'], host: { type: 'directory', mounted: '/mnt/x' } },
  { module: 'mount', base: { path: '/mnt/x', state: 'unmounted' }, inject: ['path'], host: { type: 'directory', mounted: '/mnt/x' } },
  { module: 'getent', base: { database: 'passwd', key: 'nova' }, inject: ['database', 'key'] },
  { module: 'stat', base: { path: '/srv/s' }, inject: ['path'] },
  { module: 'wait_for', base: { port: 22 }, inject: ['host'] },
  { module: 'wait_for', base: { path: '/srv/w' }, inject: ['path'] },
  { module: 'command', base: { argv: ['true'], chdir: '/srv', creates: '/srv/absent', removes: '/srv/y' }, inject: ['chdir', 'creates', 'removes'] },
  { module: 'command', base: { cmd: 'true', chdir: '/srv' }, inject: ['chdir'] },
  { module: 'shell', base: { cmd: 'true', chdir: '/srv', removes: '/srv/*.x' }, inject: ['chdir', 'creates', 'removes', 'executable'] },
  // issue 11's modules
  { module: 'package', base: { name: 'nfs-common', state: 'present' }, inject: ['name'] },
  { module: 'package', base: { name: 'nfs-common', state: 'present' }, inject: ['name'], shape: (v) => ['nfs-common', v] },
  { module: 'systemd', base: { name: 'nova-compute', state: 'started', enabled: true, masked: false }, inject: ['name'] },
  { module: 'systemd_service', base: { name: 'nova-compute', state: 'restarted', daemon_reload: true }, inject: ['name'] },
  { module: 'group', base: { name: 'app', gid: 2001 }, inject: ['name', 'gid'] },
  { module: 'group', base: { name: 'app', state: 'absent' }, inject: ['name'] },
  { module: 'find', base: { paths: ['/srv'], patterns: '*.conf', recurse: true, contains: 'x' }, inject: ['paths', 'patterns', 'excludes', 'contains', 'age', 'size'] },
  { module: 'get_url', base: { url: 'https://example.invalid/a', dest: '/srv/absent-a', owner: 'root', group: 'root', mode: '0644', headers: { A: 'b' } }, inject: ['url', 'dest', 'owner', 'group', 'mode', 'checksum'] },
  { module: 'get_url', base: { url: 'https://example.invalid/a', dest: '/srv/a', owner: 'root', group: 'root', mode: '0644' }, inject: ['owner', 'group', 'mode'] },
  { module: 'unarchive', base: { src: '/srv/a.tgz', dest: '/srv', remote_src: true, creates: '/srv/absent-x' }, inject: ['src', 'dest', 'creates', 'exclude', 'include'], host: { type: 'directory' } },
  { module: 'timezone', base: { name: 'Europe/Paris' }, inject: ['name'] },
  { module: 'locale_gen', base: { name: 'en_US.UTF-8' }, inject: ['name'] },
  // issue 12's small modules
  { module: 'hostname', base: { name: 'web1' }, inject: ['name'] },
  { module: 'authorized_key', base: { user: 'alice', key: 'ssh-rsa AAAAB3 c', path: '/srv/ak/authorized_keys' }, inject: ['user', 'path'] },
  { module: 'fetch', base: { src: '/srv/f', dest: '/tmp/tsplay-injection-fetch', flat: true }, inject: ['src'] },
  { module: 'user', base: { name: 'app', uid: 2001, group: 'g', groups: ['a'], comment: 'c', home: '/srv/h', shell: '/bin/sh', password: 'h', expires: 1 }, inject: ['name', 'group', 'comment', 'home', 'shell', 'password', 'skeleton'] },
  { module: 'user', base: { name: 'absent-user', home: '/srv/absent-p/h', skeleton: '/etc/skel', groups: 'a,b' }, inject: ['name', 'groups', 'home', 'skeleton', 'umask'] },
  { module: 'user', base: { name: 'app', groups: ['a'] }, inject: ['groups'], shape: (v) => ['a', v] },
  { module: 'user', base: { name: 'app', groups: 'a' }, inject: ['groups'], shape: (v) => `a,${v}` },
  { module: 'user', base: { name: 'app', generate_ssh_key: true }, inject: ['ssh_key_file', 'ssh_key_type', 'ssh_key_comment'] },
  { module: 'user', base: { name: 'app', generate_ssh_key: true, ssh_key_file: '/srv/absent-key' }, inject: ['ssh_key_comment'] },
  { module: 'user', base: { name: 'app', state: 'absent', remove: true, force: true }, inject: ['name'] },
  { module: 'pip', base: { name: 'tinya', virtualenv: '/srv/venv', virtualenv_command: 'virtualenv' }, inject: ['name', 'virtualenv', 'chdir', 'version'] },
  { module: 'pip', base: { name: 'tinya', executable: '/usr/bin/pip3' }, inject: ['name', 'chdir', 'version'] },
  { module: 'pip', base: { requirements: '/srv/req.txt', virtualenv: '/srv/venv' }, inject: ['requirements', 'virtualenv'] },
  { module: 'apt_key', base: { id: '0123456789ABCDEF', data: 'k', keyring: '/srv/k.gpg' }, inject: ['id', 'keyring'] },
  { module: 'apt_key', base: { file: '/srv/k.asc', keyring: '/srv/k.gpg' }, inject: ['file', 'keyring'] },
  { module: 'git', base: { repo: '/srv/app.git', dest: '/srv/absent-app', reference: '/srv/ref.git', key_file: '/root/k', umask: '022' }, inject: ['repo', 'name', 'dest', 'version', 'remote', 'reference', 'key_file', 'executable', 'umask'] },
  { module: 'git', base: { repo: '/srv/app.git', dest: '/srv/app', version: 'dev', depth: 1 }, inject: ['repo', 'version', 'remote'] },
];

type Outcome = 'refused by the schema' | 'refused at plan' | 'never an option' | 'host query only';

/** Every argv a module runs for `args`: gather's commands and the plan's run steps; a ModuleError is a refusal. */
async function commandsFor(c: Case, args: Record<string, unknown>): Promise<{ record: string[][]; steps: Step[]; refused?: string }> {
  const def = registry.get(c.module) as ModuleDef;
  const record: string[][] = [];
  const host = recordingHost(record, c.host);
  const ctx = { diff: true, facts: { ...FACTS, ...c.facts } as never, render: (s: string) => s, readLocalFile: async () => Buffer.from('x') };
  try {
    const state: unknown = await def.gather(args, host, ctx);
    const plan = def.plan(args, state, ctx);
    return { record, steps: plan.changed ? plan.steps : [] };
  } catch (e) {
    if ((e as Error).name !== 'ModuleError') throw e;
    return { record, steps: [], refused: (e as Error).message };
  }
}

async function tryValue(c: Case, key: string, value: string): Promise<{ outcome: Outcome; problem?: string; detail?: string }> {
  const def = registry.get(c.module) as ModuleDef;
  const baseArgs = structuredClone(c.base);
  validateModuleArgs(def, baseArgs);
  const base = await commandsFor(c, baseArgs);
  const own = [...base.record, ...base.steps.flatMap((s) => (s.kind === 'run' ? [s.argv] : []))];
  const args: Record<string, unknown> = { ...structuredClone(c.base), [key]: c.shape ? c.shape(value) : value };
  if (key === 'pkg') delete args.name;
  const errors = validateModuleArgs(def, args);
  if (errors.length) return { outcome: 'refused by the schema', detail: errors[0].message };
  const { record, steps, refused } = await commandsFor(c, args);
  for (const argv of record) {
    const use = optionUse(argv, value, own);
    if (use) return { outcome: 'never an option', problem: `gather ran ${use}` };
  }
  for (const s of steps) {
    const use = stepUses(s, value, own);
    if (use) return { outcome: 'never an option', problem: use };
  }
  if (refused !== undefined) return { outcome: 'refused at plan', detail: refused };
  const reached = record.some((a) => a.some((w) => w.includes(value))) || steps.some((s) => JSON.stringify(s).includes(JSON.stringify(value).slice(1, -1)));
  return { outcome: reached ? 'never an option' : 'host query only' };
}

test('no module argument that reaches a command is taken as an option', async (t) => {
  const table: string[] = [];
  const problems: string[] = [];
  for (const c of cases) {
    for (const key of c.inject) {
      const outcomes = new Set<string>();
      for (const value of EVIL) {
        const r = await tryValue(c, key, value);
        outcomes.add(r.outcome);
        if (r.problem) problems.push(`${c.module} ${key}=${JSON.stringify(value)}: ${r.problem}`);
      }
      table.push(`${c.module.padEnd(11)} ${JSON.stringify(c.base).slice(0, 60).padEnd(60)} ${key.padEnd(10)} ${[...outcomes].join(', ')}`);
    }
  }
  t.log('\n' + table.join('\n'));
  t.deepEqual(problems, []);
  t.true(table.length >= 87, `${table.length} module arguments covered`);
});

test('the checker itself finds option use', (t) => {
  t.truthy(optionUse(['chown', '--reference=/etc/shadow', '/srv/f'], '--reference=/etc/shadow'));
  t.truthy(optionUse(['usermod', '-g', '-x', 'nova'], '-x'));
  t.falsy(optionUse(['chown', '-R', '--', 'root', '/srv'], '-R', [['chown', '-R', '--', 'nova', '/srv']]), "chown's own -R");
  t.truthy(optionUse(['chown', '-R', '/srv'], '-R', [['chown', '--', 'nova', '/srv']]));
  t.falsy(optionUse(['chown', '--', '--reference=/etc/shadow', '/srv/f'], '--reference=/etc/shadow'));
  t.falsy(optionUse(['chown', '--', 'nova:-x', '/srv/f'], '-x'));
  t.falsy(optionUse(['sh', '-c', 'find "$1"', 'sh', '-R'], '-R'));
  t.truthy(stepUses({ kind: 'write', path: '/x', content: '', owner: '-R' }, '-R'));
});

test('the host layer\'s queries read option-like names as names', async (t) => {
  // Real commands on this machine, through the same host layer as SSH hosts (read-only queries).
  const host = new Host(new LocalConnection(), { name: 'local' });
  for (const name of EVIL) {
    const st = await host.get(file, name);
    t.false(st.exists, `file ${name}`);
    const f = await host.get(fileContent, name);
    t.false(f.exists, `file_content ${name}`);
    const u = await host.get(users, name);
    t.false(u.exists, `users ${name}`);
    const g = await host.get(groups, name);
    t.false(g.exists, `groups ${name}`);
    const p = await host.get(packages, name);
    t.false(p.installed, `packages ${name}`);
  }
  // initctl and service have no "--": such a name is refused before any command.
  await t.throwsAsync(host.get(services, '-R'), { message: /"-R" is not a service name/ });
  // A relative working directory that looks like an option is a directory, not `cd -P`.
  t.is(host.commandText(['pwd'], { cwd: '-P' }), 'cd ./-P && pwd');
  const r = await host.run(['pwd'], { cwd: '-P' });
  t.not(r.rc, 0);
  t.regex(r.stderr, /-P/);
});
