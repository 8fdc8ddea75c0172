// ansible.cfg and ANSIBLE_* (issue 13): the file found as Ansible finds it, the
// value ranked command line > ANSIBLE_* > file > default, paths relative to the
// file, `tsplay config dump` printing what `ansible-config dump` prints for the
// same settings (compared with the real one on this machine), keys tsplay does
// not act on warned about, keys it cannot honour refused; and a run that finds
// its inventory, remote user and forks in ./ansible.cfg.

import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configConnectionDefaults, dumpConfig, findConfigFile, loadConfig, parseIni } from '../../../../engine/cli/config.js';
import { connectionSettings } from '../../../../engine/inventory/host-vars.js';
import { runCli } from '../../../helpers/cli-capture.js';

const dir = mkdtempSync(join(tmpdir(), 'tsplay-cfg-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const CFG = [
  '# a site ansible.cfg',
  '[defaults]',
  'inventory = hosts.ini,other.yml',
  'remote_user = deploy',
  'forks = 7',
  'roles_path = roles:/srv/roles',
  'host_key_checking = False',
  'timeout = 30',
  'private_key_file = keys/id',
  'retry_files_enabled = False ; inline comment',
  'stdout_callback: yaml',
  '[privilege_escalation]',
  'become = true',
  'become_user = nova',
  '',
].join('\n');
writeFileSync(join(dir, 'ansible.cfg'), CFG);

test('parseIni: key = value and key: value, comment lines, inline " ;" comments, continuation lines; bad lines have their place', (t) => {
  const m = parseIni('[defaults]\n; c\n# c\nforks = 5 ; five\nremote_user: bob\nroles_path = a\n  b\n', 'f.cfg');
  t.is(m.get('defaults.forks')?.value, '5');
  t.is(m.get('defaults.remote_user')?.value, 'bob');
  t.is(m.get('defaults.roles_path')?.value, 'a\nb');
  t.is(m.get('defaults.roles_path')?.line, 6);
  t.throws(() => parseIni('forks = 5\n', 'f.cfg'), { message: /f\.cfg:1:1: a setting before any \[section\]/ });
  t.throws(() => parseIni('[defaults]\nnot a setting\n', 'f.cfg'), { message: /f\.cfg:2:1: not a "key = value" line/ });
});

test('the file Ansible reads: ANSIBLE_CONFIG (a file or a directory), else ./ansible.cfg', (t) => {
  const other = join(dir, 'elsewhere');
  mkdirSync(other, { recursive: true });
  writeFileSync(join(other, 'ansible.cfg'), '[defaults]\nforks = 3\n');
  t.is(findConfigFile({}, dir), join(dir, 'ansible.cfg'));
  t.is(findConfigFile({ ANSIBLE_CONFIG: join(other, 'ansible.cfg') }, dir), join(other, 'ansible.cfg'));
  t.is(findConfigFile({ ANSIBLE_CONFIG: other }, dir), join(other, 'ansible.cfg'));
  t.is(loadConfig({ ANSIBLE_CONFIG: other }, dir).settings.forks.value, 3);
});

test('values: ANSIBLE_* over the file over the default; paths relative to the file; connection defaults from them', (t) => {
  const c = loadConfig({ ANSIBLE_FORKS: '9', ANSIBLE_REMOTE_USER: 'ops' }, dir);
  t.deepEqual(c.settings.forks, { value: 9, origin: 'env: ANSIBLE_FORKS' });
  t.deepEqual(c.settings.remoteUser, { value: 'ops', origin: 'env: ANSIBLE_REMOTE_USER' });
  t.deepEqual(c.settings.inventory.value, [join(dir, 'hosts.ini'), join(dir, 'other.yml')]);
  t.deepEqual(c.settings.rolesPath.value, [join(dir, 'roles'), '/srv/roles']);
  t.is(c.settings.privateKeyFile.value, join(dir, 'keys/id'));
  t.deepEqual(c.settings.strategy, { value: 'linear', origin: 'default' });
  t.deepEqual(configConnectionDefaults(c), {
    remoteUser: 'ops', privateKeyFile: join(dir, 'keys/id'), timeoutSec: 30, become: true, becomeUser: 'nova', hostKeyChecking: false,
  });
  t.deepEqual(c.ignored, [
    `${join(dir, 'ansible.cfg')}:10: [defaults] retry_files_enabled is not used by tsplay`,
    `${join(dir, 'ansible.cfg')}:11: [defaults] stdout_callback is not used by tsplay`,
  ]);
  t.throws(() => loadConfig({ ANSIBLE_FORKS: 'many' }, dir), { message: /ANSIBLE_FORKS: "many" is not a positive whole number/ });
});

test('keys tsplay cannot honour are refused with their place; set to false they ask for nothing and pass', (t) => {
  const d = join(dir, 'refused');
  mkdirSync(d, { recursive: true });
  // (vault_password_file was refused here until tsplay read vaults: test/unit/engine/vault/config.test.ts.)
  writeFileSync(join(d, 'ansible.cfg'), '[defaults]\nask_pass = True\n');
  t.throws(() => loadConfig({}, d), { message: /ansible\.cfg:2: \[defaults\] ask_pass: tsplay authenticates with keys/ });
  // become_ask_pass is honoured now (-K's setting: engine/cli/cli.ts asks on the terminal).
  writeFileSync(join(d, 'ansible.cfg'), '[privilege_escalation]\nbecome_ask_pass = True\n');
  t.like(loadConfig({}, d).settings.becomeAskPass, { value: true, origin: join(d, 'ansible.cfg') });
  t.like(loadConfig({ ANSIBLE_BECOME_ASK_PASS: 'no' }, d).settings.becomeAskPass, { value: false, origin: 'env: ANSIBLE_BECOME_ASK_PASS' });
  writeFileSync(join(d, 'ansible.cfg'), '[privilege_escalation]\nbecome_ask_pass = False\n[defaults]\nbecome_method = doas\n');
  t.notThrows(() => loadConfig({}, d));
  writeFileSync(join(d, 'ansible.cfg'), '[privilege_escalation]\nbecome_method = doas\n');
  t.throws(() => configConnectionDefaults(loadConfig({}, d)), { message: /become_method "doas" .*tsplay becomes with sudo or su only/ });
});

test('config dump --only-changed: the lines ansible-config dump prints for these settings', (t) => {
  const ours = dumpConfig(loadConfig({ ANSIBLE_FORKS: '9' }, dir), true).split('\n').filter((l) => !l.startsWith('#'));
  t.true(ours.includes('DEFAULT_FORKS(env: ANSIBLE_FORKS) = 9'), ours.join('\n'));
  t.true(ours.includes(`DEFAULT_HOST_LIST(${join(dir, 'ansible.cfg')}) = ['${join(dir, 'hosts.ini')}', '${join(dir, 'other.yml')}']`), ours.join('\n'));
  const a = spawnSync('/usr/bin/ansible-config', ['dump', '--only-changed'], { cwd: dir, encoding: 'utf8', env: { ...process.env, ANSIBLE_FORKS: '9', ANSIBLE_NOCOLOR: '1' } });
  if (a.error) return t.fail('ansible-config is missing (apt-get install ansible-core)');
  const theirs = new Set(a.stdout.split('\n'));
  for (const line of ours) t.true(theirs.has(line), `ansible-config dump has no line ${JSON.stringify(line)}:\n${a.stdout}`);
  t.true(theirs.has('RETRY_FILES_ENABLED(' + join(dir, 'ansible.cfg') + ') = False'), 'the key tsplay ignores is one Ansible reads');
});

test('a run without -i: ./ansible.cfg gives the inventory; keys tsplay does not use are warned about', async (t) => {
  const d = join(dir, 'site');
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'ansible.cfg'), '[defaults]\ninventory = hosts.ini\nforks = 2\ngathering = smart\n');
  writeFileSync(join(d, 'hosts.ini'), 'localhost ansible_connection=local\n');
  writeFileSync(join(d, 'pb.yml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: { msg: "{{ ansible_play_hosts | length }}" }\n');
  const { code, out, err } = await runCli(['run', 'pb.yml'], d);
  t.is(code, 0, err);
  t.regex(out, /^localhost +: ok=1 /m);
  t.true(err.includes(`[WARNING]: ${join(d, 'ansible.cfg')}:4: [defaults] gathering is not used by tsplay`), err);
});

