// The OpenSSH client configuration (issue 13): what tsplay takes from a config
// file for a destination must be what OpenSSH's own `ssh -G` resolves from the
// same file (run here for every case: it prints the configuration without
// connecting), for HostName, User, Port, IdentityFile, StrictHostKeyChecking
// and UserKnownHostsFile; then the inventory's variables win over it as they
// win in Ansible (which puts them on ssh's command line), and what tsplay
// cannot follow (ProxyJump, Match exec) is refused with the file and line.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { matchPatternList, readSshConfig, sshConfigReader, sshConfigSettings } from '../../../../engine/connection/ssh-config.js';
import { connectionSettings } from '../../../../engine/inventory/host-vars.js';

const dir = mkdtempSync(join(tmpdir(), 'tsplay-sshcfg-'));
const keyA = join(dir, 'key-a');
const keyB = join(dir, 'key-b');
writeFileSync(keyA, 'x');
writeFileSync(keyB, 'x');
mkdirSync(join(dir, 'conf.d'));
writeFileSync(join(dir, 'conf.d', '10-db.conf'), 'Host db*\n  User dbadmin\n  Port 2201\n');
writeFileSync(join(dir, 'conf.d', '20-ignored.txt'), 'Host *\n  User wrong\n');

writeFileSync(join(dir, 'nine.conf'), `Port 2209\nHost db*\n  IdentityFile ${keyB}\n`);

const config = `# a site's config
Include ${dir}/conf.d/*.conf

Host bastion
  HostName 192.0.2.10
  User jump

Host compute-* !compute-9
  HostName %h.cloud.example
  User ops
  Port 2222
  IdentityFile ${join(dir, 'missing-key')}
  IdentityFile ${keyA}

Host compute-9
  User nine
  StrictHostKeyChecking accept-new
  UserKnownHostsFile ${dir}/kh
  # an Include inside a block applies only where the block does
  Include ${dir}/nine.conf

Match originalhost web1 user deploy
  Port 2022

Match host *.cloud.example
  IdentityFile ${keyB}
  StrictHostKeyChecking no

Host web*
  User www
  Port=2020

Host *
  User fallback
  ConnectTimeout 99
`;
const file = join(dir, 'config');
writeFileSync(file, config);

interface Want {
  address: string;
  user: string;
  port: number;
  key?: string;
  hostKeyChecking?: string;
  knownHostsFile?: string;
}

