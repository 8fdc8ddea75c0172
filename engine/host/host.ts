// The host layer: typed, read-mostly queries and atomic writes over one
// Connection (DESIGN.md §5, §7). Every command text is built here from argv
// through engine/host/shell.ts; become (sudo) is applied here, once, around it.
//
// Each typed query costs one round trip: several commands are joined into one
// script whose sections are delimited by per-call random markers (runSections).

import { randomBytes } from 'node:crypto';
import type { Connection, ExecResult } from '../connection/connection.js';
import {
  ModuleError,
  type Facts,
  type FileState,
  type GroupState,
  type HostWriter,
  type InitSystem,
  type MountEntry,
  type PackageState,
  type RunOptions,
  type RunResult,
  type ServiceState,
  type UserState,
  type WriteFileOptions,
  type WriteFileResult,
  StaleTargetError,
} from '../module-api.js';
import { contentBytes, sha256Hex } from './content-hash.js';
import { envPrefix, quote, quoteArgv, stdinScript } from './shell.js';
import { NO_LOCK_LINE, WRITE_ERRORS, WRITE_EXIT, writeFileScript } from './write-script.js';

/** Facts before gathering: nothing known. */
export function unknownFacts(name: string): Facts {
  return { hostname: name, os_id: 'unknown', os_version: '', architecture: '', service_mgr: 'unknown', kvm: false, virtualization_hints: [] };
}

// ---------------------------------------------------------------------------
// Sections: several shell snippets, one round trip, exact per-snippet output.

export interface SectionScript {
  script: string;
  nonce: string;
  count: number;
}

function startMarker(nonce: string, i: number): string {
  return `@@tsplay:${nonce}:begin:${i}@@`;
}
function endMarker(nonce: string, i: number): string {
  return `@@tsplay:${nonce}:end:${i}@@`;
}

/** Builtins that change the running shell: a command starting with one runs in a subshell. */
const SHELL_STATE_BUILTINS = new Set(['exit', 'exec', 'cd', 'set', 'shift', 'trap', 'ulimit', 'umask', 'export', 'unset', 'readonly', 'read', 'eval', 'source', '.', 'return', 'break', 'continue', 'alias', 'unalias', 'wait', 'times', 'hash', 'getopts', 'command', 'builtin', 'local']);

/** Shell text for one argv in a section script: a subshell only where the command could change the script's own shell. */
export function sectionCommand(argv: readonly string[]): string {
  const text = quoteArgv(argv);
  return SHELL_STATE_BUILTINS.has(argv[0]) ? `( ${text} )` : text;
}

/**
 * Build one script that runs each snippet in a brace group (stdin /dev/null;
 * no subshell: a process per section costs milliseconds on every round trip)
 * and frames its stdout and stderr with start/end markers carrying the exit
 * code. Snippets must already be safe shell text (built with quote/quoteArgv),
 * must not `exit`, and set their status with `__tsplay_st N` where needed.
 */
export function buildSectionScript(snippets: readonly string[], nonce = randomBytes(9).toString('hex')): SectionScript {
  const lines: string[] = ['__tsplay_st() { return "$1"; }'];
  snippets.forEach((snippet, i) => {
    const s = quote(startMarker(nonce, i));
    const e = quote(endMarker(nonce, i));
    lines.push(`printf '%s\\n' ${s}; printf '%s\\n' ${s} >&2`);
    lines.push(`{ ${snippet}\n} </dev/null`);
    lines.push(`__tsplay_rc=$?`);
    lines.push(`printf '\\n%s %s\\n' ${e} "$__tsplay_rc"; printf '\\n%s %s\\n' ${e} "$__tsplay_rc" >&2`);
  });
  return { script: lines.join('\n') + '\n', nonce, count: snippets.length };
}

