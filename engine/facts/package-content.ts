// Package content as a fact provider (check mode only): what the packages a
// predicted `apt` install would unpack put on the host (files, ucf-managed
// configuration, units). The file, file_content, packages and services facts
// consult it from their overlay rules; the extraction itself and its pure
// selection rules are in package-files.ts. The cache lives per overlay (one per
// host and run), so each package is fetched once.

import type { FileState, ServiceState } from '../module-api.js';
import type { Overlay } from '../host/overlay.js';
import type { PredictContext } from './fact.js';
import { initSystemFor } from './init-system.js';
import { coveredPath, PackageFiles, selectFile, selectUnit } from './package-files.js';

const caches = new WeakMap<Overlay, PackageFiles>();

/** The package-content cache of one overlay (its round-trip stats are for measurements). */
export function packageFilesOf(overlay: Overlay): PackageFiles {
  let files = caches.get(overlay);
  if (!files) caches.set(overlay, (files = new PackageFiles()));
  return files;
}

/**
 * Every package the predicted installs would unpack, new dependencies included:
 * apt's resolver per recommends setting, as the real install would resolve them
 * (cached). Only --check pays for it, and only when a later task asks about a
 * package, file or unit the host does not have. With `contents` (a file or a
 * unit is asked about), the packages' contents come in the same round trip.
 */
export async function predictedInstalls(p: PredictContext, contents = false): Promise<string[]> {
  const out = new Set<string>();
  const files = packageFilesOf(p.overlay);
  for (const g of p.overlay.installGroups()) {
    for (const n of await files.closure(p.host, g.names, g.installRecommends, { contents })) out.add(n);
  }
  return [...out];
}

/**
 * A path missing on the host that a predicted package install would create,
 * read from the packages' .debs on the host. Undefined when none provides it
 * (or a prediction already bears on the path).
 */
export async function packageFile(p: PredictContext, st: FileState): Promise<FileState | undefined> {
  if (st.exists || !coveredPath(p.overlay.normPath(st.path)) || p.overlay.touchesPath(st.path)) return undefined;
  const { removed } = p.overlay.predictedPackages();
  const installed = await predictedInstalls(p, true);
  if (!installed.length) return undefined;
  const files = packageFilesOf(p.overlay);
  await files.ensure(p.host, installed);
  // Only what this run predicts it installs: the cache may hold packages a prefetch looked at
  // that no task installs (engine/run/package-prefetch.ts).
  const keep = new Set(installed.filter((n) => !removed.has(n)));
  return selectFile(files.snap, st.path, keep);
}

/** The state a unit unknown to the host would have once the predicted packages are installed. */
export async function packageUnit(p: PredictContext, st: ServiceState): Promise<ServiceState> {
  if (st.exists) return st;
  const { removed } = p.overlay.predictedPackages();
  const installed = await predictedInstalls(p, true);
  if (!installed.length) return st;
  const files = packageFilesOf(p.overlay);
  await files.ensure(p.host, installed);
  // Only what this run predicts it installs: the cache may hold packages a prefetch looked at
  // that no task installs (engine/run/package-prefetch.ts).
  const keep = new Set(installed.filter((n) => !removed.has(n)));
  const forbidden = await files.startForbidden(p.host, st.name);
  // No predicted package ships it: the real install would not bring it either.
  const mgr = await initSystemFor(p.host);
  return selectUnit(files.snap, st.name, mgr, forbidden, keep) ?? st;
}
