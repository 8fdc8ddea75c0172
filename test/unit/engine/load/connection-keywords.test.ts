// remote_user, port, connection, become_method, become_flags and become_exe at
// load: accepted on a play, block, role entry, import and task where tsplay
// can honour the value; refused with file:line:col where it cannot (another
// connection plugin, another become method, flags that need shell parsing, a
// port out of range). A template is accepted and checked per host at run time.

import test from 'ava';
import { join } from 'node:path';
import { loadPlaybook, type Item } from '../../../../engine/load/playbook.js';
import { loadRegistry } from '../../../../engine/load/registry.js';
import { LoadError } from '../../../../engine/errors.js';
import { writeTree } from '../../../helpers/run-playbook.js';
import { becomeFlagWords, connectionKeywordsOf, connectionPluginOf, becomeMethodOf, mergeConnectionKeywords } from '../../../../engine/load/connection-keywords.js';

async function load(files: Record<string, string>): Promise<Awaited<ReturnType<typeof loadPlaybook>> | string> {
  const dir = writeTree(files);
  try {
    return await loadPlaybook(join(dir, 'p.yml'), await loadRegistry());
  } catch (e) {
    if (e instanceof LoadError) return e.message;
    throw e;
  }
}

const refused: Array<[string, string, RegExp]> = [
  ['another connection plugin on a task', '- hosts: all\n  tasks:\n    - command: id\n      connection: docker\n',
    /p\.yml:4:19: connection "docker" is not supported: tsplay connects with ssh or local only/],
  ['a collection connection plugin on a play', '- hosts: all\n  connection: community.docker.docker\n  tasks: []\n',
    /p\.yml:2:15: connection "community.docker.docker" is not supported/],
  ['winrm on a block', '- hosts: all\n  tasks:\n    - block:\n        - command: id\n      connection: winrm\n',
    /p\.yml:5:19: connection "winrm" is not supported/],
  ['doas on a task', '- hosts: all\n  tasks:\n    - command: id\n      become_method: doas\n',
    /p\.yml:4:22: become_method "doas" is not supported by tsplay: tsplay becomes with sudo or su only/],
  ['pbrun on a play', '- hosts: all\n  become_method: pbrun\n  tasks: []\n', /p\.yml:2:18: become_method "pbrun" is not supported/],
  ['machinectl on a block', '- hosts: all\n  tasks:\n    - block: []\n      become_method: machinectl\n', /p\.yml:4:22: become_method "machinectl" is not supported/],
  ['runas on a role entry', '- hosts: all\n  roles:\n    - role: r\n      become_method: runas\n', /become_method "runas" is not supported/],
  ['flags with shell quoting', '- hosts: all\n  tasks:\n    - command: id\n      become_flags: "-s \'/bin/sh\'"\n',
    /p\.yml:4:22: become_flags "-s '\/bin\/sh'": become_flags must be option words/],
  ['flags with a command separator', '- hosts: all\n  become_flags: "-H; id"\n  tasks: []\n', /become_flags "-H; id": become_flags must be option words/],
  ['port out of range', '- hosts: all\n  tasks:\n    - command: id\n      port: 70000\n', /p\.yml:4:13: port: 70000 is not a port number/],
  ['port that is not a number', '- hosts: all\n  port: ssh\n  tasks: []\n', /p\.yml:2:9: port: "ssh" is not a port number/],
  ['port 0', '- hosts: all\n  port: 0\n  tasks: []\n', /port: 0 is not a port number/],
  ['empty remote_user', '- hosts: all\n  remote_user: ""\n  tasks: []\n', /p\.yml:2:17: remote_user: empty user name/],
  ['remote_user that is a list', '- hosts: all\n  remote_user: [a]\n  tasks: []\n', /"remote_user" must be string/],
];
for (const [name, pb, re] of refused) {
  test(`refused at load: ${name}`, async (t) => {
    const r = await load({ 'p.yml': pb, 'roles/r/tasks/main.yml': '- command: id\n' });
    t.is(typeof r, 'string');
    t.regex(r as string, re);
  });
}

function firstTask(items: Item[]): Item {
  return items[0];
}