function parseStream(text: string, nonce: string, count: number, stream: string): { out: string[]; rc: number[] } {
  const out: string[] = [];
  const rc: number[] = [];
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const s = startMarker(nonce, i) + '\n';
    const start = text.indexOf(s, pos);
    if (start < 0) throw new Error(`section ${i} missing from ${stream} (script ended early)`);
    const contentStart = start + s.length;
    const e = '\n' + endMarker(nonce, i) + ' ';
    const end = text.indexOf(e, contentStart);
    if (end < 0) throw new Error(`section ${i} unterminated in ${stream} (script ended early)`);
    const rcStart = end + e.length;
    const nl = text.indexOf('\n', rcStart);
    const rcText = text.slice(rcStart, nl < 0 ? undefined : nl);
    if (!/^\d+$/.test(rcText)) throw new Error(`section ${i}: bad exit status ${JSON.stringify(rcText)} in ${stream}`);
    out.push(text.slice(contentStart, end));
    rc.push(Number(rcText));
    pos = nl < 0 ? text.length : nl + 1;
  }
  return { out, rc };
}

/** One section's result with the exact bytes it wrote to stdout. */
export interface SectionResult extends RunResult {
  stdoutBytes: Buffer;
}

/**
 * Split a section script's output back into one result per snippet, keeping
 * each section's stdout bytes exact: the markers are ASCII, so they are found
 * in a one-char-per-byte (latin1) view of the bytes, and each section is then
 * decoded on its own (stdout as UTF-8 for text use). Pure.
 */
export function parseSectionBytes(stdout: Buffer, stderr: string, nonce: string, count: number): SectionResult[] {
  return parseSections(stdout.toString('latin1'), stderr, nonce, count).map((r) => {
    const stdoutBytes = Buffer.from(r.stdout, 'latin1');
    return { ...r, stdout: stdoutBytes.toString('utf8'), stdoutBytes };
  });
}

/** Split a section script's output back into one RunResult per snippet. Pure. */
export function parseSections(stdout: string, stderr: string, nonce: string, count: number): RunResult[] {
  const o = parseStream(stdout, nonce, count, 'stdout');
  const e = parseStream(stderr, nonce, count, 'stderr');
  return o.out.map((text, i) => ({ rc: o.rc[i], stdout: text, stderr: e.out[i] }));
}

/**
 * A command's result as modules see it: text only. The raw bytes stay inside the
 * host layer (readFile), so they never reach registered results or JSON output.
 */
function textResult(r: RunResult): RunResult {
  return { rc: r.rc, stdout: r.stdout, stderr: r.stderr };
}

// ---------------------------------------------------------------------------
// Pure parsers for the typed queries (exported for unit tests).

const STAT_FORMAT = '%f\t%a\t%u\t%g\t%U\t%G\t%s\n';
const STAT_ABSENT_RC = 3;

function statSnippet(path: string): string {
  const q = quote(path);
  return (
    `if [ -e ${q} ] || [ -L ${q} ]; then ` +
    `if stat --printf=${quote(STAT_FORMAT)} -- ${q}; then if [ -L ${q} ]; then readlink -- ${q}; fi; else __tsplay_st 2; fi; ` +
    `else __tsplay_st ${STAT_ABSENT_RC}; fi`
  );
}

/** Parse one statSnippet section. */
export function parseStat(path: string, r: RunResult): FileState {
  if (r.rc === STAT_ABSENT_RC && r.stdout === '') return { path, exists: false };
  if (r.rc !== 0) throw new ModuleError(`stat ${path} failed (rc ${r.rc}): ${r.stderr.trim()}`, { path, rc: r.rc, stderr: r.stderr });
  const nl = r.stdout.indexOf('\n');
  const head = nl < 0 ? r.stdout : r.stdout.slice(0, nl);
  const f = head.split('\t');
  if (f.length !== 7) throw new ModuleError(`stat ${path}: unexpected output ${JSON.stringify(head)}`, { path });
  const raw = parseInt(f[0], 16);
  const fmt = raw & 0o170000;
  const type: FileState['type'] = fmt === 0o100000 ? 'file' : fmt === 0o040000 ? 'directory' : fmt === 0o120000 ? 'link' : 'other';
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  const st: FileState = {
    path,
    exists: true,
    type,
    mode: f[1].padStart(4, '0'),
    uid,
    gid,
    owner: f[4] === 'UNKNOWN' ? String(uid) : f[4],
    group: f[5] === 'UNKNOWN' ? String(gid) : f[5],
    size: Number(f[6]),
  };
  if (type === 'link') {
    let target = nl < 0 ? '' : r.stdout.slice(nl + 1);
    if (target.endsWith('\n')) target = target.slice(0, -1);
    st.linkTarget = target;
  }
  return st;
}

