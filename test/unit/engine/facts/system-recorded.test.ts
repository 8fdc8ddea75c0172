// The system-fact parsers against recorded probe output, with Ansible 2.14's
// own `setup` output for the same host as the expected value. Each pair was
// recorded with test/helpers/record-fact-probes.ts: tsplay's probes, then at
// once `ansible -m setup` on the same host (checked against the real Ansible,
// not written by hand):
//   vm       this machine (Debian 12 in a gVisor container: no systemd, docker marker), local connection
//   labhost  a lab host (Debian 12 under systemd-nspawn, systemd, python3 installed for Ansible), over SSH
// Values that move between the two readings (clock, uptime, free memory and
// disk, load) are compared by shape; everything else must be equal.

import test from 'ava';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFacts, type ProbeResults } from '../../../../engine/facts/system.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures', 'facts');
const load = (name: string): { probes: ProbeResults; ansible: Record<string, unknown> } => ({
  probes: JSON.parse(readFileSync(join(dir, `${name}.probes.json`), 'utf8')) as ProbeResults,
  ansible: JSON.parse(readFileSync(join(dir, `${name}.ansible.json`), 'utf8')) as Record<string, unknown>,
});

/** Facts that move between two readings a few seconds apart: same keys and types, not the same values. */
const MOVING = new Set(['date_time', 'uptime_seconds', 'memfree_mb', 'memory_mb', 'loadavg', 'mounts']);
/** Ansible facts tsplay does not produce (docs/playbooks.md says so and why). */
const NOT_OURS = new Set([
  'python', 'python_version', 'devices', 'device_links', 'lvm', 'system_capabilities', 'system_capabilities_enforced',
  'cmdline', 'proc_cmdline', // not recorded: the kernel command line is the machine's
  'gather_subset', 'module_setup', // set by the gathering step, not the parser (test/unit/engine/run/facts-vars.test.ts)
]);
/** tsplay's own extras. */
const EXTRAS = new Set(['os_id', 'os_version', 'os_codename', 'kvm', 'virtualization_hints']);
/** Lists whose order is the host's directory or hash order in Ansible (a set, or readdir). */
const UNORDERED = new Set(['interfaces', 'virtualization_tech_guest', 'virtualization_tech_host', 'all_ipv4_addresses', 'all_ipv6_addresses']);

function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]).sort());
  return typeof v;
}

for (const name of ['vm', 'labhost']) {
  test(`${name}: every fact Ansible's setup reports, as it reports it`, (t) => {
    let rec;
    try {
      rec = load(name);
    } catch {
      return t.fail(`missing recording ${name} (test/helpers/record-fact-probes.ts)`);
    }
    const ours = parseFacts(rec.probes) as Record<string, unknown>;
    const compared: string[] = [];
    for (const [prefixed, expected] of Object.entries(rec.ansible)) {
      const k = prefixed.replace(/^ansible_/, '');
      if (NOT_OURS.has(k)) continue;
      t.true(k in ours, `${name}: ${k} is missing`);
      if (MOVING.has(k)) t.deepEqual(shape(ours[k]), shape(expected), `${name}: ${k} (shape)`);
      else if (UNORDERED.has(k)) t.deepEqual([...(ours[k] as string[])].sort(), [...(expected as string[])].sort(), `${name}: ${k}`);
      else t.deepEqual(ours[k], expected, `${name}: ${k}`);
      compared.push(k);
    }
    for (const k of Object.keys(ours)) t.true(`ansible_${k}` in rec.ansible || EXTRAS.has(k) || k === 'cmdline', `${name}: ${k} is not Ansible's`);
    // the facts issue 11 lists, all there
    for (const k of ['os_family', 'distribution', 'distribution_version', 'distribution_major_version', 'distribution_release', 'hostname', 'fqdn',
      'nodename', 'domain', 'architecture', 'kernel', 'machine_id', 'processor_vcpus', 'processor_count', 'processor_cores', 'memtotal_mb',
      'memfree_mb', 'default_ipv4', 'all_ipv4_addresses', 'interfaces', 'mounts', 'pkg_mgr', 'service_mgr', 'env', 'date_time', 'user_id',
      'virtualization_type', 'virtualization_role']) {
      t.true(compared.includes(k), `${name}: ${k} compared`);
    }
  });
}
