// Dynamic inventories (inventory scripts and directories) give the same
// `--list` as Ansible's `ansible-inventory --list`: each source below is read by
// the real ansible-inventory (2.14, run at test time) and by tsplay, and the
// parsed JSON must be equal (object keys sorted, lists in their order). Where
// tsplay differs on purpose, DELIBERATE below pins both sides with the reason.
// Ansible's side is kept in the reference cache by the files it read (README, Tests).

import test from 'ava';
import { join } from 'node:path';
import { LoadError } from '../../../../engine/errors.js';
import { loadInventory } from '../../../../engine/inventory/inventory.js';
import { ansibleInventoryList, haveAnsibleInventory, tsplayInventoryList, writeTreeWithScripts } from '../../../helpers/ansible-inventory.js';

/** A POSIX sh inventory script printing LIST for --list and HOSTS[name] (or nothing) for --host. */
function script(list: unknown, hosts?: Record<string, unknown>, before = ''): string {
  const cases = Object.entries(hosts ?? {})
    .map(([h, v]) => `    ${JSON.stringify(h)}) cat <<'JSON'\n${JSON.stringify(v)}\nJSON\n    ;;`)
    .join('\n');
  return `#!/bin/sh
${before}
if [ "$1" = "--list" ]; then
cat <<'JSON'
${JSON.stringify(list, null, 1)}
JSON
elif [ "$1" = "--host" ]; then
  case "$2" in
${cases}
    *) ;;
  esac
fi
`;
}

interface Case {
  files: Record<string, string>;
  executable: string[];
  /** The -i sources, relative to the tree. */
  sources: string[];
}

const full = {
  web: { hosts: ['web2', 'web1'], vars: { http_port: 80, ansible_group_priority: 3 }, children: ['canary'] },
  canary: ['web1'],
  db: ['db1', 'web1'],
  prod: { children: ['web', 'db'], vars: { env: 'prod', http_port: 8080 } },
  all: { vars: { ntp: 'ntp.example.com', http_port: 1 }, children: ['prod'] },
  ungrouped: { hosts: ['bastion'] },
  legacy: { ansible_host: '192.0.2.9' },
  _meta: {
    hostvars: {
      web1: { ansible_host: '192.0.2.1', list: [1, 'a', null], nested: { a: { b: true } }, http_port: 81 },
      db1: { ansible_port: 2222, ratio: 1.5 },
      ghost: { never: 'listed in a group' },
    },
  },
};

