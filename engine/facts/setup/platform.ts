// Parsers for the minimal collectors of Ansible 2.14's setup (platform,
// distribution, lsb, user, date_time, dns, env, selinux, apparmor, fips,
// cmdline, ssh_pub_keys, pkg_mgr, service_mgr) and chroot, loadavg, local:
// probe output in, Ansible-named facts (without the ansible_ prefix) out. Pure.

import type { RunResult } from '../../module-api.js';
import { parseOsRelease } from './os-release.js';

export type Probed = Record<string, RunResult | undefined>;
export type FactMap = Record<string, unknown>;

const ok = (r: RunResult | undefined): r is RunResult => r !== undefined && r.rc === 0;
const lines = (s: string): string[] => s.split('\n');

/** platform: system, kernel, kernel_version, machine, fqdn, hostname, nodename, domain, architecture, userspace_*, machine_id. */
export function platformFacts(p: Probed): FactMap {
  const out: FactMap = {};
  if (!ok(p.uname)) return out;
  // `uname -srvm` (fields joined by one blank, only the version has blanks of its own), then the node name
  const [first = '', node = ''] = lines(p.uname.stdout);
  const words = first.split(' ');
  const [system = '', kernel = ''] = words;
  const machine = words.length > 3 ? words[words.length - 1] : '';
  const kernelVersion = words.slice(2, -1).join(' ');
  out.system = system;
  out.kernel = kernel;
  out.kernel_version = kernelVersion;
  out.machine = machine;
  // socket.getfqdn(): the first of the reverse entry's names that has a dot, else its canonical name, else the node name
  let fqdn = node;
  const names = ok(p.fqdn) ? p.fqdn.stdout.trim().split(/\s+/).slice(1) : [];
  if (names.length) fqdn = names.find((w) => w.includes('.')) ?? names[0];
  out.fqdn = fqdn;
  out.hostname = node.split('.')[0];
  out.nodename = node;
  out.domain = fqdn.split('.').slice(1).join('.');
  const bits = ok(p.long_bit) ? p.long_bit.stdout.trim() : '';
  out.userspace_bits = bits;
  out.architecture = machine;
  if (machine === 'x86_64' && bits === '64') out.userspace_architecture = 'x86_64';
  if (machine === 'x86_64' && bits === '32') out.userspace_architecture = 'i386';
  const mid = ok(p.machine_id) ? p.machine_id.stdout.split('\n')[0].trim() : '';
  if (mid) out.machine_id = mid;
  return out;
}

/** Ansible's OS_FAMILY_MAP, the families real roles branch on. */
const OS_FAMILY: Record<string, string[]> = {
  RedHat: ['RedHat', 'RHEL', 'Fedora', 'CentOS', 'Scientific', 'SLC', 'Ascendos', 'CloudLinux', 'PSBM', 'OracleLinux', 'OVS', 'OEL', 'Amazon',
    'Virtuozzo', 'XenServer', 'Alibaba', 'EulerOS', 'openEuler', 'AlmaLinux', 'Rocky', 'TencentOS', 'EuroLinux', 'Kylin Linux Advanced Server'],
  Debian: ['Ubuntu', 'Debian', 'Raspbian', 'Neon', 'KDE neon', 'Linux Mint', 'SteamOS', 'Devuan', 'Kali', 'Cumulus Linux', 'Pop!_OS', 'Parrot',
    'Pardus GNU/Linux', 'Uos', 'Deepin', 'OSMC'],
  Suse: ['SuSE', 'SLES', 'SLED', 'openSUSE', 'openSUSE Tumbleweed', 'SLES_SAP', 'SUSE_LINUX', 'openSUSE Leap'],
  Archlinux: ['Archlinux', 'Antergos', 'Manjaro'],
  Mandrake: ['Mandrake', 'Mandriva'],
  Solaris: ['Solaris', 'Nexenta', 'OmniOS', 'OpenIndiana', 'SmartOS'],
  Slackware: ['Slackware'],
  Altlinux: ['Altlinux'],
  SGML: ['SGML'],
  Gentoo: ['Gentoo', 'Funtoo'],
  Alpine: ['Alpine'],
  AIX: ['AIX'],
  HP: ['HPUX'],
  Darwin: ['MacOSX'],
  FreeBSD: ['FreeBSD', 'TrueOS'],
  ClearLinux: ['Clear Linux OS', 'Clear Linux Mix'],
  DragonFly: ['DragonflyBSD', 'DragonFlyBSD', 'Gentoo/DragonflyBSD', 'Gentoo/DragonFlyBSD'],
  NetBSD: ['NetBSD'],
};

