// ansible.cfg and the ANSIBLE_* variables, as Ansible 2.14 finds and ranks them
// (issue 13). One file is read, the first of: $ANSIBLE_CONFIG (a file, or a
// directory holding ansible.cfg), ./ansible.cfg, ~/.ansible.cfg,
// /etc/ansible/ansible.cfg. A setting's value is the command line's, else its
// ANSIBLE_* variable's, else the file's, else the default; each value keeps
// where it came from (`tsplay config dump`). Paths in the file are relative to
// the file's directory, as Ansible resolves them.
//
// The settings below are honoured. Any other key of [defaults],
// [privilege_escalation], [ssh_connection] or [inventory] is reported as a
// warning (tsplay does not act on it), except those that would make a run do
// something other than what the file says: those are refused.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { LoadError, UsageError } from '../errors.js';
import type { ConnectionDefaults, SshArgsDefaults } from '../inventory/host-vars.js';
import { booleanOf } from '../load/coerce.js';
import { BECOME_METHOD_REFUSED, CONNECTION_REFUSED, becomeMethodOf, connectionPluginOf } from '../load/connection-keywords.js';

type Kind = 'string' | 'path' | 'pathlist' | 'list' | 'int' | 'bool';

interface SettingDef {
  /** Ansible's name for it (ansible-config dump). */
  name: string;
  section: string;
  key: string;
  env: string;
  kind: Kind;
  /** The value when nothing sets it (tsplay's, where it differs from Ansible's: said in `note`). */
  dflt?: string | number | boolean | string[];
  note?: string;
  /** A connection plugin's option: `ansible-config dump` lists those apart, so tsplay's dump leaves them out. */
  plugin?: true;
}

