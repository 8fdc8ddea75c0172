// What a predicted package install would put on a host (check mode only).
//
// In --check an `apt` task predicts packages as installed, but the files and
// units those packages bring do not exist yet. When a later task reads such a
// path, the overlay asks this module: it fetches the predicted packages' .debs
// on the host (from /var/cache/apt/archives, else `apt-get download` into a
// temporary directory that is removed afterwards) and extracts their /etc
// trees, ucf templates (/usr/share/PKG/conffiles), systemd unit directories and
// the ucf lines of their postinst, all in ONE round trip (the first ask of a
// run sends the .debs themselves, read on the controller by deb-archive.ts;
// CLOSURE_CONTENTS_SCRIPT below). Nothing in the host's
// configuration changes. The result is cached per host and package, so later
// queries for any path answer on the controller without a round trip.
//
// Selection rules (pure functions below, unit-tested on recorded output):
// - a path shipped in a package's data (a dpkg conffile or any file in /etc);
// - else a ucf-managed file: the template named by a `ucf SRC DEST` line of a
//   package's postinst with DEST equal to the path (nfs-kernel-server:
//   /usr/share/nfs-kernel-server/conffiles/etc.exports -> /etc/exports), or the
//   conventional /usr/share/PKG/conffiles/BASENAME;
// - units: /lib/systemd/system/UNIT or /usr/lib/systemd/system/UNIT (aliases
//   followed, /dev/null = masked), /etc/init.d/NAME, /etc/init/NAME.conf;
//   started and enabled per Debian policy (see unitPrediction).

import { debPackageName, installDownloadsArgv, parseInstallDownloads, recommendsFlags, type SimInst } from './apt-simulation.js';
import { posix as pathPosix } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseTar, readDeb } from './deb-archive.js';
import type { FileState, HostReader, InitSystem, ServiceState } from '../module-api.js';

/** One extracted member of a package (paths absolute, as installed). */
export interface PkgEntry {
  type: 'file' | 'directory' | 'link';
  mode: string;
  /** A file's exact bytes, as the package ships them. */
  content?: Buffer;
  target?: string;
}

export interface PkgFiles {
  entries: Map<string, PkgEntry>;
  /** postinst lines that mention ucf. */
  ucfLines: string[];
}

export interface Snapshot {
  /** Packages extracted, by name (an `Inst` name; `name:arch` for a foreign arch). */
  pkgs: Map<string, PkgFiles>;
  /** Packages whose .deb could not be found or downloaded. */
  missing: string[];
  /** /usr/sbin/policy-rc.d exists on the host. */
  policyRcD: boolean;
}

/** Paths the snapshot covers: only reads inside these can be answered from packages. */
export function coveredPath(path: string): boolean {
  return /^\/etc\/./.test(path) || /^\/(usr\/)?lib\/systemd\/system\/./.test(path) || /^\/usr\/share\/[^/]+\/conffiles\/./.test(path);
}

/**
 * Shell: extract one .deb ("$deb") into $T/x/KEY and its postinst into
 * $T/c/KEY.postinst, in the background. KEY is a shell word: the package name
 * for SNAPSHOT_SCRIPT, the .deb file name for EXTRACT_DEBS_SCRIPT.
 * deb-archive.ts reads a .deb on the controller to the same result.
 */
const extractDeb = (key: string) => `  mkdir "$T/x/${key}"
  ( dpkg-deb --fsys-tarfile "$deb" | tar -xf - -C "$T/x/${key}" --no-same-owner --wildcards './etc/*' './usr/share/*/conffiles/*' './lib/systemd/system/*' './usr/lib/systemd/system/*' 2>/dev/null
    dpkg-deb -I "$deb" postinst > "$T/c/${key}.postinst" 2>/dev/null ) &`;
/** Shell: the extracted trees as one line of base64 (a gzipped tar of x/ and c/), after a TAR line. */
const TAR_OUT = `echo TAR
tar -czf - -C "$T" x c | base64 -w0
echo`;

/**
 * Shell: the .debs named by "$@" extracted as the snapshot extracts them, keyed
 * by file name, then TAR and the tar (parseSnapshot reads it). Only the test
 * that holds deb-archive.ts to the host's extraction runs it.
 */
