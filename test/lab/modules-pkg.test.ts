// pip and apt_key on real hosts (issue 12, part pkg), lab `mpkg` with 2 hosts:
// one playbook of the system-wide forms (Debian's python3-pip and python3-venv
// from the mirror, a virtualenv in /opt, a system-wide install with
// --break-system-packages, keys in apt-key's default keyring and in a keyring
// of /etc/apt/keyrings), run with ansible-playbook on host 1 and tsplay on
// host 2 (test/helpers/ansible-compare.ts compares the end states: every file
// made or changed, the packages). Before that, tsplay --check on host 2 must
// predict exactly the (host, task) pairs its real run then changes, and the
// second run must change nothing, with both tools. Effects are also checked
// over plain ssh. Wheels and keys are made by the test: no index, no key server.

import test from 'ava';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp, type LabInfo } from '../../engine/lab/index.js';
import { ansibleMissing, compareCase, formatResult, inventoryFor, PREPARED_PACKAGES, prepareHost, hostRun } from '../helpers/ansible-compare.js';
import { labGate } from '../helpers/lab-gate.js';
import { changedPairs, labOut, runJson } from '../helpers/lab-cli.js';
import { makeWheels } from '../helpers/pip-fixtures.js';
import { makeKeys } from '../helpers/gpg-keys.js';

const LAB = 'mpkg';
const canHost = labGate('the pip and apt_key lab test');
const noAnsible = ansibleMissing();

if (canHost && noAnsible !== undefined) {
  test('ansible-playbook is installed for the pkg lab test', (t) => t.fail(`missing ${noAnsible} (apt-get install ansible-core)`));
}

