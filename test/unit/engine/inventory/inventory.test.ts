// Inventory loading: YAML and INI formats, ranges, group_vars/host_vars,
// several sources, list/graph output, and errors that name file:line:col.

import test from 'ava';
import { join } from 'node:path';
import {
  loadInventory,
  inventoryFromText,
  inventoryList,
  inventoryGraph,
  groupNamesOf,
  groupsMap,
  hostVars,
  expandHostRange,
  parseIniValue,
  detectFormat,
  loadPlaybookVarsDir,
} from '../../../../engine/inventory/inventory.js';
import { LoadError } from '../../../../engine/errors.js';

const F = 'test/fixtures/inventories';

const hostGroups = (inv: Awaited<ReturnType<typeof loadInventory>>) =>
  Object.fromEntries([...inv.hosts.values()].map((h) => [h.name, h.groups]));

test('YAML: all/children/hosts/vars, ranges, host in several groups, ungrouped', async (t) => {
  const inv = await loadInventory([join(F, 'site/hosts.yml')]);
  t.deepEqual([...inv.hosts.keys()], ['bastion', 'web1', 'web2', 'web3', 'db1', 'db2']);
  t.deepEqual(hostGroups(inv), {
    bastion: ['all', 'ungrouped'],
    web1: ['all', 'web', 'prod'],
    web2: ['all', 'web', 'canary', 'prod'],
    web3: ['all', 'web', 'prod'],
    db1: ['all', 'db', 'prod'],
    db2: ['all', 'db', 'prod'],
  });
  const web = inv.groups.get('web')!;
  t.deepEqual(web.hosts, ['web1', 'web2', 'web3']);
  t.deepEqual(web.children, ['canary']);
  t.deepEqual(web.parents.sort(), ['all', 'prod']);
  t.is(web.depth, 2); // all -> prod -> web is the longest path
  t.is(inv.groups.get('canary')!.depth, 3);
  t.deepEqual(inv.groups.get('ungrouped')!.hosts, ['bastion']);
  // db1:2222 sets ansible_port
  t.is(inv.hosts.get('db1')!.inlineVars.ansible_port, 2222);
  t.deepEqual(groupNamesOf(inv, 'web2'), ['canary', 'prod', 'web']);
  t.deepEqual(groupNamesOf(inv, 'bastion'), ['ungrouped']);
  t.deepEqual(inv.sources, [join(F, 'site/hosts.yml')]);
});

test('group_vars/ and host_vars/: file, .yml, .yaml, directory merged in name order; unknown names warned', async (t) => {
  const inv = await loadInventory([join(F, 'site/hosts.yml')]);
  const web = inv.groups.get('web')!;
  t.deepEqual(web.fileVars, { web_file: 'base', web_port: 8080 }); // 20-override.yaml after 10-base.yml; notes.txt ignored
  t.deepEqual(inv.groups.get('db')!.fileVars, { level: 'db-file' }); // file without extension
  t.deepEqual(inv.groups.get('all')!.fileVars, { ntp: 'ntp.from-group-vars', from_all_file: true });
  t.deepEqual(inv.hosts.get('web1')!.fileVars, { level: 'web1-file' });
  t.deepEqual(inv.hosts.get('db2')!.fileVars, { ansible_port: 2200 });
  t.is(inv.warnings.length, 1);
  t.regex(inv.warnings[0], /nosuchgroup\.yml: no group named "nosuchgroup"/);
});

test('INI: sections, :vars, :children, comments, ranges, inline values parsed as Python literals', async (t) => {
  const inv = await loadInventory([join(F, 'ini/hosts')]);
  t.deepEqual(hostGroups(inv), {
    bastion: ['all', 'ungrouped'],
    web01: ['all', 'web', 'prod'],
    web02: ['all', 'web', 'prod'],
    web03: ['all', 'web', 'prod'],
    db1: ['all', 'db', 'prod'],
  });
  t.deepEqual(inv.hosts.get('web03')!.inlineVars, {
    ansible_port: 2201,
    enabled: true,
    ratio: 0.5,
    name: 'quoted value',
    answer: 'yes',
    nothing: null,
    list: [1, 'two'],
  });
  t.deepEqual(inv.groups.get('prod')!.inlineVars, { env: 'production', timeout: 30, greeting: 'hello world' });
  t.deepEqual(inv.groups.get('prod')!.fileVars, { env: 'prod-file' });
  t.deepEqual(inv.hosts.get('db1')!.fileVars, { role: 'primary' });
  t.deepEqual(inv.groups.get('prod')!.children, ['web', 'db']);
});

