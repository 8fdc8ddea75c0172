// Parsers for Ansible 2.14's hardware collector on Linux: processor facts
// from /proc/cpuinfo, memory from /proc/meminfo, mounts with their statvfs
// numbers, uptime, DMI. Probe output in, Ansible-named facts out. Pure.

import type { FactMap, Probed } from './platform.js';

const ok = (r: Probed[string]): r is NonNullable<Probed[string]> => r !== undefined && r.rc === 0;

/** processor, processor_count, _cores, _threads_per_core, _vcpus, _nproc, as Ansible's get_cpu_facts (x86 path). */
export function cpuFacts(p: Probed, architecture: string): FactMap {
  if (!ok(p.cpuinfo)) return {};
  const processor: string[] = [];
  let i = 0;
  let vendorIds = 0;
  let modelNames = 0;
  let processors = 0;
  let physid = '0';
  let coreid = '0';
  const sockets = new Map<string, number>();
  const cores = new Map<string, number>();
  const out: FactMap = {};
  for (const line of p.cpuinfo.stdout.split('\n')) {
    const c = line.indexOf(':');
    const key = (c < 0 ? line : line.slice(0, c)).trim();
    const val = c < 0 ? '' : line.slice(c + 1).trim();
    if (['model name', 'Processor', 'vendor_id', 'cpu', 'Vendor', 'processor'].includes(key)) {
      processor.push(val);
      if (key === 'vendor_id') vendorIds++;
      if (key === 'model name') modelNames++;
      if (key === 'processor') processors++;
      i++;
    } else if (key === 'physical id') {
      physid = val;
      if (!sockets.has(physid)) sockets.set(physid, 1);
    } else if (key === 'core id') {
      coreid = val;
      // (sic) Ansible tests the socket table here, so each new core id starts at 1
      if (!sockets.has(coreid)) cores.set(coreid, 1);
    } else if (key === 'cpu cores') {
      sockets.set(physid, parseInt(val, 10));
    } else if (key === 'siblings') {
      cores.set(coreid, parseInt(val, 10));
    } else if (key === '# processors') {
      out.processor_cores = parseInt(val, 10);
    } else if (key === 'ncpus active') {
      i = parseInt(val, 10);
    }
  }
  if (vendorIds > 0 && vendorIds === modelNames) i = vendorIds;
  if (/^(armv|aarch|ppc)/.test(architecture)) i = processors;
  out.processor = processor;
  out.processor_count = sockets.size ? sockets.size : i;
  const sv = [...sockets.values()];
  out.processor_cores = sv.length && sv[0] ? sv[0] : 1;
  const cv = [...cores.values()];
  out.processor_threads_per_core = Math.floor((cv.length ? cv[0] : 1) / (out.processor_cores as number));
  out.processor_vcpus = (out.processor_threads_per_core as number) * (out.processor_count as number) * (out.processor_cores as number);
  out.processor_nproc = ok(p.nproc) && /^\d+$/.test(p.nproc.stdout.trim()) ? Number(p.nproc.stdout.trim()) : processors;
  return out;
}

/** memtotal_mb, memfree_mb, swaptotal_mb, swapfree_mb and memory_mb. */
export function memoryFacts(p: Probed): FactMap {
  if (!ok(p.meminfo)) return {};
  const m: Record<string, number> = {};
  for (const line of p.meminfo.stdout.split('\n')) {
    const r = /^(\w+(?:\(\w+\))?):\s*(\d+)/.exec(line);
    if (r) m[r[1].toLowerCase()] = Math.floor(Number(r[2]) / 1024);
  }
  const out: FactMap = {};
  for (const k of ['memtotal', 'swaptotal', 'memfree', 'swapfree']) if (m[k] !== undefined) out[`${k}_mb`] = m[k];
  const sub = (a?: number, b?: number) => (a === undefined || b === undefined ? null : a - b);
  const nocacheFree = m.cached !== undefined && m.memfree !== undefined && m.buffers !== undefined ? m.cached + m.memfree + m.buffers : undefined;
  out.memory_mb = {
    real: { total: m.memtotal ?? null, used: sub(m.memtotal, m.memfree), free: m.memfree ?? null },
    nocache: { free: nocacheFree ?? null, used: sub(m.memtotal, nocacheFree) },
    swap: { total: m.swaptotal ?? null, free: m.swapfree ?? null, used: sub(m.swaptotal, m.swapfree), cached: m.swapcached ?? null },
  };
  return out;
}

