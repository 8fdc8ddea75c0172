// OpenSSH client configuration (~/.ssh/config, /etc/ssh/ssh_config, or the
// file `-F` names in ansible_ssh_common_args): Ansible runs `ssh`, which reads
// it, so a site's `Host` blocks (HostName, User, Port, IdentityFile, ...) apply
// to its playbooks. tsplay connects with its own client, so it reads the file
// itself (docs/inventory.md "OpenSSH client configuration"):
//
// - Blocks are matched as ssh(1) matches them, against the address Ansible
//   gives ssh (ansible_host, else the inventory name): `Host` patterns with
//   `*`, `?` and `!`, and `Match` with all, host, originalhost, user,
//   localuser, final (canonical never matches: tsplay does not canonicalize).
//   `Match exec` and the other criteria cannot be evaluated here: a block using
//   them that is reached for a host is an error naming the file and line.
// - The first value of a keyword wins; IdentityFile accumulates. `Include`
//   reads files (globs, relative to ~/.ssh or /etc/ssh) in place.
// - Honoured: HostName (%h, %%), User, Port, IdentityFile (the first that
//   exists; ~, %d, %u, %r, %h), StrictHostKeyChecking, UserKnownHostsFile.
//   Each only where Ansible would not pass its own option on the ssh command
//   line (it passes ConnectTimeout always, so ConnectTimeout here never counts).
// - ProxyJump and ProxyCommand "ssh -W %h:%p ..." name jump hosts
//   (engine/inventory/jump-hosts.ts); another ProxyCommand is refused.
// - Refused, naming host, file and line: keywords that change where or as
//   whom tsplay would connect in a way it cannot follow (RemoteCommand,
//   CanonicalizeHostname, HostKeyAlias, IdentityAgent, CertificateFile,
//   PKCS11Provider, SecurityKeyProvider).
// - Everything else makes no difference to tsplay's client and is passed over.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { LoadError } from '../errors.js';
import { parseProxyCommand, parseProxyJump, type JumpSpec } from '../inventory/jump-hosts.js';

export interface SshConfigLine {
  /** Lower case. */
  key: string;
  args: string[];
  file: string;
  line: number;
}

export interface SshConfigBlock {
  /** `Host` patterns, or `Match` criteria words; the lines before any Host/Match are a block that always applies. */
  kind: 'host' | 'match' | 'global';
  words: string[];
  file: string;
  line: number;
  lines: SshConfigLine[];
  /** The Host or Match block an Include sat in: this block applies only where that one does too. */
  within?: SshConfigBlock;
}

/** One line's words: spaces separate, double quotes group; `Key=value` as `Key value`. */
export function configWords(text: string): string[] {
  const words: string[] = [];
  const m = /^\s*([A-Za-z0-9]+)\s*(?:=\s*|\s+|$)(.*)$/.exec(text);
  if (!m) return [];
  words.push(m[1]);
  let cur = '';
  let quoted = false;
  let has = false;
  for (const ch of m[2]) {
    if (ch === '"') {
      quoted = !quoted;
      has = true;
    } else if (!quoted && /\s/.test(ch)) {
      if (has) words.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
      has = true;
    }
  }
  if (has) words.push(cur);
  return words;
}

/** Read a configuration file into blocks; Include pulls other files in at its place. Missing file: no blocks. */
export function readSshConfig(file: string, opts: { system?: boolean; depth?: number } = {}): SshConfigBlock[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return parseSshConfig(text, file, opts);
}

export function parseSshConfig(text: string, file: string, opts: { system?: boolean; depth?: number } = {}): SshConfigBlock[] {
  const blocks: SshConfigBlock[] = [{ kind: 'global', words: [], file, line: 0, lines: [] }];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) return;
    const words = configWords(t);
    if (!words.length) throw new LoadError(`not an OpenSSH configuration line`, { file, line, col: 1 });
    const key = words[0].toLowerCase();
    const args = words.slice(1);
    if (key === 'host' || key === 'match') {
      blocks.push({ kind: key, words: args, file, line, lines: [] });
    } else if (key === 'include') {
      if ((opts.depth ?? 0) >= 16) throw new LoadError('Include nested too deeply', { file, line, col: 1 });
      const into = blocks[blocks.length - 1];
      for (const f of args.flatMap((a) => includedFiles(a, opts.system ?? false))) {
        const inner = readSshConfig(f, { system: opts.system, depth: (opts.depth ?? 0) + 1 });
        // lines before the included file's first Host/Match belong to the block the Include is in
        into.lines.push(...inner[0].lines);
        blocks.push(...inner.slice(1).map((b) => (into.kind === 'global' ? b : { ...b, within: into })));
      }
    } else {
      blocks[blocks.length - 1].lines.push({ key, args, file, line });
    }
  });
  return blocks;
}