const CASES: Record<string, Case> = {
  'JSON with _meta: groups as objects, a bare list, nested children, group and all vars, ungrouped, the legacy {var: value} form': {
    files: { 'inv.sh': script(full) },
    executable: ['inv.sh'],
    sources: ['inv.sh'],
  },
  'JSON without _meta: --host NAME for every host': {
    files: {
      'inv.sh': script(
        { web: ['web1', 'web2'], db: { hosts: ['db1'], vars: { tier: 'db' } }, all: { hosts: ['lonely'] } },
        { web1: { ansible_host: '192.0.2.1', n: 1 }, web2: {}, db1: { tier: 'host wins', flag: false }, lonely: {} },
      ),
    },
    executable: ['inv.sh'],
    sources: ['inv.sh'],
  },
  '"_meta" without "hostvars": --host for every host': {
    files: { 'inv.sh': script({ g: ['h1', 'h2'], _meta: {} }, { h1: { a: 1 }, h2: { b: 2 } }) },
    executable: ['inv.sh'],
    sources: ['inv.sh'],
  },
  'groups that are only bare lists of hosts': {
    files: { 'inv.sh': script({ a: ['h1', 'h2'], b: ['h2', 'h3'], _meta: { hostvars: {} } }) },
    executable: ['inv.sh'],
    sources: ['inv.sh'],
  },
  'children three deep: the deeper group wins, ansible_group_priority among equals': {
    files: {
      'inv.sh': script({
        region: { children: ['dc1', 'dc2'], vars: { level: 'region', who: 'region' } },
        dc1: { children: ['rack1'], vars: { level: 'dc', prio: 'dc1' } },
        dc2: { hosts: ['n3'], vars: { prio: 'dc2', ansible_group_priority: 5 } },
        rack1: { hosts: ['n1', 'n2', 'n3'], vars: { level: 'rack' } },
        _meta: { hostvars: { n1: { who: 'n1' } } },
      }),
    },
    executable: ['inv.sh'],
    sources: ['inv.sh'],
  },
  'a slow script (2 s) within the bound: same result': {
    files: { 'inv.sh': script({ slow: ['s1'], _meta: { hostvars: { s1: { waited: true } } } }, undefined, 'sleep 2') },
    executable: ['inv.sh'],
    sources: ['inv.sh'],
  },
  'a script with group_vars/ and host_vars/ beside it': {
    files: {
      'inv.sh': script({ web: { hosts: ['web1'], vars: { a: 'inline', b: 'inline' } }, _meta: { hostvars: { web1: { c: 'inline' } } } }),
      'group_vars/web.yml': 'a: group_vars\n',
      'host_vars/web1.yml': 'c: host_vars\n',
    },
    executable: ['inv.sh'],
    sources: ['inv.sh'],
  },
  'an executable YAML file without #! is read as YAML': {
    files: { 'hosts.yml': 'all:\n  children:\n    web:\n      hosts:\n        web1: {a: 1}\n' },
    executable: ['hosts.yml'],
    sources: ['hosts.yml'],
  },
  'a directory mixing YAML, INI (no extension), a script, a sub-directory; .ini, ~, .bak, hidden and vars dirs skipped': {
    files: {
      'inv/01-static.yml': 'all:\n  vars: {from: yaml}\n  children:\n    web:\n      hosts:\n        web1: {x: yaml, y: yaml}\n',
      'inv/02-hosts': '[db]\ndb1 x=ini\n[web]\nweb3\n[web:vars]\nport=80\n',
      'inv/03-skipped.ini': '[skipped]\nini1\n',
      'inv/04-old.bak': '[skipped]\nbak1\n',
      'inv/05-edit~': '[skipped]\ntilde1\n',
      'inv/.hidden': '[skipped]\nhidden1\n',
      'inv/10-cloud.sh': script({ web: { hosts: ['web1', 'web2'] }, cloud: ['web2'], _meta: { hostvars: { web1: { y: 'script' } } } }),
      'inv/20-sub/inner': '[sub]\ns1\n',
      'inv/20-sub/group_vars/sub.yml': 'ignored: true\n',
      'inv/group_vars/web.yml': 'gv: web\n',
      'inv/group_vars/all.yml': 'from: group_vars\n',
      'inv/host_vars/db1': 'hv: db1\n',
    },
    executable: ['inv/10-cloud.sh'],
    sources: ['inv'],
  },
  'a script and a static file given as two sources: the later source wins': {
    files: {
      'a.sh': script({ web: ['web1'], _meta: { hostvars: { web1: { v: 'script', s: 1 } } } }),
      'b.yml': 'all:\n  hosts:\n    web1: {v: yaml}\n    other:\n',
    },
    executable: ['a.sh'],
    sources: ['a.sh', 'b.yml'],
  },
};

// One ansible-inventory at a time: each takes a second or two of CPU, and the machine is shared.
const maybe = haveAnsibleInventory ? test.serial : test.skip;

for (const [name, c] of Object.entries(CASES)) {
  maybe(`--list equals ansible-inventory --list: ${name}`, async (t) => {
    const dir = writeTreeWithScripts(c.files, c.executable);
    const sources = c.sources.map((s) => join(dir, s));
    const [ansible, ours] = await Promise.all([ansibleInventoryList(sources, [dir]), tsplayInventoryList(sources)]);
    t.notRegex(ansible.stderr, /Failed to parse|Unable to parse/, 'Ansible read every source');
    t.deepEqual(ours, ansible.list);
  });
}

