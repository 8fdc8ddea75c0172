// Parsers for Ansible 2.14's Linux network collector: interfaces from
// /sys/class/net, addresses from `ip addr show primary|secondary`, the default
// IPv4/IPv6 routes from `ip -4|-6 route get`. Probe output in, Ansible-named
// facts out (interfaces, ansible_<iface>, default_ipv4, default_ipv6,
// all_ipv4_addresses, all_ipv6_addresses). Pure.

import type { FactMap, Probed } from './platform.js';

const INTERFACE_TYPE: Record<string, string> = { '1': 'ether', '32': 'infiniband', '512': 'ppp', '772': 'loopback', '65534': 'tunnel' };

type Iface = Record<string, unknown>;

/** `ip -4 route get 8.8.8.8`: interface, address (src), gateway (via). */
function routeGet(out: string | undefined, target: string): Record<string, string> {
  const r: Record<string, string> = {};
  const words = (out ?? '').split('\n')[0].trim().split(/\s+/);
  if (words[0] !== target) return r;
  for (let i = 0; i < words.length - 1; i++) {
    if (words[i] === 'dev') r.interface = words[i + 1];
    else if (words[i] === 'src') r.address = words[i + 1];
    else if (words[i] === 'via' && words[i + 1] !== target) r.gateway = words[i + 1];
  }
  return r;
}

function ipv4Net(address: string, prefix: string): { netmask: string; network: string } {
  const a = address.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const len = Number(prefix);
  const mask = len === 0 ? 0 : (0xffffffff - (2 ** (32 - len) - 1));
  const dotted = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
  // bitwise AND without 32-bit sign trouble
  let net = 0;
  for (let bit = 31; bit >= 0; bit--) {
    const v = 2 ** bit;
    if (Math.floor(a / v) % 2 === 1 && Math.floor(mask / v) % 2 === 1) net += v;
  }
  return { netmask: dotted(mask), network: dotted(net) };
}