/** An Include argument's files: ~ expanded, relative to ~/.ssh (or /etc/ssh), `*` and `?` in the last part. */
function includedFiles(arg: string, system: boolean): string[] {
  let p = arg.replace(/^~(?=\/|$)/, homedir());
  if (!isAbsolute(p)) p = join(system ? '/etc/ssh' : join(homedir(), '.ssh'), p);
  const base = basename(p);
  if (!/[*?[]/.test(base)) return [p];
  let names: string[];
  try {
    names = readdirSync(dirname(p));
  } catch {
    return [];
  }
  const re = globRegExp(base);
  return names.filter((n) => re.test(n)).sort().map((n) => join(dirname(p), n)).filter((f) => statSync(f).isFile());
}

function globRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`);
}

/**
 * ssh(1)'s pattern lists: comma-separated, `!` negates; matched when a positive matches and no
 * negative does. As OpenSSH: `Host` and `Match user` compare case and all, `Match host` does not.
 */
export function matchPatternList(name: string, list: string, caseless = false): boolean {
  let hit = false;
  const fold = (s: string) => (caseless ? s.toLowerCase() : s);
  for (const raw of list.split(',')) {
    const neg = raw.startsWith('!');
    const pat = neg ? raw.slice(1) : raw;
    if (globRegExp(fold(pat)).test(fold(name))) {
      if (neg) return false;
      hit = true;
    }
  }
  return hit;
}

export interface SshConfigValue {
  args: string[];
  file: string;
  line: number;
}

/** What the blocks give for one destination: first value per keyword (IdentityFile: all, in order). */
export function resolveSshConfig(blocks: readonly SshConfigBlock[], dest: { host: string; user?: string }): Map<string, SshConfigValue[]> {
  const out = new Map<string, SshConfigValue[]>();
  const first = (k: string) => out.get(k)?.[0];
  const localUser = userInfo().username;
  const applied = new Map<SshConfigBlock, boolean>();
  const applies = (b: SshConfigBlock): boolean => {
    let r = applied.get(b);
    if (r !== undefined) return r;
    if (b.within && !applies(b.within)) r = false;
    else if (b.kind === 'global') r = true;
    else if (b.kind === 'host') r = b.words.some((w) => !w.startsWith('!') && matchPatternList(dest.host, w)) && !b.words.some((w) => w.startsWith('!') && matchPatternList(dest.host, w.slice(1)));
    else {
      const current = { host: first('hostname')?.args[0]?.replace(/%h/g, dest.host) ?? dest.host, user: dest.user ?? first('user')?.args[0] ?? localUser };
      r = matchCriteria(b, dest.host, current.host, current.user, localUser);
    }
    applied.set(b, r);
    return r;
  };
  for (const b of blocks) {
    if (!applies(b)) continue;
    for (const l of b.lines) {
      const v = { args: l.args, file: l.file, line: l.line };
      if (l.key === 'identityfile') out.set(l.key, [...(out.get(l.key) ?? []), v]);
      else if (!out.has(l.key)) out.set(l.key, [v]);
    }
  }
  return out;
}

function matchCriteria(b: SshConfigBlock, original: string, host: string, user: string, localUser: string): boolean {
  const w = b.words;
  for (let i = 0; i < w.length; i++) {
    const neg = w[i].startsWith('!');
    const name = (neg ? w[i].slice(1) : w[i]).toLowerCase();
    let r: boolean;
    if (name === 'all') r = true;
    else if (name === 'final') r = true;
    else if (name === 'canonical') r = false;
    else if (['host', 'originalhost', 'user', 'localuser'].includes(name)) {
      const arg = w[++i];
      if (arg === undefined) throw new LoadError(`Match ${name} needs an argument`, { file: b.file, line: b.line, col: 1 });
      const subject = name === 'host' ? host : name === 'originalhost' ? original : name === 'user' ? user : localUser;
      r = matchPatternList(subject, arg, name === 'host' || name === 'originalhost');
    } else {
      throw new LoadError(`Match ${name} cannot be evaluated by tsplay (it connects with its own SSH client; docs/inventory.md "OpenSSH client configuration")`, { file: b.file, line: b.line, col: 1 });
    }
    if (neg ? r : !r) return false;
  }
  return true;
}

/** Keywords that change where or as whom the connection goes in a way tsplay cannot follow. */
const REFUSED = new Set(['remotecommand', 'canonicalizehostname', 'hostkeyalias', 'identityagent', 'certificatefile', 'pkcs11provider', 'securitykeyprovider']);

/** What the configuration sets for a destination, where Ansible's own ssh options would not override it. */
export interface SshConfigSettings {
  address?: string;
  user?: string;
  port?: number;
  privateKeyFile?: string;
  hostKeyChecking?: 'strict' | 'accept-new' | 'off';
  knownHostsFile?: string;
  /** ProxyJump / ProxyCommand: the hops ([]: none). */
  jump?: JumpSpec[];
}

/** Apply the blocks for one host; throws LoadError naming host, file and line for what tsplay cannot follow. */
export function sshConfigSettings(inventoryHost: string, blocks: readonly SshConfigBlock[], dest: { host: string; user?: string }): SshConfigSettings {
  const cfg = resolveSshConfig(blocks, dest);
  const where = (v: SshConfigValue) => `host "${inventoryHost}": ${v.file}:${v.line}`;
  for (const k of REFUSED) {
    const v = cfg.get(k)?.[0];
    if (!v) continue;
    const val = v.args.join(' ');
    if ((k === 'remotecommand' || k === 'identityagent') && val.toLowerCase() === 'none') continue;
    if (k === 'canonicalizehostname' && val.toLowerCase() === 'no') continue;
    throw new LoadError(`${where(v)}: ${k} ${val} is not supported (tsplay connects with its own SSH client and cannot honour it; docs/inventory.md "OpenSSH client configuration")`);
  }
  const out: SshConfigSettings = {};
  // ProxyJump or ProxyCommand, whichever comes first, as ssh takes it.
  const pj = cfg.get('proxyjump')?.[0];
  const pc = cfg.get('proxycommand')?.[0];
  const firstProxy = pj && pc ? (pj.file === pc.file ? (pj.line < pc.line ? pj : pc) : pj) : pj ?? pc;
  if (firstProxy) {
    out.jump = firstProxy === pj ? parseProxyJump(pj.args.join(' '), where(pj)) : parseProxyCommand(pc!.args.join(' '), where(pc!), (t) => t.split(/\s+/).filter(Boolean));
  }
  const user = cfg.get('user')?.[0]?.args[0];
  const remoteUser = dest.user ?? user ?? userInfo().username;
  const expand = (s: string) => s
    .replace(/^~(?=\/|$)/, homedir())
    .replace(/%(.)/g, (m, c: string) => (c === '%' ? '%' : c === 'h' ? dest.host : c === 'd' ? homedir() : c === 'u' ? userInfo().username : c === 'r' ? remoteUser : m));
  const hostName = cfg.get('hostname')?.[0];
  // ssh connects to the name lower-cased when no HostName gives another
  out.address = dest.host.toLowerCase();
  if (hostName) out.address = hostName.args[0].replace(/%(.)/g, (m, c: string) => (c === '%' ? '%' : c === 'h' ? dest.host : m));
  if (user !== undefined) out.user = user;
  const port = cfg.get('port')?.[0];
  if (port) {
    const n = Number(port.args[0]);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new LoadError(`${where(port)}: Port ${port.args[0]} is not a port number`);
    out.port = n;
  }
  const key = (cfg.get('identityfile') ?? []).map((v) => expand(v.args[0] ?? '')).find((f) => f !== '' && existsSync(f));
  if (key) out.privateKeyFile = key;
  const shkc = cfg.get('stricthostkeychecking')?.[0];
  if (shkc) {
    const v = shkc.args[0]?.toLowerCase();
    if (v === 'no' || v === 'off') out.hostKeyChecking = 'off';
    else if (v === 'accept-new') out.hostKeyChecking = 'accept-new';
    else if (v === 'yes' || v === 'ask') out.hostKeyChecking = 'strict';
    else throw new LoadError(`${where(shkc)}: StrictHostKeyChecking ${shkc.args[0]}: expected yes, no, accept-new or ask`);
  }
  const ukh = cfg.get('userknownhostsfile')?.[0];
  if (ukh && ukh.args[0] && ukh.args[0].toLowerCase() !== 'none') out.knownHostsFile = expand(ukh.args[0]);
  return out;
}

/** The files ssh reads without -F: the user's, then the system's. */
export function defaultSshConfig(): SshConfigBlock[] {
  return [...readSshConfig(join(homedir(), '.ssh', 'config')), ...readSshConfig('/etc/ssh/ssh_config', { system: true })];
}

/** A reader for a run: each file read once. `-F FILE` (ssh's rule): that file alone, which must exist. */
export function sshConfigReader(): (file?: string) => readonly SshConfigBlock[] {
  const cache = new Map<string, SshConfigBlock[]>();
  return (file) => {
    const key = file ?? '';
    let blocks = cache.get(key);
    if (!blocks) {
      if (file === undefined) blocks = defaultSshConfig();
      else {
        const path = file.replace(/^~(?=\/|$)/, homedir());
        if (!existsSync(path)) throw new LoadError(`-F ${file}: no such OpenSSH configuration file`);
        blocks = readSshConfig(path);
      }
      cache.set(key, blocks);
    }
    return blocks;
  };
}
