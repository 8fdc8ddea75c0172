// Variable precedence inside the inventory (hostVars, inventoryLayers) and a
// host's connection settings. Pure functions. Precedence beyond the inventory
// (the layers a task's variables are built from) is engine/run/precedence.ts;
// docs/inventory.md explains both orders and where they come from.

import { userInfo } from 'node:os';
import { SSH_ARGS_VARS, sshArgSettings, type SshArgSettings } from './ssh-args.js';
import type { JumpSpec } from './jump-hosts.js';
import { sshConfigSettings, type SshConfigBlock } from '../connection/ssh-config.js';
import type { ConnectionSettings } from '../connection/connection.js';
import { LoadError } from '../errors.js';
import { registerSecret } from '../vault/redact.js';
import type { Inventory, InventoryGroup } from './model.js';
import { groupHosts } from './patterns.js';
import { BECOME_FLAGS_REFUSED, BECOME_METHOD_REFUSED, becomeFlagWords, becomeMethodOf, connectionPluginOf } from '../load/connection-keywords.js';

export type Vars = Record<string, unknown>;

/** Later layers replace earlier keys wholesale (Ansible's hash_behaviour=replace: no deep merge). */
export function mergeVarLayers(layers: ReadonlyArray<Vars | undefined | null>): Vars {
  const out: Vars = {};
  for (const layer of layers) if (layer) Object.assign(out, layer);
  return out;
}

/** Ansible's sort_groups: by depth, then ansible_group_priority, then name. Later = stronger. */
export function sortGroups(groups: InventoryGroup[]): InventoryGroup[] {
  return [...groups].sort((a, b) => a.depth - b.depth || a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function isLocalhostName(name: string): boolean {
  return name === 'localhost' || name === '127.0.0.1' || name === '::1';
}

/**
 * The inventory's two layers for a host, each already in Ansible's order:
 * group vars = inline 'all' < inline groups (sorted) < group_vars/all
 *   (inventory, then playbook) < group_vars/<group> (inventory, then playbook, per sorted group);
 * host vars = inline < host_vars/ beside the inventory < host_vars/ beside the playbook.
 */
export function inventoryLayers(inv: Inventory, host: string): { groupVars: Vars; hostVars: Vars } {
  const h = inv.hosts.get(host);
  const all = inv.groups.get('all')!;
  if (!h) {
    if (!isLocalhostName(host)) throw new LoadError(`no host named "${host}" in the inventory`);
    // Implicit localhost: all's vars, and a local connection.
    return {
      groupVars: mergeVarLayers([all.inlineVars, all.fileVars, all.playbookFileVars]),
      hostVars: { ansible_connection: 'local' },
    };
  }
  const groups = sortGroups(h.groups.filter((g) => g !== 'all').map((g) => inv.groups.get(g)!));
  const groupVars = mergeVarLayers([
    inlineGroupVars(all),
    ...groups.map(inlineGroupVars),
    all.fileVars,
    all.playbookFileVars,
    ...groups.map((g) => g.fileVars),
    ...groups.map((g) => g.playbookFileVars),
  ]);
  const hostVarsLayer = mergeVarLayers([h.inlineVars, h.fileVars, h.playbookFileVars]);
  return { groupVars, hostVars: hostVarsLayer };
}

/**
 * A group's variables written in the inventory source, without
 * ansible_group_priority: Ansible turns that one into the group's priority
 * (Group.set_variable) and never shows it as a variable (ansible-inventory
 * --list checked). Written in a group_vars/ file it stays a variable, as in Ansible.
 */
function inlineGroupVars(g: InventoryGroup): Vars {
  if (!('ansible_group_priority' in g.inlineVars)) return g.inlineVars;
  const { ansible_group_priority: _priority, ...rest } = g.inlineVars;
  return rest;
}

/** A host's variables from the inventory alone (group vars < host vars). */
export function hostVars(inv: Inventory, host: string): Vars {
  const { groupVars, hostVars: hv } = inventoryLayers(inv, host);
  return mergeVarLayers([groupVars, hv]);
}

/** inventory_hostname, inventory_hostname_short, group_names, groups (Ansible's magic variables from the inventory). */
export function magicVars(inv: Inventory, host: string): Vars {
  const h = inv.hosts.get(host);
  const groups: Record<string, string[]> = {};
  for (const g of inv.groups.keys()) groups[g] = groupHosts(inv, g);
  return {
    inventory_hostname: host,
    inventory_hostname_short: host.split('.')[0],
    group_names: h ? h.groups.filter((g) => g !== 'all').sort() : [],
    groups,
  };
}

// ---------------------------------------------------------------- connection settings

/** The variables a become password is read from, strongest first (Ansible 2.14's sudo plugin's become_pass). */
export const BECOME_PASSWORD_VARS = ['ansible_become_password', 'ansible_become_pass', 'ansible_sudo_pass'];

function bool(host: string, name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined || v === null || v === '') return dflt;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' && (v === 0 || v === 1)) return v === 1;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['yes', 'true', 'on', '1', 'y', 't'].includes(s)) return true;
    if (['no', 'false', 'off', '0', 'n', 'f'].includes(s)) return false;
  }
  throw new LoadError(`host "${host}": ${name} must be a boolean (true/false, yes/no), found ${JSON.stringify(v)}`);
}