export const EXTRACT_DEBS_SCRIPT = `set -u
T=$(mktemp -d) || exit 70
trap 'cd /; rm -rf "$T"' EXIT
mkdir "$T/x" "$T/c" || exit 70
for deb in "$@"; do
  b=\${deb##*/}
${extractDeb('$b')}
done
wait
${TAR_OUT}
exit 0
`;

// The script: a constant; its arguments are the package names (candidate
// versions from apt-cache policy; the apt module already predicts every package
// the install would bring, so no dependency solving here). Output:
//   P                         policy-rc.d exists
//   M PKG                     no .deb for PKG
//   TAR                       then one line: base64 of a gzipped tar with x/PKG/<members as
//                             installed> and c/PKG.postinst (packages extracted in parallel)
export const SNAPSHOT_SCRIPT = `set -u
T=$(mktemp -d) || exit 70
trap 'cd /; rm -rf "$T"' EXIT
mkdir "$T/dl" "$T/x"
if [ -e /usr/sbin/policy-rc.d ]; then echo P; fi
LC_ALL=C apt-cache policy "$@" 2>/dev/null |
  awk '/^[^ ].*:$/ { n = substr($0, 1, length($0) - 1) } $1 == "Candidate:" { print n, ($2 == "(none)" ? "-" : $2) }' > "$T/list"
for n in "$@"; do
  awk -v n="$n" '$1 == n { f = 1 } END { exit !f }' "$T/list" || echo "$n -" >> "$T/list"
done
: > "$T/need"; : > "$T/debs"
while read -r n v; do
  b=\${n%%:*}; deb=
  if [ "$v" != - ]; then
    ve=$(printf '%s' "$v" | sed 's/:/%3a/g')
    for f in /var/cache/apt/archives/"$b"_"$ve"_*.deb; do [ -f "$f" ] && deb=$f; done
  else
    for f in /var/cache/apt/archives/"$b"_*.deb; do [ -f "$f" ] && deb=$f; done
  fi
  if [ -n "$deb" ]; then echo "$n $deb" >> "$T/debs"; else echo "$n $v" >> "$T/need"; fi
done < "$T/list"
if [ -s "$T/need" ]; then
  ( cd "$T/dl" && awk '{ if ($2 == "-") print $1; else print $1 "=" $2 }' "$T/need" | xargs apt-get download -q -o APT::Sandbox::User=root >/dev/null 2>&1 )
  while read -r n v; do
    b=\${n%%:*}; deb=
    for f in "$T/dl/$b"_*.deb; do [ -f "$f" ] && deb=$f; done
    if [ -n "$deb" ]; then echo "$n $deb" >> "$T/debs"; else echo "M $n"; fi
  done < "$T/need"
fi
mkdir "$T/c"
while read -r n deb; do
${extractDeb('$n')}
done < "$T/debs"
wait
${TAR_OUT}
exit 0
`;

/** argv for one snapshot round trip (quoted by the host through quoteArgv). */
export function snapshotArgv(pkgs: readonly string[]): string[] {
  return ['sh', '-c', SNAPSHOT_SCRIPT, 'tsplay-pkgfiles', ...pkgs];
}

// The closure and the contents of an install in ONE round trip and one run of
// apt (the prefetch and the first prediction that needs files ask this way):
// `apt-get install --download-only` into an empty private archive directory
// resolves the install as the real one would and downloads exactly the
// packages it would unpack, so the directory's .deb files are the closure
// (as with --print-uris, apt-simulation.ts), already there to be read. Against
// --print-uris then the snapshot above, it saves a second opening of apt's
// cache (apt-cache policy and apt-get download) and a round trip: 0.8-1.06 s
// against 1.27-1.42 s for nfs-kernel-server (25 packages) on an idle lab host.
// A download-only install still takes the dpkg frontend lock; Debug::NoLocking
// (apt.conf(5)) turns that off, as --print-uris and -s need no lock: nothing
// but the private directory is written, so a run or a site's apt that holds the
// lock is neither waited for nor locked out. Unlike the snapshot above it does
// not look in /var/cache/apt/archives first: where the download fails (no
// mirror reachable), the caller falls back to --print-uris and the snapshot.
// The packages are read on the controller (deb-archive.ts), not extracted
// on the host: the host sends each .deb as it is. The controller keeps what
// it read of each .deb file for the whole run, and names those files to
// the script (`NAME.deb:SIZE` words before a `--`): a host sends only the
// .debs that no earlier host sent, so 500 computes installing the same
// packages send them about once per fork, not 500 times.
// Output: the dpkg architecture; P if policy-rc.d exists; per .deb of the
// install (the file names sorted: apt's order is lost), `K SIZE FILE` when
// the controller named it, else `D SIZE FILE`; then a DATA line and the D
// files' bytes, one after the other, in the D lines' order.
/**
 * Shell: a download-only `apt-get install "$@"` into the private archive
 * directory $T/a/ (which must have a partial/ subdirectory), with locking off
 * (see above). The real run's prefetch downloads with it too.
 */
