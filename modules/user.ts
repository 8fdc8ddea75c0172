// user: Ansible's user module on Linux (docs/modules/user.md): create an account
// (useradd), change it (usermod), remove it (userdel), as Ansible's Linux User
// class drives those commands: the same options, the same comparisons (so the
// same changed flag), the same missing-home handling (a home that does not exist
// is made from the skeleton and given to the user) and the same ssh key
// generation. What tsplay does not implement is not in the schema: refused at load.

import { defineModule, ModuleError } from '../engine/module-api.js';
import type { ChangePlan, FileState, HostReader, HostWriter, Prediction, RunStep, Step } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import { file as fileFact, fileContent } from '../engine/facts/file.js';
import { groups as groupsFact } from '../engine/facts/groups.js';
import { gidHolder, uidHolder } from '../engine/facts/id-holders.js';
import { userAccount, type UserAccount } from '../engine/facts/user-account.js';
import { executeSteps, type StepResult } from '../engine/run/steps.js';
import { accountName, idOrName, isNumericId, numericId, toId } from './lib/ids.js';

// A value usermod/useradd take as an option's argument must not read as an option itself.
const notOption = '^(?!-)';
const groupList = S.anyOf([S.string({ pattern: notOption }), S.array(S.anyOf([S.integer({ minimum: 0 }), S.string({ pattern: notOption })]))]);

const schema = S.object({
  name: S.with(accountName, { description: 'the user' }),
  user: S.with(accountName, { description: 'alias of name' }),
  state: S.enum(['present', 'absent'], { default: 'present', description: 'present creates or changes the account, absent removes it' }),
  uid: S.with(numericId, { description: 'its UID' }),
  non_unique: S.boolean({ default: false, description: 'allow a UID another user has (-o); with uid' }),
  group: S.with(idOrName, { description: 'its primary group (name or GID); the group must exist' }),
  groups: S.with(groupList, { description: "its supplementary groups (a list or comma-separated); [] or '' removes them all unless append" }),
  append: S.boolean({ default: false, description: 'add the groups to those the user has instead of replacing them' }),
  comment: S.string({ pattern: notOption, description: 'the GECOS field' }),
  home: S.string({ pattern: '^/', description: 'its home directory (absolute path)' }),
  shell: S.string({ pattern: notOption, description: 'its login shell' }),
  password: S.string({ pattern: notOption, description: 'the password HASH as /etc/shadow holds it (crypt(3)), never the clear text' }),
  update_password: S.enum(['always', 'on_create'], { default: 'always', description: 'always: set password when it differs; on_create: only for a new user' }),
  password_lock: S.boolean({ description: 'true locks the password (usermod -L, or ! before the hash), false unlocks it (usermod -U)' }),
  create_home: S.boolean({ description: 'create the home directory (from the skeleton) when it does not exist; default true' }),
  createhome: S.boolean({ description: 'alias of create_home' }),
  skeleton: S.string({ pattern: '^/', description: 'skeleton directory for a new home (useradd -k); default /etc/skel' }),
  umask: S.string({ pattern: '^[0-7]{3,4}$', description: 'umask of a home useradd creates (-K UMASK=)' }),
  system: S.boolean({ default: false, description: 'create a system account (useradd -r); no effect on an existing user' }),
  move_home: S.boolean({ default: false, description: 'with a new home: move the old home there (usermod -m)' }),
  expires: S.number({ description: 'account expiry, seconds since the epoch (its UTC date counts); negative removes the expiry' }),
  force: S.boolean({ default: false, description: 'state absent: remove even while logged in (userdel -f); generate_ssh_key: overwrite an existing key' }),
  remove: S.boolean({ default: false, description: 'state absent: also remove the home directory and mail spool (userdel -r)' }),
  generate_ssh_key: S.boolean({ default: false, description: 'generate an ssh key pair for the user when it has none' }),
  ssh_key_bits: S.integer({ minimum: 0, default: 0, description: 'key size (ssh-keygen -b); 0: ssh-keygen chooses' }),
  ssh_key_type: S.string({ pattern: '^[a-z0-9][a-z0-9-]*$', default: 'rsa', description: 'key type (ssh-keygen -t)' }),
  ssh_key_file: S.string({ minLength: 1, description: 'private key path, relative to the home directory or absolute; default .ssh/id_TYPE' }),
  ssh_key_comment: S.string({ description: 'key comment; default "ansible-generated on HOSTNAME"' }),
  local: S.enum([false], { description: 'only false: local: true (luseradd, libuser) is not available in tsplay, refused at load' }),
}, { additionalProperties: false, anyOf: [{ required: ['name'] }, { required: ['user'] }] });

