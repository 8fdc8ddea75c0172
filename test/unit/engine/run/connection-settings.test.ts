// The connection a task runs over: keywords against variables
// (effectiveSettings), the shell text become builds for sudo and su with
// become_flags and become_exe, and the runner's connections per (host, user,
// port, connection): opened lazily, reused, closed at the end.
//
// Precedence (variable over keyword, nearest keyword first) is Ansible 2.14's,
// checked against ansible-playbook in connection-keywords-vs-ansible.test.ts;
// become_method/flags/exe follow Ansible's sudo and su become plugins
// (`sudo FLAGS -u USER CMD`, default flags -H -S -n; `su FLAGS USER -c CMD`).

import test from 'ava';
import { userInfo } from 'node:os';
import type { Connection, ConnectionSettings, ExecResult } from '../../../../engine/connection/connection.js';
import { connectionSettings } from '../../../../engine/inventory/host-vars.js';
import { Host } from '../../../../engine/host/host.js';
import { quote } from '../../../../engine/host/shell.js';
import { ModuleError } from '../../../../engine/module-api.js';
import { connectionKey, effectiveSettings } from '../../../../engine/run/connection-settings.js';
import type { ConnectionKeywords } from '../../../../engine/load/connection-keywords.js';
import { LocalConnection } from '../../../../engine/connection/local-connection.js';
import { runPlaybook } from '../../../helpers/run-playbook.js';

const me = userInfo().username;
const base = (vars: Record<string, unknown> = {}): ConnectionSettings => connectionSettings('web1', vars);

type Row = [string, Record<string, unknown>, ConnectionKeywords | undefined, Record<string, unknown>, Partial<ConnectionSettings>];
// [name, inventory vars (the host's base settings), keywords, the task's variables, expected]
const rows: Row[] = [
  ['no keywords: the host\'s settings', {}, undefined, {}, { user: me, port: 22, connection: 'ssh', becomeMethod: 'sudo' }],
  ['no keywords: a play var ansible_user still applies', {}, undefined, { ansible_user: 'playvar', ansible_port: '2200' }, { user: 'playvar', port: 2200 }],
  ['remote_user', {}, { remoteUser: 'deploy' }, {}, { user: 'deploy' }],
  ['ansible_user beats remote_user', { ansible_user: 'inv' }, { remoteUser: 'deploy' }, { ansible_user: 'inv' }, { user: 'inv' }],
  ['ansible_ssh_user beats remote_user', { ansible_ssh_user: 'old' }, { remoteUser: 'deploy' }, { ansible_ssh_user: 'old' }, { user: 'old' }],
  ['a play var ansible_user beats remote_user', {}, { remoteUser: 'deploy' }, { ansible_user: 'playvar' }, { user: 'playvar' }],
  ['templated remote_user', {}, { remoteUser: '{{ who }}' }, { who: 'alice' }, { user: 'alice' }],
  ['port', {}, { port: 2222 }, {}, { port: 2222 }],
  ['templated port', {}, { port: '{{ p }}' }, { p: '2200' }, { port: 2200 }],
  ['ansible_port beats port', { ansible_port: 1022 }, { port: 2222 }, { ansible_port: 1022 }, { port: 1022 }],
  ['connection: local', {}, { connection: 'local' }, {}, { connection: 'local', user: me }],
  ['connection: local ignores remote_user (runs as the controller\'s user)', {}, { connection: 'local', remoteUser: 'deploy' }, {}, { connection: 'local', user: me }],
  ['ansible_connection beats connection', { ansible_connection: 'ssh' }, { connection: 'local' }, { ansible_connection: 'ssh' }, { connection: 'ssh' }],
  ['become_method su', {}, { becomeMethod: 'su' }, {}, { becomeMethod: 'su' }],
  ['ansible_become_method beats become_method', { ansible_become_method: 'sudo' }, { becomeMethod: 'su' }, { ansible_become_method: 'sudo' }, { becomeMethod: 'sudo' }],
  ['become_flags and become_exe', {}, { becomeFlags: '-E -H', becomeExe: '/usr/local/bin/sudo' }, {}, { becomeFlags: ['-E', '-H'], becomeExe: '/usr/local/bin/sudo' }],
  ['ansible_become_flags beats become_flags', {}, { becomeFlags: '-E' }, { ansible_become_flags: '-n' }, { becomeFlags: ['-n'] }],
];
for (const [name, inv, kw, vars, want] of rows) {
  test(`effectiveSettings: ${name}`, (t) => {
    const s = effectiveSettings(base(inv), kw, vars) as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(want)) t.deepEqual(s[k], v, k);
  });
}

