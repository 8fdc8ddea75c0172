// Inventory scripts, piece by piece: which files are scripts, the JSON error
// locator, the shape checks of --list output, the time bound, and stderr.
// The whole-inventory results are compared with ansible-inventory in
// dynamic-vs-ansible.test.ts.

import test from 'ava';
import { join } from 'node:path';
import { LoadError } from '../../../../engine/errors.js';
import { loadInventory } from '../../../../engine/inventory/inventory.js';
import { jsonSyntaxError } from '../../../../engine/inventory/json-error.js';
import { isInventoryScript, parseScriptList, readInventoryScript, scriptTimeoutMs } from '../../../../engine/inventory/script.js';
import { inventorySourcesIn } from '../../../../engine/inventory/directory.js';
import { writeTreeWithScripts } from '../../../helpers/ansible-inventory.js';

// Which files are scripts. Ansible runs any executable or "#!" file and falls
// back to YAML/INI when running fails (an executable without "#!" cannot be
// run: ENOEXEC); the resulting source is the same as tsplay's choice here.
const KINDS: [string, string, boolean, boolean | RegExp][] = [
  ['executable with #!', '#!/bin/sh\necho {}\n', true, true],
  ['executable ELF binary header', '\x7fELF....', true, true],
  ['executable YAML without #!', 'all:\n  hosts:\n    h1:\n', true, false],
  ['executable INI without #!', '[web]\nw1\n', true, false],
  ['plain YAML', 'all:\n  hosts:\n    h1:\n', false, false],
  ['"#!" but not executable', '#!/bin/sh\necho {}\n', false, /starts with "#!" but is not executable/],
  ['empty executable', '', true, false],
];

for (const [name, content, exec, expected] of KINDS) {
  test(`isInventoryScript: ${name}`, async (t) => {
    const dir = writeTreeWithScripts({ f: content }, exec ? ['f'] : []);
    if (expected instanceof RegExp) {
      const e = await t.throwsAsync(isInventoryScript(join(dir, 'f')), { instanceOf: LoadError });
      t.regex(e.message, expected);
    } else {
      t.is(await isInventoryScript(join(dir, 'f')), expected);
    }
  });
}

// JSON syntax errors: line, column (1-based) and what was expected. The
// positions of the first five, "[1, 2,]" and "[1, -]" are the ones Python's
// json module (which Ansible uses) reports, checked with python3 json.loads
// ("Expecting value: line 2 column 3 (char 15)", ...).
const JSON_ERRORS: [string, { line: number; col: number; reason: RegExp } | undefined][] = [
  ['{"g": ["h1",\n  ]}', { line: 2, col: 3, reason: /expected a value/ }],
  ['{"a": }', { line: 1, col: 7, reason: /expected a value/ }],
  ['{"a": 1 "b": 2}', { line: 1, col: 9, reason: /expected "," or "}"/ }],
  ['{"a": 1}\nextra', { line: 2, col: 1, reason: /unexpected "e" after the JSON value/ }],
  ['{a: 1}', { line: 1, col: 2, reason: /property name in double quotes/ }],
  ["{'a': 1}", { line: 1, col: 2, reason: /property name in double quotes/ }],
  ['{"a": "x', { line: 1, col: 9, reason: /unterminated string/ }],
  ['{"a": "\\q"}', { line: 1, col: 8, reason: /bad escape/ }],
  ['[1, 2,]', { line: 1, col: 7, reason: /expected a value/ }],
  ['', { line: 1, col: 1, reason: /expected a value.*the end of the output/ }],
  ['{"a": [1, -]}', { line: 1, col: 11, reason: /expected a value/ }],
  ['{"a": 1, "b": [true, false, null, -1.5e3, "\\u00e9"], "c": {}}', undefined],
  ['  [ ]  \n', undefined],
];

for (const [text, expected] of JSON_ERRORS) {
  test(`jsonSyntaxError: ${JSON.stringify(text)}`, (t) => {
    const got = jsonSyntaxError(text);
    let parses = true;
    try {
      JSON.parse(text);
    } catch {
      parses = false;
    }
    t.is(parses, expected === undefined, 'agrees with JSON.parse on validity');
    if (expected === undefined) return t.is(got, undefined);
    t.truthy(got);
    t.is(got!.line, expected.line);
    t.is(got!.col, expected.col);
    t.regex(got!.reason, expected.reason);
  });
}