export type UserArgs = Static<typeof schema>;

export interface UserModuleState {
  account: UserAccount;
  /** The requested primary group and the requested groups, by the name or GID given. */
  groups: Record<string, { exists: boolean; gid?: number }>;
  /** A group named as the user (useradd -N when it exists; userdel removes it). */
  ownGroup: { exists: boolean; gid?: number; members?: string[] };
  /** lstat of the paths the plan looks at (homes, their parent, ssh key files). */
  paths: Record<string, FileState>;
  /** The user holding the requested UID (null: none or no uid asked). */
  uidOwner: string | null;
  /** A new user: useradd's defaults (useradd -D: HOME, SHELL), so --check can predict the account. */
  defaults?: Record<string, string>;
  /** generate_ssh_key on an existing user: what Ansible returns about the key as it is now. */
  key?: { ssh_fingerprint: string; ssh_key_file: string; ssh_public_key: string | null };
}

const ENC = 'NOT_LOGGING_PASSWORD';

// Ansible's create_homedir: the skeleton copied (mode and times kept) or an
// empty directory, then mode 0777 & ~UMASK of /etc/login.defs when it has one.
export const MKHOME = [
  'home=$1; skel=$2',
  '[ -e "$home" ] && exit 0',
  'if [ -d "$skel" ]; then mkdir -p -- "$(dirname -- "$home")" && cp -RPp -- "$skel" "$home" || exit 1',
  'else mkdir -p -- "$home" || exit 1; fi',
  "m=$(sed -n 's/^UMASK[[:space:]]\\{1,\\}\\([0-9]\\{1,\\}\\)$/\\1/p' /etc/login.defs 2>/dev/null | tail -n 1)",
  'if [ -n "$m" ]; then chmod "$(printf %o $((0777 & ~0$m)))" -- "$home" || exit 1; fi',
].join('\n');

// Ansible's ssh_key_gen: the key's directory made 0700 for the user, ssh-keygen
// (answering its overwrite question with force), both files given to the user.
// A relative key path is under the user's home as passwd says after the change.
export const KEYGEN = [
  'user=$1; key=$2; type=$3; bits=$4; comment=$5; force=$6',
  'case $key in /*) ;; *) key="$(getent passwd -- "$user" | cut -d: -f6)/$key" ;; esac',
  '[ -n "$comment" ] || comment="ansible-generated on $(uname -n)"',
  'dir=$(dirname -- "$key")',
  'if [ ! -e "$dir" ]; then mkdir -m 0700 -- "$dir" && chown -- "$user:" "$dir" || exit 1; fi',
  'if [ "$force" = 1 ]; then rm -f -- "$key.pub"; fi',
  'set -- -t "$type"; [ "$bits" -gt 0 ] && set -- "$@" -b "$bits"',
  'if [ "$force" = 1 ] && [ -e "$key" ]; then yes=y; else yes=; fi',
  'printf "%s\\n" "$yes" | ssh-keygen "$@" -C "$comment" -f "$key" -N "" || exit $?',
  'chown -- "$user:" "$key" "$key.pub"',
].join('\n');

function userName(args: UserArgs): string {
  if (args.name !== undefined && args.user !== undefined && args.name !== args.user) throw new ModuleError('user: name and user are aliases; give one');
  return (args.name ?? args.user)!;
}

function createHome(args: UserArgs): boolean {
  if (args.create_home !== undefined && args.createhome !== undefined && args.create_home !== args.createhome) {
    throw new ModuleError('user: create_home and createhome are aliases; give one');
  }
  return args.create_home ?? args.createhome ?? true;
}

/** Ansible's groups parameter: the list joined with commas (what it returns), and the names in it. */
function groupsParam(args: UserArgs): { joined: string; names: string[] } | undefined {
  if (args.groups === undefined) return undefined;
  const joined = Array.isArray(args.groups) ? args.groups.map(String).join(',') : args.groups;
  const names = [...new Set(joined.split(',').filter((x) => x !== '').map((x) => x.trim()))];
  const bad = names.find((n) => n.startsWith('-'));
  if (bad !== undefined) throw new ModuleError(`user: group ${JSON.stringify(bad)} is not a group name`);
  return { joined, names };
}

