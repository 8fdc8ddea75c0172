// Which scripts the host layer lets a persistent shell run in place (no fork;
// engine/connection/shell-session.ts, "In place"): the engine's own section
// scripts and one plain quoted command, become's sudo or su around them
// included; never a command with a cwd or an environment, a builtin that
// changes the shell, a script with stdin, a become password's reader, or
// shell text given to Host.shell. Recorded at the connection.

import test from 'ava';
import type { Connection, ExecOptions } from '../../../../engine/connection/connection.js';
import { Host } from '../../../../engine/host/host.js';

interface Sent {
  command: string;
  inPlace: boolean;
  stdin: boolean;
}

function recording(): { conn: Connection; sent: Sent[] } {
  const sent: Sent[] = [];
  const conn: Connection = {
    host: 'r',
    connect: async () => {},
    close: async () => {},
    exec: async (command: string, opts: ExecOptions = {}) => {
      sent.push({ command, inPlace: opts.inPlace === true, stdin: opts.stdin !== undefined });
      return { rc: 0, stdout: '', stderr: '', stdoutBytes: Buffer.alloc(0) };
    },
  };
  return { conn, sent };
}

const rows: Array<[string, { become?: boolean; becomeMethod?: 'sudo' | 'su'; becomePassword?: string }, (h: Host) => Promise<unknown>, boolean]> = [
  ['a plain command', {}, (h) => h.run(['id', '-u']), true],
  ['a command through sudo', { become: true }, (h) => h.run(['id', '-u']), true],
  ['a command through su', { become: true, becomeMethod: 'su' }, (h) => h.run(['id', '-u']), true],
  ['a command with a cwd', {}, (h) => h.run(['ls'], { cwd: '/tmp' }), false],
  ['a command with an environment', {}, (h) => h.run(['env'], { env: { A: '1' } }), false],
  ['a builtin that changes the shell (cd)', {}, (h) => h.run(['cd', '/tmp']), false],
  ['a builtin that changes the shell (export)', {}, (h) => h.run(['export', 'A=1']), false],
  ['a bash builtin that changes the shell (printf -v)', {}, (h) => h.run(['printf', '-v', 'X', 'y']), false],
  ['a command with stdin', {}, (h) => h.run(['cat'], { stdin: 'x' }), false],
  ['fact sections', {}, (h) => h.runSections(['true', 'echo x']), true],
  ['fact sections through sudo', { become: true }, (h) => h.runSections(['true']), true],
  ['fact sections with an environment', {}, (h) => h.runSections(['true'], { env: { A: '1' } }), false],
  ['runAll', {}, (h) => h.runAll([['id'], ['cd', '/']]), true],
  ['sudo with a password', { become: true, becomePassword: 'pw' }, (h) => h.run(['id']), false],
  ['a file write', {}, (h) => h.writeFile('/tmp/x', 'content'), false],
  ['shell text', {}, (h) => h.shell('cd /tmp; echo x'), false],
];

for (const [what, opts, call, inPlace] of rows) {
  test(`in place or not: ${what}`, async (t) => {
    const { conn, sent } = recording();
    await call(new Host(conn, { name: 'r', loginUser: 'deploy', ...opts })).catch(() => {});
    t.true(sent.length > 0);
    for (const s of sent) t.is(s.inPlace, inPlace, s.command);
  });
}
