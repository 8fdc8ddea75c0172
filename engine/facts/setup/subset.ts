// gather_subset as Ansible 2.14's setup resolves it (module_utils/facts/
// collector.py get_collector_names): the minimal set is always the start,
// `all` adds every collector, `!all` removes all but the minimal set, `!min`
// removes the minimal set, `!x` removes x unless x is also named, an unknown
// subset to add is an error and an unknown one to remove is ignored (so
// `!facter`, `!ohai` are accepted and change nothing). Pure.

/** The collectors setup's `min` stands for (Ansible's minimal_gather_subset). */
export const MIN_SUBSET: readonly string[] = [
  'apparmor', 'caps', 'cmdline', 'date_time', 'distribution', 'dns', 'env', 'fips', 'local',
  'lsb', 'pkg_mgr', 'platform', 'python', 'selinux', 'service_mgr', 'ssh_pub_keys', 'user',
];

/** Everything `all` stands for: the minimal set, then the other collectors Ansible has on Linux. */
export const ALL_SUBSETS: readonly string[] = [
  ...MIN_SUBSET, 'chroot', 'loadavg', 'hardware', 'network', 'virtual',
  'facter', 'ohai', 'fibre_channel_wwn', 'iscsi', 'nvme',
];

/**
 * The collectors each collector needs run first, and whose facts come with it
 * (Ansible 2.14's required_facts on Linux; setup adds them after the exclusions,
 * so `!all,!min,service_mgr` also returns the platform and distribution facts).
 */
const REQUIRES: Readonly<Record<string, readonly string[]>> = {
  hardware: ['platform'],
  network: ['distribution', 'platform'],
  pkg_mgr: ['distribution'],
  service_mgr: ['platform', 'distribution'],
};

export class GatherSubsetError extends Error {}

/** The set of collectors a gather_subset list selects. Throws GatherSubsetError for an unknown subset to add. */
export function resolveGatherSubset(spec: readonly string[] = ['all']): Set<string> {
  const valid = new Set(ALL_SUBSETS);
  const min = new Set(MIN_SUBSET);
  const add = new Set<string>();
  const exclude = new Set<string>();
  const explicit = new Set<string>();
  for (const raw of ['min', ...(spec.length ? spec : ['all'])]) {
    const s = raw.trim();
    if (s === 'min') { MIN_SUBSET.forEach((x) => add.add(x)); continue; }
    if (s === 'all') { ALL_SUBSETS.forEach((x) => add.add(x)); continue; }
    if (s.startsWith('!')) {
      const x = s.slice(1);
      if (x === 'min') MIN_SUBSET.forEach((m) => exclude.add(m));
      else if (x === 'all') ALL_SUBSETS.filter((a) => !min.has(a)).forEach((a) => exclude.add(a));
      else exclude.add(x);
      continue;
    }
    if (!valid.has(s)) {
      throw new GatherSubsetError(`Bad subset '${s}' given to Ansible. gather_subset options allowed: all, ${[...valid].sort().join(', ')}`);
    }
    explicit.add(s);
    add.add(s);
  }
  for (const x of exclude) if (!explicit.has(x)) add.delete(x);
  for (const x of [...add]) for (const r of REQUIRES[x] ?? []) add.add(r);
  return add;
}

/** A gather_subset value as Ansible takes it: a list, or a comma-separated string. */
export function subsetList(v: unknown): string[] {
  if (v === undefined || v === null) return ['all'];
  const text = (x: unknown): string => (typeof x === 'string' ? x : JSON.stringify(x));
  if (Array.isArray(v)) return v.map((x) => text(x).trim());
  return text(v).split(',').map((x) => x.trim()).filter((x) => x !== '');
}