/** The names and GIDs the plan needs to look up as groups. */
export function groupLookups(args: UserArgs): string[] {
  const out = new Set<string>();
  if (args.group !== undefined) out.add(String(args.group));
  for (const g of groupsParam(args)?.names ?? []) out.add(g);
  return [...out];
}

function dirname(p: string): string {
  const i = p.replace(/\/+$/, '').lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

function joinPath(dir: string, rel: string): string {
  return `${dir.replace(/\/+$/, '')}/${rel}`;
}

/** The ssh private key's path, when it can be known before the run. */
function keyPath(args: UserArgs, home: string | undefined): string | undefined {
  const f = args.ssh_key_file ?? `.ssh/id_${args.ssh_key_type}`;
  if (f.startsWith('/')) return f;
  return home === undefined ? undefined : joinPath(home, f);
}

/** The paths gather stats, for this account. */
export function pathsToStat(args: UserArgs, account: UserAccount): string[] {
  const out = new Set<string>();
  if (args.state === 'absent') return [];
  const home = args.home ?? account.home;
  if (home !== undefined) out.add(home);
  if (account.home !== undefined) out.add(account.home);
  if (args.home !== undefined && !account.exists) out.add(dirname(args.home));
  if (args.generate_ssh_key) {
    const key = keyPath(args, home);
    if (key !== undefined) for (const p of [key, `${key}.pub`, dirname(key)]) out.add(p);
  }
  return [...out];
}

function exists(st: FileState | undefined): boolean {
  return st?.exists === true;
}

/** The UTC date useradd -e takes for an expiry in seconds since the epoch. */
export function expiryDate(seconds: number): string {
  return new Date(Math.floor(seconds) * 1000).toISOString().slice(0, 10);
}

function requireGroup(state: UserModuleState, g: string): { exists: boolean; gid?: number } {
  const info = state.groups[g];
  if (!info?.exists) throw new ModuleError(`Group ${g} does not exist`);
  return info;
}

/** What apply needs to return Ansible's values of a real run (apply does not get the arguments). */
interface After {
  name: string;
  /** The keys that come before the account's values. */
  result: Record<string, unknown>;
  /** Removed: only `result`. */
  absent?: boolean;
  /** generate_ssh_key: the key file as given (relative: under the home). */
  key?: string;
}

type UserPlan = ChangePlan & { after?: After };

interface Extra {
  steps: Step[];
  predicts: Prediction[];
  parts: string[];
}

/**
 * What Ansible does after creating or changing the account: a missing home made
 * from the skeleton and given to the user (create_home), then the ssh key.
 */
function homeAndKey(args: UserArgs, state: UserModuleState, name: string, home: string | undefined, homeExists: boolean, keyDirExists: boolean | undefined, isNew: boolean): Extra {
  const out: Extra = { steps: [], predicts: [], parts: [] };
  if (!isNew && home !== undefined && !homeExists && createHome(args)) {
    out.steps.push(
      { kind: 'run', argv: ['sh', '-c', MKHOME, 'sh', home, args.skeleton ?? '/etc/skel'] },
      { kind: 'run', argv: ['chown', '-R', '--', `${name}:`, home] },
    );
    out.predicts.push({ kind: 'file', path: home, state: 'directory', owner: name });
    out.parts.push(`create home ${home}`);
  }
  if (args.generate_ssh_key) {
    const key = keyPath(args, home);
    const keyExists = key !== undefined && exists(state.paths[key]);
    const pubExists = key !== undefined && exists(state.paths[`${key}.pub`]);
    // Without force an existing private or public key is kept (Ansible warns and skips).
    if (args.force || (!keyExists && !pubExists)) {
      out.steps.push({ kind: 'run', argv: ['sh', '-c', KEYGEN, 'sh', name, args.ssh_key_file ?? `.ssh/id_${args.ssh_key_type}`, args.ssh_key_type, String(args.ssh_key_bits), args.ssh_key_comment ?? '', args.force ? '1' : '0'] });
      if (key !== undefined) {
        if (keyDirExists === false) out.predicts.push({ kind: 'file', path: dirname(key), state: 'directory', mode: '0700', owner: name });
        out.predicts.push({ kind: 'file', path: key, state: 'file', mode: '0600', owner: name }, { kind: 'file', path: `${key}.pub`, state: 'file', mode: '0644', owner: name });
      }
      out.parts.push(`generate ssh key ${key ?? args.ssh_key_file ?? `~/.ssh/id_${args.ssh_key_type}`}`);
    }
  }
  return out;
}

function planAbsent(args: UserArgs, state: UserModuleState, name: string) {
  const a = state.account;
  if (!a.exists) return { changed: false as const, reason: `user ${name} does not exist`, result: { name, state: 'absent' } };
  const argv = ['userdel', ...(args.force ? ['-f'] : []), ...(args.remove ? ['-r'] : []), '--', name];
  const predicts: Prediction[] = [{ kind: 'user', name, exists: false }];
  // userdel removes the user's own group (USERGROUPS_ENAB) when it is its primary group and has no other member.
  const own = state.ownGroup;
  if (own.exists && own.gid === a.gid && (own.members ?? []).every((m) => m === name)) predicts.push({ kind: 'group', name, exists: false });
  if (args.remove && a.home !== undefined) predicts.push({ kind: 'file', path: a.home, state: 'absent' });
  const plan: UserPlan = {
    changed: true,
    summary: `remove user ${name}${args.remove ? ' and its home' : ''}`,
    steps: [{ kind: 'run', argv }],
    predicts,
    // Ansible's check mode returns nothing else; its real run adds force and remove.
    result: {},
    after: { name, result: { name, state: 'absent', force: args.force, remove: args.remove }, absent: true },
  };
  return plan;
}

function planCreate(args: UserArgs, state: UserModuleState, name: string): UserPlan {
  const mkHome = createHome(args);
  const argv = ['useradd'];
  const p: Prediction = { kind: 'user', name, exists: true, created: true };
  const predicts: Prediction[] = [p];
  const steps: Step[] = [];
  if (args.uid !== undefined) {
    argv.push('-u', String(toId(args.uid)));
    if (args.non_unique) argv.push('-o');
    p.uid = toId(args.uid);
  }
  if (args.group !== undefined) {
    const g = requireGroup(state, String(args.group));
    argv.push('-g', String(args.group));
    if (g.gid !== undefined) p.gid = g.gid;
  } else if (state.ownGroup.exists) {
    // A group named as the user exists: -N, so useradd does not try to create it.
    argv.push('-N');
  } else {
    predicts.push({ kind: 'group', name, exists: true });
  }
  const gp = groupsParam(args);
  if (gp && gp.joined.length > 0) {
    for (const g of gp.names) requireGroup(state, g);
    argv.push('-G', gp.names.join(','));
  }
  p.groups = gp ? [...gp.names] : [];
  if (args.comment !== undefined) {
    argv.push('-c', args.comment);
    p.comment = args.comment;
  } else p.comment = '';
  if (args.home !== undefined) {
    // useradd cannot make missing parents: Ansible makes the home itself first, and gives it to the user after.
    if (mkHome && !(state.paths[dirname(args.home)]?.type === 'directory')) {
      steps.push({ kind: 'run', argv: ['sh', '-c', MKHOME, 'sh', args.home, args.skeleton ?? '/etc/skel'] });
    }
    argv.push('-d', args.home);
    p.home = args.home;
  }
  if (args.shell !== undefined) {
    argv.push('-s', args.shell);
    p.shell = args.shell;
  }
  if (args.expires !== undefined) {
    argv.push('-e', args.expires < 0 ? '' : expiryDate(args.expires));
    p.expires = args.expires < 0 ? -1 : Math.floor(Math.floor(args.expires) / 86400);
  }
  if (args.password !== undefined) {
    const pw = args.password_lock ? `!${args.password}` : args.password;
    argv.push('-p', pw);
    p.password = pw;
  }
  if (mkHome) {
    argv.push('-m');
    if (args.skeleton !== undefined) argv.push('-k', args.skeleton);
    if (args.umask !== undefined) argv.push('-K', `UMASK=${args.umask}`);
  } else argv.push('-M');
  if (args.system) argv.push('-r');
  argv.push('--', name);
  steps.push({ kind: 'run', argv });
  if (args.home !== undefined && mkHome && !(state.paths[dirname(args.home)]?.type === 'directory')) {
    steps.push({ kind: 'run', argv: ['chown', '-R', '--', `${name}:`, args.home] });
  }
  // What useradd gives when not told: its defaults (useradd -D), a locked empty password, no expiry.
  const base = state.defaults?.HOME;
  const home = args.home ?? (base ? joinPath(base, name) : undefined);
  if (home !== undefined) p.home = home;
  if (p.shell === undefined && state.defaults?.SHELL !== undefined) p.shell = state.defaults.SHELL;
  p.password ??= '!';
  p.expires ??= -1;
  if (mkHome && home !== undefined) predicts.push({ kind: 'file', path: home, state: 'directory', owner: name });
  const extra = homeAndKey(args, state, name, home, true, undefined, true);
  return {
    changed: true,
    summary: [`create ${args.system ? 'system ' : ''}user ${name}`, ...extra.parts].join(', '),
    steps: [...steps, ...extra.steps],
    predicts: [...predicts, ...extra.predicts],
    // Ansible's check mode returns nothing else for a new user; the real run's values come from apply.
    result: {},
    after: { name, result: resultHead(args, name, true), ...(args.generate_ssh_key ? { key: keyFile(args) } : {}) },
  };
}

function keyFile(args: UserArgs): string {
  return args.ssh_key_file ?? `.ssh/id_${args.ssh_key_type}`;
}

/** Ansible's result keys that do not come from the account: name, state, what it was asked, groups as given. */
function resultHead(args: UserArgs, name: string, created: boolean): Record<string, unknown> {
  const r: Record<string, unknown> = { name, state: 'present' };
  if (created) Object.assign(r, { system: args.system, create_home: createHome(args) });
  else Object.assign(r, { append: args.append, move_home: args.move_home });
  if (args.password !== undefined) r.password = ENC;
  const gp = groupsParam(args);
  if (gp) r.groups = gp.joined;
  return r;
}

/** The values Ansible returns for an existing user (its check mode: as they are before the change). */
function presentResult(args: UserArgs, state: UserModuleState, name: string): Record<string, unknown> {
  const a = state.account;
  const r: Record<string, unknown> = { ...resultHead(args, name, false), uid: a.uid, group: a.gid, comment: a.comment, home: a.home, shell: a.shell };
  if (state.key) Object.assign(r, state.key);
  return r;
}

function planModify(args: UserArgs, state: UserModuleState, name: string) {
  const a = state.account;
  const argv = ['usermod'];
  const parts: string[] = [];
  const p: Prediction = { kind: 'user', name };
  if (args.uid !== undefined && a.uid !== toId(args.uid)) {
    argv.push('-u', String(toId(args.uid)));
    if (args.non_unique) argv.push('-o');
    parts.push(`uid ${a.uid} -> ${toId(args.uid)}`);
    p.uid = toId(args.uid);
  }
  if (args.group !== undefined) {
    const g = requireGroup(state, String(args.group));
    if (g.gid === undefined || g.gid !== a.gid) {
      // Ansible passes the group's GID; a group only predicted (GID unknown yet) goes by what was given.
      argv.push('-g', String(g.gid ?? args.group));
      parts.push(`primary group ${a.gid} -> ${g.gid ?? String(args.group)}`);
      if (g.gid !== undefined) p.gid = g.gid;
    }
  }
  const gp = groupsParam(args);
  if (gp) {
    const current = a.groups ?? [];
    let mod = false;
    if (gp.joined === '') {
      mod = current.length > 0 && !args.append;
    } else {
      for (const g of gp.names) requireGroup(state, g);
      const want = new Set(gp.names);
      const diff = [...current.filter((g) => !want.has(g)), ...gp.names.filter((g) => !current.includes(g))];
      if (diff.length) {
        if (args.append) {
          if (gp.names.some((g) => diff.includes(g))) {
            argv.push('-a');
            mod = true;
          }
        } else mod = true;
      }
    }
    if (mod) {
      argv.push('-G', gp.names.join(','));
      const after = args.append ? [...new Set([...current, ...gp.names])] : [...gp.names];
      parts.push(`groups ${current.join(',') || '(none)'} -> ${after.join(',') || '(none)'}`);
      p.groups = after;
    }
  }
  if (args.comment !== undefined && a.comment !== args.comment) {
    argv.push('-c', args.comment);
    parts.push('comment');
    p.comment = args.comment;
  }
  const homeChanges = args.home !== undefined && a.home !== args.home;
  if (homeChanges) {
    argv.push('-d', args.home!);
    if (args.move_home) argv.push('-m');
    parts.push(`home ${a.home} -> ${args.home}${args.move_home ? ' (moved)' : ''}`);
    p.home = args.home;
  }
  if (args.shell !== undefined && a.shell !== args.shell) {
    argv.push('-s', args.shell);
    parts.push(`shell ${a.shell} -> ${args.shell}`);
    p.shell = args.shell;
  }
  if (args.expires !== undefined) {
    const cur = a.expires ?? -1;
    if (args.expires < 0) {
      if (cur >= 0) {
        argv.push('-e', '');
        parts.push('expiry removed');
        p.expires = -1;
      }
    } else if (cur < 0 || expiryDate(cur * 86400) !== expiryDate(args.expires)) {
      argv.push('-e', expiryDate(args.expires));
      parts.push(`expires ${expiryDate(args.expires)}`);
      p.expires = Math.floor(Math.floor(args.expires) / 86400);
    }
  }
  let pw = a.password ?? '';
  let lockFlag: string | undefined;
  if (args.password_lock === true && !pw.startsWith('!')) lockFlag = '-L';
  else if (args.password_lock === false && pw.startsWith('!')) lockFlag = '-U';
  const setPw = args.update_password === 'always' && args.password !== undefined && pw.replace(/^!+/, '') !== args.password.replace(/^!+/, '');
  if (setPw) {
    const v = args.password_lock ? `!${args.password!}` : args.password!;
    argv.push('-p', v);
    parts.push('password');
    pw = v;
    p.password = pw;
  } else if (lockFlag) {
    argv.push(lockFlag);
    parts.push(lockFlag === '-L' ? 'password locked' : 'password unlocked');
    // usermod -U refuses to leave an account without a password (it warns, exits 0, changes nothing).
    pw = lockFlag === '-L' ? `!${pw}` : pw.length > 1 ? pw.slice(1) : pw;
    p.password = pw;
  }
  const steps: Step[] = [];
  if (argv.length > 1) {
    argv.push('--', name);
    steps.push({ kind: 'run', argv, explain: busy(name, a.uid) });
  }
  // The home as passwd has it after the change, and whether it exists then.
  const home = args.home ?? a.home;
  const homeExists = homeChanges && args.move_home
    ? exists(state.paths[a.home!]) || exists(state.paths[args.home!])
    : home !== undefined && exists(state.paths[home]);
  const predicts: Prediction[] = Object.keys(p).length > 2 ? [p] : [];
  if (homeChanges && args.move_home && exists(state.paths[a.home!]) && !exists(state.paths[args.home!])) {
    predicts.push({ kind: 'file', path: a.home!, state: 'absent' }, { kind: 'file', path: args.home!, state: 'directory' });
  }
  const key = args.generate_ssh_key ? keyPath(args, home) : undefined;
  const keyDir = key !== undefined ? state.paths[dirname(key)] : undefined;
  const extra = homeAndKey(args, state, name, home, homeExists, key !== undefined ? exists(keyDir) : undefined, false);
  const result = presentResult(args, state, name);
  if (steps.length === 0 && extra.steps.length === 0) return { changed: false as const, reason: `user ${name} is as wanted`, result };
  const plan: UserPlan = {
    changed: true,
    summary: `change user ${name}: ${[...parts, ...extra.parts].join(', ')}`,
    steps: [...steps, ...extra.steps],
    predicts: [...predicts, ...extra.predicts],
    result,
    after: { name, result: resultHead(args, name, false), ...(args.generate_ssh_key ? { key: keyFile(args) } : {}) },
  };
  return plan;
}

/** usermod exits 8 when the user runs processes: name them. */
function busy(name: string, uid: number | undefined): RunStep['explain'] {
  return {
    codes: [8],
    argv: ['ps', '-o', 'pid=,comm=', '-u', uid !== undefined ? String(uid) : name],
    message: `usermod: user ${name} is currently used by a process ({lines})`,
    none: 'none found by ps',
  };
}

export default defineModule<typeof schema, UserModuleState>({
  name: 'user',
  description: 'Create, change or remove a user account (useradd, usermod, userdel), as Ansible does',
  schema,

  async gather(args, host) {
    const name = userName(args);
    const account = await host.get(userAccount, name);
    const lookups = groupLookups(args);
    const byName = lookups.filter((g) => !isNumericId(g));
    const found = await host.getAll(groupsFact, [...byName, name]);
    const groups: UserModuleState['groups'] = {};
    byName.forEach((g, i) => {
      groups[g] = { exists: found[i].exists, ...(found[i].gid !== undefined ? { gid: found[i].gid } : {}) };
    });
    for (const g of lookups.filter(isNumericId)) {
      const h = await host.get(gidHolder, toId(g));
      groups[g] = h ? { exists: true, gid: h.gid } : { exists: false };
    }
    const own = found[found.length - 1];
    const ownGroup = { exists: own.exists, ...(own.gid !== undefined ? { gid: own.gid } : {}), ...(own.members ? { members: own.members } : {}) };
    const list = account.exists || args.state === 'present' ? pathsToStat(args, account) : [];
    const stats = list.length ? await host.getAll(fileFact, list) : [];
    const paths: Record<string, FileState> = {};
    list.forEach((p, i) => {
      paths[p] = stats[i];
    });
    let uidOwner: string | null = null;
    if (args.state === 'present' && args.uid !== undefined && !args.non_unique && account.uid !== toId(args.uid)) {
      uidOwner = (await host.get(uidHolder, toId(args.uid)))?.name ?? null;
    }
    const st: UserModuleState = { account, groups, ownGroup, paths, uidOwner };
    if (args.state === 'present' && !account.exists) {
      // Read-only: useradd -D prints the defaults a new account gets.
      const d = await host.run(['useradd', '-D']);
      if (d.rc === 0) st.defaults = Object.fromEntries(d.stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    }
    const key = args.state === 'present' && args.generate_ssh_key && account.exists ? keyPath(args, args.home ?? account.home) : undefined;
    if (key !== undefined) st.key = await keyInfo(host, key);
    return st;
  },

  plan(args, state) {
    const name = userName(args);
    createHome(args);
    if (args.state === 'absent') return planAbsent(args, state, name);
    if (state.uidOwner !== null && state.uidOwner !== name) {
      throw new ModuleError(`${state.account.exists ? 'usermod' : 'useradd'}: UID ${toId(args.uid!)} is not unique (user ${state.uidOwner} has it); non_unique: true allows it`);
    }
    return state.account.exists ? planModify(args, state, name) : planCreate(args, state, name);
  },

  // The values Ansible returns after a real run (the UID useradd chose, the key's
  // fingerprint) exist only once the steps ran: apply runs them with the one
  // executor, then reads the account back. Not called in --check.
  async apply(plan, host: HostWriter) {
    const done = await executeSteps(plan.steps, host);
    return { ...done.result, ...(await afterRun(plan, done.steps, host)) };
  },
});

/** What Ansible returns about a key: ssh-keygen -l's line (or its error), the path, the public key. */
async function keyInfo(host: HostReader, key: string): Promise<{ ssh_fingerprint: string; ssh_key_file: string; ssh_public_key: string | null }> {
  const priv = await host.get(fileFact, key);
  const pub = await host.get(fileContent, `${key}.pub`);
  // No key: Ansible's fingerprint is the (empty) stderr of a command it did not run.
  const fp = priv.exists ? await host.run(['ssh-keygen', '-l', '-f', key]) : { rc: 1, stdout: '', stderr: '' };
  return { ssh_fingerprint: (fp.rc === 0 ? fp.stdout : fp.stderr).trim(), ssh_key_file: key, ssh_public_key: pub.exists && pub.content ? pub.content.toString('utf8').trim() : null };
}

/** Ansible's result keys of a real run, from the account as the run left it. */
async function afterRun(plan: UserPlan, steps: readonly StepResult[], host: HostWriter): Promise<Record<string, unknown>> {
  const info = plan.after;
  if (!info) return {};
  const out: Record<string, unknown> = { ...info.result };
  // The account command's output, as Ansible returns it when there is some.
  const cmd = steps.find((s) => s.kind === 'run' && ['useradd', 'usermod', 'userdel'].includes(s.cmd[0]));
  if (cmd?.kind === 'run') {
    if (cmd.stdout) out.stdout = cmd.stdout;
    if (cmd.stderr) out.stderr = cmd.stderr;
  }
  if (info.absent) return out;
  const a = await host.get(userAccount, info.name);
  Object.assign(out, { uid: a.uid, group: a.gid, comment: a.comment, home: a.home, shell: a.shell });
  if (info.key !== undefined) Object.assign(out, await keyInfo(host, info.key.startsWith('/') ? info.key : joinPath(a.home ?? '', info.key)));
  return out;
}
