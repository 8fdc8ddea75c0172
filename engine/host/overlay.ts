// The check-mode predicted-state overlay (DESIGN.md §4): the prediction store.
//
// In --check nothing is applied, so a later task would gather the host's real,
// unchanged state and plan against it. Instead, each planned change's
// `predicts` are recorded here, and later tasks read the host through
// predictedReader() (engine/facts/fact.ts): each fact's overlay rule asks this
// store what was predicted and alters the host's real value (later predictions
// win). This file knows no fact: it only records and answers.

import { posix as pathPosix } from 'node:path';
import type { Prediction, UserFields } from './prediction.js';

type FilePrediction = Extract<Prediction, { kind: 'file' }>;
export type MountPrediction = Extract<Prediction, { kind: 'mount' }>;

/** Which prediction bears on a path: exactly it, an ancestor that removes it, or something inside it. */
export type FileVerdict = { kind: 'exact'; p: FilePrediction } | { kind: 'absent' } | { kind: 'dir' };

interface Seq<T> {
  seq: number;
  p: T;
}

export function normPath(p: string): string {
  const n = pathPosix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** Service names are compared without a `.service` suffix. */
function serviceKey(name: string): string {
  return name.endsWith('.service') ? name.slice(0, -'.service'.length) : name;
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The merged predictions for one account. */
export type UserPrediction = UserFields & { exists?: boolean; created?: boolean };

export class Overlay {
  private seq = 0;
  private readonly files = new Map<string, Seq<FilePrediction>>();
  private readonly pkgs = new Map<string, Seq<boolean>>();
  /** The recommends setting of each predicted install (undefined: apt's configuration). */
  private readonly pkgRecommends = new Map<string, boolean | undefined>();
  private readonly userPreds = new Map<string, Seq<UserPrediction>>();
  private readonly groupPreds = new Map<string, Seq<{ gid?: number; exists?: boolean }>>();
  private readonly servicePreds = new Map<string, Seq<{ active?: boolean; enabled?: boolean }>>();
  private readonly mountPreds = new Map<string, Seq<MountPrediction>>();
  /** package -> question -> the answer as debconf-show will show it. */
  private readonly debconfPreds = new Map<string, Map<string, { value: string; seen: boolean }>>();
  /** pip environment -> canonical name -> installed (and version when known). */
  private readonly pipPreds = new Map<string, Map<string, { installed: boolean; version?: string }>>();
  /** apt-key keyring ('' : the default) -> long key id -> present. */
  private readonly aptKeyPreds = new Map<string, Map<string, boolean>>();

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
          const { kind: _kind, name: _name, exists: _exists, created, ...fields } = p;
          // A removal forgets the predicted fields; a creation starts the account anew (created stays: the host's old fields are gone).
          const base = created ? { created: true } : prev.exists === false ? {} : prev;
          const next: UserPrediction = p.exists === false ? { exists: false } : { ...base, ...defined(fields), exists: true };
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
        case 'debconf': {
          const answers = this.debconfPreds.get(p.package) ?? new Map<string, { value: string; seen: boolean }>();
          answers.set(p.question, { value: p.value, seen: p.seen });
          this.debconfPreds.set(p.package, answers);
          break;
        }
        case 'pip': {
          const names = this.pipPreds.get(p.env) ?? new Map<string, { installed: boolean; version?: string }>();
          names.set(p.name, p.version === undefined ? { installed: p.installed } : { installed: p.installed, version: p.version });
          this.pipPreds.set(p.env, names);
          break;
        }
        case 'apt_key': {
          const keys = this.aptKeyPreds.get(p.keyring) ?? new Map<string, boolean>();
          keys.set(p.id, p.present);
          this.aptKeyPreds.set(p.keyring, keys);
          break;
        }
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

  /** Predicted installs grouped by their recommends setting (one resolution by apt per group). */
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
    return this.fileVerdict(path) !== undefined;
  }

  /** Path normalisation the store uses (no trailing slash). */
  normPath(path: string): string {
    return normPath(path);
  }

  /** The latest prediction bearing on a path, or undefined. */
  fileVerdict(path: string): FileVerdict | undefined {
    path = normPath(path);
    let best: { seq: number; v: FileVerdict } | undefined;
    const consider = (seq: number, v: FileVerdict) => {
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

  /** The predicted install state of a package, or undefined. */
  packagePrediction(name: string): boolean | undefined {
    return this.pkgs.get(name)?.p;
  }

  /** The merged predictions for a user (exists false: removed; created: made anew), or undefined. */
  userPrediction(name: string): UserPrediction | undefined {
    return this.userPreds.get(name)?.p;
  }

  /** The merged predictions for a group (exists false: removed), or undefined. */
  groupPrediction(name: string): { gid?: number; exists?: boolean } | undefined {
    return this.groupPreds.get(name)?.p;
  }

  /** The merged predictions for a service (`x` and `x.service` are one), or undefined. */
  servicePrediction(name: string): { active?: boolean; enabled?: boolean } | undefined {
    return this.servicePreds.get(serviceKey(name))?.p;
  }

  /** The predicted debconf answers of a package (question -> answer), or undefined. */
  debconfPrediction(pkg: string): ReadonlyMap<string, { value: string; seen: boolean }> | undefined {
    return this.debconfPreds.get(pkg);
  }

  /** The predicted pip installs and removals in one environment (canonical name -> state), or undefined. */
  pipPrediction(env: string): ReadonlyMap<string, { installed: boolean; version?: string }> | undefined {
    return this.pipPreds.get(env);
  }

  /** The predicted keys of an apt-key keyring (long id -> present), or undefined. */
  aptKeyPrediction(keyring: string): ReadonlyMap<string, boolean> | undefined {
    return this.aptKeyPreds.get(keyring);
  }

  /** The latest prediction for each mount point, oldest first. */
  mountPredictions(): MountPrediction[] {
    return [...this.mountPreds.values()].sort((a, b) => a.seq - b.seq).map(({ p }) => p);
  }
}
