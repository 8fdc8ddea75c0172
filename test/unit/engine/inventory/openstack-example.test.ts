// inventories/openstack.mjs, the example OpenStack inventory script, against a
// stand-in `openstack` client placed first on PATH that prints the answers
// recorded in test/fixtures/openstack/answers/. tsplay's --list must equal the
// real ansible-inventory's for the same script and PATH.

import test from 'ava';
import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { LoadError } from '../../../../engine/errors.js';
import { loadInventory, hostVars } from '../../../../engine/inventory/inventory.js';
import { ansibleInventoryList, canonical, haveAnsibleInventory, tsplayInventoryList } from '../../../helpers/ansible-inventory.js';

const SCRIPT = resolve('inventories/openstack.mjs');
const STANDIN_PATH = `${resolve('test/fixtures/openstack/bin')}:${process.env.PATH ?? ''}`;
// This file's worker runs every script with the stand-in first on PATH.
process.env.PATH = STANDIN_PATH;

function runScript(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(SCRIPT, args, { env: { ...process.env, ...env }, encoding: 'utf8' }, (err, stdout, stderr) => {
      done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const EXPECTED = {
  controller: { hosts: ['controller'] },
  compute: { hosts: ['compute1', 'compute2', 'compute3'] },
  hostvars: {
    controller: { openstack_zone: 'internal', openstack_service_status: 'enabled', openstack_service_state: 'up' },
    compute1: {
      openstack_zone: 'nova', openstack_service_status: 'enabled', openstack_service_state: 'up', ansible_host: '10.0.0.31',
      openstack_hypervisor_hostname: 'compute1.example.net', openstack_hypervisor_type: 'QEMU', openstack_hypervisor_state: 'up',
    },
    compute2: {
      openstack_zone: 'nova', openstack_service_status: 'disabled', openstack_service_state: 'up', ansible_host: '10.0.0.32',
      openstack_hypervisor_hostname: 'compute2.example.net', openstack_hypervisor_type: 'QEMU', openstack_hypervisor_state: 'up',
    },
    compute3: {
      openstack_zone: 'nova', openstack_service_status: 'enabled', openstack_service_state: 'down', ansible_host: '10.0.0.33',
      openstack_hypervisor_hostname: 'compute3.example.net', openstack_hypervisor_type: 'QEMU', openstack_hypervisor_state: 'down',
    },
  },
};

test('the script maps nova-compute to compute, nova-conductor to controller, the hypervisor Host IP to ansible_host', async (t) => {
  const r = await runScript(['--list'], {});
  t.is(r.code, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout), { controller: EXPECTED.controller, compute: EXPECTED.compute, _meta: { hostvars: EXPECTED.hostvars } });
  const host = await runScript(['--host', 'compute2'], {});
  t.deepEqual(JSON.parse(host.stdout), EXPECTED.hostvars.compute2);
  t.deepEqual(JSON.parse((await runScript(['--host', 'nosuch'], {})).stdout), {});
});

test('tsplay reads it: groups, ansible_host', async (t) => {
  const inv = await loadInventory([SCRIPT]);
  t.deepEqual(inv.groups.get('compute')!.hosts, EXPECTED.compute.hosts);
  t.deepEqual(inv.groups.get('controller')!.hosts, EXPECTED.controller.hosts);
  t.is(hostVars(inv, 'compute1').ansible_host, '10.0.0.31');
});

(haveAnsibleInventory ? test : test.skip)('tsplay inventory --list equals ansible-inventory --list for the example', async (t) => {
  const [ansible, ours] = await Promise.all([ansibleInventoryList([SCRIPT], [dirname(SCRIPT), resolve('test/fixtures/openstack')], { PATH: STANDIN_PATH }), tsplayInventoryList([SCRIPT])]);
  t.deepEqual(ours, ansible.list);
  t.deepEqual(ours, canonical({
    _meta: { hostvars: EXPECTED.hostvars },
    all: { children: ['ungrouped', 'controller', 'compute'] },
    controller: EXPECTED.controller,
    compute: EXPECTED.compute,
  }));
});

// Node stays reachable (the script's #! runs it through env); the stand-in does not.
const NO_OPENSTACK_PATH = `${dirname(process.execPath)}:/usr/bin:/bin`;

test.serial('without openstack on PATH it says so and exits 2; tsplay shows that and stops', async (t) => {
  const r = await runScript(['--list'], { PATH: NO_OPENSTACK_PATH });
  t.is(r.code, 2);
  t.regex(r.stderr, /^openstack\.mjs: the openstack command is not on PATH: install the OpenStack client/);
  t.is(r.stdout, '');
  process.env.PATH = NO_OPENSTACK_PATH;
  try {
    const e = await t.throwsAsync(loadInventory([SCRIPT]), { instanceOf: LoadError });
    t.regex(e.message, /inventory script \S+openstack\.mjs --list failed with exit code 2; its stderr:\nopenstack\.mjs: the openstack command is not on PATH/);
  } finally {
    process.env.PATH = STANDIN_PATH;
  }
});

test('a failing openstack call: its command, exit code and stderr; tsplay stops naming the script', async (t) => {
  const r = await runScript(['--list'], { OPENSTACK_STANDIN_FAIL: 'The request you have made requires authentication. (HTTP 401)' });
  t.is(r.code, 1);
  t.is(r.stderr, 'openstack.mjs: openstack compute service list --service nova-compute -f json failed with exit code 1:\nThe request you have made requires authentication. (HTTP 401)\n');
});

test.serial('tsplay stops with the script\'s message when openstack fails', async (t) => {
  process.env.OPENSTACK_STANDIN_FAIL = 'Missing value auth-url required for auth plugin password';
  try {
    const e = await t.throwsAsync(loadInventory([SCRIPT]), { instanceOf: LoadError });
    t.regex(e.message, /inventory script \S+openstack\.mjs --list failed with exit code 1; its stderr:\nopenstack\.mjs: openstack compute service list --service nova-compute -f json failed with exit code 1:\nMissing value auth-url/);
  } finally {
    delete process.env.OPENSTACK_STANDIN_FAIL;
  }
});
