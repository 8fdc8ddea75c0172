// apt: install, upgrade or remove Debian packages (all names in one apt-get
// call), non-interactively, waiting for the dpkg lock and keeping existing
// configuration files; optionally refresh the package lists first.

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import type { PackageState, Plan, Prediction, Step } from '../engine/module-api.js';
import { newestMtime, parseAptPolicy } from './lib/apt-policy.js';
import { packages as packagesFact } from '../engine/facts/packages.js';

const packageNames = S.anyOf([S.string({ minLength: 1 }), S.array(S.string({ minLength: 1 }))]);

const schema = S.object({
  name: S.with(packageNames, { description: 'package name, comma-separated names, or a list; name=version pins a version' }),
  pkg: S.with(packageNames, { description: 'alias of name' }),
  state: S.enum(['present', 'absent', 'latest'], { default: 'present', description: 'latest: installed and at the candidate version' }),
  update_cache: S.boolean({ default: false, description: 'run apt-get update first' }),
  cache_valid_time: S.integer({ minimum: 0, description: 'seconds; implies update_cache' }),
  install_recommends: S.boolean({ description: "false: --no-install-recommends, true: --install-recommends; unset: apt's configuration" }),
  purge: S.boolean({ default: false, description: 'with state absent: also remove configuration files (--purge)' }),
  default_release: S.string({ pattern: '^(?!-)', description: 'target release (apt-get -t): candidates and installs prefer it (pin priority 990); empty: none, as Ansible' }),
  'default-release': S.string({ pattern: '^(?!-)', description: 'alias of default_release' }),
  autoremove: S.boolean({ default: false, description: 'without packages: apt-get autoremove (changed when it removes any); with packages: --auto-remove on their install or removal' }),
  autoclean: S.boolean({ default: false, description: 'without packages: apt-get autoclean (changed when it deletes any archive); ignored with packages, as by Ansible' }),
  clean: S.boolean({ default: false, description: 'without packages: apt-get clean, always changed (as Ansible); refused with packages' }),
}, { additionalProperties: false });

export type AptArgs = Static<typeof schema>;

export interface AptState {
  /** dpkg state of each package (by name without =version). */
  packages: PackageState[];
  /** Candidate version from apt-cache policy of each package not installed, and of every package under latest; null: apt knows no candidate. Absent when none is needed. */
  candidates?: Record<string, string | null>;
  /** Newest mtime (epoch s) of /var/lib/apt/lists and /var/cache/apt/pkgcache.bin; null: no cache. Only with cache_valid_time. */
  cacheMtime?: number | null;
  /** The host's clock (epoch s) when gathered. Only with cache_valid_time. */
  now?: number;
  /** Without packages: `apt-get --simulate autoclean|autoremove`'s output (what the real one would do). */
  cleanup?: { operation: 'autoclean' | 'autoremove'; output: string };
}

/** What apt-get prints when autoclean/autoremove does something (Ansible's test of changed). */
const CLEANUP_CHANGED = { autoclean: 'Del ', autoremove: 'The following packages will be REMOVED' };

/** Without packages, autoclean then autoremove: the one operation Ansible runs (it ends the task after it). */
function cleanupOf(args: AptArgs, specs: Spec[]): 'autoclean' | 'autoremove' | undefined {
  if (specs.length || args.clean) return undefined;
  return args.autoclean ? 'autoclean' : args.autoremove ? 'autoremove' : undefined;
}

function cleanupArgv(operation: 'autoclean' | 'autoremove', args: AptArgs, simulate: boolean): string[] {
  return ['apt-get', '-y', ...DPKG_OPTS, ...(args.purge ? ['--purge'] : []), operation, ...(simulate ? ['--simulate'] : [])];
}

interface Spec {
  /** As given: "nfs-common" or "nfs-common=1:2.6.2-4". */
  spec: string;
  name: string;
  version?: string;
}

