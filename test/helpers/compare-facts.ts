// Compare tsplay's facts with what Ansible's setup printed for the same host
// (test/unit/engine/facts/system-recorded.test.ts, test/lab/facts.test.ts).

import type { ExecutionContext } from 'ava';

/** Facts that move between two readings a few seconds apart: same keys and types, not the same values. */
export const MOVING = new Set(['date_time', 'uptime_seconds', 'memfree_mb', 'memory_mb', 'loadavg', 'mounts']);
/** Ansible facts tsplay does not produce (docs/playbooks.md says which and why). */
export const NOT_OURS = new Set([
  'devices', 'device_links', 'lvm', 'system_capabilities', 'system_capabilities_enforced',
  'cmdline', 'proc_cmdline', // not recorded: the kernel command line is the machine's
  'gather_subset', 'module_setup', // set by the gathering step, not the parser
]);
/** tsplay's own extras. */
export const EXTRAS = new Set(['os_id', 'os_version', 'os_codename', 'kvm', 'virtualization_hints']);
/** Lists in a host-dependent order in Ansible (a Python set, or directory order). */
export const UNORDERED = new Set(['interfaces', 'virtualization_tech_guest', 'virtualization_tech_host', 'all_ipv4_addresses', 'all_ipv6_addresses']);
/** Environment variables compared: OpenSSH forwards the controller's LANG and Ansible runs in a pty (TERM, SSH_TTY); tsplay does neither. */
export const ENV_COMPARED = ['HOME', 'LOGNAME', 'SHELL', 'USER', 'PATH'];

/** The facts issue 11 lists: each must be there and compared. */
export const LISTED = ['os_family', 'distribution', 'distribution_version', 'distribution_major_version', 'distribution_release', 'hostname', 'fqdn',
  'nodename', 'domain', 'architecture', 'kernel', 'machine_id', 'processor_vcpus', 'processor_count', 'processor_cores', 'memtotal_mb',
  'memfree_mb', 'default_ipv4', 'all_ipv4_addresses', 'interfaces', 'mounts', 'pkg_mgr', 'service_mgr', 'env', 'date_time', 'user_id',
  'virtualization_type', 'virtualization_role'];

function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]).sort());
  return typeof v;
}

const pick = (env: unknown): Record<string, unknown> =>
  Object.fromEntries(Object.entries(env as Record<string, unknown>).filter(([k]) => ENV_COMPARED.includes(k)));

/** Every fact of Ansible's (ansible_-prefixed) set, compared with ours (unprefixed); returns the names compared. */
export function compareFacts(
  t: ExecutionContext, label: string, ours: Record<string, unknown>, ansible: Record<string, unknown>,
  /** Facts whose probe the recording predates (compared live by test/lab/facts.test.ts). */
  notRecorded: ReadonlySet<string> = new Set(),
): string[] {
  const compared: string[] = [];
  for (const [prefixed, expected] of Object.entries(ansible)) {
    const k = prefixed.replace(/^ansible_/, '');
    if (NOT_OURS.has(k) || notRecorded.has(k)) continue;
    if (!(k in ours)) {
      t.fail(`${label}: ${k} is missing`);
      continue;
    }
    if (MOVING.has(k)) t.deepEqual(shape(ours[k]), shape(expected), `${label}: ${k} (shape)`);
    else if (UNORDERED.has(k)) t.deepEqual([...(ours[k] as string[])].sort(), [...(expected as string[])].sort(), `${label}: ${k}`);
    else if (k === 'env') t.deepEqual(pick(ours[k]), pick(expected), `${label}: env`);
    else t.deepEqual(ours[k], expected, `${label}: ${k}`);
    compared.push(k);
  }
  // Ansible prints gather_subset and module_setup without the ansible_ prefix.
  for (const k of Object.keys(ours)) t.true(`ansible_${k}` in ansible || k in ansible || EXTRAS.has(k) || k === 'cmdline' || k === 'proc_cmdline', `${label}: ${k} is not Ansible's`);
  for (const k of LISTED) t.true(compared.includes(k), `${label}: ${k} compared`);
  return compared;
}