// Shapes of --list output. Accepted ones as Ansible's script plugin reads them
// (the legacy form checked on ansible-inventory 2.14); refused ones are those
// Ansible rejects or misreads (a string of hosts read character by character).
const SHAPES: [string, unknown, unknown][] = [
  ['groups, list, legacy form, _meta', { web: { hosts: ['a'], vars: { x: 1 }, children: ['c'] }, c: ['b'], old: { v: 1 }, _meta: { hostvars: { a: { y: 2 } } } }, {
    groups: [
      { name: 'web', hosts: ['a'], vars: { x: 1 }, children: ['c'] },
      { name: 'c', hosts: ['b'], vars: {}, children: [] },
      { name: 'old', hosts: ['old'], vars: { v: 1 }, children: [] },
    ],
    hosts: ['a', 'b', 'old'],
    hostvars: { a: { y: 2 } },
  }],
  ['no _meta: hostvars undefined (--host per host)', { g: ['h'] }, { groups: [{ name: 'g', hosts: ['h'], vars: {}, children: [] }], hosts: ['h'] }],
  ['empty object', {}, { groups: [], hosts: [] }],
  ['a list', ['h1'], /expected a JSON object of groups \(and "_meta"\), found a list/],
  ['null', null, /found null/],
  ['hosts a string', { web: { hosts: 'h1' } }, /group "web": "hosts" must be a list of host names, found string "h1"/],
  ['hosts an object', { web: { hosts: { h1: {} } } }, /"hosts" must be a list of host names, found an object/],
  ['a host that is a number', { web: [1] }, /host names must be non-empty strings, found number 1/],
  ['an empty host name', { web: [''] }, /host names must be non-empty strings/],
  ['vars a list', { web: { vars: ['a'] } }, /group "web": "vars" must be an object of variables, found a list/],
  ['children a string', { web: { children: 'db' } }, /group "web": "children" must be a list of group names, found string "db"/],
  ['a group that is a string', { web: 'h1' }, /"hosts" must be a list of host names, found string "h1"/],
  ['_meta a list', { _meta: [] }, /"_meta" must be an object with "hostvars", found a list/],
  ['_meta.hostvars a list', { _meta: { hostvars: [] } }, /"_meta.hostvars" must be an object of host names/],
  ['hostvars of a host a string', { g: ['h'], _meta: { hostvars: { h: 'x' } } }, /"_meta.hostvars" of host "h" must be an object of variables, found string "x"/],
];

for (const [name, data, expected] of SHAPES) {
  test(`parseScriptList: ${name}`, (t) => {
    if (expected instanceof RegExp) {
      const e = t.throws(() => parseScriptList('inv.sh', data), { instanceOf: LoadError });
      t.regex(e.message, /^inventory script inv\.sh --list: /);
      t.regex(e.message, expected);
    } else {
      t.deepEqual(parseScriptList('inv.sh', data), expected);
    }
  });
}

const TIMEOUTS: [string | undefined, number | RegExp][] = [
  [undefined, 300_000],
  ['', 300_000],
  ['30', 30_000],
  ['0.5', 500],
  ['0', /TSPLAY_INVENTORY_SCRIPT_TIMEOUT="0": expected a positive number of seconds/],
  ['-1', /expected a positive number/],
  ['soon', /expected a positive number/],
];

for (const [raw, expected] of TIMEOUTS) {
  test(`scriptTimeoutMs: ${JSON.stringify(raw)}`, (t) => {
    const env = raw === undefined ? {} : { TSPLAY_INVENTORY_SCRIPT_TIMEOUT: raw };
    if (expected instanceof RegExp) t.regex(t.throws(() => scriptTimeoutMs(env), { instanceOf: LoadError }).message, expected);
    else t.is(scriptTimeoutMs(env), expected);
  });
}

test('a script past the bound is stopped with its process group, with a clear error, soon after the bound', async (t) => {
  // The script starts a child that would hold stdout open: both must go.
  const dir = writeTreeWithScripts({ 'inv.sh': '#!/bin/sh\necho "asking the cloud" >&2\nsleep 30 &\nwait\necho "{}"\n' }, ['inv.sh']);
  const start = Date.now();
  const e = await t.throwsAsync(readInventoryScript(join(dir, 'inv.sh'), 1000), { instanceOf: LoadError });
  const took = Date.now() - start;
  t.regex(e.message, /inventory script \S+inv\.sh --list did not finish within 1 s and was stopped \(the bound is TSPLAY_INVENTORY_SCRIPT_TIMEOUT, in seconds, default 300\); its stderr:\nasking the cloud/);
  t.true(took < 5000, `stopped after ${took} ms`);
});