test('effectiveSettings: the implicit localhost stays local whatever connection says', (t) => {
  const local = connectionSettings('localhost', { ansible_connection: 'local' });
  t.is(effectiveSettings(local, { connection: 'ssh' }, {}, true).connection, 'local');
});

const badRuntime: Array<[ConnectionKeywords, Record<string, unknown>, RegExp]> = [
  [{ connection: '{{ c }}' }, { c: 'docker' }, /connection "docker" is not supported: tsplay connects with ssh or local only/],
  [{ becomeMethod: '{{ m }}' }, { m: 'doas' }, /become_method "doas" is not supported by tsplay/],
  [{ port: '{{ p }}' }, { p: 'http' }, /port: "http" is not a port number/],
  [{ becomeFlags: '{{ f }}' }, { f: '-s "/bin/sh"' }, /become_flags "-s "\/bin\/sh"": become_flags must be option words/],
];
for (const [kw, vars, re] of badRuntime) {
  test(`effectiveSettings refuses a template that renders to what tsplay cannot honour: ${JSON.stringify(kw)}`, (t) => {
    t.throws(() => effectiveSettings(base(), kw, vars), { instanceOf: ModuleError, message: re });
  });
}

test('connectionKey: one connection per user, address and port; one local', (t) => {
  t.is(connectionKey(base()), `ssh:${me}@web1:22`);
  t.not(connectionKey({ ...base(), user: 'a' }), connectionKey({ ...base(), user: 'b' }));
  t.not(connectionKey({ ...base(), port: 22 }), connectionKey({ ...base(), port: 2222 }));
  t.is(connectionKey({ ...base(), connection: 'local', user: 'x' }), connectionKey({ ...base(), connection: 'local', user: 'y' }));
});

// ---------------------------------------------------------------- become: the shell text

function recording(): { seen: string[]; conn: Connection } {
  const seen: string[] = [];
  const answer: ExecResult = { rc: 0, stdout: '', stderr: '', stdoutBytes: Buffer.from('') };
  return { seen, conn: { host: 'r', connect: async () => {}, close: async () => {}, exec: async (c) => (seen.push(c), answer) } };
}

const inner = quote('id -u');
const becomeRows: Array<[string, ConstructorParameters<typeof Host>[1], string]> = [
  ['sudo (default flags -n -H)', { name: 'r', become: true, loginUser: 'deploy' }, `sudo -n -H -u root -- /bin/sh -c ${inner}`],
  ['sudo with become_flags', { name: 'r', become: true, loginUser: 'deploy', becomeFlags: ['-E', '-n'] }, `sudo -E -n -u root -- /bin/sh -c ${inner}`],
  ['sudo with become_exe', { name: 'r', become: true, loginUser: 'deploy', becomeExe: '/opt/bin/sudo' }, `/opt/bin/sudo -n -H -u root -- /bin/sh -c ${inner}`],
  ['su from root', { name: 'r', become: true, becomeUser: 'postgres', loginUser: 'root', becomeMethod: 'su' }, `su postgres -c ${quote(`/bin/sh -c ${inner}`)}`],
  ['su with flags and exe', { name: 'r', become: true, becomeUser: 'app', loginUser: 'root', becomeMethod: 'su', becomeFlags: ['-s', '/bin/sh'], becomeExe: '/bin/su' }, `/bin/su -s /bin/sh app -c ${quote(`/bin/sh -c ${inner}`)}`],
  ['su to the login user itself: no su', { name: 'r', become: true, becomeUser: 'root', loginUser: 'root', becomeMethod: 'su' }, 'id -u'],
];
for (const [name, opts, want] of becomeRows) {
  test(`become: ${name}`, async (t) => {
    const { conn, seen } = recording();
    await new Host(conn, opts).run(['id', '-u']);
    t.is(seen[0], want);
  });
}

test('become: su with environment values sends the script on stdin to su\'s shell', async (t) => {
  const seen: Array<{ cmd: string; stdin?: string }> = [];
  const conn: Connection = {
    host: 'r', connect: async () => {}, close: async () => {},
    exec: async (c, o) => (seen.push({ cmd: c, stdin: o?.stdin?.toString() }), { rc: 0, stdout: '', stderr: '', stdoutBytes: Buffer.from('') }),
  };
  await new Host(conn, { name: 'r', become: true, becomeUser: 'app', loginUser: 'root', becomeMethod: 'su' }).run(['env'], { env: { SECRET: 's3' } });
  t.is(seen[0].cmd, 'su app -c /bin/sh');
  t.regex(seen[0].stdin ?? '', /SECRET=s3 env/);
});