/** What `ssh -G` resolves: the oracle. */
function openssh(host: string, user?: string): Want {
  const out = execFileSync('ssh', ['-G', '-F', file, ...(user ? ['-l', user] : []), host], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const kv = new Map<string, string[]>();
  for (const line of out.split('\n')) {
    const i = line.indexOf(' ');
    if (i > 0) kv.set(line.slice(0, i), [...(kv.get(line.slice(0, i)) ?? []), line.slice(i + 1)]);
  }
  const key = (kv.get('identityfile') ?? []).map((f) => f.replace(/^~/, homedir())).find((f) => f === keyA || f === keyB);
  const shkc = kv.get('stricthostkeychecking')?.[0];
  const kh = kv.get('userknownhostsfile')?.[0]?.split(' ')[0];
  return {
    address: kv.get('hostname')![0], user: kv.get('user')![0], port: Number(kv.get('port')![0]),
    ...(key ? { key } : {}),
    ...(shkc === 'false' ? { hostKeyChecking: 'off' } : shkc === 'accept-new' ? { hostKeyChecking: 'accept-new' } : {}),
    ...(kh && kh.startsWith(dir) ? { knownHostsFile: kh } : {}),
  };
}

function ours(host: string, user?: string): Want {
  const s = sshConfigSettings(host, readSshConfig(file), { host, user });
  return {
    address: s.address ?? host, user: user ?? s.user ?? userInfo().username, port: s.port ?? 22,
    ...(s.privateKeyFile ? { key: s.privateKeyFile } : {}),
    ...(s.hostKeyChecking && s.hostKeyChecking !== 'strict' ? { hostKeyChecking: s.hostKeyChecking } : {}),
    ...(s.knownHostsFile ? { knownHostsFile: s.knownHostsFile } : {}),
  };
}

const cases: Array<[string, string | undefined]> = [
  ['bastion', undefined], ['compute-1', undefined], ['compute-9', undefined], ['compute-1', 'root'], ['db3', undefined],
  ['web1', undefined], ['web1', 'deploy'], ['web2', 'deploy'], ['other', undefined], ['COMPUTE-2', undefined],
];

test('each destination resolves as `ssh -G` resolves it from the same file', (t) => {
  for (const [host, user] of cases) t.deepEqual(ours(host, user), openssh(host, user), `${host} ${user ?? ''}`);
  // and the figures themselves, so that agreeing on nothing cannot pass
  t.deepEqual(ours('compute-1'), { address: 'compute-1.cloud.example', user: 'ops', port: 2222, key: keyA, hostKeyChecking: 'off' });
  t.like(ours('db3'), { user: 'dbadmin', port: 2201 });
  t.like(ours('web1', 'deploy'), { user: 'deploy', port: 2022 });
  t.like(ours('compute-9'), { user: 'nine', port: 2209, hostKeyChecking: 'accept-new', knownHostsFile: `${dir}/kh` });
  t.false('key' in ours('db3'), 'the Host db* inside compute-9\'s Include does not apply to db3');
});

test('pattern lists: *, ?, ! and commas; case counts for Host, not for Match host', (t) => {
  const table: Array<[string, string, boolean]> = [
    ['web1', 'web*', true], ['web1', 'web?', true], ['web10', 'web?', false], ['web1', 'db*,web*', true],
    ['web1', 'web*,!web1', false], ['Web1', 'web1', false], ['x.example', '*.example', true], ['example', '*.example', false],
  ];
  for (const [name, list, want] of table) t.is(matchPatternList(name, list), want, `${name} ${list}`);
  t.true(matchPatternList('Web1', 'web1', true));
});

test('the inventory wins where Ansible puts its own option on ssh\'s command line; -F in ansible_ssh_common_args names the file', (t) => {
  const read = sshConfigReader();
  const withCfg = { sshConfig: read };
  const plain = connectionSettings('c1', { ansible_host: 'compute-1', ansible_ssh_common_args: `-F ${file}` }, withCfg);
  t.like(plain, { address: 'compute-1.cloud.example', user: 'ops', port: 2222, privateKeyFile: keyA, hostKeyChecking: 'off' });
  const vars = connectionSettings('c1', { ansible_host: 'compute-1', ansible_user: 'admin', ansible_port: 22, ansible_ssh_private_key_file: '/k', ansible_ssh_common_args: `-F ${file}` }, withCfg);
  t.like(vars, { address: 'compute-1.cloud.example', user: 'admin', port: 22, privateKeyFile: '/k' });
  // -u is on ssh's command line too
  t.is(connectionSettings('c1', { ansible_host: 'compute-1', ansible_ssh_common_args: `-F ${file}` }, { ...withCfg, remoteUser: 'cli' }).user, 'cli');
  // a local connection reads no ssh configuration
  t.is(connectionSettings('c1', { ansible_host: 'compute-1', ansible_connection: 'local', ansible_ssh_common_args: `-F ${file}` }, withCfg).address, 'compute-1');
  t.throws(() => connectionSettings('c1', { ansible_ssh_common_args: `-F ${dir}/nope` }, withCfg), { message: /-F .*nope: no such OpenSSH configuration file/ });
});

test('ProxyJump and ProxyCommand "ssh -W %h:%p" name jump hosts; the hop takes its own Host block', (t) => {
  const f = join(dir, 'jumps');
  writeFileSync(f, `Host gw\n  HostName 192.0.2.1\n  User gwuser\n  Port 2200\n  IdentityFile ${keyB}\nHost inner-*\n  ProxyJump gw\nHost old-*\n  ProxyCommand ssh -q -W %h:%p -l admin -p 2201 gw\n`);
  t.deepEqual(sshConfigSettings('x', readSshConfig(f), { host: 'inner-1' }).jump, [{ host: 'gw' }]);
  t.deepEqual(sshConfigSettings('x', readSshConfig(f), { host: 'old-1' }).jump, [{ host: 'gw', user: 'admin', port: 2201 }]);
  const s = connectionSettings('inner', { ansible_host: 'inner-1', ansible_ssh_common_args: `-F ${f}`, ansible_ssh_private_key_file: keyA }, { sshConfig: sshConfigReader() });
  t.like(s, { address: 'inner-1', privateKeyFile: keyA });
  t.like(s.jump, { address: '192.0.2.1', user: 'gwuser', port: 2200, privateKeyFile: keyB });
  t.is(s.jump?.jump, undefined);
  // a chain: the last hop is outermost, each behind the one before
  const chain = connectionSettings('h', { ansible_ssh_common_args: '-J a@one,b@two:2022' });
  t.like(chain.jump, { address: 'two', user: 'b', port: 2022 });
  t.like(chain.jump?.jump, { address: 'one', user: 'a', port: 22 });
});

test('what tsplay cannot follow is refused with the host, file and line; the same keyword set to none passes', (t) => {
  const f = join(dir, 'jump');
  writeFileSync(f, 'Host a\n  RemoteCommand uptime\nHost b\n  RemoteCommand none\nMatch host c exec "test -f /x"\n  User y\nHost d\n  Port nope\nHost e\n  ProxyCommand nc %h %p\n');
  const blocks = readSshConfig(f);
  t.throws(() => sshConfigSettings('inv-a', blocks, { host: 'a' }), { message: `host "inv-a": ${f}:2: remotecommand uptime is not supported (tsplay connects with its own SSH client and cannot honour it; docs/inventory.md "OpenSSH client configuration")` });
  t.notThrows(() => sshConfigSettings('inv-b', blocks, { host: 'b' }));
  t.throws(() => sshConfigSettings('inv-e', blocks, { host: 'e' }), { message: new RegExp(`host "inv-e": ${f}:10: ProxyCommand "nc %h %p" is not supported \\(not an ssh command`) });
  t.throws(() => sshConfigSettings('inv-c', blocks, { host: 'c' }), { message: /Match exec cannot be evaluated by tsplay/ });
  t.throws(() => sshConfigSettings('inv-d', blocks, { host: 'd' }), { message: new RegExp(`host "inv-d": ${f}:8: Port nope is not a port number`) });
});
