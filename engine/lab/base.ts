// The lab's base root filesystem: one debootstrapped Debian tree, built once
// and cached under /var/cache/tsplay/ keyed by a hash of its recipe. Hosts run
// on copy-on-write overlays of it. A build goes into a temporary directory and
// is renamed into place when complete, so a killed build never leaves a
// broken cache.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, renameSync, writeFileSync, readFileSync, chmodSync } from 'node:fs';
import { LabError, machineSuite, mainMirror, pidAlive, readAptMirrors, runLogged, sleep } from './system.js';
import { STANDIN_PATH, STANDIN_SCRIPT } from './nfs-standin.js';

export const CACHE_DIR = '/var/cache/tsplay';
/** .debs debootstrap downloaded, shared by base builds. */
const DEB_CACHE = `${CACHE_DIR}/debootstrap-debs`;

export type InitSystem = 'systemd' | 'sysvinit';

const COMMON_PACKAGES = [
  'openssh-server', 'sudo', 'procps', 'iproute2', 'iputils-ping', 'findutils', 'dbus', 'cron', 'ca-certificates',
  'kmod', 'less', 'psmisc', 'util-linux', 'mount',
];
const INIT_PACKAGES: Record<InitSystem, string[]> = {
  systemd: ['systemd', 'systemd-sysv'],
  sysvinit: ['sysvinit-core', 'sysv-rc', 'orphan-sysvinit-scripts', 'initscripts', 'startpar'],
};
/** Heavy packages the demo installs: their .debs are pre-downloaded into the base's apt cache. */
const PREFETCH_PACKAGES = ['nfs-common', 'nfs-kernel-server', 'libvirt-daemon-system', 'libvirt-clients', 'qemu-system-x86'];

/** Bump when the build steps below change, so the cache key changes. */
const RECIPE_VERSION = 4;

export interface BaseRecipe {
  version: number;
  suite: string;
  init: InitSystem;
  packages: string[];
  prefetch: string[];
  standin: string;
}

export function baseRecipe(init: InitSystem): BaseRecipe {
  return {
    version: RECIPE_VERSION,
    suite: machineSuite(),
    init,
    packages: [...COMMON_PACKAGES, ...INIT_PACKAGES[init]],
    prefetch: PREFETCH_PACKAGES,
    standin: STANDIN_SCRIPT,
  };
}

export function baseDir(recipe: BaseRecipe): string {
  const hash = createHash('sha256').update(JSON.stringify(recipe)).digest('hex').slice(0, 12);
  return `${CACHE_DIR}/base-${recipe.init}-${hash}`;
}

/** Debian sources for the hosts: the machine's own mirrors, read at run time. */
function sourcesList(suite: string): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const e of readAptMirrors()) {
    if (!/^https?:\/\//.test(e.uri)) continue;
    for (const s of e.suites) {
      if (s !== suite && !s.startsWith(`${suite}-`) && !s.startsWith(`${suite}/`)) continue;
      const line = `deb ${e.uri} ${s} ${e.components.join(' ')}`;
      if (!seen.has(line)) lines.push(line);
      seen.add(line);
    }
  }
  return lines.join('\n') + '\n';
}

// Runs inside the new tree with chroot. Constant text: values come in as "$@".
const CONFIGURE_SCRIPT = `
set -eu
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
standin="$1"; shift
# sshd: key-only root login; host keys are made per host by the lab.
rm -f /etc/ssh/ssh_host_*
mkdir -p /etc/ssh/sshd_config.d /root/.ssh
chmod 700 /root/.ssh
cat > /etc/ssh/sshd_config.d/tsplay-lab.conf <<'EOF'
# tsplay lab host: key-only root login, one ed25519 host key per host.
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
MaxSessions 32
MaxStartups 100:30:200
EOF
# machine-id is written per host.
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id
# Lab stand-in for mount.nfs (not NFS; see engine/lab/nfs-standin.ts), diverted
# so that installing nfs-common keeps it.
for p in /sbin/mount.nfs /sbin/mount.nfs4 /usr/sbin/mount.nfs /usr/sbin/mount.nfs4; do
  dpkg-divert --quiet --local --rename --divert "$p.distrib" --add "$p"
done
chmod 755 "$standin"
ln -sf "$standin" /usr/sbin/mount.nfs
ln -sf "$standin" /usr/sbin/mount.nfs4
mkdir -p /etc/tsplay-lab
[ -e /etc/exports ] || : > /etc/exports
# Timers that would only make hosts busy or reach for the network.
if [ -d /lib/systemd/system ]; then
  for u in apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer fstrim.timer \\
           systemd-networkd-wait-online.service getty@tty1.service console-getty.service; do
    ln -sf /dev/null "/etc/systemd/system/$u"
  done
fi
if [ -e /etc/inittab ]; then
  # sysvinit: no gettys on consoles the lab does not have.
  sed -i -e 's/^\\([0-9]*:[0-9]*:respawn:\\/sbin\\/getty\\)/#\\1/' /etc/inittab
fi
# Pre-download the heavy packages the demo installs (no recommends, as the playbook does).
apt-get -q update
apt-get -q -y --no-install-recommends --download-only install "$@"
: > /etc/resolv.conf
`;

