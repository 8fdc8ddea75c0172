// Become passwords (issue 13) in the host layer, with a recording connection:
// the password goes as the first line of stdin (never in the command text),
// sudo asks it through askpass (-A, printenv), -n is dropped from the flags as
// Ansible's sudo plugin drops it, the command's own stdin follows the line
// untouched, sudo's refusals read as Ansible's messages, a refused password is
// not tried again on that host, and su with a password is refused. The real
// thing runs in test/lab/keys-and-become.test.ts.

import test from 'ava';
import type { Connection, ExecOptions } from '../../../../engine/connection/connection.js';
import { Host, withoutNonInteractive } from '../../../../engine/host/host.js';
import { ModuleError } from '../../../../engine/module-api.js';
import { connectionSettings } from '../../../../engine/inventory/host-vars.js';
import { effectiveSettings } from '../../../../engine/run/connection-settings.js';
import { clearSecrets, redactText } from '../../../../engine/vault/redact.js';
import { becomePasswordFromEnv } from '../../../../engine/cli/cli.js';

interface Sent {
  command: string;
  stdin: string | undefined;
}

function recording(answer: { rc: number; stdout: string; stderr: string }): { conn: Connection; sent: Sent[] } {
  const sent: Sent[] = [];
  const conn: Connection = {
    host: 'r',
    connect: async () => {},
    close: async () => {},
    exec: async (command: string, opts: ExecOptions = {}) => {
      sent.push({ command, stdin: opts.stdin === undefined ? undefined : Buffer.from(opts.stdin).toString('utf8') });
      return { ...answer, stdoutBytes: Buffer.from(answer.stdout) };
    },
  };
  return { conn, sent };
}

const PW = 'p@ss word';

test('withoutNonInteractive: Ansible\'s rewrite of sudo flags when it has a password', (t) => {
  const cases: Array<[string[], string[]]> = [
    [['-n', '-H'], ['-H']],
    [['-H', '-S', '-n'], ['-H', '-S']],
    [['-nH'], ['-H']],
    [['-Hn'], ['-H']],
    [['--non-interactive', '-E'], ['-E']],
    [['--preserve-env=PATH'], ['--preserve-env=PATH']],
    [['-n'], []],
  ];
  for (const [flags, want] of cases) t.deepEqual(withoutNonInteractive(flags), want, flags.join(' '));
});

test('sudo with a password: one stdin line, askpass through printenv, never the password in the command text', async (t) => {
  const { conn, sent } = recording({ rc: 0, stdout: '', stderr: '' });
  const h = new Host(conn, { name: 'r', become: true, loginUser: 'deploy', becomePassword: PW });
  await h.run(['id']);
  await h.writeFile('/tmp/x', 'content\nlines\n');
  for (const s of sent) t.false(s.command.includes(PW), s.command);
  t.true(sent[0].command.startsWith('IFS= read -r __TSPLAY_BECOME_PW || exit 1; SUDO_ASKPASS=$(command -v printenv) || exit 127; export __TSPLAY_BECOME_PW SUDO_ASKPASS; exec sudo -H -A -p __TSPLAY_BECOME_PW -u root -- /bin/sh -c '), sent[0].command);
  t.is(sent[0].stdin, `${PW}\n`);
  // The command's own stdin follows the password line, byte for byte.
  t.is(sent[1].stdin, `${PW}\ncontent\nlines\n`);
});

test('sudo with a password and become_flags: -n removed, the other flags kept', async (t) => {
  const { conn, sent } = recording({ rc: 0, stdout: '', stderr: '' });
  await new Host(conn, { name: 'r', become: true, becomeUser: 'app', loginUser: 'deploy', becomePassword: PW, becomeFlags: ['-nE'] }).run(['id']);
  t.regex(sent[0].command, /exec sudo -E -A -p __TSPLAY_BECOME_PW -u app -- /);
});