/** Parse `dpkg-query -W -f='${Package}\t${binary:Package}\t${db:Status-Abbrev}\t${Version}\n'`. */
export function parseDpkgQuery(names: readonly string[], stdout: string): PackageState[] {
  const seen = new Map<string, { installed: boolean; version?: string }>();
  for (const line of stdout.split('\n')) {
    if (!line) continue;
    const [pkg, binPkg, abbrev = '', version = ''] = line.split('\t');
    // Second letter of the status abbreviation is the current state: i = installed
    // ("ii", "hi"); "rc" (config files only), "un" and half-states are not installed.
    const installed = abbrev.length >= 2 && abbrev[1] === 'i';
    for (const key of [pkg, binPkg]) {
      if (!key) continue;
      const prev = seen.get(key);
      if (!prev || (!prev.installed && installed)) seen.set(key, installed ? { installed, version } : { installed });
    }
  }
  return names.map((name) => {
    const s = seen.get(name);
    return s && s.installed ? { name, installed: true, version: s.version } : { name, installed: false };
  });
}

/** Parse `getent passwd` lines. */
export function parsePasswd(names: readonly string[], stdout: string): UserState[] {
  const byName = new Map<string, UserState>();
  for (const line of stdout.split('\n')) {
    const f = line.split(':');
    if (f.length < 7) continue;
    byName.set(f[0], { name: f[0], exists: true, uid: Number(f[2]), gid: Number(f[3]), home: f[5], shell: f.slice(6).join(':') });
  }
  return names.map((name) => byName.get(name) ?? { name, exists: false });
}

/** Parse `getent group` lines. */
export function parseGroup(names: readonly string[], stdout: string): GroupState[] {
  const byName = new Map<string, GroupState>();
  for (const line of stdout.split('\n')) {
    const f = line.split(':');
    if (f.length < 4) continue;
    byName.set(f[0], { name: f[0], exists: true, gid: Number(f[2]), members: f[3] ? f[3].split(',').filter(Boolean) : [] });
  }
  return names.map((name) => byName.get(name) ?? { name, exists: false });
}

const UNIT_SUFFIXES = ['.service', '.socket', '.timer', '.mount', '.target', '.path', '.automount', '.swap', '.slice', '.scope', '.device'];

/** `nfs-server` -> `nfs-server.service`; names with a unit suffix stay. */
export function systemdUnitName(name: string): string {
  return UNIT_SUFFIXES.some((s) => name.endsWith(s)) ? name : name + '.service';
}

/** Parse `systemctl show -p LoadState,ActiveState,SubState,UnitFileState`. */
export function parseSystemctlShow(name: string, r: RunResult): ServiceState {
  const props: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) props[line.slice(0, eq)] = line.slice(eq + 1);
  }
  if (r.rc !== 0 && props.LoadState === undefined) {
    throw new ModuleError(`systemctl show ${name} failed (rc ${r.rc}): ${r.stderr.trim()}`, { service: name, rc: r.rc, stderr: r.stderr });
  }
  if (props.LoadState === 'not-found' || props.LoadState === undefined) return { name, exists: false };
  const active = ['active', 'reloading', 'activating'].includes(props.ActiveState ?? '');
  const ufs = props.UnitFileState ?? '';
  let enabled: boolean | null;
  if (ufs === 'enabled' || ufs === 'enabled-runtime') enabled = true;
  else if (ufs === 'disabled' || ufs === 'masked' || ufs === 'masked-runtime' || props.LoadState === 'masked') enabled = false;
  else enabled = null; // static, indirect, generated, alias, transient, or unknown
  return { name, exists: true, active, enabled };
}

