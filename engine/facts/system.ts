// Host facts (the `ansible_facts` of a play), named and shaped as Ansible
// 2.14's setup module reports them: one fact whose argument is the set of
// collectors (gather_subset); the probes those collectors need are read in ONE
// round trip (engine/facts/setup/probes.ts) and parsed by pure functions
// (engine/facts/setup/*.ts). No overlay rule: no planned change alters them.

import type { Facts, HostReader, RunResult } from '../module-api.js';
import type { Fact } from './fact.js';
import { parseInitProbe, setInitSystemOf } from './init-system.js';
import { probesFor, PROBES } from './setup/probes.js';
import { parseOsRelease } from './setup/os-release.js';
import { resolveGatherSubset } from './setup/subset.js';
import {
  apparmorFacts, chrootFacts, cmdlineFacts, dateTimeFacts, distributionFacts, dnsFacts, envFacts, fipsFacts, loadavgFacts,
  localFacts, lsbFacts, pkgMgrFacts, platformFacts, selinuxFacts, serviceMgrName, sshKeyFacts, userFacts, pythonFacts, pythonVersionFacts,
} from './setup/platform.js';
import { cpuFacts, dmiFacts, memoryFacts, mountFacts, uptimeFacts } from './setup/hardware.js';
import { networkFacts, storageInitiatorFacts } from './setup/network.js';
import { tsplayVirtFacts, virtualFacts } from './setup/virtual.js';

export { parseOsRelease } from './setup/os-release.js';

export type ProbeResults = Record<string, RunResult>;

/** What to gather: Ansible's gather_subset list (default ['all']). */
export interface GatherSpec {
  subset?: readonly string[];
}

/** The probes, by name, for `all`. */
export const FACT_PROBES: ReadonlyArray<readonly [string, string]> = PROBES.map((p) => [p.key, p.sh] as const);

/**
 * Turn probe results into Facts for a set of collectors. Pure. tsplay's own
 * facts (os_id, os_version, os_codename, kvm, virtualization_hints) come with
 * the collectors that read them (distribution, virtual).
 */
export function parseFacts(p: ProbeResults, collectors: ReadonlySet<string> = resolveGatherSubset(['all'])): Facts {
  const has = (c: string) => collectors.has(c);
  const f: Record<string, unknown> = {};
  const init = parseInitProbe(p.init?.stdout ?? '');
  if (has('platform')) Object.assign(f, platformFacts(p), pythonVersionFacts(p));
  if (has('distribution')) {
    Object.assign(f, distributionFacts(p));
    const os = p.os_release?.rc === 0 ? parseOsRelease(p.os_release.stdout) : {};
    f.os_id = os.ID ?? 'unknown';
    f.os_version = os.VERSION_ID ?? '';
    if (os.VERSION_CODENAME) f.os_codename = os.VERSION_CODENAME;
  }
  if (has('lsb')) Object.assign(f, lsbFacts(p));
  if (has('user')) Object.assign(f, userFacts(p));
  if (has('python')) Object.assign(f, pythonFacts(p));
  if (has('date_time')) Object.assign(f, dateTimeFacts(p));
  if (has('dns')) Object.assign(f, dnsFacts(p));
  if (has('env')) Object.assign(f, envFacts(p));
  if (has('selinux')) Object.assign(f, selinuxFacts(p));
  if (has('apparmor')) Object.assign(f, apparmorFacts(p));
  if (has('fips')) Object.assign(f, fipsFacts(p));
  if (has('cmdline')) Object.assign(f, cmdlineFacts(p));
  if (has('ssh_pub_keys')) Object.assign(f, sshKeyFacts(p));
  if (has('pkg_mgr')) Object.assign(f, pkgMgrFacts(p, f.os_family as string | undefined));
  if (has('service_mgr')) f.service_mgr = serviceMgrName(p);
  if (has('chroot')) Object.assign(f, chrootFacts(p));
  if (has('loadavg')) Object.assign(f, loadavgFacts(p));
  if (has('local')) Object.assign(f, localFacts(p));
  if (has('hardware')) {
    Object.assign(f, cpuFacts(p, typeof f.architecture === 'string' ? f.architecture : ''), memoryFacts(p), mountFacts(p), uptimeFacts(p), dmiFacts(p));
  }
  if (has('network')) Object.assign(f, networkFacts(p));
  Object.assign(f, storageInitiatorFacts(p, collectors));
  if (has('virtual')) Object.assign(f, virtualFacts(p), tsplayVirtFacts(p));
  const facts = f as Facts;
  if (p.init) setInitSystemOf(facts, init);
  return facts;
}

/** The host's system facts: the argument is the gather_subset (unknown subsets throw before anything runs). */
export const systemFacts: Fact<GatherSpec | void, Facts> = {
  name: 'system',
  sections: (args) => probesFor(resolveGatherSubset(args[0]?.subset ?? ['all'])).map((p) => p.sh),
  parse: (args, results) => {
    const collectors = resolveGatherSubset(args[0]?.subset ?? ['all']);
    const p: ProbeResults = {};
    probesFor(collectors).forEach((probe, i) => (p[probe.key] = results[i]));
    return [parseFacts(p, collectors)];
  },
};

/** Gather facts in one round trip (default: all, as Ansible's gather_facts). */
export async function gatherFacts(host: Pick<HostReader, 'get'>, spec: GatherSpec = {}): Promise<Facts> {
  return host.get(systemFacts, spec);
}
