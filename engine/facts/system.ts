// Host facts (the `ansible_facts` of a play): one fact, its probes read in
// ONE round trip and parsed by a pure function. No overlay rule: no planned
// change alters them.

import type { Facts, HostReader, InitSystem, RunResult } from '../module-api.js';
import { quoteArgv } from '../host/shell.js';
import type { Fact } from './fact.js';
import { INIT_PROBE, parseInitProbe } from './init-system.js';

/** The probes, by name; each is one argv run by runAll. Constant text, no user input. */
export const FACT_PROBES: ReadonlyArray<readonly [string, string[]]> = [
  ['hostname', ['hostname']],
  ['fqdn', ['hostname', '-f']],
  ['os_release', ['cat', '/etc/os-release']],
  ['arch', ['uname', '-m']],
  ['init', ['sh', '-c', INIT_PROBE]],
  ['route', ['ip', '-4', 'route', 'show', 'default']],
  ['addrs', ['ip', '-4', '-o', 'addr', 'show', 'scope', 'global']],
  ['hostname_i', ['hostname', '-I']],
  ['kvm', ['test', '-e', '/dev/kvm']],
  ['detect_virt', ['systemd-detect-virt']],
  ['cpu_virt', ['grep', '-o', '-w', '-m', '1', '-E', 'vmx|svm', '/proc/cpuinfo']],
  ['container_file', ['test', '-e', '/run/systemd/container']],
  ['dockerenv', ['test', '-e', '/.dockerenv']],
];

export type ProbeResults = Record<string, RunResult>;

/** Parse /etc/os-release (KEY=value, values optionally quoted). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2];
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) {
      v = v.slice(1, -1).replace(/\\(["$`\\])/g, '$1');
    }
    out[m[1]] = v;
  }
  return out;
}

/** Service manager, in the spirit of Ansible's service_mgr fact. */
export function detectServiceMgr(p: ProbeResults): InitSystem {
  return parseInitProbe(p.init?.stdout ?? '');
}

/** Address of the default-route interface; without a default route, the first global IPv4 address. */
export function defaultIpv4(p: ProbeResults): string | undefined {
  const addrs: Array<{ dev: string; addr: string }> = [];
  if (p.addrs?.rc === 0) {
    for (const line of p.addrs.stdout.split('\n')) {
      // "2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0\       valid_lft ..."
      const m = /^\d+:\s+(\S+)\s+inet\s+([0-9.]+)\//.exec(line);
      if (m) addrs.push({ dev: m[1].replace(/@.*$/, ''), addr: m[2] });
    }
  }
  if (p.route?.rc === 0) {
    const m = /^default\b.*?\bdev\s+(\S+)/m.exec(p.route.stdout);
    if (m) {
      const hit = addrs.find((a) => a.dev === m[1]);
      if (hit) return hit.addr;
    }
  }
  if (addrs.length) return addrs[0].addr;
  if (p.hostname_i?.rc === 0) {
    const first = p.hostname_i.stdout.trim().split(/\s+/).find((w) => /^\d+\.\d+\.\d+\.\d+$/.test(w) && !w.startsWith('127.'));
    if (first) return first;
  }
  return undefined;
}

/** Turn the probe results into Facts. Pure. */
export function parseFacts(p: ProbeResults): Facts {
  const hostname = p.hostname?.rc === 0 ? p.hostname.stdout.trim() : '';
  const fqdnRaw = p.fqdn?.rc === 0 ? p.fqdn.stdout.trim() : '';
  const os = p.os_release?.rc === 0 ? parseOsRelease(p.os_release.stdout) : {};
  const hints: string[] = [];
  const dv = p.detect_virt?.stdout.trim() ?? '';
  // systemd-detect-virt prints "none" with rc 1 on bare metal
  if (dv && dv !== 'none') hints.push(dv);
  const cpu = p.cpu_virt?.rc === 0 ? p.cpu_virt.stdout.trim().split('\n')[0] : '';
  if (cpu === 'vmx' || cpu === 'svm') hints.push(cpu);
  if ((p.container_file?.rc === 0 || p.dockerenv?.rc === 0) && !hints.includes('container')) hints.push('container');
  const facts: Facts = {
    hostname: hostname.split('.')[0] || hostname,
    fqdn: fqdnRaw && !fqdnRaw.includes(' ') ? fqdnRaw : hostname,
    os_id: os.ID ?? 'unknown',
    os_version: os.VERSION_ID ?? '',
    architecture: p.arch?.rc === 0 ? p.arch.stdout.trim() : '',
    service_mgr: detectServiceMgr(p),
    kvm: p.kvm?.rc === 0,
    virtualization_hints: hints,
  };
  if (os.VERSION_CODENAME) facts.os_codename = os.VERSION_CODENAME;
  const ip = defaultIpv4(p);
  if (ip) facts.default_ipv4 = ip;
  return facts;
}

/** The host's system facts (argument: none). */
export const systemFacts: Fact<void, Facts> = {
  name: 'system',
  sections: () => FACT_PROBES.map(([, argv]) => quoteArgv(argv)),
  parse: (_args, results) => {
    const p: ProbeResults = {};
    FACT_PROBES.forEach(([key], i) => (p[key] = results[i]));
    return [parseFacts(p)];
  },
};

/** Gather facts in one round trip. */
export async function gatherFacts(host: Pick<HostReader, 'get'>): Promise<Facts> {
  return host.get(systemFacts, undefined);
}
