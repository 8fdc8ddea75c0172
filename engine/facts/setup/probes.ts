// The read-only probes behind the system facts, each tagged with the Ansible
// collector(s) it serves, so a gather_subset runs only what it needs. All run
// as sections of ONE script (one round trip). Constant text, no user input.

import { INIT_PROBE } from '../init-system.js';

export interface Probe {
  key: string;
  /** Ansible collectors (gather_subset names) that need this probe. */
  for: readonly string[];
  /** Not run when this collector is gathered too: a probe of that collector answers for this one. */
  unless?: string;
  /** Shell text (constant). */
  sh: string;
}

/**
 * Shell text that writes a small text file's bytes to stdout as `cat` would,
 * with the shell's own `read`: no process. A `cat` costs a fork and an exec
 * (1.5-2 ms of a lab host's CPU, and fact gathering read some 15 files); this
 * costs 0.1-0.3 ms for a few hundred bytes. Exact for text without NUL bytes,
 * a last line without a newline included. Its status is non-zero, with nothing
 * on stderr, when the file cannot be opened. Only for files of a few KB at
 * most (dash reads a byte per system call): not /proc/cpuinfo or /proc/mounts.
 * `path` is shell text (a constant path or a quoted variable).
 */
export const readSmallFile = (path: string): string =>
  `{ __tsplay_l=; while IFS= read -r __tsplay_l; do printf '%s\\n' "$__tsplay_l"; done; printf '%s' "$__tsplay_l"; } 2>/dev/null <${path}`;

/** Each small file that exists, as `== PATH` then its content. */
const catFiles = (paths: string[]): string =>
  `for f in ${paths.join(' ')}; do if [ -r "$f" ]; then printf '== %s\\n' "$f"; ${readSmallFile('"$f"')}; echo; fi; done`;

/**
 * `cksum` of the lsb_release that Debian 12 ships (lsb-release 12.0-1, "minimal
 * implementation"): a /bin/sh script that sources os-release and starts about
 * 15 processes (getopt, and printf/cut/tr pipelines for two case changes).
 */
export const LSB_RELEASE_MINIMAL_CKSUM = '1464282447 2651';

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** Shell function `__tsplay_lc STRING`: the string with ASCII A-Z lowered into $__tsplay_o, by the shell alone (as `tr '[:upper:]' '[:lower:]'` under C.UTF-8, a byte at a time). */
const LOWER_FN = '__tsplay_lc() { __tsplay_s=$1; __tsplay_o=; while [ -n "$__tsplay_s" ]; do __tsplay_c=${__tsplay_s%"${__tsplay_s#?}"}; __tsplay_s=${__tsplay_s#?}; ' +
  `case $__tsplay_c in ${[...UPPER].map((u) => `${u}) __tsplay_c=${u.toLowerCase()};;`).join(' ')} esac; __tsplay_o=$__tsplay_o$__tsplay_c; done; }`;

/**
 * `lsb_release -a` where it is Debian 12's script (LSB_RELEASE_MINIMAL_CKSUM): the
 * script's own statements in a subshell, its pipelines done by the shell (a
 * subshell and one cksum instead of about 15 processes, 45 to 60 ms of a lab
 * host's CPU). The same output and status; an ID or NAME holding a newline
 * (where cut and $(...) would act per line) runs the real script. Any other
 * lsb_release, by path or bytes, is run as it is.
 */
const LSB_EMULATED = '( set -eu; export LC_ALL="C.UTF-8"; ' +
  '[ -f /usr/lib/os-release ] && os_release=/usr/lib/os-release; [ -f /etc/os-release ] && os_release=/etc/os-release; ' +
  '[ "${LSB_OS_RELEASE-x}" != "x" ] && [ -f "$LSB_OS_RELEASE" ] && os_release="$LSB_OS_RELEASE"; ' +
  '[ "${os_release-x}" != "x" ] && . "$os_release"; : "${ID=}"; ' +
  `__tsplay_nl='\n'; case "$ID\${NAME-}" in *"$__tsplay_nl"*) exec lsb_release -a;; esac; ` +
  `__tsplay_f=\${ID%"\${ID#?}"}; case $__tsplay_f in ${[...UPPER].map((u) => `${u.toLowerCase()}) __tsplay_f=${u};;`).join(' ')} esac; ID=$__tsplay_f\${ID#?}; ` +
  `if [ "\${NAME-x}" != "x" ]; then ${LOWER_FN}; __tsplay_lc "$ID"; __tsplay_i=$__tsplay_o; __tsplay_lc "$NAME"; if [ "$__tsplay_i" = "$__tsplay_o" ]; then ID="$NAME"; fi; fi; ` +
  'printf "%s:\\t%s\\n" "Distributor ID" "${ID:-n/a}"; printf "%s:\\t%s\\n" "Description" "${PRETTY_NAME:-n/a}"; ' +
  'printf "%s:\\t%s\\n" "Release" "${VERSION_ID:-n/a}"; printf "%s:\\t%s\\n" "Codename" "${VERSION_CODENAME:-n/a}" )';