export function parseUpstart(name: string, r: RunResult): ServiceState {
  const lines = r.stdout.split('\n');
  if (!lines.includes('exists')) return { name, exists: false };
  const status = lines.find((l) => l.startsWith('status '))?.slice(7) ?? '';
  return { name, exists: true, active: /\bstart\//.test(status), enabled: !lines.includes('manual') };
}

export function parseSysv(name: string, r: RunResult): ServiceState {
  const lines = r.stdout.split('\n');
  if (!lines.includes('exists')) return { name, exists: false };
  const status = lines.find((l) => l.startsWith('status '));
  return { name, exists: true, active: status === 'status 0', enabled: lines.includes('enabled') };
}

/** Decode mountinfo's octal escapes (`\040` = space). */
export function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parse /proc/self/mountinfo. */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (dash < 0 || f.length < dash + 3) continue;
    const opts: string[] = [];
    for (const o of [...f[5].split(','), ...(f[dash + 3] ?? '').split(',')]) if (o && !opts.includes(o)) opts.push(o);
    out.push({ path: unescapeMountField(f[4]), src: unescapeMountField(f[dash + 2]), fstype: f[dash + 1], opts: opts.join(',') });
  }
  return out;
}

// ---------------------------------------------------------------------------

export class Host implements HostWriter {
  readonly name: string;
  facts: Facts;
  readonly conn: Connection;
  readonly become: boolean;
  readonly becomeUser: string;
  readonly loginUser?: string;
  private detectedServiceMgr?: InitSystem;

  constructor(conn: Connection, opts: { name: string; become?: boolean; becomeUser?: string; loginUser?: string; facts?: Facts }) {
    this.conn = conn;
    this.name = opts.name;
    this.become = opts.become ?? false;
    this.becomeUser = opts.becomeUser ?? 'root';
    this.loginUser = opts.loginUser;
    this.facts = opts.facts ?? unknownFacts(opts.name);
  }

  /** Shell text for one argv with cwd and env (without become). */
  commandText(argv: readonly string[], opts: Pick<RunOptions, 'cwd' | 'env'> = {}): string {
    const cmd = envPrefix(opts.env) + quoteArgv(argv);
    if (opts.cwd === undefined) return cmd;
    // `cd -P`, `cd -` are options/OLDPWD even after `--` in dash: a relative "-..." gets "./".
    const dir = opts.cwd.startsWith('-') ? `./${opts.cwd}` : opts.cwd;
    return `cd ${quote(dir)} && ${cmd}`;
  }

  /** The shell that runs a command as the become user, or undefined when become does not apply. */
  private becomeShell(): string | undefined {
    if (!this.become || (this.loginUser !== undefined && this.loginUser === this.becomeUser)) return undefined;
    // sudo -n never prompts, so a password requirement fails at once.
    return `sudo -n -H -u ${quote(this.becomeUser)} -- /bin/sh`;
  }

  /** Wrap shell text for become. */
  wrapBecome(text: string): string {
    const sh = this.becomeShell();
    return sh ? `${sh} -c ${quote(text)}` : text;
  }

