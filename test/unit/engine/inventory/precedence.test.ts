// Variable precedence (inventory and beyond) and connection settings.

import test from 'ava';
import { userInfo } from 'node:os';
import {
  inventoryFromText,
  hostVars,
  connectionSettings,
  mergeVarLayers,
  magicVars,
  type Inventory,
} from '../../../../engine/inventory/inventory.js';
import { sortGroups } from '../../../../engine/inventory/host-vars.js';
import { mergeNamedLayers, VAR_LAYERS } from '../../../../engine/run/precedence.js';
import { LoadError } from '../../../../engine/errors.js';

interface Case {
  name: string;
  inventory: string;
  /** group/host name -> variables as if read from group_vars/ or host_vars/ files */
  groupFiles?: Record<string, Record<string, unknown>>;
  hostFiles?: Record<string, Record<string, unknown>>;
  playbookGroupFiles?: Record<string, Record<string, unknown>>;
  host: string;
  expected: unknown; // value of x
}

const cases: Case[] = [
  {
    name: 'group vars beat all vars',
    inventory: 'all:\n  vars: {x: all}\n  children:\n    web:\n      vars: {x: web}\n      hosts: {h: }\n',
    host: 'h',
    expected: 'web',
  },
  {
    name: 'child group beats parent group',
    inventory: 'prod:\n  vars: {x: prod}\n  children:\n    web:\n      vars: {x: web}\n      hosts: {h: }\n',
    host: 'h',
    expected: 'web',
  },
  {
    name: 'child group beats parent even when the parent is written later',
    inventory: 'web:\n  vars: {x: web}\n  hosts: {h: }\nprod:\n  vars: {x: prod}\n  children:\n    web:\n',
    host: 'h',
    expected: 'web',
  },
  {
    name: 'same depth: the later name in alphabetical order wins',
    inventory: 'b:\n  vars: {x: b}\n  hosts: {h: }\na:\n  vars: {x: a}\n  hosts: {h: }\n',
    host: 'h',
    expected: 'b',
  },
  {
    name: 'same depth: ansible_group_priority beats the name order',
    inventory: 'b:\n  vars: {x: b}\n  hosts: {h: }\na:\n  vars: {x: a, ansible_group_priority: 10}\n  hosts: {h: }\n',
    host: 'h',
    expected: 'a',
  },
  {
    name: 'depth beats ansible_group_priority',
    inventory: 'top:\n  vars: {x: top, ansible_group_priority: 99}\n  hosts: {h: }\np:\n  children:\n    deep:\n      vars: {x: deep}\n      hosts: {h: }\n',
    host: 'h',
    expected: 'deep',
  },
  {
    name: 'depth is the longest path from all',
    inventory: 'a:\n  children:\n    b:\n      children:\n        c:\n          vars: {x: c}\nother:\n  vars: {x: other}\n  children:\n    c:\n      hosts: {h: }\n',
    host: 'h',
    expected: 'c',
  },
  {
    name: 'inline host vars beat every group var',
    inventory: 'web:\n  vars: {x: web}\n  hosts:\n    h: {x: host}\n',
    host: 'h',
    expected: 'host',
  },
  {
    name: 'group_vars/all file beats inline vars of any group',
    inventory: 'web:\n  vars: {x: web-inline}\n  hosts: {h: }\n',
    groupFiles: { all: { x: 'all-file' } },
    host: 'h',
    expected: 'all-file',
  },
  {
    name: 'group_vars/<group> file beats group_vars/all file',
    inventory: 'web:\n  hosts: {h: }\n',
    groupFiles: { all: { x: 'all-file' }, web: { x: 'web-file' } },
    host: 'h',
    expected: 'web-file',
  },
  {
    name: 'group files follow the group order too (child file beats parent file)',
    inventory: 'prod:\n  children:\n    web:\n      hosts: {h: }\n',
    groupFiles: { web: { x: 'web-file' }, prod: { x: 'prod-file' } },
    host: 'h',
    expected: 'web-file',
  },
  {
    name: 'inline host vars beat group_vars files',
    inventory: 'web:\n  hosts:\n    h: {x: host-inline}\n',
    groupFiles: { web: { x: 'web-file' } },
    host: 'h',
    expected: 'host-inline',
  },
  {
    name: 'host_vars file beats inline host vars',
    inventory: 'web:\n  hosts:\n    h: {x: host-inline}\n',
    hostFiles: { h: { x: 'host-file' } },
    host: 'h',
    expected: 'host-file',
  },
  {
    name: 'playbook group_vars/all sits between inventory group_vars/all and group_vars/<group>',
    inventory: 'web:\n  hosts: {h: }\n',
    groupFiles: { all: { x: 'inv-all' } },
    playbookGroupFiles: { all: { x: 'pb-all' } },
    host: 'h',
    expected: 'pb-all',
  },
  {
    name: 'inventory group_vars/<group> beats playbook group_vars/all',
    inventory: 'web:\n  hosts: {h: }\n',
    groupFiles: { web: { x: 'inv-web' } },
    playbookGroupFiles: { all: { x: 'pb-all' } },
    host: 'h',
    expected: 'inv-web',
  },
  {
    name: 'INI: [all:vars] < [group:vars] < host line',
    inventory: '[web]\nh\ng x=host\n\n[web:vars]\nx=web\n\n[all:vars]\nx=all\n',
    host: 'h',
    expected: 'web',
  },
  {
    name: 'ungrouped hosts get all vars',
    inventory: 'all:\n  vars: {x: all}\n  hosts: {h: }\n',
    host: 'h',
    expected: 'all',
  },
  {
    name: 'shallow replace: a dict is replaced, not merged',
    inventory: 'all:\n  vars: {x: {a: 1, b: 2}}\n  children:\n    web:\n      vars: {x: {a: 9}}\n      hosts: {h: }\n',
    host: 'h',
    expected: { a: 9 },
  },
];