if (canHost && noAnsible === undefined) {
  test.after.always('lab down', async () => {
    await labDown(LAB);
  });

  test('pip and apt_key: --check predicts the run, Ansible\'s end state, the second run changes nothing', async (t) => {
    t.timeout(30 * 60_000);
    const work = mkdtempSync(join(tmpdir(), 'tsplay-mpkg-'));
    try {
      makeWheels(join(work, 'wheels'), [['tinya', '1.0'], ['tinya', '2.0'], ['tiny-b', '0.5'], ['tiny_c', '3.1']]);
      const [k1, k2] = makeKeys(['Lab One <one@example.org>', 'Lab Two <two@example.org>']);
      writeFileSync(join(work, 'k1.asc'), k1.armored);
      writeFileSync(join(work, 'k2.asc'), k2.armored);
      writeFileSync(join(work, 'requirements.txt'), 'tiny-b==0.5\n');
      const extra = '--no-index --find-links /opt/wheels';
      const playbook = join(work, 'pkg.yml');
      writeFileSync(playbook, JSON.stringify([{
        hosts: 'all', gather_facts: false,
        tasks: [
          { name: 'pip and venv from Debian', apt: { name: ['python3-pip', 'python3-venv'], state: 'present' } },
          { name: 'wheel directory', file: { path: '/opt/wheels', state: 'directory', mode: '0755' } },
          { name: 'wheels', copy: { src: 'wheels/{{ item }}', dest: '/opt/wheels/{{ item }}', mode: '0644' }, loop: readdirSync(join(work, 'wheels')).sort() },
          { name: 'requirements file', copy: { src: 'requirements.txt', dest: '/opt/app-requirements.txt' } },
          { name: 'a virtualenv with tinya', pip: { name: 'tinya', virtualenv: '/opt/app/venv', virtualenv_command: 'python3 -m venv', extra_args: extra } },
          { name: 'pinned in the virtualenv', pip: { name: 'tinya', version: '1.0', virtualenv: '/opt/app/venv', extra_args: extra } },
          { name: 'requirements in the virtualenv', pip: { requirements: '/opt/app-requirements.txt', virtualenv: '/opt/app/venv', extra_args: extra } },
          { name: 'absent in the virtualenv', pip: { name: 'tiny_c', state: 'absent', virtualenv: '/opt/app/venv' } },
          { name: 'system-wide, PEP 668 overridden', pip: { name: 'tiny_c', extra_args: `--break-system-packages ${extra}` } },
          { name: 'key into the default keyring', apt_key: { data: "{{ lookup('file', 'k1.asc') }}", state: 'present' } },
          { name: 'key file on the host', copy: { src: 'k2.asc', dest: '/root/k2.asc' } },
          { name: 'key into a keyring file', apt_key: { file: '/root/k2.asc', keyring: '/etc/apt/keyrings/lab.gpg' } },
          { name: 'a key that is not there', apt_key: { id: k2.id, state: 'absent' } },
        ],
      }], null, 1));

      await labDown(LAB);
      const info: LabInfo = await labUp({ name: LAB, hosts: 2 , packages: PREPARED_PACKAGES });
      await Promise.all(info.hosts.map((h) => prepareHost(info, h.name)));
      await Promise.all(info.hosts.map((h) => hostRun(info, h.name, 'command -v gpg >/dev/null || (DEBIAN_FRONTEND=noninteractive apt-get -q -y install gnupg >/dev/null)')));
      const [A, B] = info.hosts.map((h) => h.name);

      // tsplay --check on host 2 first: it must change nothing and predict the run.
      const inv = join(work, 'inventory-b.yml');
      writeFileSync(inv, inventoryFor(info, B));
      const check = await runJson([playbook, '-i', inv, '--check']);
      t.is(check.code, 0, check.stdout + check.stderr);

      const r = await compareCase(info, 'pkg', playbook, { ansibleHost: A, tsplayHost: B, log: (l) => t.log(l) });
      t.log(formatResult(r));
      t.true(r.ansibleOk, 'ansible-playbook failed');
      t.true(r.tsplayOk, 'tsplay failed');
      // The one deliberate difference (docs/modules/apt_key.md): Ansible's gpg call to read a key's id
      // leaves root's ~/.gnupg behind; tsplay reads it in a throw-away home.
      const gpgHome = (d: { what: string }) => /^\/root\/\.gnupg(\/|$)/.test(d.what);
      t.deepEqual(r.differences.filter((d) => !gpgHome(d)), [], 'end states differ');
      t.true(r.differences.filter(gpgHome).every((d) => d.tsplay === 'unchanged'), 'tsplay made nothing in ~/.gnupg');
      t.is(r.ansible2?.changed, 0, "Ansible's second run changed something");
      t.is(r.tsplay2?.changed, 0, "tsplay's second run changed something");
      const runPairs = changedPairs({ code: 0, events: r.tsplay1.output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as never), ms: 0, stdout: '', stderr: '' });
      // The one known gap of pip's --check (docs/modules/pip.md, an open defect of issue 12): tinya is
      // predicted installed into a virtualenv that only --check made, its version unknown, so the pin
      // that follows is taken as met; the run downgrades it.
      const KNOWN_GAP = `${B} | pinned in the virtualenv`;
      t.deepEqual(changedPairs(check), runPairs.filter((p) => p !== KNOWN_GAP), '--check predicted what the run changed, but for the known gap');
      t.true(runPairs.includes(KNOWN_GAP), 'the pin changed in the run');
      t.is(r.tsplay1.changed, r.ansible1.changed, 'the same number of changed tasks as Ansible');

      // The effects, over plain ssh, on both hosts.
      for (const h of [A, B]) {
        t.regex(await labOut(info, h, '/opt/app/venv/bin/pip3 list --format=freeze'), /^tinya==1\.0$/m);
        t.regex(await labOut(info, h, '/opt/app/venv/bin/pip3 list --format=freeze'), /^tiny-b==0\.5$/m);
        t.regex(await labOut(info, h, '/usr/bin/python3 -m pip list --format=freeze 2>/dev/null'), /^tiny_c==3\.1$/mi);
        t.regex(await labOut(info, h, 'LC_ALL=C apt-key adv --list-public-keys --keyid-format=long 2>/dev/null'), new RegExp(k1.id));
        t.regex(await labOut(info, h, 'LC_ALL=C apt-key --keyring /etc/apt/keyrings/lab.gpg adv --list-public-keys --keyid-format=long 2>/dev/null'), new RegExp(k2.id));
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}