  /**
   * Run shell text (already quoted) through become and the connection.
   * textOnStdin: the text may carry secrets (environment values), and every
   * user on the host can read a command line (`ps`): send it as the script of
   * /bin/sh on stdin instead. Only for a command that does not need stdin.
   */
  async shell(text: string, opts: { stdin?: string | Buffer; timeoutMs?: number; textOnStdin?: boolean } = {}): Promise<ExecResult> {
    const onStdin = opts.textOnStdin === true && opts.stdin === undefined;
    const sh = this.becomeShell();
    const command = onStdin ? sh ?? '/bin/sh' : this.wrapBecome(text);
    const r = await this.conn.exec(command, { stdin: onStdin ? stdinScript(text) : opts.stdin, timeoutMs: opts.timeoutMs });
    if (sh && r.rc !== 0) {
      if (/^sudo: (a password is required|a terminal is required|\d+ incorrect password)/m.test(r.stderr)) {
        throw new ModuleError(
          `${this.name}: become failed: sudo needs a password to run as ${this.becomeUser} (tsplay runs sudo -n and never answers prompts; allow NOPASSWD for the login user)`,
          { host: this.name, rc: r.rc, stderr: r.stderr },
        );
      }
      if (r.rc === 127 && /sudo: (command )?not found/.test(r.stderr)) {
        throw new ModuleError(`${this.name}: become failed: sudo is not installed`, { host: this.name, rc: r.rc, stderr: r.stderr });
      }
    }
    return r;
  }

  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    // Environment values may be secrets: keep them off the host's command lines.
    const textOnStdin = opts.env !== undefined && Object.keys(opts.env).length > 0;
    return textResult(await this.shell(this.commandText(argv, opts), { ...opts, textOnStdin }));
  }

  exec(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    return this.run(argv, opts);
  }

  /** Several shell snippets in one round trip. */
  async runSections(snippets: readonly string[], opts: { timeoutMs?: number } = {}): Promise<SectionResult[]> {
    if (snippets.length === 0) return [];
    const { script, nonce, count } = buildSectionScript(snippets);
    const r = await this.shell(script, opts);
    try {
      return parseSectionBytes(r.stdoutBytes, r.stderr, nonce, count);
    } catch (e) {
      throw new ModuleError(`${this.name}: ${(e as Error).message} (rc ${r.rc}): ${r.stderr.slice(-500).trim()}`, { host: this.name, rc: r.rc, stderr: r.stderr });
    }
  }

  async runAll(commands: string[][]): Promise<RunResult[]> {
    return (await this.runSections(commands.map(sectionCommand))).map(textResult);
  }

  async stat(paths: string[]): Promise<FileState[]> {
    const rs = await this.runSections(paths.map(statSnippet));
    return rs.map((r, i) => parseStat(paths[i], r));
  }

  async readFile(path: string): Promise<FileState> {
    const q = quote(path);
    const [s, c] = await this.runSections([statSnippet(path), `if [ -f ${q} ] && [ ! -L ${q} ]; then cat -- ${q}; fi`]);
    const st = parseStat(path, s);
    if (st.exists && st.type === 'file') {
      if (c.rc !== 0) throw new ModuleError(`cannot read ${path} (rc ${c.rc}): ${c.stderr.trim()}`, { path, rc: c.rc, stderr: c.stderr });
      // The exact bytes: a file is never decoded here (text modules decide what they can edit).
      st.content = c.stdoutBytes;
    }
    return st;
  }

  async packages(names: string[]): Promise<PackageState[]> {
    if (names.length === 0) return [];
    const r = await this.run(['dpkg-query', '-W', '-f=${Package}\t${binary:Package}\t${db:Status-Abbrev}\t${Version}\n', '--', ...names]);
    if (r.rc !== 0 && r.rc !== 1) throw new ModuleError(`${this.name}: dpkg-query failed (rc ${r.rc}): ${r.stderr.trim()}`, { rc: r.rc, stderr: r.stderr });
    return parseDpkgQuery(names, r.stdout);
  }

  async users(names: string[]): Promise<UserState[]> {
    if (names.length === 0) return [];
    const r = await this.run(['getent', 'passwd', '--', ...names]);
    if (r.rc !== 0 && r.rc !== 2) throw new ModuleError(`${this.name}: getent passwd failed (rc ${r.rc}): ${r.stderr.trim()}`, { rc: r.rc, stderr: r.stderr });
    return parsePasswd(names, r.stdout);
  }

  async groups(names: string[]): Promise<GroupState[]> {
    if (names.length === 0) return [];
    const r = await this.run(['getent', 'group', '--', ...names]);
    if (r.rc !== 0 && r.rc !== 2) throw new ModuleError(`${this.name}: getent group failed (rc ${r.rc}): ${r.stderr.trim()}`, { rc: r.rc, stderr: r.stderr });
    return parseGroup(names, r.stdout);
  }

  private async serviceMgr(): Promise<InitSystem> {
    if (this.facts.service_mgr !== 'unknown') return this.facts.service_mgr;
    if (this.detectedServiceMgr) return this.detectedServiceMgr;
    const r = await this.shell(
      'if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] || [ -d /run/systemd/system ]; then echo systemd; ' +
        'elif command -v initctl >/dev/null 2>&1 && [ -d /etc/init ]; then echo upstart; ' +
        'elif [ -d /etc/init.d ]; then echo sysvinit; else echo unknown; fi',
    );
    this.detectedServiceMgr = (r.stdout.trim() || 'unknown') as InitSystem;
    return this.detectedServiceMgr;
  }

  async services(names: string[]): Promise<ServiceState[]> {
    if (names.length === 0) return [];
    // initctl and service take the name where they also read options (and have no "--").
    const bad = names.find((n) => n.startsWith('-'));
    if (bad !== undefined) throw new ModuleError(`${this.name}: ${JSON.stringify(bad)} is not a service name (it starts with "-")`);
    const mgr = await this.serviceMgr();
    if (mgr === 'systemd') {
      const rs = await this.runSections(
        names.map((n) => quoteArgv(['systemctl', 'show', '-p', 'LoadState,ActiveState,SubState,UnitFileState', '--', systemdUnitName(n)])),
      );
      return rs.map((r, i) => parseSystemctlShow(names[i], r));
    }
    if (mgr === 'upstart') {
      const rs = await this.runSections(
        names.map((n) => {
          const conf = quote(`/etc/init/${n}.conf`);
          const override = quote(`/etc/init/${n}.override`);
          return (
            `if [ -f ${conf} ]; then echo exists; fi; ` +
            `if grep -qs '^[[:space:]]*manual' ${override} ${conf}; then echo manual; fi; ` +
            `printf 'status %s\\n' "$(initctl status ${quote(n)} 2>/dev/null)"`
          );
        }),
      );
      return rs.map((r, i) => parseUpstart(names[i], r));
    }
    if (mgr === 'sysvinit') {
      const rs = await this.runSections(
        names.map((n) => {
          const q = quote(n);
          return (
            `if [ -f /etc/init.d/${q} ]; then echo exists; ` +
            `for f in /etc/rc[2-5].d/S??${q}; do if [ -e "$f" ]; then echo enabled; break; fi; done; ` +
            `service ${q} status >/dev/null 2>&1; echo "status $?"; fi`
          );
        }),
      );
      return rs.map((r, i) => parseSysv(names[i], r));
    }
    throw new ModuleError(`${this.name}: cannot query services: unknown service manager (no systemd, upstart or /etc/init.d)`);
  }

  async mounts(): Promise<MountEntry[]> {
    const r = await this.run(['cat', '/proc/self/mountinfo']);
    if (r.rc !== 0) throw new ModuleError(`${this.name}: cannot read /proc/self/mountinfo (rc ${r.rc}): ${r.stderr.trim()}`);
    return parseMountinfo(r.stdout);
  }

  /**
   * All-or-nothing write (engine/host/write-script.ts): the bytes go on stdin, their
   * size and SHA-256 in the script, which refuses a temp file that differs. A
   * target that no longer holds opts.expect: StaleTargetError, nothing written.
   */
  async writeFile(path: string, content: string | Buffer, opts: WriteFileOptions = {}): Promise<WriteFileResult> {
    const bytes = contentBytes(content);
    const script = writeFileScript(path, { size: bytes.length, sha256: sha256Hex(bytes) }, opts);
    const r = await this.shell(script, { stdin: bytes });
    if (r.rc === WRITE_EXIT.stale) throw new StaleTargetError(this.name, path, r.stderr.trim() || 'changed');
    if (r.rc !== 0) {
      // the validate command's own exit status (the script itself exits 94)
      const vrc = r.rc === WRITE_EXIT.validate ? /^VALIDATE_RC (\d+)$/m.exec(r.stdout)?.[1] : undefined;
      const what = vrc !== undefined ? `validation failed (validate exited with rc ${vrc})` : WRITE_ERRORS[r.rc] ?? `failed (rc ${r.rc})`;
      const detail = r.stderr.trim();
      throw new ModuleError(`${this.name}: write ${path}: ${what}${detail ? ': ' + detail : ''}`, {
        host: this.name,
        path,
        rc: r.rc,
        stderr: r.stderr,
        ...(opts.validate ? { validate: opts.validate } : {}),
        ...(vrc !== undefined ? { validate_rc: Number(vrc) } : {}),
      });
    }
    const out: WriteFileResult = {};
    for (const line of r.stdout.split('\n')) {
      if (line.startsWith('BACKUP ')) out.backupPath = userPathForm(path, line.slice('BACKUP '.length));
      if (line === NO_LOCK_LINE) {
        out.warnings = [`${this.name}: flock is not installed: ${path} was checked for concurrent changes without a lock (install util-linux)`];
      }
    }
    return out;
  }
}

/** The script names a relative path ./PATH (never an option); give it back as the user wrote it. */
function userPathForm(path: string, scriptPath: string): string {
  return !path.startsWith('./') && !path.startsWith('/') && scriptPath.startsWith('./') ? scriptPath.slice(2) : scriptPath;
}
