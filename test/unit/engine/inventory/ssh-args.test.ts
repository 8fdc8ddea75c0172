// ansible_ssh_common_args / _extra_args / ansible_ssh_args (issue 13): were
// silently ignored, so a site behind a bastion got connections that went
// elsewhere. Now each OpenSSH option is honoured, accepted as making no
// difference to tsplay's client, or refused with the host's name.

import test from 'ava';
import { connectionSettings } from '../../../../engine/inventory/host-vars.js';
import { shellWords, sshArgSettings, sshTimeMs } from '../../../../engine/inventory/ssh-args.js';

test('shellWords: spaces separate, quotes group', (t) => {
  t.deepEqual(shellWords(`-o 'UserKnownHostsFile=/dev/null' -o"ConnectTimeout=5"  -o StrictHostKeyChecking=no`, 'x'), [
    '-o', 'UserKnownHostsFile=/dev/null', '-oConnectTimeout=5', '-o', 'StrictHostKeyChecking=no',
  ]);
  t.throws(() => shellWords(`-o 'x`, 'host "h": v'), { message: /host "h": v: unclosed quote/ });
});

const cases: Array<[string, Record<string, unknown>]> = [
  ['-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null', { hostKeyChecking: 'off', knownHostsFile: '/dev/null' }],
  ['-o StrictHostKeyChecking=accept-new', { hostKeyChecking: 'accept-new' }],
  ['-oStrictHostKeyChecking=yes', { hostKeyChecking: 'strict' }],
  ['-o ConnectTimeout=30', { connectTimeoutMs: 30_000 }],
  ['-o ControlMaster=auto -o ControlPersist=60s -o ServerAliveInterval=30 -C', { controlMaster: true, controlPersistMs: 60_000 }],
  ['-o ControlMaster=no -o ControlPersist=yes -o ControlPath=/tmp/x', { controlMaster: false, controlPersistMs: Infinity }],
  ['-o ControlPersist=1h30m -o ControlPersist=5 -o ControlMaster=autoask', { controlMaster: true, controlPersistMs: 5_400_000 }],
  ['-o ControlPersist=no', { controlPersistMs: 0 }],
];

test('options tsplay honours or that make no difference to it', (t) => {
  for (const [text, want] of cases) {
    if (text.includes('-C')) {
      t.throws(() => sshArgSettings('h', 'ansible_ssh_args', text), { message: /"-C" is not supported/ }, 'a bare flag is not an -o option');
      t.deepEqual(sshArgSettings('h', 'ansible_ssh_args', text.replace(' -C', '')), want);
    } else {
      t.deepEqual(sshArgSettings('h', 'ansible_ssh_common_args', text), want, text);
    }
  }
});

