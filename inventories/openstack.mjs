#!/usr/bin/env node
// Dynamic inventory for an OpenStack cloud: its controllers and compute nodes,
// read from the cloud's own API through the `openstack` command-line client.
//
//   tsplay inventory -i inventories/openstack.mjs --list
//   tsplay run playbooks/live-migration.yml -i inventories/openstack.mjs -i vars.yml
//
// (vars.yml: a YAML inventory holding only the `all: vars:` of
// inventories/site.yml; sources given together merge.)
//
// Needs the `openstack` client on PATH (Debian: python3-openstackclient) and
// admin credentials in the environment (`source admin-openrc.sh`, or OS_CLOUD
// with a clouds.yaml). It runs, read-only:
//   openstack compute service list --service nova-compute -f json    -> group compute
//   openstack compute service list --service nova-conductor -f json  -> group controller
//   openstack hypervisor list -f json                                -> ansible_host of computes
// A compute is named as nova names it (the service's Host); its ansible_host is
// the Host IP of the hypervisor of the same name (or whose first label is
// that name). Controllers get no ansible_host: they are reached by name.
// Variables: openstack_zone, openstack_service_status (enabled/disabled),
// openstack_service_state (up/down), and for computes openstack_hypervisor_hostname,
// openstack_hypervisor_type, openstack_hypervisor_state.
//
// The inventory-script contract (tsplay and Ansible): `--list` prints the
// groups and _meta.hostvars as JSON; `--host NAME` prints one host's variables.
// docs/inventory.md, "Dynamic inventories".
import { spawnSync } from 'node:child_process';
import { basename } from 'node:path';

const me = basename(process.argv[1] ?? 'openstack.mjs');

function fail(message, code = 1) {
  process.stderr.write(`${me}: ${message}\n`);
  process.exit(code);
}

function openstack(...args) {
  const shown = `openstack ${args.join(' ')}`;
  const r = spawnSync('openstack', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  if (r.error && r.error.code === 'ENOENT') {
    fail('the openstack command is not on PATH: install the OpenStack client (Debian: apt install python3-openstackclient) and load your credentials (source admin-openrc.sh, or set OS_CLOUD)', 2);
  }
  if (r.error) fail(`cannot run ${shown}: ${r.error.message}`);
  if (r.status !== 0) {
    const how = r.signal ? `was killed by ${r.signal}` : `failed with exit code ${r.status}`;
    fail(`${shown} ${how}${r.stderr.trim() ? `:\n${r.stderr.trimEnd()}` : ''}`);
  }
  let data;
  try {
    data = JSON.parse(r.stdout);
  } catch (e) {
    fail(`${shown} did not print JSON (${e.message})`);
  }
  if (!Array.isArray(data)) fail(`${shown} printed JSON that is not a list`);
  return data;
}

const short = (name) => String(name).split('.')[0];

function inventory() {
  const computes = openstack('compute', 'service', 'list', '--service', 'nova-compute', '-f', 'json');
  const conductors = openstack('compute', 'service', 'list', '--service', 'nova-conductor', '-f', 'json');
  const hypervisors = openstack('hypervisor', 'list', '-f', 'json');
  const hostvars = {};
  const groups = { controller: { hosts: [] }, compute: { hosts: [] } };
  const serviceVars = (s) => ({
    openstack_zone: s.Zone,
    openstack_service_status: s.Status,
    openstack_service_state: s.State,
  });
  for (const s of conductors) {
    if (!s.Host) continue;
    if (!groups.controller.hosts.includes(s.Host)) groups.controller.hosts.push(s.Host);
    hostvars[s.Host] = { ...serviceVars(s), ...hostvars[s.Host] };
  }
  for (const s of computes) {
    if (!s.Host) continue;
    if (!groups.compute.hosts.includes(s.Host)) groups.compute.hosts.push(s.Host);
    const hv = hypervisors.find((h) => h['Hypervisor Hostname'] === s.Host) ??
      hypervisors.find((h) => short(h['Hypervisor Hostname']) === short(s.Host));
    const vars = { ...hostvars[s.Host], ...serviceVars(s) };
    if (hv) {
      if (hv['Host IP']) vars.ansible_host = hv['Host IP'];
      vars.openstack_hypervisor_hostname = hv['Hypervisor Hostname'];
      if (hv['Hypervisor Type'] !== undefined) vars.openstack_hypervisor_type = hv['Hypervisor Type'];
      if (hv.State !== undefined) vars.openstack_hypervisor_state = hv.State;
    } else {
      process.stderr.write(`${me}: compute ${s.Host} has no hypervisor in "openstack hypervisor list": no ansible_host, it is reached by name\n`);
    }
    hostvars[s.Host] = vars;
  }
  return { ...groups, _meta: { hostvars } };
}

const [mode, host] = process.argv.slice(2);
if (mode === '--list') {
  process.stdout.write(JSON.stringify(inventory(), null, 2) + '\n');
} else if (mode === '--host' && host !== undefined) {
  process.stdout.write(JSON.stringify(inventory()._meta.hostvars[host] ?? {}) + '\n');
} else {
  fail('usage: openstack.mjs --list | --host NAME', 2);
}