export interface BuildLog {
  (line: string): void;
}

/**
 * `dir` when it is built; else build it once (one builder at a time, across
 * processes: the lock is a directory holding the builder's pid) into a
 * temporary directory that `build` fills and that is renamed into place.
 */
async function buildOnce(dir: string, build: (tmp: string) => Promise<void>): Promise<string> {
  if (existsSync(`${dir}/etc/os-release`)) return dir;
  mkdirSync(CACHE_DIR, { recursive: true });
  const lock = `${dir}.lock`;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(`${lock}/pid`, String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (existsSync(`${dir}/etc/os-release`)) return dir;
      let owner = 0;
      try {
        owner = Number(readFileSync(`${lock}/pid`, 'utf8'));
      } catch {
        /* being written */
      }
      if (owner && !pidAlive(owner)) rmSync(lock, { recursive: true, force: true });
      else await sleep(1000);
    }
  }
  try {
    if (existsSync(`${dir}/etc/os-release`)) return dir;
    // Remove what killed builds left.
    for (const f of readdirSync(CACHE_DIR)) {
      if (f.startsWith(`${dir.slice(CACHE_DIR.length + 1)}.tmp-`)) rmSync(`${CACHE_DIR}/${f}`, { recursive: true, force: true });
    }
    const tmp = `${dir}.tmp-${process.pid}`;
    await build(tmp);
    renameSync(tmp, dir);
    return dir;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Return the cached base for this recipe, building it if needed (one builder at a time). */
export async function ensureBase(init: InitSystem, log: BuildLog): Promise<string> {
  const recipe = baseRecipe(init);
  const dir = baseDir(recipe);
  let built = false;
  const started = Date.now();
  await buildOnce(dir, async (tmp) => {
    const mirror = mainMirror(recipe.suite);
    log(`building the lab base (${init}) in ${tmp} from ${mirror.uri} ...`);
    const exclude = init === 'sysvinit' ? ['--exclude=systemd-sysv'] : [];
    // Speed only, same result: .debs kept for the next base build, and dpkg
    // without fsync while it fills a tree that is thrown away if the build dies.
    mkdirSync(DEB_CACHE, { recursive: true });
    mkdirSync(`${tmp}/etc/dpkg/dpkg.cfg.d`, { recursive: true });
    writeFileSync(`${tmp}/etc/dpkg/dpkg.cfg.d/tsplay-build-unsafe-io`, 'force-unsafe-io\n');
    await runLogged(
      'debootstrap',
      ['--variant=minbase', `--cache-dir=${DEB_CACHE}`, `--include=${recipe.packages.join(',')}`, ...exclude, recipe.suite, tmp, mirror.uri],
      (l) => { if (/^I: (Retrieving|Validating|Installing|Configuring|Base system)/.test(l) === false && /^[EW]:/.test(l)) log(l); },
    );
    log(`debootstrap done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    writeFileSync(`${tmp}/etc/apt/sources.list`, sourcesList(recipe.suite));
    rmSync(`${tmp}/etc/apt/sources.list.d`, { recursive: true, force: true });
    mkdirSync(`${tmp}/etc/apt/sources.list.d`);
    writeFileSync(`${tmp}/etc/resolv.conf`, readFileSync('/etc/resolv.conf'));
    writeFileSync(`${tmp}${STANDIN_PATH}`, STANDIN_SCRIPT);
    chmodSync(`${tmp}${STANDIN_PATH}`, 0o755);
    await runLogged('chroot', [tmp, '/bin/sh', '-c', CONFIGURE_SCRIPT, 'configure', STANDIN_PATH, ...recipe.prefetch], (l) => {
      if (/^(E:|W:|Fetched|Need to get)/.test(l)) log(l);
    });
    rmSync(`${tmp}/etc/dpkg/dpkg.cfg.d/tsplay-build-unsafe-io`, { force: true });
    writeFileSync(`${tmp}/etc/tsplay-lab-base.json`, JSON.stringify({ ...recipe, standin: undefined, builtAt: new Date().toISOString() }, null, 2) + '\n');
    built = true;
  });
  if (built) {
    removeOldBases(init, dir, log);
    log(`lab base ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${dir}`);
  }
  return dir;
}

/** apt-get install in a copy of a base (the machine's resolv.conf for the time of it, as the base build has). */
const INSTALL_SCRIPT = `
set -eu
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
apt-get -q update
apt-get -q -y install "$@"
: > /etc/resolv.conf
`;

/**
 * The base with more Debian packages installed (UpOptions.packages): a copy of
 * `base` where apt-get installed them, cached beside it as
 * base-INIT-HASH+pkgs-HASH and built once, like the base. Hosts that would
 * each install the same packages at every lab up (the Ansible comparisons
 * install python3 and python3-apt: 10 s of CPU per host) start with them.
 * Removed with its base when a newer recipe replaces that.
 */
export async function ensureBaseWith(base: string, packages: readonly string[], log: BuildLog): Promise<string> {
  const wanted = [...new Set(packages)].sort();
  if (!wanted.length) return base;
  const bad = wanted.find((p) => !/^[a-z0-9][a-z0-9+.-]+$/.test(p));
  if (bad !== undefined) throw new LabError(`not a Debian package name: ${JSON.stringify(bad)}`);
  const hash = createHash('sha256').update(JSON.stringify(wanted)).digest('hex').slice(0, 12);
  const dir = `${base}+pkgs-${hash}`;
  return buildOnce(dir, async (tmp) => {
    const started = Date.now();
    log(`building the lab base with ${wanted.join(', ')} in ${tmp} ...`);
    await runLogged('cp', ['-a', '--reflink=auto', base, tmp], log);
    writeFileSync(`${tmp}/etc/resolv.conf`, readFileSync('/etc/resolv.conf'));
    writeFileSync(`${tmp}/etc/dpkg/dpkg.cfg.d/tsplay-build-unsafe-io`, 'force-unsafe-io\n');
    // (apt's "Can not write log (Is /dev/pts mounted?)" is the chroot's, and harmless)
    await runLogged('chroot', [tmp, '/bin/sh', '-c', INSTALL_SCRIPT, 'install', ...wanted], (l) => {
      if (/^(E:|W:)/.test(l) && !l.includes('/dev/pts')) log(l);
    });
    rmSync(`${tmp}/etc/dpkg/dpkg.cfg.d/tsplay-build-unsafe-io`, { force: true });
    writeFileSync(`${tmp}/etc/tsplay-lab-packages`, `${wanted.join('\n')}\n`);
    log(`lab base with ${wanted.join(', ')} ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${dir}`);
  });
}

/** Remove bases of this init built from older recipes, unless a lab still runs on them. */
function removeOldBases(init: InitSystem, keep: string, log: BuildLog): void {
  const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  for (const f of readdirSync(CACHE_DIR)) {
    const path = `${CACHE_DIR}/${f}`;
    // an older base, or a base with packages derived from one (ensureBaseWith)
    if (!new RegExp(`^base-${init}-[0-9a-f]{12}(\\+pkgs-[0-9a-f]{12})?$`).test(f) || path === keep) continue;
    if (mountinfo.includes(`lowerdir=${path},`) || mountinfo.includes(`lowerdir=${path} `)) continue;
    rmSync(path, { recursive: true, force: true });
    log(`removed an older lab base: ${path}`);
  }
}

/** Fail early with a clear message when the base cannot be what the lab expects. */
export function checkBase(dir: string): void {
  if (!existsSync(`${dir}/usr/sbin/sshd`)) throw new LabError(`lab base ${dir} has no sshd: remove it and run lab up again`);
}