test('a bastion and other options tsplay cannot honour are refused, naming the host, the variable and the option', (t) => {
  for (const [text, msg] of [
    [`-o ProxyCommand="nc -X connect -x proxy:3128 %h %p"`, /host "web1": ansible_ssh_common_args: ProxyCommand "nc -X connect -x proxy:3128 %h %p" is not supported \(not an ssh command/],
    [`-o ProxyCommand="ssh bastion nc %h %p"`, /is not supported \(a command after the host/],
    ['-o LocalCommand=x', /-o LocalCommand=x is not supported/],
    ['-o StrictHostKeyChecking=maybe', /expected yes, no, accept-new or ask/],
    ['-o ControlMaster=sometimes', /-o ControlMaster=sometimes is not supported \(expected yes, no, auto, ask or autoask/],
    ['-o ControlPersist=1x', /-o ControlPersist=1x is not supported \(expected yes, no or a time/],
  ] as const) {
    t.throws(() => sshArgSettings('web1', 'ansible_ssh_common_args', text), { message: msg }, text);
  }
});

test('connectionSettings applies them; without them nothing changes', (t) => {
  const plain = connectionSettings('h', {});
  t.is(plain.hostKeyChecking, 'strict');
  const s = connectionSettings('h', { ansible_ssh_common_args: '-o StrictHostKeyChecking=no', ansible_ssh_extra_args: '-o ConnectTimeout=7' });
  t.is(s.hostKeyChecking, 'off');
  t.is(s.connectTimeoutMs, 7000);
  t.like(connectionSettings('h', { ansible_ssh_common_args: '-o ProxyJump=admin@b:2200', ansible_ssh_private_key_file: '/k' }).jump, { address: 'b', user: 'admin', port: 2200, privateKeyFile: '/k' });
  t.is(connectionSettings('h', { ansible_ssh_common_args: '-o ProxyJump=none' }).jump, undefined);
});

test('options given for every host (--ssh-common-args, ssh_connection settings) apply where the host has none; a host variable wins', (t) => {
  const defaults = { sshArgs: { ansible_ssh_common_args: { text: '-o ConnectTimeout=4', origin: '--ssh-common-args' } } };
  t.is(connectionSettings('h', {}, defaults).connectTimeoutMs, 4000);
  t.is(connectionSettings('h', { ansible_ssh_common_args: '-o ConnectTimeout=9' }, defaults).connectTimeoutMs, 9000);
  // extra args come after common args, as on Ansible's ssh command line: the later variable wins
  const both = { sshArgs: { ...defaults.sshArgs, ansible_ssh_extra_args: { text: '-o ConnectTimeout=6', origin: '--ssh-extra-args' } } };
  t.is(connectionSettings('h', {}, both).connectTimeoutMs, 6000);
  t.throws(() => connectionSettings('h', {}, { sshArgs: { ansible_ssh_extra_args: { text: '-o LocalCommand=x', origin: '--ssh-extra-args' } } }), {
    message: /host "h": --ssh-extra-args: -o LocalCommand=x is not supported/,
  });
});

test('sshTimeMs reads OpenSSH time formats', (t) => {
  const rows: Array<[string, number | undefined]> = [
    ['60', 60_000], ['60s', 60_000], ['10m', 600_000], ['1h30m', 5_400_000], ['2d', 172_800_000], ['1w', 604_800_000],
    ['', undefined], ['1x', undefined], ['m', undefined], ['1.5m', undefined], ['-5', undefined],
  ];
  for (const [text, ms] of rows) t.is(sshTimeMs(text), ms, text);
});

// As OpenSSH under Ansible: ssh_args come first on ssh's command line (default
// `-C -o ControlMaster=auto -o ControlPersist=60s`), ssh takes an option's first value,
// and a connection persists only with ControlMaster on.
test('how long a connection is kept: Ansible\'s default 60 s, what ssh_args say, first value wins', (t) => {
  const rows: Array<[Record<string, string>, number]> = [
    [{}, 60_000],
    [{ ansible_ssh_common_args: '-o ControlPersist=10s' }, 60_000],
    [{ ansible_ssh_common_args: '-o ControlMaster=no' }, 60_000],
    [{ ansible_ssh_args: '-o ControlMaster=auto -o ControlPersist=10s' }, 10_000],
    [{ ansible_ssh_args: '-o ControlPersist=10s' }, 0],
    [{ ansible_ssh_args: '-o ControlMaster=auto' }, 0],
    [{ ansible_ssh_args: '-o ControlMaster=auto', ansible_ssh_extra_args: '-o ControlPersist=2m' }, 120_000],
    [{ ansible_ssh_args: '-o ControlMaster=no', ansible_ssh_common_args: '-o ControlMaster=yes -o ControlPersist=5' }, 0],
    [{ ansible_ssh_args: '-o ControlMaster=yes -o ControlPersist=no' }, 0],
    [{ ansible_ssh_args: '-o ControlMaster=yes -o ControlPersist=yes' }, Infinity],
    [{ ansible_ssh_args: '' }, 0],
    [{ ansible_connection: 'local' }, NaN],
  ];
  for (const [vars, ms] of rows) {
    const got = connectionSettings('h', vars).controlPersistMs;
    if (Number.isNaN(ms)) t.is(got, undefined, JSON.stringify(vars));
    else t.is(got, ms, JSON.stringify(vars));
  }
  const cfg = { sshArgs: { ansible_ssh_args: { text: '-o ControlMaster=auto -o ControlPersist=3s', origin: 'ssh_args (ansible.cfg)' } } };
  t.is(connectionSettings('h', {}, cfg).controlPersistMs, 3000, 'ansible.cfg ssh_args replace the default');
  t.is(connectionSettings('h', { ansible_ssh_args: '-o ControlMaster=no' }, cfg).controlPersistMs, 0, 'the host variable wins over ansible.cfg');
});