/** /proc/mounts' octal escapes (\040 for a space). */
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** mounts: one entry per mtab line whose device is a path or host:/path (and fstype is not none), as Ansible lists them. */
export function mountFacts(p: Probed): FactMap {
  if (!p.mounts) return {};
  const [mtab = '', rest = ''] = p.mounts.stdout.split('@@statvfs\n');
  const [statText = '', rest2 = ''] = rest.split('@@uuid\n');
  const [uuidText = '', bindText = ''] = rest2.split('@@bind\n');
  const stats = new Map<string, number[]>();
  for (const line of statText.split('\n')) {
    const t = line.lastIndexOf('\t');
    if (t < 0) continue;
    const nums = line.slice(t + 1).trim().split(/\s+/).map(Number);
    if (nums.length === 7 && nums.every((n) => Number.isFinite(n))) stats.set(line.slice(0, t), nums);
  }
  const uuids = new Map<string, string>();
  for (const line of uuidText.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 2 && !uuids.has(f[0])) uuids.set(f[0], f[f.length - 1]);
  }
  const binds = new Set<string>();
  for (const line of bindText.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 2 && /\]/.test(f[1])) binds.add(f[0]);
  }
  // as Ansible (a dict by mount point): a mount point listed twice keeps its first place and its last entry
  const byMount = new Map<string, FactMap>();
  for (const line of mtab.split('\n')) {
    const f = line.split(/\s+/).filter(Boolean);
    if (f.length < 4) continue;
    const [device, mount, fstype, options] = f.slice(0, 4).map(unescape);
    if ((!device.startsWith('/') && !device.startsWith('\\') && !device.includes(':/')) || fstype === 'none') continue;
    const e: FactMap = { mount, device, fstype, options: binds.has(mount) && !/.*bind.*"/.test(options) ? `${options},bind` : options };
    const s = stats.get(mount);
    if (s) {
      const [frsize, bsize, blocks, , bavail, files, ffree] = s;
      Object.assign(e, {
        size_total: frsize * blocks, size_available: frsize * bavail,
        block_size: bsize, block_total: blocks, block_available: bavail, block_used: blocks - bavail,
        inode_total: files, inode_available: ffree, inode_used: files - ffree,
      });
    }
    e.uuid = uuids.get(device) || 'N/A';
    byMount.set(mount, e);
  }
  return { mounts: [...byMount.values()] };
}

export function uptimeFacts(p: Probed): FactMap {
  if (!ok(p.uptime)) return {};
  const s = parseFloat(p.uptime.stdout.split(' ')[0]);
  return Number.isFinite(s) ? { uptime_seconds: Math.trunc(s) } : {};
}

/** DMI: bios_*, board_*, chassis_*, product_*, system_vendor, form_factor; "NA" where the host has none. */
export function dmiFacts(p: Probed): FactMap {
  const d = dmiValues(p);
  const v = (k: string) => d[k] ?? 'NA';
  const out: FactMap = {};
  for (const k of ['bios_date', 'bios_vendor', 'bios_version', 'board_asset_tag', 'board_name', 'board_serial', 'board_vendor', 'board_version',
    'chassis_asset_tag', 'chassis_serial', 'chassis_vendor', 'chassis_version', 'product_name', 'product_serial', 'product_uuid', 'product_version']) {
    out[k] = v(k);
  }
  out.system_vendor = v('sys_vendor');
  out.form_factor = FORM_FACTORS[Number(d.chassis_type)] ?? 'NA';
  return out;
}

/** The DMI values the host has (key -> text), for hardware and virtual. */
export function dmiValues(p: Probed): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of (p.dmi?.stdout ?? '').split('\n')) {
    const i = line.indexOf('=');
    if (i < 0) continue;
    const v = line.slice(i + 1).trim();
    if (v !== '@@NA') out[line.slice(0, i)] = v;
  }
  return out;
}

const FORM_FACTORS: Record<number, string> = {
  1: 'Other', 2: 'Unknown', 3: 'Desktop', 4: 'Low Profile Desktop', 5: 'Pizza Box', 6: 'Mini Tower', 7: 'Tower', 8: 'Portable', 9: 'Laptop',
  10: 'Notebook', 11: 'Hand Held', 12: 'Docking Station', 13: 'All In One', 14: 'Sub Notebook', 15: 'Space-saving', 16: 'Lunch Box',
  17: 'Main Server Chassis', 18: 'Expansion Chassis', 19: 'Sub Chassis', 20: 'Bus Expansion Chassis', 21: 'Peripheral Chassis',
  22: 'RAID Chassis', 23: 'Rack Mount Chassis', 24: 'Sealed-case PC', 25: 'Multi-system', 26: 'CompactPCI', 27: 'AdvancedTCA', 28: 'Blade',
  29: 'Blade Enclosure', 30: 'Tablet', 31: 'Convertible', 32: 'Detachable', 33: 'IoT Gateway', 34: 'Embedded PC', 35: 'Mini PC', 36: 'Stick PC',
};