test('several sources merge; a later source wins for the same variable; a directory skips .ini files as Ansible does', async (t) => {
  const fromFiles = await loadInventory([join(F, 'multi/10-base.yml'), join(F, 'multi/20-more.ini')]);
  t.deepEqual([...fromFiles.hosts.keys()], ['web1', 'web2', 'db1']);
  t.deepEqual(hostVars(fromFiles, 'web1'), { tier: 'more', color: 'red', size: 1 });
  t.deepEqual(fromFiles.groups.get('web')!.hosts, ['web1', 'web2']);
  // In a directory, Ansible skips *.ini (INVENTORY_IGNORE_EXTS) and README.md: only 10-base.yml is read,
  // and tsplay says so in the warnings (ansible-inventory -i multi --list checked on Ansible 2.14).
  const fromDir = await loadInventory([join(F, 'multi')]);
  t.deepEqual([...fromDir.hosts.keys()], ['web1']);
  t.deepEqual(hostVars(fromDir, 'web1'), { tier: 'base', color: 'blue', size: 1 });
  t.deepEqual(fromDir.shownWarnings, [`${join(F, 'multi/20-more.ini')}: skipped, as Ansible skips .ini files in an inventory directory (give it with its own -i to read it)`]);
  // reversed order: the YAML source now wins
  const reversed = await loadInventory([join(F, 'multi/20-more.ini'), join(F, 'multi/10-base.yml')]);
  t.deepEqual(hostVars(reversed, 'web1'), { tier: 'base', color: 'blue', size: 1 });
});

test('a comma-separated host list is an inventory', async (t) => {
  const inv = await loadInventory(['web1,web2:2222,']);
  t.deepEqual([...inv.hosts.keys()], ['web1', 'web2']);
  t.deepEqual(inv.groups.get('ungrouped')!.hosts, ['web1', 'web2']);
  t.is(hostVars(inv, 'web2').ansible_port, 2222);
});

test('playbook-adjacent group_vars/host_vars sit above the inventory files', async (t) => {
  const inv = await loadInventory([join(F, 'site/hosts.yml')]);
  await loadPlaybookVarsDir(inv, join(F, 'playbook'));
  t.is(hostVars(inv, 'bastion').ntp, 'ntp.from-playbook');
  t.is(hostVars(inv, 'web1').level, 'web1-playbook-file');
  t.is(hostVars(inv, 'web2').level, 'canary-inline');
});

const rangeCases: Array<[string, string[]]> = [
  ['node[1:3]', ['node1', 'node2', 'node3']],
  ['node[01:03].lab', ['node01.lab', 'node02.lab', 'node03.lab']],
  ['node[08:10]', ['node08', 'node09', 'node10']],
  ['db-[a:c]', ['db-a', 'db-b', 'db-c']],
  ['n[1:10:4]', ['n1', 'n5', 'n9']],
  ['n[:2]', ['n0', 'n1', 'n2']],
  ['r[1:2]x[a:b]', ['r1xa', 'r1xb', 'r2xa', 'r2xb']],
  ['plain', ['plain']],
];
for (const [spec, expected] of rangeCases) {
  test(`range ${spec}`, (t) => {
    t.deepEqual(expandHostRange(spec), expected);
  });
}