function num(host: string, name: string, v: unknown, dflt: number, min: number, max: number): number {
  if (v === undefined || v === null || v === '') return dflt;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new LoadError(`host "${host}": ${name} must be a number from ${min} to ${max}, found ${JSON.stringify(v)}`);
  }
  return n;
}

function str(host: string, name: string, v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw new LoadError(`host "${host}": ${name} must be a string, found ${JSON.stringify(v)}`);
}

/** The first of these variables that is set, with its name (for messages); the first name when none is. */
function firstSet(vars: Vars, names: string[]): [string, unknown] {
  for (const n of names) if (vars[n] !== undefined && vars[n] !== null && vars[n] !== '') return [n, vars[n]];
  return [names[0], undefined];
}

/**
 * tsplay_host_key_checking: strict | accept-new | off, or a boolean (true =
 * strict, false = off). Unset, Ansible's boolean host_key_checking variables
 * (ansible_host_key_checking, ansible_ssh_host_key_checking) decide the same way.
 */
function hostKeyCheckingOf(host: string, vars: Vars, dflt: ConnectionSettings['hostKeyChecking'] = 'strict'): ConnectionSettings['hostKeyChecking'] {
  const [name, v] = firstSet(vars, ['tsplay_host_key_checking', 'ansible_host_key_checking', 'ansible_ssh_host_key_checking']);
  if (v === undefined) return dflt;
  if (name === 'tsplay_host_key_checking' && (v === 'strict' || v === 'accept-new' || v === 'off')) return v;
  try {
    return bool(host, name, v, true) ? 'strict' : 'off';
  } catch {
    const allowed = name === 'tsplay_host_key_checking' ? 'strict, accept-new, off or a boolean' : 'a boolean (true/false, yes/no)';
    throw new LoadError(`host "${host}": ${name} must be ${allowed}, found ${JSON.stringify(v)}`);
  }
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}

/**
 * What the command line and ansible.cfg set for every host (engine/cli/config.ts):
 * Ansible's precedence puts them below the play's keywords and the host's
 * variables, so each applies only where the host's variables leave it unset
 * (and a keyword, applied later in engine/run/connection-settings.ts, still wins).
 */
export interface ConnectionDefaults {
  /** -u, remote_user */
  remoteUser?: string;
  /** --private-key, private_key_file */
  privateKeyFile?: string;
  /** -T, timeout (seconds) */
  timeoutSec?: number;
  /** -c, transport */
  connection?: string;
  /** -b, become */
  become?: boolean;
  /** --become-user, become_user */
  becomeUser?: string;
  /** --become-method, become_method */
  becomeMethod?: string;
  /** -K (--ask-become-pass, become_ask_pass): the password typed at the prompt. */
  becomePassword?: string;
  /** host_key_checking */
  hostKeyChecking?: boolean;
  /** --ssh-common-args, --ssh-extra-args; ssh_args, ssh_common_args, ssh_extra_args and their ANSIBLE_* variables. */
  sshArgs?: SshArgsDefaults;
  /**
   * The OpenSSH client configuration ssh would read (engine/connection/ssh-config.ts): the file
   * `-F` names, else ~/.ssh/config and /etc/ssh/ssh_config. Unset: none is read (tests).
   */
  sshConfig?: (file?: string) => readonly SshConfigBlock[];
}

/** OpenSSH options given for every host, by the variable they stand in for; `origin` names where they came from, for errors. */
export type SshArgsDefaults = Partial<Record<(typeof SSH_ARGS_VARS)[number], { text: string; origin: string }>>;

/**
 * Connection settings from a host's (templated) variables. Defaults as
 * Ansible's: ssh, port 22, the controller's user, become false as root, unless
 * `defaults` (the command line, ansible.cfg) say otherwise.
 * ansible_connection=local is set for the implicit localhost by hostVars;
 * a localhost listed in the inventory connects over ssh unless told otherwise.
 */
