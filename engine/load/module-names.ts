// Ansible's collection names (FQCNs) for what tsplay has: a task may say
// `ansible.builtin.copy`, `ansible.posix.mount` or `community.general.ini_file`
// and get tsplay's module of that name, as ansible-playbook resolves them. Only
// names whose Ansible module tsplay implements are listed: usermod, groupmod,
// chown_find and readiness are tsplay's own and have no collection name.
// `ansible.legacy.X` is accepted wherever `ansible.builtin.X` is (Ansible's
// legacy namespace resolves to the same modules when no library overrides them).

const BUILTIN = [
  'apt', 'command', 'copy', 'file', 'getent', 'lineinfile', 'service', 'shell', 'stat', 'template', 'wait_for',
  'setup', 'service_facts', 'package_facts',
  'assert', 'debug', 'fail', 'include_vars', 'meta', 'pause', 'set_fact',
  'package', 'systemd', 'systemd_service', 'group', 'find', 'get_url', 'unarchive',
  'debconf', 'apt_repository',
  'slurp',
  'replace', 'blockinfile', 'cron',
  'ping', 'hostname', 'fetch',
  'user',
  'pip', 'apt_key',
  'git',
] as const;

const OTHER: Record<string, string> = {
  'ansible.posix.mount': 'mount',
  'community.general.ini_file': 'ini_file',
  'community.general.timezone': 'timezone',
  'community.general.locale_gen': 'locale_gen',
  'ansible.posix.sysctl': 'sysctl',
  'ansible.posix.authorized_key': 'authorized_key',
};

/** FQCN -> tsplay's name. */
export const COLLECTION_NAMES: ReadonlyMap<string, string> = new Map([
  ...BUILTIN.flatMap((n): Array<[string, string]> => [[`ansible.builtin.${n}`, n], [`ansible.legacy.${n}`, n]]),
  ...Object.entries(OTHER),
]);

/** Does this key look like a collection name (namespace.collection.module)? */
export function isCollectionName(key: string): boolean {
  return /^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/i.test(key);
}

/**
 * The name tsplay knows a task's action key by: itself when tsplay has it, the
 * module an Ansible collection name stands for, or undefined.
 */
export function resolveActionName(key: string, known: (name: string) => boolean): string | undefined {
  if (known(key)) return key;
  const target = COLLECTION_NAMES.get(key);
  return target !== undefined && known(target) ? target : undefined;
}