// DELIBERATE: where Ansible only warns and goes on without the script's hosts
// (ansible-inventory exits 0 with an empty inventory), tsplay stops with an
// error naming the script: a play would otherwise run against fewer hosts
// without anyone noticing. Both sides are checked here.
const DELIBERATE: Record<string, { files: Record<string, string>; executable: string[]; ansibleSays: RegExp; tsplaySays: RegExp }> = {
  'a failing script (its stderr shown)': {
    files: { 'inv.sh': '#!/bin/sh\necho "cannot reach the cloud API" >&2\nexit 3\n' },
    executable: ['inv.sh'],
    ansibleSays: /had an execution error: cannot reach the cloud API/,
    tsplaySays: /inventory script \S+inv\.sh --list failed with exit code 3; its stderr:\ncannot reach the cloud API/,
  },
  'bad JSON (its line and column shown)': {
    files: { 'inv.sh': '#!/bin/sh\nprintf \'{"g": ["h1",\\n  ]}\\n\'\n' },
    executable: ['inv.sh'],
    ansibleSays: /Expecting value: line 2 column 3/,
    tsplaySays: /inv\.sh \(output of --list\):2:3: inventory script \S+ --list printed invalid JSON: expected a value[^\n]*found "\]"\n1 \| \{"g": \["h1",\n2 \| {3}\]\}\n {2}\| {3}\^/,
  },
  'JSON that is not an object': {
    files: { 'inv.sh': '#!/bin/sh\necho \'["h1", "h2"]\'\n' },
    executable: ['inv.sh'],
    ansibleSays: /needs to be a json dict/,
    tsplaySays: /inv\.sh --list: expected a JSON object of groups \(and "_meta"\), found a list/,
  },
  'a group whose "hosts" is not a list': {
    files: { 'inv.sh': '#!/bin/sh\necho \'{"web": {"hosts": "web1"}}\'\n' },
    executable: ['inv.sh'],
    ansibleSays: /bad data for the host list/,
    tsplaySays: /group "web": "hosts" must be a list of host names, found string "web1"/,
  },
  '--host NAME printing nothing (Ansible 2.14 fails on it too: "got: None")': {
    files: { 'inv.sh': script({ web: ['web1'] }, {}) },
    executable: ['inv.sh'],
    ansibleSays: /expected dictionary and got: None/,
    tsplaySays: /inventory script \S+inv\.sh --host web1 printed nothing: expected a JSON object of the host's variables \(\{\} for none\)/,
  },
  'a script starting with #! that is not executable': {
    files: { 'inv.sh': '#!/bin/sh\necho \'{"web": ["web1"]}\'\n' },
    executable: [],
    ansibleSays: /Permission denied/,
    tsplaySays: /inv\.sh:1:1: inventory \S+ starts with "#!" but is not executable: make it executable \(chmod \+x\)/,
  },
};

for (const [name, d] of Object.entries(DELIBERATE)) {
  maybe(`DELIBERATE: ${name}: Ansible warns and goes on, tsplay stops`, async (t) => {
    const dir = writeTreeWithScripts(d.files, d.executable);
    const src = join(dir, 'inv.sh');
    const ansible = await ansibleInventoryList([src], [dir]);
    t.regex(ansible.stderr.replace(/\s+/g, ' '), new RegExp(d.ansibleSays.source.replace(/ /g, '\\s+')));
    t.deepEqual(ansible.list, { _meta: { hostvars: {} }, all: { children: ['ungrouped'] } }, 'Ansible goes on without the hosts');
    const e = await t.throwsAsync(loadInventory([src]), { instanceOf: LoadError });
    t.regex(e.message, d.tsplaySays);
    t.is(e.exitCode, 4);
  });
}