test('accepted on a play, block, role entry, import and task, as written', async (t) => {
  const r = await load({
    'p.yml': `
- hosts: all
  remote_user: deploy
  port: 2222
  connection: ssh
  become_method: su
  become_flags: "-l"
  become_exe: /bin/su
  roles:
    - role: r
      remote_user: roleuser
      port: "2200"
  tasks:
    - block:
        - command: id
          remote_user: "{{ who }}"
          connection: local
      become_method: ansible.builtin.sudo
      become_flags: -H -E
    - import_tasks: more.yml
      remote_user: importer
      port: "{{ p }}"
`,
    'more.yml': '- command: id\n',
    'roles/r/tasks/main.yml': '- command: id\n',
  });
  if (typeof r === 'string') return t.fail(r);
  const play = r.plays[0];
  t.deepEqual(play.conn, { remoteUser: 'deploy', port: 2222, connection: 'ssh', becomeMethod: 'su', becomeFlags: '-l', becomeExe: '/bin/su' });
  const [role, block, imported] = play.tasks;
  t.deepEqual(role.conn, { remoteUser: 'roleuser', port: '2200' });
  t.deepEqual(block.conn, { becomeMethod: 'ansible.builtin.sudo', becomeFlags: '-H -E' });
  t.is(block.kind, 'block');
  t.deepEqual(firstTask((block as { block: Item[] }).block).conn, { remoteUser: '{{ who }}', connection: 'local' });
  t.deepEqual(imported.conn, { remoteUser: 'importer', port: '{{ p }}' });
});

test('templated values pass load and are checked per host at run time', async (t) => {
  const r = await load({ 'p.yml': '- hosts: all\n  connection: "{{ how }}"\n  become_method: "{{ m }}"\n  become_flags: "{{ f }}"\n  tasks: []\n' });
  t.is(typeof r === 'string' ? r : 'loaded', 'loaded');
});

test('plugin and method names as Ansible 2.14 spells them', (t) => {
  const plugins: Array<[string, 'ssh' | 'local' | undefined]> = [
    ['ssh', 'ssh'], ['smart', 'ssh'], ['paramiko', 'ssh'], ['ansible.builtin.ssh', 'ssh'], ['local', 'local'], ['ansible.builtin.local', 'local'],
    ['docker', undefined], ['winrm', undefined], ['psrp', undefined], ['community.docker.docker', undefined], ['ansible.netcommon.network_cli', undefined],
  ];
  for (const [name, want] of plugins) t.is(connectionPluginOf(name), want, name);
  const methods: Array<[string, 'sudo' | 'su' | undefined]> = [
    ['sudo', 'sudo'], ['su', 'su'], ['ansible.builtin.sudo', 'sudo'], ['ansible.builtin.su', 'su'],
    ['doas', undefined], ['pbrun', undefined], ['pfexec', undefined], ['runas', undefined], ['machinectl', undefined], ['dzdo', undefined], ['ksu', undefined],
  ];
  for (const [name, want] of methods) t.is(becomeMethodOf(name), want, name);
});

test('become_flags as words; shell syntax refused', (t) => {
  t.deepEqual(becomeFlagWords('-H -S -n'), ['-H', '-S', '-n']);
  t.deepEqual(becomeFlagWords('  -l   -s /bin/bash '), ['-l', '-s', '/bin/bash']);
  t.deepEqual(becomeFlagWords(''), []);
  for (const bad of ['-s "/bin/sh"', '-H; id', '$(id)', '-E `x`', '-p a|b', '-H > f']) t.is(becomeFlagWords(bad), undefined, bad);
});

test('the nearest keyword wins, key by key', (t) => {
  t.deepEqual(mergeConnectionKeywords({ remoteUser: 'a', port: 1 }, { remoteUser: 'b' }), { remoteUser: 'b', port: 1 });
  t.deepEqual(mergeConnectionKeywords(undefined, { port: 2 }), { port: 2 });
  t.deepEqual(mergeConnectionKeywords({ port: 2 }, undefined), { port: 2 });
  t.is(connectionKeywordsOf({}), undefined);
});