/** The /sys/class/net probe: per interface, its attributes. */
function parseSysnet(text: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  let cur: Record<string, string> | undefined;
  for (const line of text.split('\n')) {
    const m = /^@@if (.+)$/.exec(line);
    if (m) {
      cur = {};
      out.set(m[1], cur);
      continue;
    }
    const i = line.indexOf('=');
    if (cur && i > 0) cur[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** `ip addr show` output split by device: device name -> its address lines. */
function addrLinesByDevice(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let dev: string | undefined;
  for (const line of text.split('\n')) {
    const h = /^\d+:\s+([^:@\s]+)(@[^:\s]*)?:/.exec(line);
    if (h) {
      dev = h[1];
      if (!out.has(dev)) out.set(dev, []);
      continue;
    }
    if (dev && /^\s+inet6?\s/.test(line)) out.get(dev)!.push(line.trim());
  }
  return out;
}

export function networkFacts(p: Probed): FactMap {
  const ok = (k: string) => p[k] !== undefined;
  if (!ok('sysnet') && !ok('ip_primary')) return {};
  const def4: Record<string, unknown> = routeGet(p.route4?.stdout, '8.8.8.8');
  const def6: Record<string, unknown> = routeGet(p.route6?.stdout, '2404:6800:400a:800::1012');
  const interfaces: Record<string, Iface> = {};
  const all4: string[] = [];
  const all6: string[] = [];
  const sys = parseSysnet(p.sysnet?.stdout ?? '');
  const primary = addrLinesByDevice(p.ip_primary?.rc === 0 ? p.ip_primary.stdout : '');
  const secondary = addrLinesByDevice(p.ip_secondary?.rc === 0 ? p.ip_secondary.stdout : '');
  for (const [device, a] of sys) {
    const f: Iface = { device };
    interfaces[device] = f;
    if (a.address !== undefined && a.address !== '' && a.address !== '00:00:00:00:00:00') f.macaddress = a.address;
    if (a.mtu !== undefined && /^\d+$/.test(a.mtu)) f.mtu = Number(a.mtu);
    if (a.operstate !== undefined) f.active = a.operstate !== 'down';
    if (a.module) f.module = a.module;
    if (a.type !== undefined) f.type = INTERFACE_TYPE[a.type] ?? 'unknown';
    if (a.bridge !== undefined) {
      f.type = 'bridge';
      f.interfaces = (a.brif ?? '').split(/\s+/).filter(Boolean);
      f.id = a.bridge;
      f.stp = a.stp === '1';
    }
    if (a.pciid) f.pciid = a.pciid;
    if (a.speed !== undefined && /^-?\d+$/.test(a.speed)) f.speed = Number(a.speed);
    if (a.flags !== undefined && /^0x[0-9a-f]+$/i.test(a.flags)) f.promisc = (parseInt(a.flags, 16) & 0x100) > 0;
    const macaddress = a.address;
    const parse = (ls: string[], isSecondary: boolean) => {
      for (const line of ls) {
        const w = line.split(/\s+/);
        if (w[0] === 'inet') {
          let address: string;
          let prefix: string;
          let broadcast = '';
          if (w[1].includes('/')) {
            [address, prefix] = w[1].split('/');
            if (w.length > 3 && w[2] === 'brd') broadcast = w[3];
          } else {
            address = w[1];
            prefix = '32';
          }
          const { netmask, network } = ipv4Net(address, prefix);
          const entry = { address, broadcast, netmask, network, prefix };
          const label = w[w.length - 1].replace(/:/g, '_');
          const target = label === device ? f : (interfaces[label] = interfaces[label] ?? {});
          if (!isSecondary && !('ipv4' in target)) target.ipv4 = entry;
          else target.ipv4_secondaries = [...((target.ipv4_secondaries as unknown[] | undefined) ?? []), entry];
          if (isSecondary && label !== device) f.ipv4_secondaries = [...((f.ipv4_secondaries as unknown[] | undefined) ?? []), entry];
          if (def4.address === address) {
            Object.assign(def4, { broadcast, netmask, network, prefix, macaddress, mtu: f.mtu, type: f.type ?? 'unknown', alias: w[w.length - 1] });
          }
          if (!address.startsWith('127.')) all4.push(address);
        } else if (w[0] === 'inet6') {
          let address: string;
          let prefix: string;
          let scope: string;
          if (w[2] === 'peer') {
            address = w[1];
            prefix = w[3].split('/')[1];
            scope = w[5];
          } else {
            [address, prefix] = w[1].split('/');
            scope = w[3];
          }
          f.ipv6 = [...((f.ipv6 as unknown[] | undefined) ?? []), { address, prefix, scope }];
          if (def6.address === address) Object.assign(def6, { prefix, scope, macaddress, mtu: f.mtu, type: f.type ?? 'unknown' });
          if (address !== '::1') all6.push(address);
        }
      }
    };
    parse(primary.get(device) ?? [], false);
    parse(secondary.get(device) ?? [], true);
  }
  const out: FactMap = {
    interfaces: Object.keys(interfaces),
    default_ipv4: def4,
    default_ipv6: def6,
    all_ipv4_addresses: all4,
    all_ipv6_addresses: all6,
  };
  // as Ansible: one fact per interface, ':' in its name becomes '_'
  for (const [name, f] of Object.entries(interfaces)) out[name.replace(/:/g, '_')] = f;
  out.interfaces = Object.keys(interfaces).map((n) => n.replace(/:/g, '_'));
  return out;
}

/** fibre_channel_wwn (port names without 0x), iscsi_iqn, hostnqn: each from its own collector. */
export function storageInitiatorFacts(p: Probed, collectors: ReadonlySet<string>): FactMap {
  const out: FactMap = {};
  if (collectors.has('fibre_channel_wwn')) {
    out.fibre_channel_wwn = (p.fc_wwn?.stdout ?? '').split('\n').map((l) => l.trim()).filter(Boolean).map((l) => l.replace(/^0x/, ''));
  }
  if (collectors.has('iscsi')) {
    const m = /^InitiatorName=(.*)$/m.exec(p.iscsi?.rc === 0 ? p.iscsi.stdout : '');
    out.iscsi_iqn = m ? m[1].trim() : '';
  }
  if (collectors.has('nvme')) out.hostnqn = p.nvme?.rc === 0 ? p.nvme.stdout.trim() : '';
  return out;
}