function build(c: Case): Inventory {
  const inv = inventoryFromText(c.inventory, c.inventory.startsWith('[') ? 'hosts' : 'inv.yml');
  for (const [g, v] of Object.entries(c.groupFiles ?? {})) inv.groups.get(g)!.fileVars = v;
  for (const [g, v] of Object.entries(c.playbookGroupFiles ?? {})) inv.groups.get(g)!.playbookFileVars = v;
  for (const [h, v] of Object.entries(c.hostFiles ?? {})) inv.hosts.get(h)!.fileVars = v;
  return inv;
}

for (const c of cases) {
  test(`precedence: ${c.name}`, (t) => {
    t.deepEqual(hostVars(build(c), c.host).x, c.expected);
  });
}

test('sortGroups orders by depth, then priority, then name', (t) => {
  const inv = inventoryFromText('z:\n  hosts: {h: }\na:\n  vars: {ansible_group_priority: 5}\n  hosts: {h: }\nm:\n  children:\n    k:\n      hosts: {h: }\n', 'inv.yml');
  const names = sortGroups([...inv.groups.values()].filter((g) => g.name !== 'all')).map((g) => g.name);
  t.deepEqual(names, ['m', 'ungrouped', 'z', 'a', 'k']);
});

test('VAR_LAYERS is Ansible\'s order for the parts we support', (t) => {
  const at = (k: string) => VAR_LAYERS.indexOf(k as (typeof VAR_LAYERS)[number]);
  const order = ['role_defaults', 'inventory_group_vars', 'inventory_host_vars', 'facts', 'play_vars', 'play_vars_files', 'role_vars', 'block_vars', 'task_vars', 'include_vars', 'set_fact', 'role_params', 'include_params', 'loop_vars', 'extra_vars', 'magic'];
  t.deepEqual([...VAR_LAYERS], order);
  t.true(at('task_vars') < at('include_vars'));
  t.true(at('include_vars') < at('set_fact'));
  // Extra vars beat everything a user sets; only the engine's magic variables come after.
  t.is(VAR_LAYERS[VAR_LAYERS.length - 2], 'extra_vars');
  t.is(VAR_LAYERS[VAR_LAYERS.length - 1], 'magic');
});