test('a slow script within the bound gives its inventory', async (t) => {
  const dir = writeTreeWithScripts({ 'inv.sh': '#!/bin/sh\nsleep 1\necho \'{"g": ["h1"], "_meta": {"hostvars": {"h1": {"a": 1}}}}\'\n' }, ['inv.sh']);
  const got = await readInventoryScript(join(dir, 'inv.sh'), 10_000);
  t.deepEqual(got.groups, [{ name: 'g', hosts: ['h1'], vars: {}, children: [] }]);
  t.deepEqual([...got.hostVars], [['h1', { a: 1 }]]);
});

test('stderr of a script that succeeds is kept in the inventory warnings; --host is run per host without _meta', async (t) => {
  const dir = writeTreeWithScripts({
    'inv.sh': '#!/bin/sh\necho "note: cache is stale" >&2\nif [ "$1" = --list ]; then echo \'{"g": ["h1", "h2"]}\'; else echo "{\\"me\\": \\"$2\\"}"; fi\n',
  }, ['inv.sh']);
  const inv = await loadInventory([join(dir, 'inv.sh')]);
  t.deepEqual(inv.hosts.get('h2')!.inlineVars, { me: 'h2' });
  t.deepEqual(inv.shownWarnings?.map((w) => w.replace(dir, 'DIR')), [
    'inventory script DIR/inv.sh --list wrote on stderr:\nnote: cache is stale',
    'inventory script DIR/inv.sh --host h1 wrote on stderr:\nnote: cache is stale',
    'inventory script DIR/inv.sh --host h2 wrote on stderr:\nnote: cache is stale',
  ]);
  t.deepEqual(inv.warnings, inv.shownWarnings);
});

test('errors of --host name the host and show the place of bad JSON', async (t) => {
  const dir = writeTreeWithScripts({
    'inv.sh': '#!/bin/sh\nif [ "$1" = --list ]; then echo \'{"g": ["h1"]}\'; else echo "{nope"; fi\n',
    'fail.sh': '#!/bin/sh\nif [ "$1" = --list ]; then echo \'{"g": ["h1"]}\'; else echo "no such host" >&2; exit 1; fi\n',
    'list.sh': '#!/bin/sh\nif [ "$1" = --list ]; then echo \'{"g": ["h1"]}\'; else echo "[1]"; fi\n',
  }, ['inv.sh', 'fail.sh', 'list.sh']);
  const bad = await t.throwsAsync(loadInventory([join(dir, 'inv.sh')]), { instanceOf: LoadError });
  t.regex(bad.message, /inv\.sh \(output of --host h1\):1:2: inventory script \S+ --host h1 printed invalid JSON: expected a property name/);
  const failed = await t.throwsAsync(loadInventory([join(dir, 'fail.sh')]), { instanceOf: LoadError });
  t.regex(failed.message, /fail\.sh --host h1 failed with exit code 1; its stderr:\nno such host/);
  const list = await t.throwsAsync(loadInventory([join(dir, 'list.sh')]), { instanceOf: LoadError });
  t.regex(list.message, /list\.sh --host h1: expected a JSON object of the host's variables, found a list/);
});

test('a script killed by a signal, and one that prints no UTF-8, are errors naming it', async (t) => {
  const dir = writeTreeWithScripts({
    'killed.sh': '#!/bin/sh\nkill -TERM $$\n',
    'latin1.sh': '#!/bin/sh\nprintf \'{"g": ["caf\\351"]}\'\n',
  }, ['killed.sh', 'latin1.sh']);
  t.regex((await t.throwsAsync(loadInventory([join(dir, 'killed.sh')]), { instanceOf: LoadError })).message, /killed\.sh --list was killed by SIGTERM \(no output on stderr\)/);
  t.regex((await t.throwsAsync(loadInventory([join(dir, 'latin1.sh')]), { instanceOf: LoadError })).message, /latin1\.sh --list printed bytes that are not UTF-8/);
});

test('inventorySourcesIn: Ansible\'s order and ignore rules, recursively', async (t) => {
  const dir = writeTreeWithScripts({
    'b': '', 'a.yml': '', 'A': '', 'x.ini': '', 'y.cfg': '', 'z.retry': '', 'old~': '', 'n.orig': '', 'p.pyc': '', 'r.md': '', 't.txt': '',
    '.hidden': '', 'sub/c': '', 'sub/.h': '', 'sub/d.ini': '', 'group_vars/all.yml': '', 'host_vars/h': '', 'vars_plugins/v': '',
  }, []);
  const got = await inventorySourcesIn(dir);
  t.deepEqual(got.files.map((f) => f.slice(dir.length + 1)), ['A', 'a.yml', 'b', 'sub/c']);
  t.deepEqual(got.skippedIni.map((f) => f.slice(dir.length + 1)), ['sub/d.ini', 'x.ini']);
});
