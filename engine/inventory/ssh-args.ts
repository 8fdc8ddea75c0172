// ansible_ssh_common_args, ansible_ssh_extra_args, ansible_ssh_args: OpenSSH
// command-line options Ansible passes to `ssh`. tsplay does not run OpenSSH
// (it keeps one connection per host with its own client), so it reads them:
// the options it can honour change the connection settings (-J, ProxyJump and
// ProxyCommand "ssh -W %h:%p ..." name jump hosts: engine/inventory/jump-hosts.ts;
// -F names the OpenSSH configuration file read: engine/connection/ssh-config.ts),
// those that make no difference to it are accepted, and everything else is
// refused with the host's name, never ignored: a run that silently skipped an
// option could go to the wrong place or fail obscurely. Pure.

import { LoadError } from '../errors.js';
import type { ConnectionSettings } from '../connection/connection.js';
import { parseProxyCommand, parseProxyJump, type JumpSpec } from './jump-hosts.js';

export const SSH_ARGS_VARS = ['ansible_ssh_common_args', 'ansible_ssh_extra_args', 'ansible_ssh_args'] as const;

/** What the options set (each field only when an option set it). */
export type SshArgSettings = Partial<Pick<ConnectionSettings, 'hostKeyChecking' | 'knownHostsFile' | 'connectTimeoutMs'>> & {
  /** -F FILE: the OpenSSH client configuration to read instead of ~/.ssh/config (engine/connection/ssh-config.ts). */
  configFile?: string;
  /** -J, ProxyJump, ProxyCommand "ssh -W %h:%p ...": the hops, first first ([]: none, as ProxyJump=none). */
  jump?: JumpSpec[];
  /** ControlMaster: yes, auto, ask or autoask share connections; no does not (engine/connection/held-connection.ts). */
  controlMaster?: boolean;
  /** ControlPersist: how long a shared connection outlives its last run (0: not at all; Infinity: yes). */
  controlPersistMs?: number;
};

/** OpenSSH's time format (sshd_config(5) TIME FORMATS): 60, 60s, 10m, 1h30m; unit s, m, h, d or w. */
export function sshTimeMs(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  let total = 0;
  let rest = t;
  while (rest) {
    const m = /^(\d+)([smhdw])/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * unit[m[2]];
    rest = rest.slice(m[0].length);
  }
  return t ? total * 1000 : undefined;
}

/** Options that change nothing for tsplay's client: where the shared connection's socket is (its own), keepalives (its own), logging. */
const NO_EFFECT = new Set([
  'controlpath', 'serveraliveinterval', 'serveralivecountmax', 'loglevel', 'compression',
  'forwardagent', 'forwardx11', 'identitiesonly', 'preferredauthentications', 'passwordauthentication', 'kbdinteractiveauthentication',
  'gssapiauthentication', 'checkhostip', 'hashknownhosts', 'batchmode', 'tcpkeepalive',
]);

/** Shell-like words: spaces separate, single and double quotes group (as Ansible's shlex.split). */
export function shellWords(text: string, where: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let has = false;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) words.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
      has = true;
    }
  }
  if (quote) throw new LoadError(`${where}: unclosed quote`);
  if (has || cur) words.push(cur);
  return words;
}

/** Read one variable's options for a host; throws LoadError naming the option tsplay cannot honour. */
export function sshArgSettings(host: string, name: string, text: string): SshArgSettings {
  const where = `host "${host}": ${name}`;
  const out: SshArgSettings = {};
  const words = shellWords(text, where);
  const refuse = (opt: string, why = 'tsplay connects with its own SSH client and cannot honour it'): never => {
    throw new LoadError(`${where}: ${opt} is not supported (${why}; docs/inventory.md "SSH options")`);
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    let opt: string;
    if (w === '-o') opt = words[++i] ?? refuse('-o', 'it needs an option');
    else if (w.startsWith('-o')) opt = w.slice(2);
    else if (w === '-J' || w.startsWith('-J')) {
      // As OpenSSH: the first one given wins.
      const spec = w === '-J' ? words[++i] ?? refuse('-J', 'it needs a host') : w.slice(2);
      out.jump ??= parseProxyJump(spec, where);
      continue;
    }
    else if (w === '-F' || w.startsWith('-F')) {
      out.configFile = w === '-F' ? words[++i] ?? refuse('-F', 'it needs a file') : w.slice(2);
      continue;
    }
    else return refuse(JSON.stringify(w));
    const m = /^([A-Za-z]+)\s*(?:=\s*|\s+)(.*)$/.exec(opt);
    if (!m) return refuse(`-o ${JSON.stringify(opt)}`, 'expected Key=Value');
    const key = m[1].toLowerCase();
    const value = m[2].trim();
    if (key === 'stricthostkeychecking') {
      const v = value.toLowerCase();
      if (v === 'no' || v === 'off') out.hostKeyChecking = 'off';
      else if (v === 'accept-new') out.hostKeyChecking = 'accept-new';
      else if (v === 'yes' || v === 'ask') out.hostKeyChecking = 'strict';
      else refuse(`-o StrictHostKeyChecking=${value}`, 'expected yes, no, accept-new or ask');
    } else if (key === 'userknownhostsfile') {
      out.knownHostsFile = value.split(/\s+/)[0];
    } else if (key === 'connecttimeout') {
      if (!/^\d+$/.test(value) || Number(value) < 1) refuse(`-o ConnectTimeout=${value}`, 'expected whole seconds');
      out.connectTimeoutMs = Number(value) * 1000;
    } else if (key === 'controlmaster') {
      // As OpenSSH: the first value given wins.
      const v = value.toLowerCase();
      if (!['yes', 'no', 'auto', 'ask', 'autoask'].includes(v)) refuse(`-o ControlMaster=${value}`, 'expected yes, no, auto, ask or autoask');
      out.controlMaster ??= v !== 'no';
    } else if (key === 'controlpersist') {
      const v = value.toLowerCase();
      const ms = v === 'yes' || v === '0' ? Infinity : v === 'no' ? 0 : sshTimeMs(v);
      if (ms === undefined) refuse(`-o ControlPersist=${value}`, 'expected yes, no or a time such as 60s or 10m');
      out.controlPersistMs ??= ms;
    } else if (key === 'proxyjump') {
      out.jump ??= parseProxyJump(value, where);
    } else if (key === 'proxycommand') {
      out.jump ??= parseProxyCommand(value, where, (t) => shellWords(t, where));
    } else if (!NO_EFFECT.has(key)) {
      refuse(`-o ${m[1]}=${value}`);
    }
  }
  return out;
}