test('mergeVarLayers: later layers replace keys wholesale; missing layers are skipped', (t) => {
  t.deepEqual(mergeVarLayers([{ a: 1, d: { x: 1, y: 2 } }, undefined, { a: 2, d: { x: 9 } }, null, { b: 3 }]), { a: 2, d: { x: 9 }, b: 3 });
  t.deepEqual(mergeVarLayers([]), {});
});

test('mergeNamedLayers applies VAR_LAYERS order whatever the object order', (t) => {
  const merged = mergeNamedLayers({
    extra_vars: { x: 'extra' },
    task_vars: { x: 'task', y: 'task' },
    set_fact: { y: 'fact', z: 'fact' },
    play_vars: { z: 'play', w: 'play' },
    inventory_host_vars: { w: 'host', v: 'host' },
  });
  t.deepEqual(merged, { x: 'extra', y: 'fact', z: 'fact', w: 'play', v: 'host' });
  t.throws(() => mergeNamedLayers({ nope: {} } as never), { message: /unknown variable layer "nope"/ });
});

test('magicVars: inventory_hostname, group_names (sorted, without all), groups', (t) => {
  const inv = inventoryFromText('web:\n  hosts: {w1.example.com: }\n  children:\n    canary:\n      hosts: {w2: }\n', 'inv.yml');
  const m = magicVars(inv, 'w1.example.com');
  t.is(m.inventory_hostname, 'w1.example.com');
  t.is(m.inventory_hostname_short, 'w1');
  t.deepEqual(m.group_names, ['web']);
  t.deepEqual((m.groups as Record<string, string[]>).web, ['w1.example.com', 'w2']);
  t.deepEqual(magicVars(inv, 'w2').group_names, ['canary', 'web']);
});

// ---------------------------------------------------------------- connection settings

const me = userInfo().username;

test('connection defaults', (t) => {
  t.deepEqual(connectionSettings('web1', {}), {
    host: 'web1',
    connection: 'ssh',
    address: 'web1',
    port: 22,
    user: me,
    hostKeyChecking: 'strict',
    connectTimeoutMs: 10_000,
    commandTimeoutMs: 3_600_000,
    become: false,
    becomeUser: 'root',
    becomeMethod: 'sudo',
    // Ansible's default ssh_args: -C -o ControlMaster=auto -o ControlPersist=60s
    controlPersistMs: 60_000,
  });
});