/** The lsb probe's text where lsb_release is on the PATH: `tool`, then its output. */
export const LSB_TOOL = 'echo tool; case "$(command -v lsb_release; cksum </usr/bin/lsb_release 2>/dev/null)" in ' +
  `"/usr/bin/lsb_release\n${LSB_RELEASE_MINIMAL_CKSUM}") ${LSB_EMULATED} 2>/dev/null;; *) lsb_release -a 2>/dev/null;; esac`;

/** date(1) fields of the date_time probe, one line per date: dateTimeFacts reads them in this order. */
export const DATE_FIELDS = '%Y|%m|%A|%w|%W|%d|%H|%M|%S|%s|%Z|%z|%N';

const DMI = ['bios_date', 'bios_vendor', 'bios_version', 'board_asset_tag', 'board_name', 'board_serial', 'board_vendor', 'board_version',
  'chassis_asset_tag', 'chassis_serial', 'chassis_vendor', 'chassis_version', 'product_name', 'product_serial', 'product_uuid',
  'product_version', 'product_family', 'sys_vendor', 'chassis_type'];

/**
 * awk program: from mtab lines, the mount point of each mount whose device is
 * a path or a network source (`host:/path`), one per line, with the kernel's
 * octal escapes decoded (\040 a blank, \011 a tab, \134 a backslash), as
 * Ansible reads them. POSIX awk only (the test runs it under every awk the machine has). No single quote in it.
 */
export const MOUNT_POINTS_AWK =
  'function dec(s,  o, i, c) { o = ""; while ((i = index(s, "\\\\")) > 0) { c = substr(s, i + 1, 3); ' +
  'if (c ~ /^[0-7][0-7][0-7]$/) { o = o substr(s, 1, i - 1) sprintf("%c", substr(c, 1, 1) * 64 + substr(c, 2, 1) * 8 + substr(c, 3, 1)); s = substr(s, i + 4) } ' +
  'else { o = o substr(s, 1, i); s = substr(s, i + 1) } } return o s } ' +
  '$1 ~ /^\\// || $1 ~ /:\\// { print dec($2) }';

/**
 * PID 1's `container=` variables, each ended by a NUL, by one grep (`tr | grep`
 * cost a subshell and two processes, 16 ms of a lab host's CPU); where grep
 * cannot read NUL-separated records (rc 2), the tr pipeline.
 */
export const ENVIRON_CONTAINER = "{ grep -az '^container=' /proc/1/environ 2>/dev/null; [ $? -le 1 ] || tr '\\000' '\\n' </proc/1/environ 2>/dev/null | grep '^container='; }";

/**
 * The loaded modules Ansible's virtual facts look for in /proc/modules (kvm,
 * vboxdrv, virtio), by the shell alone: a loaded module, and only a loaded one
 * (not one built into the kernel), has /sys/module/NAME/initstate. Without
 * /sys, every name from /proc/modules.
 */
export const VIRT_MODULES = 'if [ -d /sys/module ]; then for m in kvm vboxdrv virtio; do if [ -e "/sys/module/$m/initstate" ]; then echo "$m"; fi; done; ' +
  'else cut -d" " -f1 /proc/modules 2>/dev/null; fi';

