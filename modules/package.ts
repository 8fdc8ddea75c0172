// package: Ansible's generic package module. On the hosts tsplay manages
// (Debian family) it is apt, as Ansible's `package` picks apt there: a thin
// layer that hands name/state and the apt options to modules/apt.ts's gather
// and plan (docs/modules/package.md). Any other package manager is refused.

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import apt, { type AptArgs, type AptState } from './apt.js';

const packageNames = S.anyOf([S.string({ minLength: 1 }), S.array(S.string({ minLength: 1 }))]);

const schema = S.object({
  name: S.with(packageNames, { description: 'package name, comma-separated names, or a list; name=version pins a version' }),
  state: S.enum(['present', 'absent', 'latest'], { default: 'present', description: 'present installs, absent removes, latest also upgrades to the candidate version' }),
  use: S.enum(['auto', 'apt'], { default: 'auto', description: 'the package manager module: auto (apt on the Debian family) or apt; others are not available in tsplay' }),
  // Passed through to apt, as Ansible's package passes every argument to the module it picks.
  update_cache: S.boolean({ default: false, description: '(apt) run apt-get update first' }),
  cache_valid_time: S.integer({ minimum: 0, description: '(apt) seconds; implies update_cache' }),
  install_recommends: S.boolean({ description: "(apt) false: --no-install-recommends, true: --install-recommends; unset: apt's configuration" }),
  purge: S.boolean({ default: false, description: '(apt) with state absent: also remove configuration files' }),
}, { additionalProperties: false, required: ['name'] });

export type PackageArgs = Static<typeof schema>;

/** The package manager behind `use: auto`, from the gathered facts; undefined when facts were not gathered. */
export function packageManager(facts: Record<string, unknown>): string | undefined {
  const mgr = facts.pkg_mgr ?? facts.ansible_pkg_mgr;
  if (typeof mgr === 'string' && mgr !== '' && mgr !== 'unknown') return mgr;
  const family = facts.os_family ?? facts.ansible_os_family;
  if (typeof family === 'string' && family !== '') return family === 'Debian' ? 'apt' : family.toLowerCase();
  const id = facts.os_id;
  if (typeof id === 'string' && id !== '' && id !== 'unknown') return ['debian', 'ubuntu', 'raspbian', 'linuxmint', 'devuan', 'kali'].includes(id) ? 'apt' : id;
  return undefined;
}

function aptArgs(args: PackageArgs): AptArgs {
  const out: AptArgs = { name: args.name, state: args.state, update_cache: args.update_cache, purge: args.purge, autoremove: false, autoclean: false, clean: false };
  if (args.cache_valid_time !== undefined) out.cache_valid_time = args.cache_valid_time;
  if (args.install_recommends !== undefined) out.install_recommends = args.install_recommends;
  return out;
}

export default defineModule<typeof schema, AptState>({
  name: 'package',
  description: 'Install, upgrade or remove packages with the host\'s package manager (apt on the Debian family)',
  schema,
  gather: (args, host, ctx) => apt.gather(aptArgs(args), host, ctx),
  plan(args, state, ctx) {
    const mgr = packageManager(ctx.facts);
    // Without gathered facts the dpkg query itself proves apt (it fails on a host without dpkg).
    if (args.use === 'auto' && mgr !== undefined && mgr !== 'apt') {
      throw new ModuleError(`package: this host's package manager is ${mgr}; tsplay's package module drives apt only`);
    }
    return apt.plan(aptArgs(args), state, ctx);
  },
});