const connCases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
  ['ansible_host/port/user/key', { ansible_host: '10.0.0.5', ansible_port: 2222, ansible_user: 'deploy', ansible_ssh_private_key_file: '/k/id' }, { address: '10.0.0.5', port: 2222, user: 'deploy', privateKeyFile: '/k/id' }],
  ['port as a string (INI, templated)', { ansible_port: '2200' }, { port: 2200 }],
  ['old ansible_ssh_* names', { ansible_ssh_host: 'h.example', ansible_ssh_port: 2022, ansible_ssh_user: 'u' }, { address: 'h.example', port: 2022, user: 'u' }],
  ['local connection', { ansible_connection: 'local' }, { connection: 'local' }],
  ['become yes as a string', { ansible_become: 'yes', ansible_become_user: 'postgres' }, { become: true, becomeUser: 'postgres' }],
  ['become True from INI', { ansible_become: true }, { become: true }],
  ['become "false"', { ansible_become: 'false' }, { become: false }],
  ['become with su, its flags and program', { ansible_become_method: 'su', ansible_become_flags: '-l  -s /bin/sh', ansible_become_exe: '/bin/su' }, { becomeMethod: 'su', becomeFlags: ['-l', '-s', '/bin/sh'], becomeExe: '/bin/su' }],
  ['connection by its collection name', { ansible_connection: 'ansible.builtin.local' }, { connection: 'local' }],
  ['tsplay settings', { tsplay_known_hosts_file: '/lab/known_hosts', tsplay_host_key_checking: 'accept-new', tsplay_connect_timeout: 3, tsplay_command_timeout: '60' }, { knownHostsFile: '/lab/known_hosts', hostKeyChecking: 'accept-new', connectTimeoutMs: 3000, commandTimeoutMs: 60_000 }],
  ['host key checking off', { tsplay_host_key_checking: 'off' }, { hostKeyChecking: 'off' }],
  // Ansible's host_key_checking is a boolean: false = off, true = strict.
  ['tsplay_host_key_checking: false', { tsplay_host_key_checking: false }, { hostKeyChecking: 'off' }],
  ['tsplay_host_key_checking: true', { tsplay_host_key_checking: true }, { hostKeyChecking: 'strict' }],
  ['tsplay_host_key_checking: "no" (INI)', { tsplay_host_key_checking: 'no' }, { hostKeyChecking: 'off' }],
  ['ansible_host_key_checking: false', { ansible_host_key_checking: false }, { hostKeyChecking: 'off' }],
  ['ansible_host_key_checking: "False" (INI string)', { ansible_host_key_checking: 'False' }, { hostKeyChecking: 'off' }],
  ['ansible_ssh_host_key_checking: true', { ansible_ssh_host_key_checking: true }, { hostKeyChecking: 'strict' }],
  ['tsplay_host_key_checking wins over Ansible\'s', { tsplay_host_key_checking: 'accept-new', ansible_host_key_checking: false }, { hostKeyChecking: 'accept-new' }],
  // Ansible's connection timeout names (PlayContext: ansible_ssh_timeout, ansible_timeout).
  ['ansible_ssh_timeout', { ansible_ssh_timeout: 5 }, { connectTimeoutMs: 5000 }],
  ['ansible_timeout (string from INI)', { ansible_timeout: '7' }, { connectTimeoutMs: 7000 }],
  ['ansible_timeout wins over ansible_ssh_timeout, as in Ansible', { ansible_timeout: 4, ansible_ssh_timeout: 9 }, { connectTimeoutMs: 4000 }],
  ['tsplay_connect_timeout wins over both', { tsplay_connect_timeout: 2, ansible_timeout: 4, ansible_ssh_timeout: 9 }, { connectTimeoutMs: 2000 }],
];
for (const [name, vars, expected] of connCases) {
  test(`connection: ${name}`, (t) => {
    const s = connectionSettings('h', vars) as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(expected)) t.deepEqual(s[k], v, k);
  });
}

const badConn: Array<[Record<string, unknown>, RegExp]> = [
  [{ ansible_connection: 'winrm' }, /ansible_connection "winrm" is not supported: expected ssh or local/],
  [{ ansible_port: 'abc' }, /ansible_port must be a number from 1 to 65535/],
  [{ ansible_port: 70000 }, /ansible_port must be a number/],
  [{ ansible_become: 'maybe' }, /ansible_become must be a boolean/],
  [{ tsplay_host_key_checking: 'loose' }, /tsplay_host_key_checking must be strict, accept-new, off or a boolean/],
  [{ ansible_host_key_checking: 'accept-new' }, /ansible_host_key_checking must be a boolean/],
  [{ ansible_ssh_timeout: 'soon' }, /ansible_ssh_timeout must be a number/],
  [{ ansible_become_method: 'doas' }, /ansible_become_method "doas" is not supported: tsplay becomes with sudo or su only/],
  [{ ansible_become_flags: '-s "/bin/sh"' }, /ansible_become_flags "-s "\/bin\/sh"": become_flags must be option words/],
  [{ tsplay_connect_timeout: -1 }, /tsplay_connect_timeout must be a number/],
];
for (const [vars, re] of badConn) {
  test(`connection error: ${JSON.stringify(vars)}`, (t) => {
    t.throws(() => connectionSettings('h', vars), { instanceOf: LoadError, message: re });
  });
}

test('implicit localhost connects locally; a listed localhost uses ssh like any host', (t) => {
  const empty = inventoryFromText('web:\n  hosts: {w1: }\n', 'inv.yml');
  t.is(connectionSettings('localhost', hostVars(empty, 'localhost')).connection, 'local');
  const listed = inventoryFromText('all:\n  hosts:\n    localhost:\n', 'inv.yml');
  t.is(connectionSettings('localhost', hostVars(listed, 'localhost')).connection, 'ssh');
  t.throws(() => hostVars(empty, 'ghost'), { instanceOf: LoadError, message: /no host named "ghost"/ });
});