export const PROBES: readonly Probe[] = [
  // platform
  // "SYSTEM RELEASE VERSION... MACHINE" (only the version has blanks; see platformFacts), then the node name
  // on its own line (it may have blanks too), read by the shell itself
  { key: 'uname', for: ['platform'], sh: 'uname -srvm; { IFS= read -r n </proc/sys/kernel/hostname && printf \'%s\\n\' "$n"; } 2>/dev/null || uname -n' },
  // socket.getfqdn(): the node name's first address, its reverse entry: the first name with a dot, else the entry's name
  {
    key: 'fqdn', for: ['platform'],
    // the first address of the name (the first word of getent's output, cut by the shell: no awk)
    sh: '{ IFS= read -r n </proc/sys/kernel/hostname; } 2>/dev/null || n=$(uname -n); a=$(getent ahosts "$n" 2>/dev/null); a=${a%%[[:space:]]*}; if [ -n "$a" ]; then getent hosts "$a"; fi',
  },
  { key: 'machine_id', for: ['platform'], sh: `${readSmallFile('/var/lib/dbus/machine-id')} || ${readSmallFile('/etc/machine-id')}` },
  { key: 'long_bit', for: ['platform'], sh: 'getconf LONG_BIT' },
  // distribution, lsb
  { key: 'os_release', for: ['distribution', 'platform'], sh: `${readSmallFile('/etc/os-release')} || ${readSmallFile('/usr/lib/os-release')}` },
  { key: 'debian_version', for: ['distribution'], sh: readSmallFile('/etc/debian_version') },
  // Ansible's distribution_version on Debian has the point release only when the host's Python has the
  // distro package (python3-distro); its bundled fallback gives os-release's VERSION_ID ("12").
  { key: 'py_distro', for: ['distribution'], sh: 'if [ -e /usr/lib/python3/dist-packages/distro/__init__.py ]; then echo yes; else echo no; fi' },
  { key: 'lsb', for: ['lsb'], sh: `if command -v lsb_release >/dev/null 2>&1; then ${LSB_TOOL}; else ${readSmallFile('/etc/lsb-release')}; fi` },
  // python: the interpreter Ansible would discover on the host (/usr/bin/python3 first); nothing when there is none.
  // -I -S: no site import and no PYTHON* variables (about half of its start-up). SSLContext is there when the
  // _ssl extension is (ssl.py imports it): looked for as a file on sys.path rather than imported, which would
  // load libssl and libcrypto (13 of 40 ms of a lab host's CPU). Only an _ssl file that is there but cannot load
  // (its libssl removed by hand) reads differently from Ansible's import. Serves the platform collector's
  // python_version too when both collectors run (python_v below is not run then).
  {
    key: 'python', for: ['python'],
    sh: 'for p in /usr/bin/python3 /usr/libexec/platform-python /usr/bin/python; do if [ -x "$p" ]; then ' +
      '"$p" -I -S -c \'import sys\ns = 1 if "_ssl" in sys.builtin_module_names else 0\nif not s:\n import _imp, os\n' +
      ' want = ["_ssl" + x for x in _imp.extension_suffixes()]\n for d in sys.path:\n  try:\n   names = os.listdir(d or ".")\n' +
      '  except OSError:\n   continue\n  if any(w in names for w in want):\n   s = 1\n   break\n' +
      'print(sys.executable); print(*sys.version_info); print(sys.implementation.name); print(s)\'; break; fi; done',
  },
  // python_version alone (the platform collector without the python one, as in a play's
  // gather_subset: ['!all', '!min', service_mgr]): `-V` prints it without starting the
  // interpreter proper, 2 ms of a lab host's CPU against the probe above's 24.
  {
    key: 'python_v', for: ['platform'], unless: 'python',
    sh: 'for p in /usr/bin/python3 /usr/libexec/platform-python /usr/bin/python; do if [ -x "$p" ]; then "$p" -V 2>&1; break; fi; done',
  },
  // user
  {
    key: 'user', for: ['user'],
    // ids from the shell's own /proc/self/status (Uid:/Gid: real effective ...), no `id` processes; `id` where it is unreadable
    sh: 'ru=; eu=; rg=; eg=; while read -r k a b r; do case $k in Uid:) ru=$a; eu=$b;; Gid:) rg=$a; eg=$b;; esac; done </proc/self/status 2>/dev/null; ' +
      '[ -n "$eu" ] || { eu=$(id -u); eg=$(id -g); ru=$(id -ru); rg=$(id -rg); }; ' +
      'p=$(getent passwd "$eu"); n=${p%%:*}; ' +
      'echo "${LOGNAME:-${USER:-${LNAME:-${USERNAME:-}}}}"; printf \'%s\\n\' "$eu" "$eg" "$ru" "$rg" "$n"; ' +
      // the login name's entry: the one just read when the login name is its name (no second getent)
      'u="${LOGNAME:-${USER:-${LNAME:-${USERNAME:-$n}}}}"; if [ -n "$p" ] && [ "$u" = "$n" ]; then printf \'%s\\n\' "$p"; else getent passwd "$u" || { [ -n "$p" ] && printf \'%s\\n\' "$p"; }; fi',
  },
  // date_time: the local fields now, then in January and July (for the zone names, time.tzname), in one GNU date
  // reading its dates from a here-document (no fork for it in dash); a date without -f (busybox) runs three times.
  {
    key: 'date_time', for: ['date_time'],
    sh: `date -f - '+${DATE_FIELDS}' <<'__tsplay_dates' 2>/dev/null || { date '+${DATE_FIELDS}'; date -d @1736000000 '+${DATE_FIELDS}'; date -d @1751500000 '+${DATE_FIELDS}'; }\n` +
      'now\n@1736000000\n@1751500000\n__tsplay_dates',
  },
  { key: 'resolv', for: ['dns'], sh: readSmallFile('/etc/resolv.conf') },
  { key: 'env', for: ['env'], sh: 'env -0 2>/dev/null || env' },
  {
    key: 'selinux', for: ['selinux'],
    sh: `if [ -r /sys/fs/selinux/enforce ]; then ${readSmallFile('/sys/fs/selinux/enforce')}; ${readSmallFile('/sys/fs/selinux/policyvers')}; echo; ${readSmallFile('/etc/selinux/config')}; true; else false; fi`,
  },
  { key: 'apparmor', for: ['apparmor'], sh: 'test -e /sys/kernel/security/apparmor' },
  { key: 'fips', for: ['fips'], sh: readSmallFile('/proc/sys/crypto/fips_enabled') },
  { key: 'cmdline', for: ['cmdline'], sh: readSmallFile('/proc/cmdline') },
  { key: 'ssh_keys', for: ['ssh_pub_keys'], sh: catFiles(['dsa', 'rsa', 'ecdsa', 'ed25519'].map((k) => `/etc/ssh/ssh_host_${k}_key.pub`)) },
  {
    key: 'pkg_mgr', for: ['pkg_mgr'],
    sh: 'for p in /usr/bin/apt-get /usr/bin/dnf /usr/bin/yum /usr/bin/zypper /sbin/apk /usr/bin/pacman /usr/bin/emerge /usr/sbin/pkg /usr/bin/xbps-install /usr/bin/rpm-ostree /usr/bin/swupd /usr/bin/installp /usr/bin/pkgng /usr/bin/rpm; do if [ -x "$p" ]; then echo "$p"; fi; done',
  },
  { key: 'init', for: ['service_mgr'], sh: INIT_PROBE },
  { key: 'init_extra', for: ['service_mgr'], sh: 'if [ -e /sbin/openrc ]; then echo openrc; fi; printf \'sbin_init %s\\n\' "$(readlink /sbin/init 2>/dev/null)"' },
  // one stat for both device:inode lines; where /proc/1/root cannot be read, the second line is empty (as from `|| echo` before)
  { key: 'chroot', for: ['chroot'], sh: 'echo "${debian_chroot:-}"; stat -c \'%d:%i\' / /proc/1/root/. 2>/dev/null || echo; stat -f -c %T /' },
  { key: 'loadavg', for: ['loadavg'], sh: readSmallFile('/proc/loadavg') },
  {
    key: 'local', for: ['local'],
    sh: 'for f in /etc/ansible/facts.d/*.fact; do if [ -f "$f" ]; then if [ -x "$f" ]; then printf \'== x %s\\n\' "$f"; "$f" 2>/dev/null; else printf \'== f %s\\n\' "$f"; cat "$f"; fi; echo; fi; done',
  },
  // hardware
  { key: 'cpuinfo', for: ['hardware', 'virtual'], sh: 'cat /proc/cpuinfo' },
  { key: 'nproc', for: ['hardware'], sh: 'nproc' },
  { key: 'meminfo', for: ['hardware'], sh: 'cat /proc/meminfo' },
  { key: 'uptime', for: ['hardware'], sh: readSmallFile('/proc/uptime') },
  // each mount from /proc/mounts whose device is a path or a network source, with statvfs numbers:
  // ONE stat names them all (a stat and a `$(printf %b)` per mount cost two forks and an exec each);
  // a mount that stat cannot read has no line, as it had no numbers. The tab in the format is a literal one.
  {
    key: 'mounts', for: ['hardware'],
    // the mount table (mtab, else the kernel's), then statvfs of its mount points: awk reads the same file
    sh: `mtab=/etc/mtab; [ -r "$mtab" ] || mtab=/proc/mounts; cat "$mtab"; echo @@statvfs; awk '${MOUNT_POINTS_AWK}' "$mtab" | ` +
      '{ set --; while IFS= read -r m; do set -- "$@" "$m"; done; if [ "$#" -gt 0 ]; then stat -f -c \'%n\t%S %s %b %f %a %c %d\' "$@" 2>/dev/null; fi; true; }; ' +
      'echo @@uuid; lsblk --list --noheadings --paths --output NAME,UUID --exclude 2 2>/dev/null; echo @@bind; findmnt --list --noheadings --notruncate 2>/dev/null',
  },
  // @@NA: the file cannot be opened (absent, or root-only); read by the shell itself, as in sysnet
  { key: 'dmi', for: ['hardware', 'virtual'], sh: `for k in ${DMI.join(' ')}; do v=@@NA; { IFS= read -r v; } 2>/dev/null </sys/devices/virtual/dmi/id/$k; printf '%s=%s\\n' "$k" "$v"; done` },
  // network
  { key: 'route4', for: ['network'], sh: 'ip -4 route get 8.8.8.8' },
  { key: 'route6', for: ['network'], sh: 'ip -6 route get 2404:6800:400a:800::1012' },
  // Values are read with the shell's own `read` (no process per value: a compute
  // with bridges and guest interfaces has dozens of them; `$(cat ...)` made this
  // probe most of the gathering's time). Each value is one line, as `$(cat)` gave it.
  {
    key: 'sysnet', for: ['network'],
    sh: 'for p in /sys/class/net/*; do [ -d "$p" ] || continue; printf \'@@if %s\\n\' "${p##*/}"; ' +
      'for k in address mtu operstate type flags speed; do if [ -r "$p/$k" ]; then v=; { IFS= read -r v; } 2>/dev/null <"$p/$k"; printf \'%s=%s\\n\' "$k" "$v"; fi; done; ' +
      'if [ -e "$p/device" ]; then l=$(readlink "$p/device"); printf \'pciid=%s\\n\' "${l##*/}"; fi; ' +
      'if [ -e "$p/device/driver/module" ]; then l=$(readlink -f "$p/device/driver/module"); printf \'module=%s\\n\' "${l##*/}"; fi; ' +
      'if [ -e "$p/bridge" ]; then v=; { IFS= read -r v; } 2>/dev/null <"$p/bridge/bridge_id"; printf \'bridge=%s\\n\' "$v"; ' +
      'v=; { IFS= read -r v; } 2>/dev/null <"$p/bridge/stp_state"; printf \'stp=%s\\n\' "$v"; ' +
      'b=; for f in "$p"/brif/*; do if [ -e "$f" ]; then b="$b${f##*/} "; fi; done; printf \'brif=%s\\n\' "$b"; fi; ' +
      'done',
  },
  { key: 'ip_primary', for: ['network'], sh: 'ip addr show primary 2>/dev/null || ip addr show' },
  { key: 'ip_secondary', for: ['network'], sh: 'ip addr show secondary' },
  { key: 'fc_wwn', for: ['fibre_channel_wwn'], sh: `for f in /sys/class/fc_host/*/port_name; do ${readSmallFile('"$f"')}; done; true` },
  { key: 'iscsi', for: ['iscsi'], sh: readSmallFile('/etc/iscsi/initiatorname.iscsi') },
  { key: 'nvme', for: ['nvme'], sh: readSmallFile('/etc/nvme/hostnqn') },
  // virtual (and tsplay's kvm / virtualization_hints)
  {
    key: 'virt', for: ['virtual'],
    sh: `echo @@cgroup; ${readSmallFile('/proc/1/cgroup')}; echo @@environ; ${ENVIRON_CONTAINER}; echo; ` +
      'echo @@flags; for f in /proc/vz /proc/lve /proc/bc /.dockerenv /.dockerinit /dev/kvm /proc/xen /run/systemd/container; do if [ -e "$f" ]; then echo "$f"; fi; done; ' +
      `echo @@container; ${readSmallFile('/run/systemd/container')}; echo; echo @@modules; ${VIRT_MODULES}; ` +
      'echo @@detect; systemd-detect-virt 2>/dev/null',
  },
];

/** The probes a set of collectors needs, in PROBES order. */
export function probesFor(collectors: ReadonlySet<string>): Probe[] {
  return PROBES.filter((p) => p.for.some((c) => collectors.has(c)) && !(p.unless !== undefined && collectors.has(p.unless)));
}