export const APT_DOWNLOAD_ONLY = 'LC_ALL=C apt-get -q -y -d -o Debug::NoLocking=1 -o APT::Sandbox::User=root -o Dir::Cache::Archives="$T/a/" "$@"';

export const CLOSURE_CONTENTS_SCRIPT = `set -u
T=$(mktemp -d) || exit 70
trap 'cd /; rm -rf "$T"' EXIT
mkdir -p "$T/a/partial" || exit 70
known=' '
while [ "$#" -gt 0 ]; do a=$1; shift; [ "$a" = -- ] && break; known="$known$a "; done
dpkg --print-architecture || exit 70
if [ -e /usr/sbin/policy-rc.d ]; then echo P; fi
${APT_DOWNLOAD_ONLY} > "$T/out" 2>&1 || { r=$?; tail -n 5 "$T/out" >&2; exit "$r"; }
cd "$T/a" || exit 70
set --
for deb in *.deb; do [ -f "$deb" ] && set -- "$@" "$deb"; done
: > "$T/sizes"
if [ "$#" -gt 0 ]; then stat -c '%s %n' -- "$@" > "$T/sizes" || exit 70; fi
set --
while read -r s deb; do
  case $known in
  *" $deb:$s "*) echo "K $s $deb" ;;
  *) echo "D $s $deb"; set -- "$@" "$deb" ;;
  esac
done < "$T/sizes"
echo DATA
if [ "$#" -gt 0 ]; then cat -- "$@" || exit 70; fi
exit 0
`;

/**
 * argv for the closure and contents of `apt-get install NAMES` (this recommends
 * setting) in one round trip; `known`: the .deb files (`FILE:SIZE`) the
 * controller has read already, which the host does not send.
 */
export function closureContentsArgv(names: readonly string[], installRecommends?: boolean, known: readonly string[] = []): string[] {
  return ['sh', '-c', CLOSURE_CONTENTS_SCRIPT, 'tsplay-pkgfetch', ...known, '--', ...recommendsFlags(installRecommends), 'install', '--', ...names];
}

/** One .deb of CLOSURE_CONTENTS_SCRIPT's output: its bytes when the host sent them (a D line), none for a K line. */
export interface FetchedDeb {
  file: string;
  size: number;
  bytes?: Buffer;
}

/**
 * CLOSURE_CONTENTS_SCRIPT's output, split: the architecture, policy-rc.d, and
 * each .deb with its bytes where sent. Throws when the bytes do not add up to
 * the sizes announced (a truncated or garbled answer).
 */
export function parseClosureDebs(out: Buffer): { native: string; policyRcD: boolean; debs: FetchedDeb[] } {
  const at = out.indexOf('\nDATA\n');
  if (at < 0) throw new Error('no DATA line in the package fetch output');
  const lines = out.subarray(0, at).toString('utf8').split('\n');
  const native = (lines[0] ?? '').trim();
  const debs: FetchedDeb[] = [];
  let off = at + '\nDATA\n'.length;
  for (const line of lines.slice(1)) {
    const m = /^([DK]) (\d+) (\S+\.deb)$/.exec(line);
    if (!m) continue;
    const size = Number(m[2]);
    if (m[1] === 'K') {
      debs.push({ file: m[3], size });
      continue;
    }
    if (off + size > out.length) throw new Error(`the package fetch output ends inside ${m[3]}`);
    debs.push({ file: m[3], size, bytes: out.subarray(off, off + size) });
    off += size;
  }
  if (off !== out.length) throw new Error(`the package fetch output has ${out.length - off} bytes more than its .debs`);
  return { native, policyRcD: lines.includes('P'), debs };
}