function osFamily(distribution: string): string {
  for (const [family, names] of Object.entries(OS_FAMILY)) if (names.includes(distribution)) return family;
  return distribution;
}

/** The most precise of several version strings (distro's version(best=True)): the one with most dots. */
function bestVersion(candidates: string[]): string {
  let best = '';
  for (const c of candidates) if (/^\d/.test(c) && c.split('.').length > best.split('.').length) best = c;
  return best || candidates.find((c) => c !== '') || '';
}

/**
 * distribution: distribution, _version, _major_version, _minor_version, _release, _file_*, os_family.
 * From os-release (and /etc/debian_version for Debian's minor version), as Ansible's distro-based guess and its
 * Debian file parser produce them.
 */
export function distributionFacts(p: Probed): FactMap {
  const osText = ok(p.os_release) ? p.os_release.stdout : '';
  const os = parseOsRelease(osText);
  const id = (os.ID ?? '').toLowerCase();
  let distribution = id ? id.charAt(0).toUpperCase() + id.slice(1) : 'OtherLinux';
  if (distribution === 'Amzn') distribution = 'Amazon';
  if (distribution === 'Rhel') distribution = 'RedHat';
  const debVersion = ok(p.debian_version) ? p.debian_version.stdout.trim() : '';
  let version = os.VERSION_ID ?? '';
  // Point release ("12.15") as Ansible reports it with python3-distro on the host; without it, VERSION_ID ("12").
  // A recording without the probe (older fixtures, made with python3-distro installed) counts as with.
  const pyDistro = !ok(p.py_distro) || p.py_distro.stdout.trim() !== 'no';
  if (id === 'debian' && pyDistro) version = bestVersion([version, /^\d+(\.\d+)*$/.test(debVersion) ? debVersion : '']);
  const release = os.VERSION_CODENAME ?? os.UBUNTU_CODENAME ?? '';
  const out: FactMap = {
    distribution,
    distribution_version: version || 'NA',
    distribution_release: release || 'NA',
    distribution_major_version: (version || 'NA').split('.')[0] || 'NA',
  };
  if (osText && /Debian|Raspbian|Ubuntu/.test(osText)) {
    out.distribution_file_parsed = true;
    out.distribution_file_path = '/etc/os-release';
    out.distribution_file_variety = 'Debian';
    if (/Debian|Raspbian/.test(osText)) {
      out.distribution = 'Debian';
      const m = /PRETTY_NAME=[^(]+ \(?([^)]+?)\)/.exec(osText);
      if (m) out.distribution_release = m[1];
      for (const line of debVersion.split('\n')) {
        const v = /(\d+)\.(\d+)/.exec(line.trim());
        if (v) out.distribution_minor_version = v[2];
      }
    } else {
      out.distribution = 'Ubuntu';
    }
  }
  if (out.distribution_minor_version === undefined && /^\d+\.\d+/.test(version) && id !== 'debian') {
    out.distribution_minor_version = version.split('.')[1];
  }
  out.os_family = osFamily(String(out.distribution));
  return out;
}

