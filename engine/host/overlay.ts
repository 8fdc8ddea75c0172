// The check-mode predicted-state overlay (DESIGN.md §4).
//
// In --check nothing is applied, so a later task would gather the host's real,
// unchanged state and plan against it. Instead, each planned change's
// `predicts` are added here, and later tasks read the host through
// overlayReader(): typed queries answer with the host's real state with the
// predictions layered on top (later predictions win). Raw run/runAll go to the
// real host: a command's output cannot be predicted.

import { posix as pathPosix } from 'node:path';
import type {
  FileState,
  GroupState,
  HostReader,
  MountEntry,
  PackageState,
  Prediction,
  ServiceState,
  UserState,
} from '../module-api.js';
import { coveredPath, PackageFiles, selectFile, selectUnit } from '../facts/package-files.js';

type FilePrediction = Extract<Prediction, { kind: 'file' }>;
type MountPrediction = Extract<Prediction, { kind: 'mount' }>;

interface Seq<T> {
  seq: number;
  p: T;
}

function normPath(p: string): string {
  const n = pathPosix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

function normMode(mode: string | undefined): string | undefined {
  if (mode === undefined) return undefined;
  return /^[0-7]{1,4}$/.test(mode) ? mode.padStart(4, '0') : mode;
}

/** Service names are compared without a `.service` suffix. */
function serviceKey(name: string): string {
  return name.endsWith('.service') ? name.slice(0, -'.service'.length) : name;
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export class Overlay {
  private seq = 0;
  private readonly files = new Map<string, Seq<FilePrediction>>();
  private readonly pkgs = new Map<string, Seq<boolean>>();
  /** The recommends setting of each predicted install (undefined: apt's configuration). */
  private readonly pkgRecommends = new Map<string, boolean | undefined>();
  private readonly userPreds = new Map<string, Seq<{ uid?: number; gid?: number; exists?: boolean }>>();
  private readonly groupPreds = new Map<string, Seq<{ gid?: number; exists?: boolean }>>();
  private readonly servicePreds = new Map<string, Seq<{ active?: boolean; enabled?: boolean }>>();
  private readonly mountPreds = new Map<string, Seq<MountPrediction>>();
  /** What predicted packages ship (files, units), fetched from the host on demand and cached. */
  readonly packageFiles = new PackageFiles();

  /** Record what a planned change makes true. Later predictions override earlier ones. */
  add(predictions: readonly Prediction[] | undefined): void {
    for (const p of predictions ?? []) {
      const seq = ++this.seq;
      switch (p.kind) {
        case 'file': {
          const path = normPath(p.path);
          const prev = this.files.get(path)?.p;
          // Successive partial predictions for one file merge (content, then mode...).
          const merged: FilePrediction =
            prev && prev.state === p.state && p.state !== 'absent' ? ({ ...prev, ...defined(p), path } as FilePrediction) : { ...p, path };
          this.files.set(path, { seq, p: merged });
          break;
        }
        case 'package':
          this.pkgs.set(p.name, { seq, p: p.installed });
          this.pkgRecommends.set(p.name, p.installRecommends);
          break;
        case 'user': {
          const prev = this.userPreds.get(p.name)?.p ?? {};
          const next = p.exists === false ? { exists: false } : { ...(prev.exists === false ? {} : prev), ...defined({ uid: p.uid, gid: p.gid }), exists: true };
          this.userPreds.set(p.name, { seq, p: next });
          break;
        }
        case 'group': {
          const prev = this.groupPreds.get(p.name)?.p ?? {};
          const next = p.exists === false ? { exists: false } : { ...(prev.exists === false ? {} : prev), ...defined({ gid: p.gid }), exists: true };
          this.groupPreds.set(p.name, { seq, p: next });
          break;
        }
        case 'service': {
          const key = serviceKey(p.name);
          const prev = this.servicePreds.get(key)?.p ?? {};
          this.servicePreds.set(key, { seq, p: { ...prev, ...defined({ active: p.active, enabled: p.enabled }) } });
          break;
        }
        case 'mount':
          this.mountPreds.set(normPath(p.path), { seq, p });
          break;
      }
    }
  }

  /** Packages predicted installed, and the names predicted removed. */
  predictedPackages(): { installed: string[]; removed: Set<string> } {
    const installed: string[] = [];
    const removed = new Set<string>();
    for (const [name, { p }] of this.pkgs) {
      if (p) installed.push(name);
      else removed.add(name);
    }
    return { installed, removed };
  }

  /** Predicted installs grouped by their recommends setting (one apt-get -s per group). */
  installGroups(): Array<{ names: string[]; installRecommends?: boolean }> {
    const groups = new Map<string, { names: string[]; installRecommends?: boolean }>();
    for (const name of this.predictedPackages().installed) {
      const rec = this.pkgRecommends.get(name);
      const key = String(rec);
      if (!groups.has(key)) groups.set(key, rec === undefined ? { names: [] } : { names: [], installRecommends: rec });
      groups.get(key)!.names.push(name);
    }
    return [...groups.values()];
  }

  /** True when nothing has been predicted yet. */
  get empty(): boolean {
    return this.seq === 0;
  }

  /** Does any prediction bear on this path (itself, an ancestor, or something inside it)? */
  touchesPath(path: string): boolean {
    return this.fileVerdict(normPath(path)) !== undefined;
  }

  private fileVerdict(path: string): { kind: 'exact'; p: FilePrediction } | { kind: 'absent' } | { kind: 'dir' } | undefined {
    let best: { seq: number; v: { kind: 'exact'; p: FilePrediction } | { kind: 'absent' } | { kind: 'dir' } } | undefined;
    const consider = (seq: number, v: { kind: 'exact'; p: FilePrediction } | { kind: 'absent' } | { kind: 'dir' }) => {
      if (!best || seq > best.seq) best = { seq, v };
    };
    const exact = this.files.get(path);
    if (exact) consider(exact.seq, { kind: 'exact', p: exact.p });
    for (const [other, { seq, p }] of this.files) {
      if (other === path) continue;
      if (path.startsWith(other === '/' ? '/' : other + '/')) {
        // An ancestor that is removed, or that becomes a file or a link: nothing below it exists.
        if (p.state !== 'directory') consider(seq, { kind: 'absent' });
      } else if (other.startsWith(path === '/' ? '/' : path + '/') && p.state !== 'absent' && exact?.p.state !== 'directory') {
        // Something predicted inside this path: it is a directory.
        consider(seq, { kind: 'dir' });
      }
    }
    return best?.v;
  }

  /** The predicted state of one path, given the host's real state (with content when read). */
  file(base: FileState): FileState {
    const path = normPath(base.path);
    const v = this.fileVerdict(path);
    if (!v) return base;
    if (v.kind === 'absent') return { path: base.path, exists: false, predicted: true };
    if (v.kind === 'dir') {
      if (base.exists && base.type === 'directory') return base;
      return { path: base.path, exists: true, type: 'directory', mode: '0755', owner: 'root', group: 'root', predicted: true };
    }
    const p = v.p;
    if (p.state === 'absent') return { path: base.path, exists: false, predicted: true };
    if (p.state === 'link') return { path: base.path, exists: true, type: 'link', linkTarget: p.target, predicted: true };
    const sameType = base.exists && base.type === (p.state === 'file' ? 'file' : 'directory');
    const owner = p.owner ?? (sameType ? base.owner : 'root');
    const group = p.group ?? (sameType ? base.group : 'root');
    const st: FileState = {
      path: base.path,
      exists: true,
      type: p.state === 'file' ? 'file' : 'directory',
      mode: normMode(p.mode) ?? (sameType ? base.mode : p.state === 'file' ? '0644' : '0755'),
      owner,
      group,
      predicted: true,
    };
    if (sameType && owner === base.owner && base.uid !== undefined) st.uid = base.uid;
    if (sameType && group === base.group && base.gid !== undefined) st.gid = base.gid;
    if (p.state === 'file') {
      const content = p.content ?? (sameType ? base.content : undefined);
      if (content !== undefined) {
        st.content = content;
        st.size = content.length;
      } else if (sameType && base.size !== undefined) {
        st.size = base.size;
      }
    }
    return st;
  }

  package(base: PackageState): PackageState {
    const p = this.pkgs.get(base.name);
    if (!p) return base;
    if (p.p === base.installed) return base;
    return p.p ? { name: base.name, installed: true, predicted: true } : { name: base.name, installed: false, predicted: true };
  }

  user(base: UserState): UserState {
    const p = this.userPreds.get(base.name)?.p;
    if (!p) return base;
    if (p.exists === false) return { name: base.name, exists: false, predicted: true };
    const st: UserState = { ...(base.exists ? base : { name: base.name }), exists: true, predicted: true };
    if (p.uid !== undefined) st.uid = p.uid;
    if (p.gid !== undefined) st.gid = p.gid;
    return st;
  }

  group(base: GroupState): GroupState {
    const p = this.groupPreds.get(base.name)?.p;
    if (!p) return base;
    if (p.exists === false) return { name: base.name, exists: false, predicted: true };
    const st: GroupState = { ...(base.exists ? base : { name: base.name, members: [] }), exists: true, predicted: true };
    if (p.gid !== undefined) st.gid = p.gid;
    return st;
  }

  service(base: ServiceState): ServiceState {
    const p = this.servicePreds.get(serviceKey(base.name))?.p;
    if (p) {
      return {
        name: base.name,
        exists: true,
        active: p.active ?? (base.exists ? base.active : false),
        enabled: p.enabled ?? (base.exists ? base.enabled : false),
        predicted: true,
      };
    }
    // A unit the host does not know yet: overlayReader asks the predicted
    // packages first (packageUnit) and passes what they would install as base.
    return base;
  }

  mounts(base: readonly MountEntry[]): MountEntry[] {
    if (this.mountPreds.size === 0) return [...base];
    const out = base.filter((m) => !this.mountPreds.has(normPath(m.path)));
    const preds = [...this.mountPreds.values()].sort((a, b) => a.seq - b.seq);
    for (const { p } of preds) {
      if (!p.mounted) continue;
      const prev = [...base].reverse().find((m) => normPath(m.path) === normPath(p.path));
      out.push({
        path: p.path,
        src: p.src ?? prev?.src ?? '',
        fstype: p.fstype ?? prev?.fstype ?? '',
        opts: p.opts ?? prev?.opts ?? '',
        predicted: true,
      });
    }
    return out;
  }
}

/**
 * A path missing on the host that a predicted package install would create
 * (its /etc files, ucf-managed configuration, units), read from the packages'
 * .debs on the host (engine/facts/package-files.ts). Undefined when none provides it.
 */
async function packageFile(base: HostReader, overlay: Overlay, st: FileState): Promise<FileState | undefined> {
  if (st.exists || !coveredPath(normPath(st.path)) || overlay.touchesPath(st.path)) return undefined;
  const { removed } = overlay.predictedPackages();
  const installed = await predictedInstalls(base, overlay);
  if (!installed.length) return undefined;
  await overlay.packageFiles.ensure(base, installed);
  const keep = new Set([...overlay.packageFiles.snap.pkgs.keys()].filter((n) => !removed.has(n)));
  return selectFile(overlay.packageFiles.snap, st.path, keep);
}

/**
 * Every package the predicted installs would unpack, new dependencies included:
 * apt-get -s per recommends setting, as the real install would resolve them
 * (engine/facts/package-files.ts caches it). Only --check pays for it, and only when a
 * later task asks about a package, file or unit the host does not have.
 */
async function predictedInstalls(base: HostReader, overlay: Overlay): Promise<string[]> {
  const out = new Set<string>();
  for (const g of overlay.installGroups()) {
    for (const n of await overlay.packageFiles.closure(base, g.names, g.installRecommends)) out.add(n);
  }
  return [...out];
}

/** The state a unit unknown to the host would have once the predicted packages are installed. */
async function packageUnit(base: HostReader, overlay: Overlay, st: ServiceState): Promise<ServiceState> {
  if (st.exists) return st;
  const { removed } = overlay.predictedPackages();
  const installed = await predictedInstalls(base, overlay);
  if (!installed.length) return st;
  const files = overlay.packageFiles;
  await files.ensure(base, installed);
  const keep = new Set([...files.snap.pkgs.keys()].filter((n) => !removed.has(n)));
  const forbidden = await files.startForbidden(base, st.name);
  // No predicted package ships it: the real install would not bring it either.
  const mgr = base.facts.service_mgr !== 'unknown' ? base.facts.service_mgr : files.snap.serviceMgr ?? 'unknown';
  return selectUnit(files.snap, st.name, mgr, forbidden, keep) ?? st;
}

/** A HostReader that answers typed queries with the overlay's predictions over the real host. */
export function overlayReader(base: HostReader, overlay: Overlay): HostReader {
  return {
    get name() {
      return base.name;
    },
    get facts() {
      return base.facts;
    },
    run: (argv, opts) => base.run(argv, opts),
    runAll: (commands) => base.runAll(commands),
    async stat(paths) {
      const real = await base.stat(paths);
      for (let i = 0; i < real.length; i++) {
        const fromPkg = await packageFile(base, overlay, real[i]);
        if (fromPkg) {
          const { content: _content, ...rest } = fromPkg;
          real[i] = rest;
        }
      }
      return real.map((st) => {
        const o = overlay.file(st);
        if (o === st || o.content === undefined) return o;
        const { content: _content, ...rest } = o;
        return rest;
      });
    },
    async readFile(path) {
      const st = await base.readFile(path);
      return overlay.file((await packageFile(base, overlay, st)) ?? st);
    },
    async packages(names) {
      const states = (await base.packages(names)).map((p) => overlay.package(p));
      // A package the host lacks may be a new dependency of a predicted install.
      if (!states.some((p) => !p.installed && !p.predicted) || !overlay.installGroups().length) return states;
      const { removed } = overlay.predictedPackages();
      const brought = new Set(await predictedInstalls(base, overlay));
      return states.map((p) => (!p.installed && !p.predicted && brought.has(p.name) && !removed.has(p.name) ? { name: p.name, installed: true, predicted: true } : p));
    },
    async users(names) {
      return (await base.users(names)).map((u) => overlay.user(u));
    },
    async groups(names) {
      return (await base.groups(names)).map((g) => overlay.group(g));
    },
    async services(names) {
      const out: ServiceState[] = [];
      for (const s of await base.services(names)) out.push(overlay.service(await packageUnit(base, overlay, s)));
      return out;
    },
    async mounts() {
      return overlay.mounts(await base.mounts());
    },
  };
}
