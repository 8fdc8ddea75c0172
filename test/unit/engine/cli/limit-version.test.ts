// `-l` that leaves no host, and `--version` (issue 13): a limit matching no
// host of the inventory stops the run with ansible-playbook's warning and
// error and exit 1 (checked against ansible-playbook 2.14 on this machine when
// it is installed); a limit that matches runs. `tsplay --version` and
// `tsplay version` print the version from package.json.

import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../helpers/cli-capture.js';

const dir = mkdtempSync(join(tmpdir(), 'tsplay-limit-'));
const pb = join(dir, 'p.yml');
const inv = join(dir, 'hosts.ini');
writeFileSync(pb, '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: { msg: hi }\n');
writeFileSync(inv, 'localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const run = (argv: string[]) => runCli(argv);

const ERROR = 'ERROR! Specified inventory, host pattern and/or --limit leaves us with no hosts to target.';

test.serial('-l matching no host: Ansible\'s warning and error, exit 1, nothing run', async (t) => {
  const r = await run(['run', pb, '-i', inv, '-l', 'nomatch']);
  t.is(r.code, 1);
  t.true(r.err.includes('[WARNING]: Could not match supplied host pattern, ignoring: nomatch'), r.err);
  t.true(r.err.includes(ERROR), r.err);
  t.false(r.out.includes('PLAY'), r.out);
  if (existsSync('/usr/bin/ansible-playbook')) {
    const a = spawnSync('/usr/bin/ansible-playbook', ['-i', inv, pb, '-l', 'nomatch'], { encoding: 'utf8', env: { ...process.env, ANSIBLE_NOCOLOR: '1' } });
    t.is(a.status, 1);
    t.true(a.stderr.includes(ERROR), a.stderr);
  }
});

test.serial('-l matching a host runs it', async (t) => {
  const r = await run(['run', pb, '-i', inv, '-l', 'local*']);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /^localhost +: ok=1 /m);
});

test.serial('--version and version print the version of package.json', async (t) => {
  const { version } = JSON.parse(readFileSync(join(import.meta.dirname ?? '', '..', '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
  for (const argv of [['--version'], ['version']]) {
    const r = await run(argv);
    t.is(r.code, 0);
    t.regex(r.out, new RegExp(`^tsplay ${version.replaceAll('.', '\\.')}\\n  executable location = .*\\n  node version = v\\d+`));
  }
});