test('become: su asking for a password fails clearly', async (t) => {
  const conn: Connection = {
    host: 'r', connect: async () => {}, close: async () => {},
    exec: async () => ({ rc: 1, stdout: '', stderr: 'Password: su: Authentication failure\n', stdoutBytes: Buffer.from('') }),
  };
  const h = new Host(conn, { name: 'web1', become: true, becomeUser: 'app', loginUser: 'deploy', becomeMethod: 'su' });
  await t.throwsAsync(h.run(['id']), { instanceOf: ModuleError, message: /web1: become failed: su needs a password to run as app/ });
});

// ---------------------------------------------------------------- the runner's connections

/** Connections that run commands on the controller, recording which (host, user, port) each command went over. */
function pool() {
  const opened: ConnectionSettings[] = [];
  const execs: Array<{ key: string; cmd: string }> = [];
  let closed = 0;
  const connect = (s: ConnectionSettings): Connection => {
    opened.push(s);
    const key = `${s.host} ${s.user}:${s.port}`;
    const local = new LocalConnection(s.host);
    return {
      host: s.host, connect: () => local.connect(),
      close: async () => {
        closed++;
        await local.close();
      },
      exec: (c, o) => {
        execs.push({ key, cmd: c });
        return local.exec(c, o);
      },
    };
  };
  /** The connections a command containing `marker` went over. */
  const over = (marker: string) => execs.filter((e) => e.cmd.includes(marker)).map((e) => e.key).sort();
  return { opened, over, connect, closed: () => closed };
}

const SSH_INVENTORY = 'all:\n  hosts:\n    h1: { ansible_host: 192.0.2.1 }\n    h2: { ansible_host: 192.0.2.2 }\n';

test('runner: a connection per (host, user, port), opened on first use, reused, all closed at the end', async (t) => {
  const p = pool();
  const r = await runPlaybook({
    'inv.yml': SSH_INVENTORY,
    'playbook.yml': `
- hosts: all
  gather_facts: false
  remote_user: deploy
  tasks:
    - command: echo task-1
    - command: echo task-2
      remote_user: root
    - command: echo task-3
    - command: echo task-4
      remote_user: root
    - command: echo task-5
      remote_user: root
      port: 2222
    - command: echo task-6
      remote_user: ${me}
`,
  }, { inventory: ['inv.yml'], connect: p.connect });
  t.is(r.code, 0, JSON.stringify(r.results().filter((e) => e.status === 'failed')));
  // Lazily: the default connection (the controller's user) is only opened by the task that uses it.
  const sorted = (xs: string[]) => [...new Set(xs)].sort();
  t.deepEqual(sorted(p.opened.map((s) => `${s.host} ${s.user}:${s.port}`)), sorted([
    'h1 deploy:22', 'h1 root:22', 'h1 root:2222', `h1 ${me}:22`, 'h2 deploy:22', 'h2 root:22', 'h2 root:2222', `h2 ${me}:22`,
  ]));
  t.is(p.opened.length, sorted(p.opened.map((s) => `${s.host} ${s.user}:${s.port}`)).length, 'each opened once');
  t.is(p.closed(), p.opened.length, 'every connection closed at the end');
  t.deepEqual(p.over('task-1'), ['h1 deploy:22', 'h2 deploy:22']);
  t.deepEqual(p.over('task-2'), ['h1 root:22', 'h2 root:22']);
  t.deepEqual(p.over('task-3'), ['h1 deploy:22', 'h2 deploy:22']);
  t.deepEqual(p.over('task-4'), ['h1 root:22', 'h2 root:22']);
  t.deepEqual(p.over('task-5'), ['h1 root:2222', 'h2 root:2222']);
  t.deepEqual(p.over('task-6'), [`h1 ${me}:22`, `h2 ${me}:22`]);
});