test('no become, or the login user is the become user: the password is not sent', async (t) => {
  const { conn, sent } = recording({ rc: 0, stdout: '', stderr: '' });
  await new Host(conn, { name: 'r', become: false, loginUser: 'deploy', becomePassword: PW }).run(['id']);
  await new Host(conn, { name: 'r', become: true, loginUser: 'root', becomePassword: PW }).run(['id']);
  t.deepEqual(sent, [{ command: 'id', stdin: undefined }, { command: 'id', stdin: undefined }]);
});

test('a wrong password: "Incorrect sudo password", and the host does not try it again this run', async (t) => {
  const { conn, sent } = recording({ rc: 1, stdout: '', stderr: 'Sorry, try again.\nSorry, try again.\nsudo: 3 incorrect password attempts\n' });
  const h = new Host(conn, { name: 'wrong1', become: true, loginUser: 'deploy', becomePassword: 'bad' });
  await t.throwsAsync(h.run(['id']), { instanceOf: ModuleError, message: /^wrong1: Incorrect sudo password \(sudo refused the become password for deploy\)/ });
  const again = new Host(conn, { name: 'wrong1', become: true, loginUser: 'deploy', becomePassword: 'bad' });
  await t.throwsAsync(again.run(['id']), { instanceOf: ModuleError, message: /^wrong1: Incorrect sudo password .*not tried again/ });
  t.is(sent.length, 1);
  // Another password for that host is tried.
  await t.throwsAsync(new Host(conn, { name: 'wrong1', become: true, loginUser: 'deploy', becomePassword: 'other' }).run(['id']), { message: /refused the become password/ });
  t.is(sent.length, 2);
});

test('su with a become password: refused, naming why (su reads passwords from a terminal only)', async (t) => {
  const { conn, sent } = recording({ rc: 0, stdout: '', stderr: '' });
  const h = new Host(conn, { name: 'su1', become: true, becomeMethod: 'su', becomeUser: 'app', loginUser: 'deploy', becomePassword: PW });
  await t.throwsAsync(h.run(['id']), { instanceOf: ModuleError, message: /^su1: become_method su with a become password is not supported/ });
  t.is(sent.length, 0);
});

test('become password variables: ansible_become_password > ansible_become_pass > ansible_sudo_pass > -K; a play var beats them; all hidden from output', (t) => {
  clearSecrets();
  t.is(connectionSettings('h', { ansible_become_password: 'aaa1', ansible_become_pass: 'bbb2', ansible_sudo_pass: 'ccc3' }, { becomePassword: 'kkk4' }).becomePassword, 'aaa1');
  t.is(connectionSettings('h', { ansible_become_pass: 'bbb2', ansible_sudo_pass: 'ccc3' }, { becomePassword: 'kkk4' }).becomePassword, 'bbb2');
  t.is(connectionSettings('h', { ansible_sudo_pass: 'ccc3' }, { becomePassword: 'kkk4' }).becomePassword, 'ccc3');
  t.is(connectionSettings('h', {}, { becomePassword: 'kkk4' }).becomePassword, 'kkk4');
  t.is(connectionSettings('h', {}).becomePassword, undefined);
  const base = connectionSettings('h', {}, { becomePassword: 'kkk4' });
  t.is(effectiveSettings(base, undefined, { ansible_become_password: 'play5' }).becomePassword, 'play5');
  t.is(redactText('aaa1 bbb2 ccc3 play5'), '******** ******** ******** ********');
  clearSecrets();
});

test('ANSIBLE_BECOME_PASS, else ANSIBLE_SUDO_PASS: the environment\'s become password (below the variables and -K)', (t) => {
  t.is(becomePasswordFromEnv({ ANSIBLE_BECOME_PASS: 'env1', ANSIBLE_SUDO_PASS: 'env2' }), 'env1');
  t.is(becomePasswordFromEnv({ ANSIBLE_SUDO_PASS: 'env2' }), 'env2');
  t.is(becomePasswordFromEnv({ ANSIBLE_BECOME_PASS: '' }), undefined);
  t.is(becomePasswordFromEnv({}), undefined);
});
