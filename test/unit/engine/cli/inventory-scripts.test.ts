// Inventory scripts through the command line: `tsplay inventory --list` prints
// the script's inventory and its stderr as a warning; `tsplay run` with a
// script that fails stops with exit code 4 before any play starts, naming the
// script and showing its stderr; a working script's hosts are run.

import test from 'ava';
import { join } from 'node:path';
import { runCli } from '../../../helpers/cli-capture.js';
import { writeTreeWithScripts } from '../../../helpers/ansible-inventory.js';

const dir = writeTreeWithScripts({
  'good.sh': '#!/bin/sh\necho "using cached answer" >&2\necho \'{"web": {"hosts": ["local1"], "vars": {"greeting": "hi"}}, "_meta": {"hostvars": {"local1": {"ansible_connection": "local"}}}}\'\n',
  'bad.sh': '#!/bin/sh\necho "401 Unauthorized from the cloud API" >&2\nexit 5\n',
  'p.yml': '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: { msg: "{{ greeting }} from {{ inventory_hostname }}" }\n',
  'dir/a.ini': '[old]\nold1\n',
  'dir/b.yml': 'all:\n  hosts:\n    h1:\n',
}, ['good.sh', 'bad.sh']);

test.serial('tsplay inventory --list: the script\'s inventory, its stderr as a warning', async (t) => {
  const r = await runCli(['inventory', '-i', join(dir, 'good.sh'), '--list']);
  t.is(r.code, 0, r.err);
  t.deepEqual(JSON.parse(r.out), {
    _meta: { hostvars: { local1: { ansible_connection: 'local', greeting: 'hi' } } },
    all: { children: ['ungrouped', 'web'] },
    web: { hosts: ['local1'] },
  });
  t.is(r.err, `[WARNING]: inventory script ${join(dir, 'good.sh')} --list wrote on stderr:\nusing cached answer`);
});

test.serial('tsplay inventory: a skipped .ini file in a directory is a warning', async (t) => {
  const r = await runCli(['inventory', '-i', join(dir, 'dir'), '--list']);
  t.is(r.code, 0, r.err);
  t.deepEqual(Object.keys((JSON.parse(r.out) as { _meta: { hostvars: object } })._meta.hostvars), []);
  t.regex(r.out, /"h1"/);
  t.notRegex(r.out, /old1/);
  t.is(r.err, `[WARNING]: ${join(dir, 'dir/a.ini')}: skipped, as Ansible skips .ini files in an inventory directory (give it with its own -i to read it)`);
});

test.serial('tsplay run with a failing inventory script: exit 4, the script and its stderr named, no play started', async (t) => {
  const r = await runCli(['run', join(dir, 'p.yml'), '-i', join(dir, 'bad.sh')]);
  t.is(r.code, 4);
  t.regex(r.err, new RegExp(`inventory script ${join(dir, 'bad.sh').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} --list failed with exit code 5; its stderr:\\n401 Unauthorized from the cloud API`));
  t.notRegex(r.out, /PLAY/);
});

test.serial('tsplay run with a working script runs its hosts with its variables', async (t) => {
  const r = await runCli(['run', join(dir, 'p.yml'), '-i', join(dir, 'good.sh')]);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /"msg": "hi from local1"/);
  t.regex(r.err, /\[WARNING\]: inventory script \S+good\.sh --list wrote on stderr:\nusing cached answer/);
});
