// package_facts: the installed packages under ansible_facts.packages, as
// Ansible 2.14's package_facts reports them with its apt backend: name -> a
// list of {name, version, arch, category, source: apt}, read here from
// dpkg-query (no python3-apt needed). Never changes anything.

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { HostReader, RunResult } from '../engine/module-api.js';

const schema = S.object({
  manager: S.anyOf([S.enum(['auto', 'apt']), S.array(S.enum(['auto', 'apt']))], {
    description: 'the package manager to read: auto or apt (tsplay reads dpkg\'s database; others are refused)',
  }),
  strategy: S.enum(['first', 'all'], { default: 'first', description: 'first: the first manager found; all: every one (tsplay has one: apt)' }),
}, { additionalProperties: false });

export type PackageFactsState = RunResult;

export type PackageEntry = { name: string; version: string; arch: string; category: string; source: 'apt' };

/** dpkg-query lines (Package, Version, Architecture, Section, Status-Abbrev; tab-separated) -> packages by name. */
export function parseDpkgList(stdout: string): Record<string, PackageEntry[]> {
  const out: Record<string, PackageEntry[]> = {};
  const foreign: Array<[string, PackageEntry]> = [];
  let native = '';
  const entries: PackageEntry[] = [];
  for (const line of stdout.split('\n')) {
    if (line.startsWith('@@native ')) { native = line.slice('@@native '.length).trim(); continue; }
    const [name, version, arch, section, status] = line.split('\t');
    // installed as apt counts it: it has a current version (not "not-installed", not "config-files")
    if (!name || !status || /^.[nc]/.test(status)) continue;
    entries.push({ name, version, arch, category: section ?? '', source: 'apt' });
  }
  for (const e of entries) {
    // as apt's cache names them: a package of a foreign architecture is NAME:ARCH
    const key = native && e.arch !== native && e.arch !== 'all' ? `${e.name}:${e.arch}` : e.name;
    if (key !== e.name) foreign.push([key, e]);
    else (out[key] ??= []).push(e);
  }
  for (const [key, e] of foreign) (out[key] ??= []).push({ ...e, name: key });
  return out;
}

export default defineModule<typeof schema, PackageFactsState>({
  name: 'package_facts',
  description: 'Read the installed packages (dpkg) into ansible_facts.packages',
  schema,

  async gather(_args, host: HostReader): Promise<PackageFactsState> {
    const [r] = await host.runAll([[
      'sh', '-c',
      'command -v dpkg-query >/dev/null 2>&1 || exit 127; printf "@@native %s\\n" "$(dpkg --print-architecture)"; ' +
        'dpkg-query -W -f \'${Package}\\t${Version}\\t${Architecture}\\t${Section}\\t${db:Status-Abbrev}\\n\'',
    ]]);
    return r;
  },

  plan(_args, r) {
    if (r.rc === 127) {
      throw new ModuleError('Could not detect a supported package manager: tsplay reads dpkg\'s database (dpkg-query), and this host has none');
    }
    if (r.rc !== 0) throw new ModuleError(`dpkg-query failed (rc ${r.rc}): ${r.stderr.trim()}`);
    const packages = parseDpkgList(r.stdout);
    return { changed: false, reason: `read ${Object.keys(packages).length} packages`, result: { ansible_facts: { packages } } };
  },
});
