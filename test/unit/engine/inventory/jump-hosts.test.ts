// Jump host specs (issue 13), as OpenSSH reads ProxyJump and the common
// ProxyCommand "ssh -W %h:%p ..." form.

import test from 'ava';
import { parseProxyCommand, parseProxyJump } from '../../../../engine/inventory/jump-hosts.js';
import { shellWords } from '../../../../engine/inventory/ssh-args.js';

test('ProxyJump: [user@]host[:port], ssh:// URIs, IPv6 in brackets, chains, none', (t) => {
  const table: Array<[string, unknown]> = [
    ['bastion', [{ host: 'bastion' }]],
    ['ops@bastion:2222', [{ host: 'bastion', user: 'ops', port: 2222 }]],
    ['ssh://ops@bastion:2222', [{ host: 'bastion', user: 'ops', port: 2222 }]],
    ['[2001:db8::1]:22', [{ host: '2001:db8::1', port: 22 }]],
    ['a@one,two:2200', [{ host: 'one', user: 'a' }, { host: 'two', port: 2200 }]],
    ['none', []],
  ];
  for (const [text, want] of table) t.deepEqual(parseProxyJump(text, 'x'), want, text);
  t.throws(() => parseProxyJump('a@b@c', 'host "h": v'), { message: /host "h": v: jump host "a@b@c" is not \[user@\]host\[:port\]/ });
  t.throws(() => parseProxyJump('b:99999', 'w'), { message: /99999 is not a port number/ });
});

test('ProxyCommand: the ssh -W %h:%p form and its options; anything else refused', (t) => {
  const words = (s: string) => shellWords(s, 'x');
  t.deepEqual(parseProxyCommand('ssh -W %h:%p bastion', 'x', words), [{ host: 'bastion' }]);
  t.deepEqual(parseProxyCommand('/usr/bin/ssh -q -l ops -p 2201 -i /k -W [%h]:%p gw', 'x', words), [{ host: 'gw', user: 'ops', port: 2201, keyFile: '/k' }]);
  t.deepEqual(parseProxyCommand('ssh -W %h:%p admin@gw:2022', 'x', words), [{ host: 'gw', user: 'admin', port: 2022 }]);
  t.deepEqual(parseProxyCommand('none', 'x', words), []);
  for (const [text, why] of [
    ['nc %h %p', /not an ssh command/],
    ['ssh gw nc %h %p', /no -W %h:%p|a command after the host/],
    ['ssh -W 10.0.0.1:22 gw', /-W 10.0.0.1:22 is not -W %h:%p/],
    ['ssh -o ProxyCommand=x -W %h:%p gw', /option -o/],
  ] as const) {
    t.throws(() => parseProxyCommand(text, 'host "h": v', words), { message: why }, text);
  }
});