test('[ssh_connection] ssh_args / ssh_common_args / ssh_extra_args and their ANSIBLE_* variables: connection defaults, not in the dump', (t) => {
  const d = mkdtempSync(join(dir, 'ssh-'));
  writeFileSync(join(d, 'ansible.cfg'), '[ssh_connection]\nssh_args = -o ControlMaster=auto -o ControlPersist=60s\nssh_common_args = -o StrictHostKeyChecking=no\n');
  const c = loadConfig({ ANSIBLE_SSH_EXTRA_ARGS: '-o ConnectTimeout=3' }, d);
  t.deepEqual(c.ignored, []);
  const defaults = configConnectionDefaults(c);
  t.deepEqual(defaults.sshArgs, {
    ansible_ssh_args: { text: '-o ControlMaster=auto -o ControlPersist=60s', origin: `ssh_args (${join(d, 'ansible.cfg')})` },
    ansible_ssh_common_args: { text: '-o StrictHostKeyChecking=no', origin: `ssh_common_args (${join(d, 'ansible.cfg')})` },
    ansible_ssh_extra_args: { text: '-o ConnectTimeout=3', origin: 'ssh_extra_args (env: ANSIBLE_SSH_EXTRA_ARGS)' },
  });
  const s = connectionSettings('h', {}, defaults);
  t.is(s.hostKeyChecking, 'off');
  t.is(s.connectTimeoutMs, 3000);
  t.false(dumpConfig(c).includes('ssh_'), 'plugin options are not base settings in ansible-config dump');
});