/**
 * What the controller read of each .deb file, by `FILE:SIZE`, for the whole
 * process (a run): a file read once is not sent again by any host. Undefined:
 * not readable here (deb-archive.ts), the host extracts that package itself.
 */
const readDebs = new Map<string, Promise<PkgFiles | undefined>>();
/** The keys of readDebs that were read (the `known` words sent to hosts). */
const readDebsDone = new Set<string>();

/** The .deb read (once per FILE:SIZE for the process). */
function readDebOnce(key: string, bytes: Buffer | undefined): Promise<PkgFiles | undefined> {
  let p = readDebs.get(key);
  if (!p) {
    if (!bytes) return Promise.resolve(undefined);
    p = readDeb(bytes).then((files) => {
      if (files) readDebsDone.add(key);
      return files;
    });
    readDebs.set(key, p);
  }
  return p;
}

/**
 * CLOSURE_CONTENTS_SCRIPT's output: the packages the install unpacks (named
 * as apt-get -s names them) and the contents of those read here; `unread`:
 * packages whose .deb could not be read here (the host extracts those).
 */
export async function parseClosureContents(out: Buffer): Promise<{ installs: SimInst[]; snap: Snapshot; unread: string[] }> {
  const { native, policyRcD, debs } = parseClosureDebs(out);
  const snap: Snapshot = { pkgs: new Map(), missing: [], policyRcD };
  const installs: SimInst[] = [];
  const unread: string[] = [];
  for (const d of debs) {
    const inst = debPackageName(d.file, native);
    if (!inst) continue;
    installs.push(inst);
    const files = await readDebOnce(`${d.file}:${d.size}`, d.bytes);
    if (files) snap.pkgs.set(inst.name, files);
    else unread.push(inst.name);
  }
  return { installs, snap, unread };
}

/**
 * Parse the snapshot script's output. `nameOf` maps the tar's x/ and c/ names
 * to package names (CLOSURE_CONTENTS_SCRIPT names them by .deb file; one it
 * does not know is skipped); without it they are the package names.
 */
export function parseSnapshot(stdout: string, nameOf: (dir: string) => string | undefined = (d) => d): Snapshot {
  const snap: Snapshot = { pkgs: new Map(), missing: [], policyRcD: false };
  const pkg = (n: string): PkgFiles => {
    let p = snap.pkgs.get(n);
    if (!p) snap.pkgs.set(n, (p = { entries: new Map(), ucfLines: [] }));
    return p;
  };
  const lines = stdout.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === 'P') snap.policyRcD = true;
    const missing = /^M (\S+)$/.exec(line);
    if (missing) snap.missing.push(missing[1]);
    if (line !== 'TAR') continue;
    const b64 = (lines[i + 1] ?? '').trim();
    if (!b64) break;
    for (const e of parseTar(gunzipSync(Buffer.from(b64, 'base64')))) {
      const name = e.name.replace(/^\.\//, '').replace(/\/$/, '');
      const x = /^x\/([^/]+)(?:\/(.*))?$/.exec(name);
      if (x) {
        const n = nameOf(x[1]);
        if (n === undefined) continue;
        const files = pkg(n);
        if (x[2] === undefined) continue;
        const path = '/' + x[2].replace(/^\.\//, '');
        if (e.type === 'file') files.entries.set(path, { type: 'file', mode: e.mode, content: e.data });
        else if (e.type === 'directory') files.entries.set(path, { type: 'directory', mode: e.mode });
        else if (e.type === 'link') files.entries.set(path, { type: 'link', mode: '0777', target: e.target });
        continue;
      }
      const c = /^c\/(.+)\.postinst$/.exec(name);
      const cn = c ? nameOf(c[1]) : undefined;
      if (cn !== undefined && e.type === 'file') pkg(cn).ucfLines.push(...e.data.toString('utf8').split('\n').filter((l) => /\bucf\b/.test(l)));
    }
    break;
  }
  return snap;
}

