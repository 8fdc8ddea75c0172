// `packages`: the dpkg state of each package, all names in one dpkg-query.
// Overlay rule: a predicted install or removal wins; a package the host lacks
// that a predicted install would bring as a new dependency (apt-get -s, via
// the package-content provider) is seen as installed, version unknown.

import { ModuleError, type PackageState } from '../module-api.js';
import { quoteArgv } from '../host/shell.js';
import type { Fact } from './fact.js';
import { predictedInstalls } from './package-content.js';

/** Parse `dpkg-query -W -f='${Package}\t${binary:Package}\t${db:Status-Abbrev}\t${Version}\n'`. */
export function parseDpkgQuery(names: readonly string[], stdout: string): PackageState[] {
  const seen = new Map<string, { installed: boolean; version?: string }>();
  for (const line of stdout.split('\n')) {
    if (!line) continue;
    const [pkg, binPkg, abbrev = '', version = ''] = line.split('\t');
    // Second letter of the status abbreviation is the current state: i = installed
    // ("ii", "hi"); "rc" (config files only), "un" and half-states are not installed.
    const installed = abbrev.length >= 2 && abbrev[1] === 'i';
    for (const key of [pkg, binPkg]) {
      if (!key) continue;
      const prev = seen.get(key);
      if (!prev || (!prev.installed && installed)) seen.set(key, installed ? { installed, version } : { installed });
    }
  }
  return names.map((name) => {
    const s = seen.get(name);
    return s && s.installed ? { name, installed: true, version: s.version } : { name, installed: false };
  });
}

export const packages: Fact<string, PackageState> = {
  name: 'packages',
  sections: (names) => [quoteArgv(['dpkg-query', '-W', '-f=${Package}\t${binary:Package}\t${db:Status-Abbrev}\t${Version}\n', '--', ...names])],
  parse(names, [r], ctx) {
    if (r.rc !== 0 && r.rc !== 1) throw new ModuleError(`${ctx.host}: dpkg-query failed (rc ${r.rc}): ${r.stderr.trim()}`, { rc: r.rc, stderr: r.stderr });
    return parseDpkgQuery(names, r.stdout);
  },
  async predict(name, base, p) {
    const pred = p.overlay.packagePrediction(name);
    if (pred !== undefined) {
      if (pred === base.installed) return base;
      return { name, installed: pred, predicted: true };
    }
    // A package the host lacks may be a new dependency of a predicted install.
    if (base.installed || !p.overlay.installGroups().length) return base;
    const brought = new Set(await predictedInstalls(p));
    return brought.has(name) && !p.overlay.predictedPackages().removed.has(name) ? { name, installed: true, predicted: true } : base;
  },
};