const badRanges: Array<[string, RegExp]> = [
  ['node[3:1]', /start 3 is after end 1/],
  ['node[01:1]', /same width/],
  ['node[1:x]', /both be numbers or both single letters/],
  ['node[1:3', /unclosed "\["/],
  ['node1:3]', /unbalanced/],
  ['node[1]', /expected \[start:end\]/],
  ['node[1:5:0]', /bad step/],
];
for (const [spec, re] of badRanges) {
  test(`bad range ${spec}`, (t) => {
    t.throws(() => expandHostRange(spec), { message: re });
  });
}

const iniValues: Array<[string, unknown]> = [
  ['22', 22],
  ['-3', -3],
  ['0x1F', 31],
  ['1.5', 1.5],
  ['True', true],
  ['False', false],
  ['None', null],
  ['true', 'true'],
  ['yes', 'yes'],
  ["'22'", '22'],
  ['"a b"', 'a b'],
  ['[1, "x", [2]]', [1, 'x', [2]]],
  ['(1, 2)', [1, 2]],
  ["{'a': 1, 'b': [True]}", { a: 1, b: [true] }],
  ['0644', '0644'], // Python 3 rejects leading zeros: stays a string
  ['/etc/ssh/key', '/etc/ssh/key'],
  ['1.2.3.4', '1.2.3.4'],
  ['', ''],
];
for (const [text, expected] of iniValues) {
  test(`INI value ${JSON.stringify(text)}`, (t) => {
    t.deepEqual(parseIniValue(text), expected);
  });
}

const formats: Array<[string, string, 'yaml' | 'ini']> = [
  ['[web]\nweb1\n', 'hosts', 'ini'],
  ['# c\n[web]\n', 'x.yml', 'ini'],
  ['all:\n  hosts:\n', 'hosts', 'yaml'],
  ['---\nall:\n', 'hosts', 'yaml'],
  ['web1\nweb2 ansible_port=22\n', 'hosts', 'ini'],
  ['web1 a=1\n', 'inv.yml', 'ini'],
  ['{"all": {}}', 'inv.json', 'yaml'],
];
for (const [src, file, fmt] of formats) {
  test(`format of ${JSON.stringify(src)} (${file}) is ${fmt}`, (t) => {
    t.is(detectFormat(src, file), fmt);
  });
}

test('inventoryList has the ansible-inventory --list shape', async (t) => {
  const inv = await loadInventory([join(F, 'ini/hosts')]);
  const list = inventoryList(inv) as Record<string, unknown> & { _meta: { hostvars: Record<string, Record<string, unknown>> } };
  t.deepEqual(Object.keys(list), ['_meta', 'all', 'ungrouped', 'prod', 'web', 'db']);
  t.deepEqual(list.all, { children: ['ungrouped', 'prod'] });
  t.deepEqual(list.prod, { children: ['web', 'db'] });
  t.deepEqual(list.web, { hosts: ['web01', 'web02', 'web03'] });
  t.deepEqual(list.ungrouped, { hosts: ['bastion'] });
  t.deepEqual(Object.keys(list._meta.hostvars), ['bastion', 'web01', 'web02', 'web03', 'db1']);
  t.is(list._meta.hostvars.web01.env, 'prod-file');
  t.is(list._meta.hostvars.bastion.env, 'unset');
});

test('inventoryGraph draws the @all: tree, groups then hosts, sorted', async (t) => {
  const inv = await loadInventory([join(F, 'ini/hosts')]);
  t.is(
    inventoryGraph(inv),
    [
      '@all:',
      '  |--@prod:',
      '  |  |--@db:',
      '  |  |  |--db1',
      '  |  |--@web:',
      '  |  |  |--web01',
      '  |  |  |--web02',
      '  |  |  |--web03',
      '  |--@ungrouped:',
      '  |  |--bastion',
    ].join('\n'),
  );
  t.is(inventoryGraph(inv, 'web'), ['@web:', '  |--web01', '  |--web02', '  |--web03'].join('\n'));
  t.throws(() => inventoryGraph(inv, 'nope'), { instanceOf: LoadError, message: /no group named "nope"/ });
});