/** Merge a later snapshot into an earlier one (packages extracted once). */
export function mergeSnapshot(into: Snapshot, more: Snapshot): void {
  for (const [n, p] of more.pkgs) into.pkgs.set(n, p);
  into.missing = [...new Set([...into.missing.filter((n) => !more.pkgs.has(n)), ...more.missing])];
  into.policyRcD = more.policyRcD;
}

/** `ucf [opts] SRC DEST` in a postinst line: [SRC, DEST] when both are literal absolute paths. */
export function parseUcfLine(line: string): [string, string] | undefined {
  const code = line.replace(/(^|\s)#.*$/, '');
  const m = /(?:^|[\s;&|(])ucf\s+([^;&|)]*)/.exec(code);
  if (!m) return undefined;
  const args = m[1].split(/\s+/).filter((w) => w !== '' && !w.startsWith('-'));
  if (args.length < 2) return undefined;
  const [src, dest] = args.slice(-2).map((w) => w.replace(/^["']|["']$/g, ''));
  return src.startsWith('/') && dest.startsWith('/') && !/[$`]/.test(src + dest) ? [src, dest] : undefined;
}

function fileState(path: string, e: PkgEntry, mode?: string): FileState {
  const st: FileState = { path, exists: true, predicted: true, owner: 'root', group: 'root', uid: 0, gid: 0 };
  if (e.type === 'link') return { ...st, type: 'link', linkTarget: e.target, mode: '0777' };
  if (e.type === 'directory') return { ...st, type: 'directory', mode: e.mode };
  const content = e.content ?? Buffer.alloc(0);
  return { ...st, type: 'file', mode: mode ?? e.mode, content, size: content.length };
}

/**
 * The state a path would have after the snapshot's packages are installed, or
 * undefined when none of them provides it. `pkgs` limits the packages looked at
 * (those still predicted installed).
 */
export function selectFile(snap: Snapshot, path: string, pkgs?: ReadonlySet<string>): FileState | undefined {
  const p = pathPosix.normalize(path).replace(/(.)\/$/, '$1');
  const list = [...snap.pkgs].filter(([n]) => !pkgs || pkgs.has(n));
  for (const [, files] of list) {
    const e = files.entries.get(p);
    if (e) return fileState(path, e);
  }
  // ucf: the postinst copies a template to the path on a fresh install (mode 0644, root).
  for (const [, files] of list) {
    for (const line of files.ucfLines) {
      const pair = parseUcfLine(line);
      if (!pair || pair[1] !== p) continue;
      for (const [, f2] of list) {
        const src = f2.entries.get(pair[0]);
        if (src?.type === 'file') return fileState(path, src, '0644');
      }
    }
  }
  const base = pathPosix.basename(p);
  for (const [n, files] of list) {
    const src = files.entries.get(`/usr/share/${n.replace(/:.*$/, '')}/conffiles/${base}`);
    if (src?.type === 'file' && p.startsWith('/etc/')) return fileState(path, src, '0644');
  }
  return undefined;
}

const UNIT_SUFFIXES = ['.service', '.socket', '.timer', '.mount', '.target', '.path', '.automount', '.swap', '.slice', '.scope', '.device'];
const UNIT_DIRS = ['/lib/systemd/system', '/usr/lib/systemd/system'];

/** Does a unit file's [Install] section name a WantedBy/RequiredBy target? */
export function unitInstallable(content: string): boolean {
  let section = '';
  for (const raw of content.split('\n')) {
    const line = raw.trim();
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1];
      continue;
    }
    if (section === 'Install' && /^(WantedBy|RequiredBy)\s*=\s*\S/.test(line)) return true;
  }
  return false;
}

function findEntry(list: Array<[string, PkgFiles]>, path: string): PkgEntry | undefined {
  for (const [, files] of list) {
    const e = files.entries.get(path);
    if (e) return e;
  }
  return undefined;
}

/**
 * What the host's init system would report for a unit after the snapshot's
 * packages are installed (Debian policy: a package's postinst enables a unit
 * with an [Install] section and starts it; an init script is enabled with
 * update-rc.d defaults and started; policy-rc.d exiting 101 forbids the start,
 * not the enabling). Undefined: no package ships it.
 */
export function selectUnit(
  snap: Snapshot,
  name: string,
  mgr: InitSystem,
  startForbidden: boolean,
  pkgs?: ReadonlySet<string>,
): ServiceState | undefined {
  const list = [...snap.pkgs].filter(([n]) => !pkgs || pkgs.has(n));
  const started = !startForbidden;
  const bare = name.endsWith('.service') ? name.slice(0, -'.service'.length) : name;
  if (mgr === 'systemd') {
    const unit = UNIT_SUFFIXES.some((s) => name.endsWith(s)) ? name : `${name}.service`;
    for (const dir of UNIT_DIRS) {
      let path = `${dir}/${unit}`;
      let e = findEntry(list, path);
      for (let hops = 0; e?.type === 'link' && hops < 8; hops++) {
        const target = e.target ?? '';
        if (target === '/dev/null') return { name, exists: true, active: false, enabled: false, predicted: true };
        path = target.startsWith('/') ? target : pathPosix.join(pathPosix.dirname(path), target);
        e = findEntry(list, path) ?? (path.startsWith('/usr/') ? findEntry(list, path.slice(4)) : findEntry(list, '/usr' + path));
      }
      if (e?.type === 'file') {
        const installable = unitInstallable((e.content ?? Buffer.alloc(0)).toString('utf8'));
        return { name, exists: true, active: installable && started, enabled: installable ? true : null, predicted: true };
      }
    }
    // No unit file: systemd-sysv-generator wraps the init script (reported as generated).
    if (!UNIT_SUFFIXES.some((s) => name.endsWith(s) && s !== '.service') && findEntry(list, `/etc/init.d/${bare}`)?.type === 'file') {
      return { name, exists: true, active: started, enabled: null, predicted: true };
    }
    return undefined;
  }
  if (mgr === 'sysvinit' && findEntry(list, `/etc/init.d/${bare}`)?.type === 'file') {
    return { name, exists: true, active: started, enabled: true, predicted: true };
  }
  if (mgr === 'upstart' && findEntry(list, `/etc/init/${bare}.conf`)?.type === 'file') {
    return { name, exists: true, active: started, enabled: true, predicted: true };
  }
  return undefined;
}

/**
 * Per-host cache of what predicted packages ship. Each package is extracted
 * once; policy-rc.d answers are cached per service.
 */
export class PackageFiles {
  readonly snap: Snapshot = { pkgs: new Map(), missing: [], policyRcD: false };
  private readonly asked = new Set<string>();
  private readonly policy = new Map<string, boolean>();
  /** Round trips made and their total time (ms), for measurements. */
  readonly stats = { roundTrips: 0, ms: 0 };

  /**
   * The packages `apt-get install NAMES` (with this recommends setting) would
   * unpack, the named ones included, as apt's resolver answers without changing
   * anything (apt-simulation.ts); one round trip per distinct request, cached.
   * A failed resolution (unknown name, broken dependencies) yields the names only.
   * Concurrent asks share one round trip (a prefetch started at the start of a
   * --check run, engine/run/package-prefetch.ts, and the task that needs it).
   * With `contents`, the packages' contents come in the same round trip
   * (CLOSURE_CONTENTS_SCRIPT) and a later ensure() of them costs nothing;
   * where that fails (a download refused), apt is asked without downloading.
   */
  closure(host: HostReader, names: readonly string[], installRecommends?: boolean, opts: { tentative?: boolean; contents?: boolean } = {}): Promise<string[]> {
    const key = `${installRecommends}:${[...names].sort().join(' ')}`;
    const known = this.closures.get(key);
    if (known) {
      // A task's ask finds the prefetch's: its answer if it has one, else the task asks itself.
      if (known.tentative && !opts.tentative) return known.promise.catch(() => this.closure(host, names, installRecommends, opts));
      return known.promise;
    }
    const promise = (async () => {
      if (opts.contents) {
        const fetched = await this.closureWithContents(host, names, installRecommends);
        if (fetched) return fetched;
      }
      const t0 = performance.now();
      const r = await host.run(installDownloadsArgv(names, installRecommends), { timeoutMs: 120_000 });
      this.stats.roundTrips++;
      this.stats.ms += performance.now() - t0;
      // A tentative ask (the prefetch) that failed is no answer: the task's own ask tries again.
      if (r.rc !== 0 && opts.tentative) throw new Error(`apt-get --print-uris failed (${r.rc})`);
      return [...new Set([...names, ...(r.rc === 0 ? parseInstallDownloads(r.stdout).map((i) => i.name) : [])])];
    })();
    this.closures.set(key, { promise, tentative: opts.tentative === true });
    // A failed round trip (connection lost, a failed prefetch) is not an answer: the next ask tries again.
    promise.catch(() => {
      if (this.closures.get(key)?.promise === promise) this.closures.delete(key);
    });
    return promise;
  }

  /** The closure with its packages' contents (merged into the snapshot); undefined when apt could not download it. */
  private async closureWithContents(host: HostReader, names: readonly string[], installRecommends?: boolean): Promise<string[] | undefined> {
    const t0 = performance.now();
    const r = await host.run(closureContentsArgv(names, installRecommends, [...readDebsDone]), { timeoutMs: 300_000, bytes: true });
    this.stats.roundTrips++;
    this.stats.ms += performance.now() - t0;
    if (r.rc !== 0 || !r.stdoutBytes) return undefined;
    let parsed: Awaited<ReturnType<typeof parseClosureContents>>;
    try {
      parsed = await parseClosureContents(r.stdoutBytes);
    } catch {
      return undefined; // a garbled answer: as where apt could not download
    }
    const { installs, snap, unread } = parsed;
    mergeSnapshot(this.snap, snap);
    // A name apt had nothing to download for is installed already: there is nothing of it to look at.
    // A package whose .deb could not be read here is left to ensure(), which extracts it on the host.
    const all = [...new Set([...names, ...installs.map((i) => i.name)])];
    for (const n of all) if (!unread.includes(n)) this.asked.add(n);
    return all;
  }

  private readonly closures = new Map<string, { promise: Promise<string[]>; tentative: boolean }>();
  /** Packages being looked at now, by name: their round trip. */
  private readonly looking = new Map<string, Promise<void>>();

  /** Make sure every package in `pkgs` (and its new dependencies) has been looked at. */
  async ensure(host: HostReader, pkgs: readonly string[], opts: { tentative?: boolean } = {}): Promise<void> {
    const others = new Set<Promise<void>>();
    const todo: string[] = [];
    for (const n of pkgs) {
      if (this.asked.has(n) || this.snap.pkgs.has(n)) continue;
      const inFlight = this.looking.get(n);
      if (inFlight) others.add(inFlight);
      else todo.push(n);
    }
    let own: Promise<void> | undefined;
    if (todo.length) {
      own = (async () => {
        const t0 = performance.now();
        try {
          const r = await host.run(snapshotArgv(todo), { timeoutMs: 300_000 });
          this.stats.roundTrips++;
          this.stats.ms += performance.now() - t0;
          // A tentative look (the prefetch) that failed leaves the packages to the task's own look.
          if (r.rc !== 0 && opts.tentative) return;
          for (const n of todo) this.asked.add(n);
          if (r.rc !== 0) return; // cannot tell: the caller answers as without packages
          mergeSnapshot(this.snap, parseSnapshot(r.stdout));
        } finally {
          for (const n of todo) this.looking.delete(n);
        }
      })();
      for (const n of todo) this.looking.set(n, own);
    }
    // Another ask's look that failed is not this ask's failure: what it left is looked at below.
    await Promise.allSettled(others);
    if (own) await own;
    // What a failed prefetch left unlooked at, the task looks at itself.
    const left = opts.tentative ? [] : pkgs.filter((n) => !this.asked.has(n) && !this.snap.pkgs.has(n));
    if (left.length) await this.ensure(host, left, opts);
  }

  /** Would /usr/sbin/policy-rc.d forbid starting this service (exit 101)? */
  async startForbidden(host: HostReader, name: string): Promise<boolean> {
    if (!this.snap.policyRcD) return false;
    const key = name.replace(/\.service$/, '');
    const known = this.policy.get(key);
    if (known !== undefined) return known;
    const r = await host.run(['/usr/sbin/policy-rc.d', key, 'start']);
    this.stats.roundTrips++;
    this.policy.set(key, r.rc === 101);
    return r.rc === 101;
  }
}