/** lsb: from `lsb_release -a`, else /etc/lsb-release; {} without either. */
export function lsbFacts(p: Probed): FactMap {
  const lsb: Record<string, string> = {};
  if (ok(p.lsb)) {
    const text = p.lsb.stdout;
    if (text.startsWith('tool\n')) {
      const keys: Record<string, string> = { 'Distributor ID': 'id', Description: 'description', Release: 'release', Codename: 'codename' };
      for (const line of lines(text)) {
        const m = /^([^:]+):\s*(.*)$/.exec(line);
        if (m && keys[m[1].trim()]) lsb[keys[m[1].trim()]] = m[2].trim();
      }
    } else {
      const keys: Record<string, string> = { DISTRIB_ID: 'id', DISTRIB_RELEASE: 'release', DISTRIB_DESCRIPTION: 'description', DISTRIB_CODENAME: 'codename' };
      for (const line of lines(text)) {
        const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
        if (m && keys[m[1]]) lsb[keys[m[1]]] = m[2].trim();
      }
    }
  }
  if (lsb.release !== undefined) lsb.major_release = lsb.release.split('.')[0];
  for (const k of Object.keys(lsb)) lsb[k] = lsb[k].replace(/^['"\\]+|['"\\]+$/g, '');
  return { lsb };
}

/** The host python's version numbers from the python probe, or undefined (no python, or output not understood). */
function pythonVersionInfo(p: Probed): { executable: string; impl: string; ssl: string; version: { major: number; minor: number; micro: number; releaselevel: string; serial: number } } | undefined {
  if (!p.python?.stdout.trim()) return undefined;
  const [executable = '', info = '', impl = '', ssl = ''] = lines(p.python.stdout);
  const [major, minor, micro, releaselevel = '', serial] = info.split(' ');
  if (!/^\d+$/.test(major ?? '') || !/^\d+$/.test(minor ?? '') || !/^\d+$/.test(micro ?? '')) return undefined;
  return { executable, impl, ssl, version: { major: Number(major), minor: Number(minor), micro: Number(micro), releaselevel, serial: Number(serial) } };
}

/** python: the python collector's one fact (executable, has_sslcontext, type, version, version_info), of the host's python3. */
export function pythonFacts(p: Probed): FactMap {
  const v = pythonVersionInfo(p);
  if (!v) return {};
  const { major, minor, micro, releaselevel, serial } = v.version;
  return { python: { executable: v.executable, has_sslcontext: v.ssl === '1', type: v.impl, version: v.version, version_info: [major, minor, micro, releaselevel, serial] } };
}

/** sys.version_info's release level as platform.python_version() writes it after the micro version ("3.12.0rc1"). */
const LEVEL_SUFFIX: Record<string, string> = { alpha: 'a', beta: 'b', candidate: 'rc' };

/**
 * python_version: the platform collector's (Ansible's is platform.python_version() of the python running
 * setup): from the python probe when the python collector runs, else from `python -V` ("Python 3.11.2").
 */
export function pythonVersionFacts(p: Probed): FactMap {
  const v = pythonVersionInfo(p);
  if (v) {
    const { major, minor, micro, releaselevel, serial } = v.version;
    const suffix = LEVEL_SUFFIX[releaselevel];
    return { python_version: `${major}.${minor}.${micro}${suffix ? `${suffix}${serial}` : ''}` };
  }
  const m = /^Python (\d+\.\d+\.\d+\S*)/m.exec(p.python_v?.stdout ?? '');
  return m ? { python_version: m[1] } : {};
}

/** user: user_id, user_uid, user_gid, user_gecos, user_dir, user_shell, real/effective user and group ids. */
export function userFacts(p: Probed): FactMap {
  if (!p.user) return {};
  const [envName = '', euid, egid, ruid, rgid, idName = '', pw = ''] = lines(p.user.stdout);
  const f = pw.split(':');
  const out: FactMap = { user_id: envName || idName };
  if (f.length >= 7) {
    out.user_uid = Number(f[2]);
    out.user_gid = Number(f[3]);
    out.user_gecos = f[4];
    out.user_dir = f[5];
    out.user_shell = f[6];
  }
  out.real_user_id = Number(ruid);
  out.effective_user_id = Number(euid);
  out.real_group_id = Number(rgid);
  out.effective_group_id = Number(egid);
  return out;
}

/** date_time, every key Ansible sets, from the host's clock and zone. */
export function dateTimeFacts(p: Probed): FactMap {
  if (!ok(p.date_time)) return {};
  const [local = '', jan = '', jul = ''] = lines(p.date_time.stdout);
  const [year, month, weekday, wday, weeknumber, day, hour, minute, second, epoch, tz, tzOffset, nanos = '0'] = local.split('|');
  const micro = /^\d+$/.test(nanos) ? nanos.padStart(9, '0').slice(0, 6) : '000000';
  // UTC from the epoch seconds, as Ansible's datetime.utcfromtimestamp of the same instant
  const seconds = parseInt(epoch, 10);
  const utc = Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString().slice(0, 19) : '';
  // time.tzname[1]: the zone's daylight-saving name (the larger offset of January and July), else its standard name
  const zone = (line: string): [string, string] => { const f = line.split('|'); return [f[10] ?? tz, f[11] ?? tzOffset]; };
  const [janName, janOff] = zone(jan);
  const [julName, julOff] = zone(jul);
  const offMinutes = (o: string): number => (o.startsWith('-') ? -1 : 1) * (Number(o.slice(1, 3)) * 60 + Number(o.slice(3, 5)));
  const tzDst = offMinutes(julOff) > offMinutes(janOff) ? julName : offMinutes(janOff) > offMinutes(julOff) ? janName : janName;
  return {
    date_time: {
      year, month, weekday, weekday_number: wday, weeknumber, day, hour, minute, second,
      epoch, epoch_int: String(parseInt(epoch, 10)),
      date: `${year}-${month}-${day}`,
      time: `${hour}:${minute}:${second}`,
      iso8601_micro: `${utc}.${micro}Z`,
      iso8601: `${utc}Z`,
      iso8601_basic: `${year}${month}${day}T${hour}${minute}${second}${micro}`,
      iso8601_basic_short: `${year}${month}${day}T${hour}${minute}${second}`,
      tz, tz_dst: tzDst, tz_offset: tzOffset,
    },
  };
}

/** dns: nameservers, domain, search, sortlist, options, from /etc/resolv.conf. */
export function dnsFacts(p: Probed): FactMap {
  const dns: Record<string, unknown> = {};
  const text = ok(p.resolv) ? p.resolv.stdout : '';
  for (const line of lines(text)) {
    if (line.startsWith('#') || line.startsWith(';') || line.trim() === '') continue;
    const t = line.trim().split(/\s+/);
    if (t[0] === 'nameserver') dns.nameservers = [...((dns.nameservers as string[] | undefined) ?? []), ...t.slice(1)];
    else if (t[0] === 'domain' && t.length > 1) dns.domain = t[1];
    else if (t[0] === 'search') dns.search = t.slice(1);
    else if (t[0] === 'sortlist') dns.sortlist = t.slice(1);
    else if (t[0] === 'options') {
      const o: Record<string, string | boolean> = {};
      for (const opt of t.slice(1)) {
        const i = opt.indexOf(':');
        o[i < 0 ? opt : opt.slice(0, i)] = i < 0 || opt.slice(i + 1) === '' ? true : opt.slice(i + 1);
      }
      dns.options = o;
    }
  }
  return { dns };
}

/** env: the environment the facts were read in (the login session's, through become). */
export function envFacts(p: Probed): FactMap {
  const env: Record<string, string> = {};
  if (!ok(p.env)) return { env };
  const text = p.env.stdout;
  const entries = text.includes('\0') ? text.split('\0') : text.split('\n');
  for (const e of entries) {
    const i = e.indexOf('=');
    if (i > 0) env[e.slice(0, i)] = e.slice(i + 1);
  }
  return { env };
}

/**
 * selinux: {status: disabled} without an SELinux filesystem (as Ansible with its Python library present),
 * else status enabled with mode, config_mode, type and policyvers.
 */
export function selinuxFacts(p: Probed): FactMap {
  if (!ok(p.selinux)) return { selinux: { status: 'disabled' }, selinux_python_present: true };
  const [enforce = '', policy = '', ...config] = lines(p.selinux.stdout);
  const s: Record<string, unknown> = { status: 'enabled', mode: enforce.trim() === '1' ? 'enforcing' : 'permissive' };
  if (/^\d+$/.test(policy.trim())) s.policyvers = Number(policy.trim());
  for (const line of config) {
    const m = /^\s*SELINUX(TYPE)?=(\S+)/.exec(line);
    if (m && m[1]) s.type = m[2];
    else if (m) s.config_mode = m[2];
  }
  return { selinux: s, selinux_python_present: true };
}

export function apparmorFacts(p: Probed): FactMap {
  return { apparmor: { status: p.apparmor?.rc === 0 ? 'enabled' : 'disabled' } };
}

export function fipsFacts(p: Probed): FactMap {
  return { fips: ok(p.fips) && p.fips.stdout.trim() === '1' };
}

/** cmdline (last value wins) and proc_cmdline (a repeated key's values as a list). */
export function cmdlineFacts(p: Probed): FactMap {
  if (!ok(p.cmdline) || !p.cmdline.stdout.trim()) return {};
  const cmdline: Record<string, unknown> = {};
  const proc: Record<string, unknown> = {};
  for (const piece of p.cmdline.stdout.trim().split(/\s+/)) {
    const i = piece.indexOf('=');
    if (i < 0) {
      cmdline[piece] = true;
      proc[piece] = true;
      continue;
    }
    const [k, v] = [piece.slice(0, i), piece.slice(i + 1)];
    cmdline[k] = v;
    if (k in proc) proc[k] = Array.isArray(proc[k]) ? [...(proc[k] as unknown[]), v] : [proc[k], v];
    else proc[k] = v;
  }
  return { cmdline, proc_cmdline: proc };
}

export function sshKeyFacts(p: Probed): FactMap {
  const out: FactMap = {};
  if (!ok(p.ssh_keys)) return out;
  let kind = '';
  for (const line of lines(p.ssh_keys.stdout)) {
    const m = /^== \/etc\/ssh\/ssh_host_(\w+)_key\.pub$/.exec(line);
    if (m) { kind = m[1]; continue; }
    const w = line.trim().split(/\s+/);
    if (kind && w.length >= 2) {
      out[`ssh_host_key_${kind}_public`] = w[1];
      out[`ssh_host_key_${kind}_public_keytype`] = w[0];
      kind = '';
    }
  }
  return out;
}

/** pkg_mgr: the first package manager found (apt on the Debian family). */
export function pkgMgrFacts(p: Probed, osFamilyName: string | undefined): FactMap {
  const found = ok(p.pkg_mgr) ? lines(p.pkg_mgr.stdout).map((l) => l.trim()).filter(Boolean) : [];
  if (osFamilyName === 'Debian' && found.includes('/usr/bin/apt-get')) return { pkg_mgr: 'apt' };
  const names: Record<string, string> = {
    '/usr/bin/apt-get': 'apt', '/usr/bin/dnf': 'dnf', '/usr/bin/yum': 'yum', '/usr/bin/zypper': 'zypper', '/sbin/apk': 'apk',
    '/usr/bin/pacman': 'pacman', '/usr/bin/emerge': 'portage', '/usr/sbin/pkg': 'pkgng', '/usr/bin/xbps-install': 'xbps',
    '/usr/bin/rpm-ostree': 'atomic_container', '/usr/bin/swupd': 'swupd', '/usr/bin/installp': 'installp', '/usr/bin/pkgng': 'pkgng',
  };
  const hit = found.find((f) => names[f]);
  return { pkg_mgr: hit ? names[hit] : 'unknown' };
}

/** service_mgr as Ansible names it: PID 1's name unless it is init or a shell, else systemd/upstart/openrc/sysvinit, else service. */
export function serviceMgrName(p: Probed): string {
  const init = p.init?.stdout ?? '';
  const extra = p.init_extra?.stdout ?? '';
  const has = (k: string) => init.split('\n').map((l) => l.trim()).includes(k);
  let pid1 = /^pid1 (.*)$/m.exec(init)?.[1].trim() ?? '';
  if (!pid1) pid1 = (/^sbin_init (.*)$/m.exec(extra)?.[1].trim() ?? '').split('/').pop() ?? '';
  const map: Record<string, string> = { procd: 'openwrt_init', 'runit-init': 'runit', svscan: 'svc', 'openrc-init': 'openrc' };
  if (pid1 && pid1 !== 'init' && !pid1.endsWith('sh')) return map[pid1] ?? pid1;
  if (has('run_systemd')) return 'systemd';
  if (has('initctl') && has('etc_init')) return 'upstart';
  if (/^openrc$/m.test(extra)) return 'openrc';
  if (/^sbin_init .*systemd/m.test(extra)) return 'systemd';
  if (has('etc_initd')) return 'sysvinit';
  return 'service';
}

/** is_chroot: $debian_chroot set, or / is not PID 1's root. */
export function chrootFacts(p: Probed): FactMap {
  if (!p.chroot) return {};
  const [envChroot = '', root = '', pid1Root = '', fsType = ''] = lines(p.chroot.stdout).map((l) => l.trim());
  if (envChroot) return { is_chroot: true };
  if (!root) return { is_chroot: null };
  if (pid1Root) return { is_chroot: root !== pid1Root };
  // not allowed to read PID 1's root: / is a chroot unless it has the file system's root inode
  const rootIno = fsType.includes('btrfs') ? 256 : fsType.includes('xfs') ? 128 : 2;
  return { is_chroot: root.split(':')[1] !== String(rootIno) };
}

export function loadavgFacts(p: Probed): FactMap {
  if (!ok(p.loadavg)) return {};
  const [a, b, c] = p.loadavg.stdout.trim().split(/\s+/).map(Number);
  return { loadavg: { '1m': a, '5m': b, '15m': c } };
}

/** local: /etc/ansible/facts.d/*.fact, each as JSON or INI (executable ones run), under its base name. */
export function localFacts(p: Probed): FactMap {
  const local: Record<string, unknown> = {};
  if (!p.local) return { local };
  const chunks = p.local.stdout.split(/^== ([xf]) (.*)$/m);
  for (let i = 1; i < chunks.length; i += 3) {
    const path = chunks[i + 1];
    const body = (chunks[i + 2] ?? '').replace(/^\n/, '');
    const name = path.split('/').pop()!.replace(/\.fact$/, '');
    try {
      local[name] = JSON.parse(body) as unknown;
    } catch {
      const ini = parseIni(body);
      local[name] = ini ?? `error loading facts as JSON or ini - please check content: ${path}`;
    }
  }
  return { local };
}

function parseIni(text: string): Record<string, Record<string, string>> | undefined {
  const out: Record<string, Record<string, string>> = {};
  let section: Record<string, string> | undefined;
  for (const raw of lines(text)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) { section = out[s[1]] = {}; continue; }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (!kv || !section) return undefined;
    section[kv[1].toLowerCase()] = kv[2];
  }
  return Object.keys(out).length ? out : undefined;
}