export const SETTINGS = {
  inventory: { name: 'DEFAULT_HOST_LIST', section: 'defaults', key: 'inventory', env: 'ANSIBLE_INVENTORY', kind: 'pathlist' },
  remoteUser: { name: 'DEFAULT_REMOTE_USER', section: 'defaults', key: 'remote_user', env: 'ANSIBLE_REMOTE_USER', kind: 'string' },
  privateKeyFile: { name: 'DEFAULT_PRIVATE_KEY_FILE', section: 'defaults', key: 'private_key_file', env: 'ANSIBLE_PRIVATE_KEY_FILE', kind: 'path' },
  forks: { name: 'DEFAULT_FORKS', section: 'defaults', key: 'forks', env: 'ANSIBLE_FORKS', kind: 'int', dflt: 20, note: "Ansible's default is 5" },
  rolesPath: {
    name: 'DEFAULT_ROLES_PATH', section: 'defaults', key: 'roles_path', env: 'ANSIBLE_ROLES_PATH', kind: 'pathlist',
    dflt: ['~/.ansible/roles', '/usr/share/ansible/roles', '/etc/ansible/roles'],
  },
  hostKeyChecking: { name: 'HOST_KEY_CHECKING', section: 'defaults', key: 'host_key_checking', env: 'ANSIBLE_HOST_KEY_CHECKING', kind: 'bool', dflt: true },
  timeout: { name: 'DEFAULT_TIMEOUT', section: 'defaults', key: 'timeout', env: 'ANSIBLE_TIMEOUT', kind: 'int', dflt: 10 },
  transport: { name: 'DEFAULT_TRANSPORT', section: 'defaults', key: 'transport', env: 'ANSIBLE_TRANSPORT', kind: 'string', dflt: 'ssh' },
  forceHandlers: { name: 'DEFAULT_FORCE_HANDLERS', section: 'defaults', key: 'force_handlers', env: 'ANSIBLE_FORCE_HANDLERS', kind: 'bool', dflt: false },
  strategy: { name: 'DEFAULT_STRATEGY', section: 'defaults', key: 'strategy', env: 'ANSIBLE_STRATEGY', kind: 'string', dflt: 'linear' },
  become: { name: 'DEFAULT_BECOME', section: 'privilege_escalation', key: 'become', env: 'ANSIBLE_BECOME', kind: 'bool', dflt: false },
  becomeUser: { name: 'DEFAULT_BECOME_USER', section: 'privilege_escalation', key: 'become_user', env: 'ANSIBLE_BECOME_USER', kind: 'string', dflt: 'root' },
  becomeMethod: { name: 'DEFAULT_BECOME_METHOD', section: 'privilege_escalation', key: 'become_method', env: 'ANSIBLE_BECOME_METHOD', kind: 'string', dflt: 'sudo' },
  // -K's setting: ask for the become password on the terminal (engine/cli/cli.ts).
  becomeAskPass: { name: 'DEFAULT_BECOME_ASK_PASS', section: 'privilege_escalation', key: 'become_ask_pass', env: 'ANSIBLE_BECOME_ASK_PASS', kind: 'bool', dflt: false },
  // The ssh connection plugin's OpenSSH options (engine/inventory/ssh-args.ts reads them).
  sshArgs: { name: 'ssh_args', section: 'ssh_connection', key: 'ssh_args', env: 'ANSIBLE_SSH_ARGS', kind: 'string', plugin: true },
  sshCommonArgs: { name: 'ssh_common_args', section: 'ssh_connection', key: 'ssh_common_args', env: 'ANSIBLE_SSH_COMMON_ARGS', kind: 'string', plugin: true },
  sshExtraArgs: { name: 'ssh_extra_args', section: 'ssh_connection', key: 'ssh_extra_args', env: 'ANSIBLE_SSH_EXTRA_ARGS', kind: 'string', plugin: true },
  // Vault passwords (engine/vault/passwords.ts, docs/playbooks.md "Vault").
  vaultPasswordFile: { name: 'DEFAULT_VAULT_PASSWORD_FILE', section: 'defaults', key: 'vault_password_file', env: 'ANSIBLE_VAULT_PASSWORD_FILE', kind: 'path' },
  vaultIdentityList: { name: 'DEFAULT_VAULT_IDENTITY_LIST', section: 'defaults', key: 'vault_identity_list', env: 'ANSIBLE_VAULT_IDENTITY_LIST', kind: 'list', dflt: [] },
  vaultIdentity: { name: 'DEFAULT_VAULT_IDENTITY', section: 'defaults', key: 'vault_identity', env: 'ANSIBLE_VAULT_IDENTITY', kind: 'string', dflt: 'default' },
  vaultIdMatch: { name: 'DEFAULT_VAULT_ID_MATCH', section: 'defaults', key: 'vault_id_match', env: 'ANSIBLE_VAULT_ID_MATCH', kind: 'bool', dflt: false },
  askVaultPass: { name: 'DEFAULT_ASK_VAULT_PASS', section: 'defaults', key: 'ask_vault_pass', env: 'ANSIBLE_ASK_VAULT_PASS', kind: 'bool', dflt: false },
} as const satisfies Record<string, SettingDef>;

export type SettingName = keyof typeof SETTINGS;

/** Keys that would change what a run does in a way tsplay cannot honour: refused, with why. */
const REFUSED: Record<string, string> = {
  'defaults.ask_pass': 'tsplay authenticates with keys (a file or ssh-agent), not passwords it asks for',
};

/** Sections whose keys are Ansible settings: a key tsplay does not act on there is warned about. */
const KNOWN_SECTIONS = new Set(['defaults', 'privilege_escalation', 'ssh_connection', 'inventory', 'persistent_connection', 'colors', 'diff', 'galaxy', 'paramiko_connection', 'connection', 'selinux', 'callback_profile_tasks']);

/** Where a value came from: 'default', 'env: ANSIBLE_X', or the file's path (ansible-config's words). */
export type Origin = string;

export interface Setting<T> {
  value: T;
  origin: Origin;
}

export interface Config {
  /** The file read, if any. */
  file?: string;
  settings: { [K in SettingName]: Setting<unknown> };
  /** Keys of the file tsplay does not act on (a warning each). */
  ignored: string[];
}

/** Ansible's boolean(): yes/true/on/1/y/t and no/false/off/0/n/f, any case. */
function parseBool(text: string, where: string): boolean {
  const b = text.trim() === '' ? false : booleanOf(text);
  if (b === undefined) throw new UsageError(`${where}: ${JSON.stringify(text)} is not a boolean (true/false, yes/no)`);
  return b;
}