test('runner: a templated remote_user renders per host', async (t) => {
  const p = pool();
  const r = await runPlaybook({
    'inv.yml': 'all:\n  hosts:\n    h1: { ansible_host: 192.0.2.1, who: alice }\n    h2: { ansible_host: 192.0.2.2, who: bob }\n',
    'playbook.yml': '- hosts: all\n  gather_facts: false\n  tasks:\n    - name: as who\n      command: echo as-who\n      remote_user: "{{ who }}"\n',
  }, { inventory: ['inv.yml'], connect: p.connect });
  t.is(r.code, 0);
  t.deepEqual(p.over('as-who'), ['h1 alice:22', 'h2 bob:22']);
});

test('runner: gathering facts uses the play\'s remote_user, not a task\'s', async (t) => {
  const p = pool();
  const r = await runPlaybook({
    'inv.yml': SSH_INVENTORY,
    'playbook.yml': '- hosts: h1\n  remote_user: deploy\n  tasks:\n    - command: echo the-task\n      remote_user: root\n',
  }, { inventory: ['inv.yml'], connect: p.connect });
  t.is(r.results('Gathering Facts')[0]?.status, 'ok');
  t.is(p.opened[0].user, 'deploy', 'the first connection, for the facts, is the play\'s user');
  t.deepEqual(p.opened.map((s) => s.user), ['deploy', 'root']);
  t.deepEqual(p.over('the-task'), ['h1 root:22']);
  t.is(r.code, 0);
});

test('runner: a templated keyword that renders to what tsplay cannot honour fails that host\'s task, naming host and task', async (t) => {
  const p = pool();
  const r = await runPlaybook({
    'inv.yml': 'all:\n  hosts:\n    h1: { ansible_host: 192.0.2.1, how: ssh }\n    h2: { ansible_host: 192.0.2.2, how: docker }\n',
    'playbook.yml': '- hosts: all\n  gather_facts: false\n  tasks:\n    - name: over how\n      command: echo over-how\n      connection: "{{ how }}"\n',
  }, { inventory: ['inv.yml'], connect: p.connect });
  t.is(r.code, 2);
  const byHost = Object.fromEntries(r.results('over how').map((e) => [e.host, e]));
  t.is(byHost.h1.status, 'changed');
  t.is(byHost.h2.status, 'failed');
  t.regex(byHost.h2.msg ?? '', /connection "docker" is not supported/);
  t.is(byHost.h2.task, 'over how');
});

test('runner: connection: local on a play runs on the controller, over the real local connection', async (t) => {
  const r = await runPlaybook({
    'inv.yml': SSH_INVENTORY,
    'playbook.yml': '- hosts: h1\n  gather_facts: false\n  connection: local\n  tasks:\n    - name: here\n      command: whoami\n',
  }, { inventory: ['inv.yml'] });
  t.is(r.code, 0, JSON.stringify(r.results()));
  t.is(r.results('here')[0].result?.stdout, me);
});

test('runner: check mode connects the same way', async (t) => {
  const p = pool();
  const r = await runPlaybook({
    'inv.yml': SSH_INVENTORY,
    'playbook.yml': `- hosts: h1\n  gather_facts: false\n  remote_user: deploy\n  tasks:\n    - stat: { path: /etc/hostname }\n    - stat: { path: /etc/hostname }\n      remote_user: root\n`,
  }, { inventory: ['inv.yml'], connect: p.connect, check: true });
  t.is(r.code, 0, JSON.stringify(r.results()));
  t.deepEqual(p.opened.map((s) => s.user), ['deploy', 'root']);
  t.is(p.over('/etc/hostname').length, 2, 'both stat tasks read the host in check mode');
});

test('runner: a delegated task connects with the delegate\'s variables, the task\'s keywords where they set nothing', async (t) => {
  const p = pool();
  const r = await runPlaybook({
    'inv.yml': 'all:\n  hosts:\n    h1: { ansible_host: 192.0.2.1, ansible_user: h1user }\n    h2: { ansible_host: 192.0.2.2, ansible_user: h2user }\n    h3: { ansible_host: 192.0.2.3 }\n',
    'playbook.yml': `- hosts: h1
  gather_facts: false
  tasks:
    - command: echo to-h2
      delegate_to: h2
      remote_user: kw
    - command: echo to-h3
      delegate_to: h3
      remote_user: kw
`,
  }, { inventory: ['inv.yml'], connect: p.connect });
  t.is(r.code, 0, JSON.stringify(r.results()));
  t.deepEqual(p.over('to-h2'), ['h2 h2user:22']);
  t.deepEqual(p.over('to-h3'), ['h3 kw:22']);
});