export function connectionSettings(host: string, vars: Vars, defaults: ConnectionDefaults = {}): ConnectionSettings {
  const conn = str(host, 'ansible_connection', vars.ansible_connection) ?? defaults.connection ?? 'ssh';
  const connection = connectionPluginOf(conn);
  if (connection === undefined) throw new LoadError(`host "${host}": ansible_connection "${conn}" is not supported: expected ssh or local`);
  const hostKeyChecking = hostKeyCheckingOf(host, vars, defaults.hostKeyChecking === false ? 'off' : 'strict');
  const [timeoutVar, timeout] = firstSet(vars, ['tsplay_connect_timeout', 'ansible_timeout', 'ansible_ssh_timeout']);
  const methodName = str(host, 'ansible_become_method', vars.ansible_become_method) ?? defaults.becomeMethod ?? 'sudo';
  const becomeMethod = becomeMethodOf(methodName);
  if (becomeMethod === undefined) throw new LoadError(`host "${host}": ansible_become_method "${methodName}" is not supported: ${BECOME_METHOD_REFUSED}`);
  const settings: ConnectionSettings = {
    host,
    connection,
    address: str(host, 'ansible_host', vars.ansible_host ?? vars.ansible_ssh_host) ?? host,
    port: num(host, 'ansible_port', vars.ansible_port ?? vars.ansible_ssh_port, 22, 1, 65535),
    user: str(host, 'ansible_user', vars.ansible_user ?? vars.ansible_ssh_user) ?? defaults.remoteUser ?? currentUser(),
    hostKeyChecking,
    connectTimeoutMs: num(host, timeoutVar, timeout, defaults.timeoutSec ?? 10, 0.001, 86400) * 1000,
    commandTimeoutMs: num(host, 'tsplay_command_timeout', vars.tsplay_command_timeout, 3600, 0.001, 7 * 86400) * 1000,
    become: bool(host, 'ansible_become', vars.ansible_become, defaults.become ?? false),
    becomeUser: str(host, 'ansible_become_user', vars.ansible_become_user) ?? defaults.becomeUser ?? 'root',
    becomeMethod,
  };
  const flags = str(host, 'ansible_become_flags', vars.ansible_become_flags);
  if (flags !== undefined) {
    const words = becomeFlagWords(flags);
    if (words === undefined) throw new LoadError(`host "${host}": ansible_become_flags "${flags}": ${BECOME_FLAGS_REFUSED}`);
    settings.becomeFlags = words;
  }
  const exe = str(host, 'ansible_become_exe', vars.ansible_become_exe);
  if (exe !== undefined) settings.becomeExe = exe;
  // As Ansible's sudo plugin: the variables beat -K's answer.
  const [passVar, passValue] = firstSet(vars, BECOME_PASSWORD_VARS);
  const becomePassword = str(host, passVar, passValue) ?? defaults.becomePassword;
  if (becomePassword !== undefined) {
    settings.becomePassword = becomePassword;
    // Hidden from every output as a vaulted value is (engine/vault/redact.ts).
    registerSecret(becomePassword);
  }
  const key = str(host, 'ansible_ssh_private_key_file', vars.ansible_ssh_private_key_file ?? vars.ansible_private_key_file) ?? defaults.privateKeyFile;
  if (key !== undefined) settings.privateKeyFile = key;
  const password = str(host, 'ansible_password', vars.ansible_password ?? vars.ansible_ssh_pass);
  if (password !== undefined) settings.password = password;
  const kh = str(host, 'tsplay_known_hosts_file', vars.tsplay_known_hosts_file);
  if (kh !== undefined) settings.knownHostsFile = kh;
  if (vars.tsplay_persistent_shell !== undefined) settings.persistentShell = bool(host, 'tsplay_persistent_shell', vars.tsplay_persistent_shell, true);
  // OpenSSH options (engine/inventory/ssh-args.ts): honoured, without effect, or refused; later variables win.
  const fromArgs: SshArgSettings = {};
  const perVar = new Map<string, SshArgSettings>();
  for (const name of SSH_ARGS_VARS) {
    const text = str(host, name, vars[name]);
    const given = text === undefined ? defaults.sshArgs?.[name] : undefined;
    const parsed = text !== undefined ? sshArgSettings(host, name, text) : given ? sshArgSettings(host, given.origin, given.text) : undefined;
    // An empty ansible_ssh_args still replaces Ansible's default ssh_args (its ControlPersist with them).
    if (!parsed && name === 'ansible_ssh_args' && vars[name] === '') perVar.set(name, {});
    if (parsed) {
      perVar.set(name, parsed);
      Object.assign(fromArgs, parsed);
    }
  }
  const { configFile, jump: argJump, controlMaster: _m, controlPersistMs: _p, ...argSettings } = fromArgs;
  Object.assign(settings, argSettings);
  if (settings.connection === 'ssh') settings.controlPersistMs = controlPersistOf(perVar);
  let jump = argJump;
  let blocks: readonly SshConfigBlock[] | undefined;
  if (settings.connection === 'ssh' && defaults.sshConfig) {
    blocks = defaults.sshConfig(configFile);
    // What Ansible puts on ssh's command line wins over the file; the file fills in the rest.
    const explicitUser = firstSet(vars, ['ansible_user', 'ansible_ssh_user'])[1] !== undefined || defaults.remoteUser !== undefined;
    const cfg = sshConfigSettings(host, blocks, { host: settings.address, user: explicitUser ? settings.user : undefined });
    jump ??= cfg.jump;
    if (cfg.address !== undefined) settings.address = cfg.address;
    if (cfg.user !== undefined && !explicitUser) settings.user = cfg.user;
    if (cfg.port !== undefined && firstSet(vars, ['ansible_port', 'ansible_ssh_port'])[1] === undefined) settings.port = cfg.port;
    if (cfg.privateKeyFile !== undefined && settings.privateKeyFile === undefined) settings.privateKeyFile = cfg.privateKeyFile;
    const hkcSet = settings.hostKeyChecking === 'off' || vars.tsplay_host_key_checking !== undefined || argSettings.hostKeyChecking !== undefined;
    if (cfg.hostKeyChecking !== undefined && !hkcSet) settings.hostKeyChecking = cfg.hostKeyChecking;
    if (cfg.knownHostsFile !== undefined && settings.knownHostsFile === undefined) settings.knownHostsFile = cfg.knownHostsFile;
  }
  if (settings.connection === 'ssh' && jump?.length) settings.jump = jumpSettings(host, settings, jump, blocks);
  return settings;
}

