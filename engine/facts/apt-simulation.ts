// What `apt-get install NAMES` would unpack, asked without changing anything.
//
// Two ways to ask apt, with the same resolver and the same answer:
// - `apt-get -s install` prints an `Inst NAME [OLDVERSION] (NEWVERSION ...)` line
//   per package; parseAptSimulation reads it (the lab test of the predictions
//   checks the other route against it);
// - `apt-get --print-uris install`, with an empty directory as apt's archive
//   cache so that every package to unpack is listed as a download, prints one
//   `'URI' NAME_VERSION_ARCH.deb SIZE HASH` line per package. It stops before
//   the simulation (a second dependency cache over the whole archive and the
//   install ordering), which is half of `apt-get -s`'s time: 0.55 to 0.7 s
//   against 1.2 to 1.6 s for nfs-kernel-server on a Debian 12 lab host. Like
//   -s it takes no apt or dpkg lock. installDownloadsArgv and
//   parseInstallDownloads are that route; the package predictions use it
//   (where a file's content is needed too, a download-only install brings
//   the closure and the .debs in one run of apt: package-files.ts). Pure.

export interface SimInst {
  /** As apt prints it: `name`, or `name:arch` for a foreign architecture. */
  name: string;
  /** The version that would be installed; undefined when the line has none. */
  version?: string;
  /** The installed version being replaced (an upgrade; `apt-get -s` only). */
  from?: string;
}

export function parseAptSimulation(out: string): SimInst[] {
  const result: SimInst[] = [];
  for (const raw of out.split('\n')) {
    const m = /^Inst (\S+)(?: \[([^\]]*)\])?(?: \((\S+)[^)]*\))?/.exec(raw.replace(/\r$/, ''));
    if (!m) continue;
    const inst: SimInst = { name: m[1] };
    if (m[3] !== undefined) inst.version = m[3];
    if (m[2] !== undefined) inst.from = m[2];
    result.push(inst);
  }
  return result;
}

export function recommendsFlags(installRecommends?: boolean): string[] {
  return installRecommends === false ? ['--no-install-recommends'] : installRecommends === true ? ['--install-recommends'] : [];
}

// Prints the host's dpkg architecture, then the .deb file name of each package
// the install would unpack (the URIs stay on the host). Exit status: apt-get's.
export const INSTALL_DOWNLOADS_SCRIPT = `set -u
T=$(mktemp -d) || exit 70
trap 'rm -rf "$T"' EXIT
mkdir "$T/archives" || exit 70
dpkg --print-architecture || exit 70
LC_ALL=C apt-get -q --print-uris -o Dir::Cache::Archives="$T/archives/" "$@" > "$T/out" || exit $?
sed -n "s/^'[^']*' \\([^ ]*\\.deb\\) .*/\\1/p" "$T/out"
`;

/** argv asking which packages `apt-get install NAMES` (this recommends setting) would unpack: see INSTALL_DOWNLOADS_SCRIPT. */
export function installDownloadsArgv(names: readonly string[], installRecommends?: boolean): string[] {
  return ['sh', '-c', INSTALL_DOWNLOADS_SCRIPT, 'tsplay-apt-uris', ...recommendsFlags(installRecommends), 'install', '--', ...names];
}

/** apt's escapes in archive file names (`%3a` for the epoch's colon). */
function unquote(s: string): string {
  return s.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/**
 * The packages in INSTALL_DOWNLOADS_SCRIPT's output, in apt's order, named as
 * `apt-get -s` names them: `name:arch` when the architecture is neither the
 * host's nor `all`.
 */
export function parseInstallDownloads(out: string): SimInst[] {
  const lines = out.split('\n').map((l) => l.replace(/\r$/, '').trim()).filter(Boolean);
  const native = lines.shift() ?? '';
  const result: SimInst[] = [];
  for (const line of lines) {
    const inst = debPackageName(line, native);
    if (inst) result.push(inst);
  }
  return result;
}

/** The package an archive file `NAME_VERSION_ARCH.deb` holds, named as `apt-get -s` names it (`name:arch` for a foreign arch). */
export function debPackageName(file: string, native: string): SimInst | undefined {
  const m = /^([^_/\s]+)_([^_/\s]+)_([^_/\s]+)\.deb$/.exec(file);
  if (!m) return undefined;
  const [name, version, arch] = [unquote(m[1]), unquote(m[2]), unquote(m[3])];
  return { name: arch === 'all' || arch === native ? name : `${name}:${arch}`, version };
}
