// The connection keywords of a play, block, role entry or task: remote_user,
// port, connection, become_method, become_flags, become_exe. Checked at load
// (a literal value tsplay cannot honour is refused with its place); a template
// is rendered per host at run time and checked then (engine/run/connection-settings.ts).

import { isTemplated } from '../template/template.js';

/** The keywords as loaded: literal values checked, templates kept for the run. */
export interface ConnectionKeywords {
  remoteUser?: string;
  port?: number | string;
  connection?: string;
  becomeMethod?: string;
  becomeFlags?: string;
  becomeExe?: string;
}

/** The keywords as the schema accepted them. */
export interface RawConnectionKeywords {
  remote_user?: string;
  port?: number | string;
  connection?: string;
  become_method?: string;
  become_flags?: string;
  become_exe?: string;
}

/** A keyword whose value tsplay refuses; `key` names it so the loader can point at it. */
export class ConnectionKeywordError extends Error {
  constructor(readonly key: string, message: string) {
    super(message);
    this.name = 'ConnectionKeywordError';
  }
}

/** Connection plugins tsplay has, by the names Ansible 2.14 accepts for them (smart = ssh, as Ansible resolves it). */
const PLUGINS: Record<string, 'ssh' | 'local'> = {
  ssh: 'ssh', smart: 'ssh', paramiko: 'ssh', paramiko_ssh: 'ssh',
  'ansible.builtin.ssh': 'ssh', 'ansible.builtin.paramiko_ssh': 'ssh', 'ansible.legacy.ssh': 'ssh',
  local: 'local', 'ansible.builtin.local': 'local', 'ansible.legacy.local': 'local',
};

/** The connection tsplay uses for an Ansible connection plugin name; undefined when it has none. */
export function connectionPluginOf(name: string): 'ssh' | 'local' | undefined {
  return Object.hasOwn(PLUGINS, name) ? PLUGINS[name] : undefined;
}

export const CONNECTION_REFUSED = 'tsplay connects with ssh or local only (docs/playbooks.md)';

const METHODS: Record<string, 'sudo' | 'su'> = {
  sudo: 'sudo', su: 'su', 'ansible.builtin.sudo': 'sudo', 'ansible.builtin.su': 'su',
};

/** The become method tsplay runs for an Ansible become plugin name; undefined when it has none. */
export function becomeMethodOf(name: string): 'sudo' | 'su' | undefined {
  return Object.hasOwn(METHODS, name) ? METHODS[name] : undefined;
}

export const BECOME_METHOD_REFUSED = 'tsplay becomes with sudo or su only (docs/playbooks.md)';

/** One flag word: letters, digits and the punctuation options use; no quotes, spaces or shell syntax. */
const FLAG_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * become_flags as words. Ansible pastes the string into the shell command; tsplay
 * quotes every word it sends (DESIGN.md §6), so a flag string that only means
 * the same with shell parsing (quotes, $, ;, ...) is refused: undefined.
 */
export function becomeFlagWords(flags: string): string[] | undefined {
  const words = flags.split(/\s+/).filter(Boolean);
  return words.every((w) => FLAG_WORD.test(w)) ? words : undefined;
}

export const BECOME_FLAGS_REFUSED = 'become_flags must be option words separated by spaces (letters, digits, - = , . / : @ %); tsplay quotes each word and runs no shell syntax in them (docs/playbooks.md)';

/** The port keyword's number, or undefined when it is not one from 1 to 65535. */
export function portOf(v: number | string): number | undefined {
  const n = typeof v === 'number' ? v : /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined;
}

/**
 * The connection keywords of one play, block or task, checked; undefined when
 * none is set. Throws ConnectionKeywordError for a value tsplay cannot honour.
 */
export function connectionKeywordsOf(kw: RawConnectionKeywords): ConnectionKeywords | undefined {
  const out: ConnectionKeywords = {};
  const literal = (v: unknown): v is string => typeof v === 'string' && !isTemplated(v);
  if (kw.remote_user !== undefined) {
    if (String(kw.remote_user) === '') throw new ConnectionKeywordError('remote_user', 'remote_user: empty user name');
    out.remoteUser = String(kw.remote_user);
  }
  if (kw.port !== undefined) {
    if (!(typeof kw.port === 'string' && isTemplated(kw.port)) && portOf(kw.port) === undefined) {
      throw new ConnectionKeywordError('port', `port: ${JSON.stringify(kw.port)} is not a port number (1 to 65535)`);
    }
    out.port = kw.port;
  }
  if (kw.connection !== undefined) {
    if (literal(kw.connection) && connectionPluginOf(kw.connection) === undefined) {
      throw new ConnectionKeywordError('connection', `connection "${kw.connection}" is not supported: ${CONNECTION_REFUSED}`);
    }
    out.connection = kw.connection;
  }
  if (kw.become_method !== undefined) {
    if (literal(kw.become_method) && becomeMethodOf(kw.become_method) === undefined) {
      throw new ConnectionKeywordError('become_method', `become_method "${kw.become_method}" is not supported by tsplay: ${BECOME_METHOD_REFUSED}`);
    }
    out.becomeMethod = kw.become_method;
  }
  if (kw.become_flags !== undefined) {
    if (literal(kw.become_flags) && becomeFlagWords(kw.become_flags) === undefined) {
      throw new ConnectionKeywordError('become_flags', `become_flags "${kw.become_flags}": ${BECOME_FLAGS_REFUSED}`);
    }
    out.becomeFlags = kw.become_flags;
  }
  if (kw.become_exe !== undefined) {
    if (kw.become_exe === '') throw new ConnectionKeywordError('become_exe', 'become_exe: empty path');
    out.becomeExe = kw.become_exe;
  }
  return Object.keys(out).length ? out : undefined;
}

/** An inner scope's keywords over its parent's: each keyword set inside wins. */
export function mergeConnectionKeywords(outer: ConnectionKeywords | undefined, inner: ConnectionKeywords | undefined): ConnectionKeywords | undefined {
  if (!inner) return outer;
  if (!outer) return inner;
  const out: ConnectionKeywords = { ...outer };
  for (const [k, v] of Object.entries(inner) as Array<[keyof ConnectionKeywords, string | number | undefined]>) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}