/**
 * How long a host's connection is kept after the run (engine/connection/held-connection.ts), as
 * OpenSSH under Ansible keeps it: Ansible puts ssh_args first on ssh's command line (default
 * `-C -o ControlMaster=auto -o ControlPersist=60s`, replaced when ansible_ssh_args or ssh_args is
 * set), then the common and extra args; ssh takes each option's first value, and a connection
 * persists only with ControlMaster on and ControlPersist not `no`.
 */
export function controlPersistOf(perVar: ReadonlyMap<string, SshArgSettings>): number {
  const order = ['ansible_ssh_args', 'ansible_ssh_common_args', 'ansible_ssh_extra_args'];
  const given = order.map((n) => perVar.get(n));
  const first = given[0] ? [given[0]] : [{ controlMaster: true, controlPersistMs: 60_000 }];
  const all = [...first, ...given.slice(1).filter((x): x is SshArgSettings => x !== undefined)];
  const master = all.find((x) => x.controlMaster !== undefined)?.controlMaster ?? false;
  const persist = all.find((x) => x.controlPersistMs !== undefined)?.controlPersistMs ?? 0;
  return master ? persist : 0;
}

/**
 * The hops' connection settings, the last hop outermost (each behind the one before). As ssh: each
 * hop's HostName, User, Port and IdentityFile from the OpenSSH configuration, its user otherwise the
 * controller's. Where neither the spec nor the configuration gives a key, the host's own key is
 * tried (ssh would try its default keys); known_hosts, host key checking and timeouts are the host's.
 */
function jumpSettings(host: string, target: ConnectionSettings, specs: JumpSpec[], blocks: readonly SshConfigBlock[] | undefined): ConnectionSettings {
  let outer: ConnectionSettings | undefined;
  for (const spec of specs) {
    const cfg = blocks ? sshConfigSettings(host, blocks, { host: spec.host, user: spec.user }) : {};
    const hop: ConnectionSettings = {
      host: `${host} (jump host ${spec.host})`,
      connection: 'ssh',
      address: cfg.address ?? spec.host,
      port: spec.port ?? cfg.port ?? 22,
      user: spec.user ?? cfg.user ?? currentUser(),
      hostKeyChecking: cfg.hostKeyChecking ?? target.hostKeyChecking,
      connectTimeoutMs: target.connectTimeoutMs,
      commandTimeoutMs: target.commandTimeoutMs,
      become: false,
      becomeUser: 'root',
      becomeMethod: 'sudo',
    };
    const key = spec.keyFile ?? cfg.privateKeyFile ?? target.privateKeyFile;
    if (key !== undefined) hop.privateKeyFile = key;
    const kh = cfg.knownHostsFile ?? target.knownHostsFile;
    if (kh !== undefined) hop.knownHostsFile = kh;
    if (outer) hop.jump = outer;
    outer = hop;
  }
  return outer!;
}