const ENV = { DEBIAN_FRONTEND: 'noninteractive' };
const DPKG_OPTS = ['-o', 'DPkg::Lock::Timeout=120', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold'];

export function parseNames(name: AptArgs['name']): Spec[] {
  if (name === undefined) return [];
  const list = (Array.isArray(name) ? name : name.split(',')).map((n) => String(n).trim()).filter((n) => n !== '');
  const seen = new Set<string>();
  const specs: Spec[] = [];
  for (const spec of list) {
    if (spec.startsWith('-') || /\s/.test(spec)) throw new ModuleError(`invalid package name ${JSON.stringify(spec)}`);
    const eq = spec.indexOf('=');
    const s: Spec = eq === -1 ? { spec, name: spec } : { spec, name: spec.slice(0, eq), version: spec.slice(eq + 1) };
    if (s.name === '' || s.version === '') throw new ModuleError(`invalid package name ${JSON.stringify(spec)}`);
    if (!seen.has(s.spec)) specs.push(s);
    seen.add(s.spec);
  }
  return specs;
}

function list(names: string[]): string {
  return names.join(', ');
}

/** `-t RELEASE` as Ansible passes default_release to apt-get install. */
function releaseFlags(args: AptArgs): string[] {
  return args.default_release !== undefined ? ['-t', args.default_release] : [];
}

function recommendsFlags(args: AptArgs): string[] {
  return args.install_recommends === false ? ['--no-install-recommends'] : args.install_recommends === true ? ['--install-recommends'] : [];
}

function planApt(args: AptArgs, state: AptState): Plan {
  const specs = parseNames(args.name);
  const wantsCache = args.update_cache || args.cache_valid_time !== undefined;
  if (args.clean && specs.length) {
    throw new ModuleError('clean with packages is not supported: Ansible cleans the cache before installing, even when nothing is installed; give clean its own task');
  }
  if (!specs.length && !wantsCache && !args.clean && !args.autoclean && !args.autoremove) throw new ModuleError('give name (packages), update_cache, autoremove, autoclean or clean');
  if (args.clean) {
    // As Ansible: apt-get clean and nothing else (autoclean/autoremove beside it are not run), always changed.
    return { changed: true, summary: 'apt-get clean', steps: [{ kind: 'run', argv: ['apt-get', 'clean'], env: ENV }], result: {} };
  }

  // Package cache.
  let update = false;
  let cacheNote = '';
  if (wantsCache) {
    if (args.cache_valid_time === undefined) update = true;
    else if (state.cacheMtime === null || state.cacheMtime === undefined || state.now === undefined) {
      update = true;
      cacheNote = 'no package cache yet';
    } else {
      const age = Math.max(0, state.now - state.cacheMtime);
      update = age > args.cache_valid_time;
      cacheNote = `package cache is ${age} s old, valid for ${args.cache_valid_time} s`;
    }
  }

  const byName = new Map(state.packages.map((p) => [p.name, p]));
  const install: Spec[] = [];
  const upgrade: Spec[] = [];
  const remove: Spec[] = [];
  for (const s of specs) {
    const pkg = byName.get(s.name);
    if (!pkg) throw new ModuleError(`no package state gathered for ${s.name}`);
    if (args.state === 'absent') {
      if (s.version !== undefined) throw new ModuleError(`state absent takes package names without a version (${s.spec})`);
      if (pkg.installed) remove.push(s);
      continue;
    }
    if (!pkg.installed) {
      const cand = state.candidates?.[s.name];
      if (cand === null && !update) {
        throw new ModuleError(`no installation candidate for ${s.name}: apt knows no such package (is the name right? update_cache: true refreshes the package lists)`);
      }
      install.push(s);
      continue;
    }
    if (s.version !== undefined) {
      if (pkg.version !== undefined && pkg.version !== s.version) upgrade.push(s);
      continue;
    }
    if (args.state === 'latest' && !pkg.predicted && pkg.version !== undefined) {
      const cand = state.candidates?.[s.name];
      if (cand && cand !== pkg.version) upgrade.push(s);
    }
  }

  const steps: Step[] = [];
  const parts: string[] = [];
  // With packages, autoremove rides on their install or removal (as Ansible's --auto-remove).
  const autoRemove = args.autoremove && specs.length ? ['--auto-remove'] : [];
  if (update) {
    steps.push({ kind: 'run', argv: ['apt-get', 'update', '-q', '-o', 'DPkg::Lock::Timeout=120'], env: ENV });
    parts.push(`update the package cache${cacheNote ? ` (${cacheNote})` : ''}`);
  }
  const toInstall = [...install, ...upgrade];
  if (toInstall.length) {
    steps.push({ kind: 'run', argv: ['apt-get', 'install', '-y', '-q', ...DPKG_OPTS, ...releaseFlags(args), ...recommendsFlags(args), ...autoRemove, '--', ...toInstall.map((s) => s.spec)], env: ENV });
    if (install.length) parts.push(`install ${list(install.map((s) => s.spec))}`);
    if (upgrade.length) {
      parts.push(`upgrade ${list(upgrade.map((s) => {
        const from = byName.get(s.name)?.version;
        const to = s.version ?? state.candidates?.[s.name];
        return `${s.name} ${from} -> ${to}`;
      }))}`);
    }
  }
  if (remove.length) {
    steps.push({ kind: 'run', argv: ['apt-get', 'remove', '-y', '-q', '-o', 'DPkg::Lock::Timeout=120', ...(args.purge ? ['--purge'] : []), ...autoRemove, '--', ...remove.map((s) => s.name)], env: ENV });
    parts.push(`${args.purge ? 'purge' : 'remove'} ${list(remove.map((s) => s.name))}`);
  }
  const cleanup = cleanupOf(args, specs);
  if (cleanup) {
    const output = state.cleanup?.operation === cleanup ? state.cleanup.output : undefined;
    if (output === undefined) throw new ModuleError(`no simulated apt-get ${cleanup} gathered`);
    const cleaned = output.includes(CLEANUP_CHANGED[cleanup]);
    const result = { cache_updated: update };
    // As Ansible: the task's changed is the cleanup's alone (a cache update before it does not count).
    if (!cleaned) {
      return update
        ? { changed: false, reason: `nothing to ${cleanup} (the package cache is updated all the same)`, steps, result }
        : { changed: false, reason: `nothing to ${cleanup}`, result };
    }
    steps.push({ kind: 'run', argv: cleanupArgv(cleanup, args, false), env: ENV });
    const what = output.split('\n').filter((l) => (cleanup === 'autoclean' ? l.startsWith('Del ') : l.startsWith('Remv '))).map((l) => l.split(' ')[1]);
    parts.push(`${cleanup} ${list(what)}`);
    const predicts = cleanup === 'autoremove' ? what.map((name): Prediction => ({ kind: 'package', name, installed: false })) : [];
    return { changed: true, summary: parts.join('; '), steps, predicts, result };
  }

  const result = {
    installed: install.map((s) => s.name),
    upgraded: upgrade.map((s) => s.name),
    removed: remove.map((s) => s.name),
    cache_updated: update,
  };
  if (!steps.length) {
    const names = specs.map((s) => s.spec);
    let reason: string;
    if (!names.length) reason = 'package cache is fresh';
    else if (args.state === 'absent') reason = `${list(names)} ${names.length === 1 ? 'is' : 'are'} not installed`;
    else reason = `${list(names)} ${names.length === 1 ? 'is' : 'are'} ${args.state === 'latest' ? 'installed at the candidate version' : 'installed'}`;
    if (cacheNote) reason += ` (${cacheNote})`;
    return { changed: false, reason, result };
  }
  // The named packages; the check-mode overlay resolves their new dependencies
  // (apt-get -s with the same recommends setting) when a later task asks.
  const recommends = args.install_recommends === undefined ? {} : { installRecommends: args.install_recommends };
  const predicts: Prediction[] = [
    ...[...new Set(toInstall.map((s) => s.name))].map((name): Prediction => ({ kind: 'package', name, installed: true, ...recommends })),
    ...remove.map((s): Prediction => ({ kind: 'package', name: s.name, installed: false })),
  ];
  return { changed: true, summary: parts.join('; '), steps, predicts, result };
}

export default defineModule<typeof schema, AptState>({
  name: 'apt',
  description: 'Install, upgrade or remove Debian packages with apt-get (non-interactive, keeps config files)',
  schema,
  async gather(args, host) {
    const specs = parseNames(nameOf(args));
    const names = specs.map((s) => s.name);
    const state: AptState = { packages: names.length ? await host.getAll(packagesFact, [...new Set(names)]) : [] };
    const cmds: string[][] = [];
    const withCache = args.cache_valid_time !== undefined;
    if (withCache) cmds.push(['stat', '-c', '%Y', '/var/lib/apt/lists', '/var/cache/apt/pkgcache.bin'], ['date', '+%s']);
    // Candidates matter for a package to install, and for every package under
    // `latest`; present with a package installed (the usual rerun) needs none,
    // and apt-cache loads the whole package cache (100 ms and more of the host's CPU).
    const byName = new Map(state.packages.map((p) => [p.name, p]));
    const policyNames = args.state === 'absent' ? [] : [...new Set(names)].filter((n) => args.state === 'latest' || !byName.get(n)?.installed);
    const withPolicy = policyNames.length > 0;
    // The candidate as Ansible computes it: with default_release, that release pinned at 990 (as apt-get -t does).
    const release = releaseOf(args);
    const releaseOpt = release !== undefined ? ['-o', `APT::Default-Release=${release}`] : [];
    if (withPolicy) cmds.push(['env', 'LC_ALL=C', 'apt-cache', ...releaseOpt, 'policy', '--', ...policyNames]);
    // autoclean/autoremove without packages: what apt-get would do, simulated (reads only; Ansible's check mode does the same).
    const cleanup = cleanupOf(args, specs);
    if (cleanup) cmds.push(['env', 'LC_ALL=C', ...cleanupArgv(cleanup, args, true)]);
    if (!cmds.length) return state;
    // Raw runAll, not facts: the apt cache's age and the candidate versions are repository state no task predicts.
    const results = await host.runAll(cmds);
    if (withCache) {
      state.cacheMtime = newestMtime(results[0].stdout);
      const now = Number(results[1].stdout.trim());
      if (Number.isFinite(now) && now > 0) state.now = now;
    }
    if (withPolicy) {
      const policy = parseAptPolicy(results[withCache ? 2 : 0].stdout);
      state.candidates = Object.fromEntries(policyNames.map((n) => [n, policy[n]?.candidate ?? null]));
    }
    if (cleanup) {
      const r = results[results.length - 1];
      if (r.rc !== 0) throw new ModuleError(`'apt-get ${cleanup}' failed: ${r.stderr.trim()}`);
      state.cleanup = { operation: cleanup, output: r.stdout };
    }
    return state;
  },
  plan(args, state) {
    return planApt({ ...args, name: nameOf(args), default_release: releaseOf(args) }, state);
  },
});

function nameOf(args: AptArgs): AptArgs['name'] {
  if (args.name !== undefined && args.pkg !== undefined) throw new ModuleError('name and pkg are aliases; give one');
  return args.name ?? args.pkg;
}

function releaseOf(args: AptArgs): string | undefined {
  if (args.default_release !== undefined && args['default-release'] !== undefined) throw new ModuleError('default_release and default-release are aliases; give one');
  // An empty release is none (Ansible tests it for truth): geerlingguy.nginx's default is "".
  const release = args.default_release ?? args['default-release'];
  return release === '' ? undefined : release;
}