test('groupsMap is Ansible\'s groups variable, descendants included', async (t) => {
  const inv = await loadInventory([join(F, 'site/hosts.yml')]);
  const g = groupsMap(inv);
  t.deepEqual(g.all, ['bastion', 'web1', 'web2', 'web3', 'db1', 'db2']);
  t.deepEqual(g.ungrouped, ['bastion']);
  t.deepEqual(g.prod, ['web1', 'web2', 'web3', 'db1', 'db2']);
  t.deepEqual(g.canary, ['web2']);
});

test('an empty inventory has all and ungrouped only', (t) => {
  const inv = inventoryFromText('', 'empty.yml');
  t.deepEqual([...inv.groups.keys()], ['all', 'ungrouped']);
  t.is(inv.hosts.size, 0);
});

test('a host listed under all only is ungrouped; once in a group it is not', (t) => {
  const inv = inventoryFromText('all:\n  hosts:\n    a:\n    b:\nweb:\n  hosts:\n    b:\n', 'x.yml');
  t.deepEqual(inv.groups.get('ungrouped')!.hosts, ['a']);
  t.deepEqual(inv.hosts.get('b')!.groups, ['all', 'web']);
});

// Errors: exact file:line:col and what was expected.
const errorCases: Array<[string, string, RegExp]> = [
  ['cycle.yml', '7:13', /group "a" is its own ancestor: a -> b -> a/],
  ['cycle.ini', '5:1', /group "a" is its own ancestor: a -> b -> a/],
  ['unknown-key.yml', '6:7', /unknown key "host" in group "web": expected hosts, vars or children/],
  ['hosts-list.yml', '5:9', /"hosts" of group "web" must be a mapping of host names.*found a list/],
  ['vars-type.yml', '2:9', /"vars" of group "web" must be a mapping.*found a list/],
  ['host-vars-type.yml', '3:11', /host "web1" in group "web" must map to a mapping of variables or to nothing, found a string/],
  ['bad-range.yml', '4:5', /bad host range "\[3:1\]": start 3 is after end 1/],
  ['bad-range.ini', '3:3', /zero-padded range needs start and end of the same width/],
  ['bad-section.ini', '4:6', /unknown section type ":hostvars": expected :vars or :children/],
  ['bad-hostvar.ini', '2:22', /expected key=value after the host name, found "oops"/],
  ['vars-undefined.ini', '4:1', /\[dbs:vars\] is for a group that is not defined/],
  ['root-list.yml', '1:1', /an inventory must be a mapping of group names/],
];
for (const [file, where, re] of errorCases) {
  test(`error: ${file} at ${where}`, async (t) => {
    const path = join(F, 'errors', file);
    const err = await t.throwsAsync(loadInventory([path]), { instanceOf: LoadError });
    t.is(`${err.place?.line}:${err.place?.col}`, where);
    t.is(err.place?.file, path);
    t.true(err.message.startsWith(`${path}:${where}: `), err.message);
    t.regex(err.reason, re);
    t.is(err.exitCode, 4);
  });
}

test('error: a missing inventory file', async (t) => {
  await t.throwsAsync(loadInventory([join(F, 'nope.yml')]), { instanceOf: LoadError, message: /inventory not found/ });
});

test('error: a vars file that is not a mapping names its place', async (t) => {
  const { mkdtemp, mkdir, writeFile, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'tsplay-inv-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'hosts'), '[web]\nweb1\n');
  await mkdir(join(dir, 'group_vars'));
  await writeFile(join(dir, 'group_vars', 'web.yml'), '# vars\n- a\n- b\n');
  const err = await t.throwsAsync(loadInventory([join(dir, 'hosts')]), { instanceOf: LoadError });
  t.is(err.place?.file, join(dir, 'group_vars', 'web.yml'));
  t.is(err.place?.line, 2);
  t.regex(err.reason, /must be a mapping.*found a list/);
});

test('error: YAML syntax errors keep their place', (t) => {
  const err = t.throws(() => inventoryFromText('all:\n  hosts:\n    a: [1\n', 'broken.yml'), { instanceOf: LoadError });
  t.is(err.place?.file, 'broken.yml');
  t.regex(err.reason, /YAML syntax error/);
});