const expandHome = (p: string): string => p.replace(/^~(?=\/|$)/, homedir());

function convert(def: SettingDef, raw: string, where: string, baseDir?: string): unknown {
  const path = (p: string): string => {
    const e = expandHome(p.trim());
    return baseDir && !isAbsolute(e) ? resolve(baseDir, e) : e;
  };
  switch (def.kind) {
    case 'bool':
      return parseBool(raw, where);
    case 'int': {
      if (!/^\s*\d+\s*$/.test(raw) || Number(raw) < 1) throw new UsageError(`${where}: ${JSON.stringify(raw)} is not a positive whole number`);
      return Number(raw);
    }
    case 'path':
      return path(raw);
    // inventory is comma-separated in Ansible, roles_path colon-separated.
    case 'pathlist':
      return raw.split(def.key === 'inventory' ? ',' : ':').map((p) => p.trim()).filter(Boolean).map(path);
    // A comma-separated list of words (vault_identity_list).
    case 'list':
      return raw.split(',').map((p) => p.trim()).filter(Boolean);
    default:
      return raw.trim();
  }
}

/** Python configparser's reading, as Ansible sets it up: `key = value` or `key: value`, `#`/`;` comment lines, ` ;` inline comments, indented continuation lines. */
export function parseIni(text: string, file: string): Map<string, { value: string; line: number }> {
  const out = new Map<string, { value: string; line: number }>();
  let section: string | undefined;
  let last: string | undefined;
  text.split(/\r?\n/).forEach((rawLine, i) => {
    const line = i + 1;
    if (/^\s*([#;].*)?$/.test(rawLine)) return;
    if (/^\s/.test(rawLine) && last !== undefined) {
      const prev = out.get(last)!;
      prev.value += `\n${rawLine.trim()}`;
      return;
    }
    const sec = /^\[([^\]]+)\]\s*$/.exec(rawLine);
    if (sec) {
      section = sec[1].trim();
      last = undefined;
      return;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(rawLine);
    if (!kv) throw new LoadError(`not a "key = value" line or a [section]`, { file, line, col: 1 });
    if (section === undefined) throw new LoadError('a setting before any [section]', { file, line, col: 1 });
    const value = kv[2].replace(/\s;.*$/, '');
    last = `${section}.${kv[1].trim().toLowerCase()}`;
    out.set(last, { value, line });
  });
  return out;
}

/** The ansible.cfg Ansible would read here, if any. */
export function findConfigFile(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  const candidates: string[] = [];
  if (env.ANSIBLE_CONFIG) {
    const p = expandHome(env.ANSIBLE_CONFIG);
    candidates.push(existsSync(p) && statSync(p).isDirectory() ? join(p, 'ansible.cfg') : p);
  }
  candidates.push(join(cwd, 'ansible.cfg'), join(homedir(), '.ansible.cfg'), '/etc/ansible/ansible.cfg');
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

/** Read the configuration: the file Ansible would read and the ANSIBLE_* variables (the command line is applied by the caller). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const file = findConfigFile(env, cwd);
  const entries = file ? parseIni(readFileSync(file, 'utf8'), file) : new Map<string, { value: string; line: number }>();
  const used = new Set<string>();
  const settings = {} as Config['settings'];
  for (const [id, def] of Object.entries(SETTINGS) as Array<[SettingName, SettingDef]>) {
    const fromEnv = env[def.env];
    const entry = entries.get(`${def.section}.${def.key}`);
    if (entry) used.add(`${def.section}.${def.key}`);
    if (fromEnv !== undefined && fromEnv !== '') {
      settings[id] = { value: convert(def, fromEnv, def.env), origin: `env: ${def.env}` };
    } else if (entry && file) {
      settings[id] = { value: convert(def, entry.value, `${file}:${entry.line}: [${def.section}] ${def.key}`, dirname(file)), origin: file };
    } else {
      settings[id] = { value: def.kind === 'pathlist' && Array.isArray(def.dflt) ? def.dflt.map(expandHome) : def.dflt, origin: 'default' };
    }
  }
  const ignored: string[] = [];
  for (const [key, { value, line }] of entries) {
    if (used.has(key)) continue;
    const [section] = key.split('.');
    const why = REFUSED[key];
    // A refused key set to false (ask_pass = False) asks for nothing: harmless.
    if (why && !(key.endsWith('ask_pass') && !parseBool(value, key))) {
      throw new UsageError(`${file}:${line}: [${section}] ${key.slice(section.length + 1)}: ${why}`);
    }
    if (KNOWN_SECTIONS.has(section)) ignored.push(`${file}:${line}: [${section}] ${key.slice(section.length + 1)} is not used by tsplay`);
  }
  return { file, settings, ignored };
}

const SETTINGS_BY_VAR = { ansible_ssh_args: 'ssh_args', ansible_ssh_common_args: 'ssh_common_args', ansible_ssh_extra_args: 'ssh_extra_args' } as const;

/** The connection defaults the configuration gives (the command line's override them field by field). */
export function configConnectionDefaults(c: Config): ConnectionDefaults {
  const d: ConnectionDefaults = {};
  const s = c.settings;
  if (s.remoteUser.value !== undefined) d.remoteUser = s.remoteUser.value as string;
  if (s.privateKeyFile.value !== undefined) d.privateKeyFile = s.privateKeyFile.value as string;
  if (s.timeout.origin !== 'default') d.timeoutSec = s.timeout.value as number;
  if (s.transport.origin !== 'default') {
    const t = s.transport.value as string;
    if (connectionPluginOf(t) === undefined) throw new UsageError(`transport "${t}" (${s.transport.origin}): ${CONNECTION_REFUSED}`);
    d.connection = t;
  }
  if (s.become.origin !== 'default') d.become = s.become.value as boolean;
  if (s.becomeUser.origin !== 'default') d.becomeUser = s.becomeUser.value as string;
  if (s.becomeMethod.origin !== 'default') {
    const m = s.becomeMethod.value as string;
    if (becomeMethodOf(m) === undefined) throw new UsageError(`become_method "${m}" (${s.becomeMethod.origin}): ${BECOME_METHOD_REFUSED}`);
    d.becomeMethod = m;
  }
  if (s.hostKeyChecking.origin !== 'default') d.hostKeyChecking = s.hostKeyChecking.value as boolean;
  const sshArgs: SshArgsDefaults = {};
  const fromConfig = [['ansible_ssh_args', s.sshArgs], ['ansible_ssh_common_args', s.sshCommonArgs], ['ansible_ssh_extra_args', s.sshExtraArgs]] as const;
  for (const [variable, setting] of fromConfig) {
    if (setting.value !== undefined) sshArgs[variable] = { text: setting.value as string, origin: `${SETTINGS_BY_VAR[variable]} (${setting.origin})` };
  }
  if (Object.keys(sshArgs).length) d.sshArgs = sshArgs;
  return d;
}

/** `tsplay config dump`: each setting as `ansible-config dump` prints it, NAME(origin) = value, sorted by name. */
export function dumpConfig(c: Config, onlyChanged = false): string {
  const py = (v: unknown): string => {
    if (v === undefined || v === null) return 'None';
    if (typeof v === 'boolean') return v ? 'True' : 'False';
    if (Array.isArray(v)) return `[${v.map((x) => `'${String(x)}'`).join(', ')}]`;
    return typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v);
  };
  const lines: string[] = [];
  for (const [id, def] of Object.entries(SETTINGS) as Array<[SettingName, SettingDef]>) {
    const s = c.settings[id];
    if (def.plugin || (onlyChanged && s.origin === 'default')) continue;
    lines.push(`${def.name}(${s.origin}) = ${py(s.value)}${def.note && s.origin === 'default' ? `  # tsplay's; ${def.note}` : ''}`);
  }
  lines.sort();
  return [`CONFIG_FILE() = ${c.file ?? 'None'}`, ...lines, ...c.ignored.map((i) => `# ${i}`)].join('\n');
}
