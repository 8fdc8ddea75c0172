// The host layer: fact reads and atomic writes over one Connection
// (DESIGN.md §5, §7). Every command text is built here from argv through
// engine/host/shell.ts; become (sudo) is applied here, once, around it.
//
// Each fact read (getAll) costs one round trip: the fact's sections are joined
// into one script delimited by per-call random markers (runSections).

import { randomBytes } from 'node:crypto';
import type { Connection, ExecResult } from '../connection/connection.js';
import {
  ModuleError,
  type Facts,
  type HostWriter,
  type InitSystem,
  type RunOptions,
  type RunResult,
  type WriteFileOptions,
  type WriteFileResult,
  StaleTargetError,
} from '../module-api.js';
import { readFact, type Fact, type ReadContext, type SectionResult } from '../facts/fact.js';
import { initSystem, initSystemOf } from '../facts/init-system.js';
import { contentBytes, sha256Hex } from './content-hash.js';
import { envPrefix, quote, quoteArgv, stdinScript } from './shell.js';
import type { ReadAhead } from './read-ahead.js';
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

/**
 * Builtins that change the running shell: a command starting with one runs in a
 * subshell, never in a persistent shell's own process. POSIX sh's, then those of
 * bash (a /bin/sh on some systems) that can: `printf -v`, `declare`, `pushd`...
 */
const SHELL_STATE_BUILTINS = new Set([
  'exit', 'exec', 'cd', 'set', 'shift', 'trap', 'ulimit', 'umask', 'export', 'unset', 'readonly', 'read', 'eval', 'source', '.', 'return', 'break', 'continue', 'alias', 'unalias', 'wait', 'times', 'hash', 'getopts', 'command', 'builtin', 'local',
  'declare', 'typeset', 'let', 'shopt', 'enable', 'pushd', 'popd', 'dirs', 'mapfile', 'readarray', 'printf', 'disown', 'suspend', 'logout', 'history', 'bind', 'complete', 'compgen', 'compopt', 'caller', 'fc', 'bg', 'fg', 'jobs', 'coproc',
]);

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
export type { SectionResult };

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
 * host layer (the file_content fact), so they never reach registered results or JSON output.
 */
function textResult(r: RunResult): RunResult {
  return { rc: r.rc, stdout: r.stdout, stderr: r.stderr };
}

// ---------------------------------------------------------------------------

export class Host implements HostWriter {
  readonly name: string;
  facts: Facts;
  readonly conn: Connection;
  readonly become: boolean;
  readonly becomeUser: string;
  readonly loginUser?: string;
  /** sudo (default) or su; flags replace the method's defaults; exe replaces its name (Ansible's become_flags, become_exe). */
  readonly becomeMethod: 'sudo' | 'su';
  readonly becomeFlags?: readonly string[];
  readonly becomeExe?: string;
  /** The login user's sudo password (ansible_become_password, -K): sent on stdin, never on a command line. */
  private readonly becomePassword?: string;
  /** Where the init system detected without facts is kept (the run's HostRun: once per host, not per task). */
  private readonly initMemo: { detectedInit?: InitSystem };
  private readonly readAhead?: ReadAhead;

  constructor(conn: Connection, opts: {
    name: string; become?: boolean; becomeUser?: string; loginUser?: string; facts?: Facts;
    becomeMethod?: 'sudo' | 'su'; becomeFlags?: readonly string[]; becomeExe?: string; becomePassword?: string;
    initMemo?: { detectedInit?: InitSystem };
    /** Reads made ahead for a --check loop (engine/run/action.ts readLoopAhead): each answers one read, then is gone. */
    readAhead?: ReadAhead;
  }) {
    this.initMemo = opts.initMemo ?? {};
    this.readAhead = opts.readAhead;
    this.conn = conn;
    this.name = opts.name;
    this.become = opts.become ?? false;
    this.becomeUser = opts.becomeUser ?? 'root';
    this.loginUser = opts.loginUser;
    this.becomeMethod = opts.becomeMethod ?? 'sudo';
    this.becomeFlags = opts.becomeFlags;
    this.becomeExe = opts.becomeExe;
    if (opts.becomePassword !== undefined && opts.becomePassword !== '') this.becomePassword = opts.becomePassword;
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

  /** Whether become applies: asked for, and the login user is not already the become user. */
  private becomes(): boolean {
    return this.become && !(this.loginUser !== undefined && this.loginUser === this.becomeUser);
  }

  /** Whether a password goes to sudo: become applies by sudo, and one was given. */
  private sendsPassword(): boolean {
    return this.becomePassword !== undefined && this.becomes() && this.becomeMethod === 'sudo';
  }

  /**
   * Shell text that runs `inner` (shell text) as the become user, or undefined
   * when become does not apply. sudo: `sudo -n -H -u USER -- INNER` (-n never
   * prompts, so a password requirement fails at once); su, as Ansible's:
   * `su USER -c 'INNER'` (the become user's login shell runs it). become_flags
   * replace the method's default flags, become_exe its program, as in Ansible.
   *
   * With a become password (sudo only): the password is the first line of the
   * command's stdin. The login user's shell reads that one line (`read` takes a
   * pipe one byte at a time, so the rest stays for INNER), keeps it in an
   * exported variable, and sudo asks for the password, when it needs one, with
   * `-A`: its askpass program is `printenv` and its prompt the variable's name,
   * so the password comes back from the environment of the user's own
   * processes. It is never in an argument vector (`ps`), a file, or a stream
   * sudo could read more of: a wrong password is tried sudo's passwd_tries
   * times, all with the same answer, and INNER's stdin stays untouched. No
   * password needed (NOPASSWD, a cached ticket): sudo does not ask; the line
   * is read all the same. `-n` is dropped from the flags, as Ansible's sudo
   * plugin drops it when it has a password. sudo's env_reset (the default)
   * keeps the variable from INNER.
   */
  private becomeCommand(inner: string): string | undefined {
    if (!this.becomes()) return undefined;
    if (this.becomeMethod === 'su' && this.becomePassword !== undefined) {
      throw new ModuleError(
        `${this.name}: become_method su with a become password is not supported: su reads a password only from a terminal, and tsplay sends none ` +
          '(use become_method: sudo, or log in as the become user; docs/playbooks.md)',
        { host: this.name },
      );
    }
    const exe = quote(this.becomeExe ?? this.becomeMethod);
    if (this.becomeMethod === 'su') return [exe, ...(this.becomeFlags ?? []).map(quote), quote(this.becomeUser), '-c', quote(inner)].join(' ');
    if (!this.sendsPassword()) {
      const flags = (this.becomeFlags ?? ['-n', '-H']).map(quote);
      return [exe, ...flags, '-u', quote(this.becomeUser), '--', inner].join(' ');
    }
    const flags = withoutNonInteractive(this.becomeFlags ?? ['-H']).map(quote);
    const sudo = [exe, ...flags, '-A', '-p', BECOME_PASSWORD_ENV, '-u', quote(this.becomeUser), '--', inner].join(' ');
    return `IFS= read -r ${BECOME_PASSWORD_ENV} || exit 1; SUDO_ASKPASS=$(command -v printenv) || exit 127; export ${BECOME_PASSWORD_ENV} SUDO_ASKPASS; exec ${sudo}`;
  }

  /** Wrap shell text for become. */
  wrapBecome(text: string): string {
    return this.becomeCommand(`/bin/sh -c ${quote(text)}`) ?? text;
  }

  /**
   * Run shell text (already quoted) through become and the connection.
   * textOnStdin: the text may carry secrets (environment values), and every
   * user on the host can read a command line (`ps`): send it as the script of
   * /bin/sh on stdin instead. Only for a command that does not need stdin.
   */
  async shell(text: string, opts: { stdin?: string | Buffer; timeoutMs?: number; textOnStdin?: boolean; inPlace?: boolean } = {}): Promise<ExecResult> {
    const onStdin = opts.textOnStdin === true && opts.stdin === undefined;
    const command = onStdin ? this.becomeCommand('/bin/sh') ?? '/bin/sh' : this.wrapBecome(text);
    let stdin = onStdin ? stdinScript(text) : opts.stdin;
    const sendsPassword = this.sendsPassword();
    if (sendsPassword) {
      const known = WRONG_PASSWORDS.get(this.wrongPasswordKey());
      if (known !== undefined && known === this.becomePassword) {
        throw new ModuleError(`${this.name}: Incorrect sudo password (sudo refused it earlier in this run for ${this.loginUser ?? 'the login user'}; not tried again)`, { host: this.name });
      }
      stdin = Buffer.concat([Buffer.from(`${this.becomePassword}\n`, 'utf8'), stdin === undefined ? Buffer.alloc(0) : contentBytes(stdin)]);
    }
    // In place (ExecOptions.inPlace): only the text as built, or become's wrapper around it,
    // which is one command (sudo, su) whose own shell runs the text; never a password's
    // reader (it exits and execs; it has stdin anyway) nor the text on stdin.
    const inPlace = opts.inPlace === true && !onStdin && stdin === undefined && !sendsPassword;
    const r = await this.conn.exec(command, { stdin, timeoutMs: opts.timeoutMs, ...(inPlace ? { inPlace } : {}) });
    if (this.becomes() && r.rc !== 0 && this.becomeMethod === 'su') this.checkSu(r);
    if (this.becomes() && r.rc !== 0 && this.becomeMethod === 'sudo') {
      if (sendsPassword && /^sudo: \d+ incorrect password attempts?/m.test(r.stderr)) {
        // Ansible's words; remembered, so later tasks do not try it again (each try costs sudo's delays, and may lock the account).
        WRONG_PASSWORDS.set(this.wrongPasswordKey(), this.becomePassword!);
        throw new ModuleError(`${this.name}: Incorrect sudo password (sudo refused the become password for ${this.loginUser ?? 'the login user'})`, { host: this.name, rc: r.rc, stderr: r.stderr });
      }
      if (/^sudo: (a password is required|a terminal is required|\d+ incorrect password)/m.test(r.stderr)) {
        throw new ModuleError(
          `${this.name}: Missing sudo password (sudo needs a password to run as ${this.becomeUser}: give -K/--ask-become-pass or ansible_become_password, or allow NOPASSWD for the login user)`,
          { host: this.name, rc: r.rc, stderr: r.stderr },
        );
      }
      if (r.rc === 127 && /sudo: (command )?not found/.test(r.stderr)) {
        throw new ModuleError(`${this.name}: become failed: sudo is not installed`, { host: this.name, rc: r.rc, stderr: r.stderr });
      }
      if (sendsPassword && r.rc === 127 && r.stdout === '' && r.stderr === '') {
        throw new ModuleError(`${this.name}: become failed: printenv is not installed (tsplay hands sudo the password through it; install coreutils)`, { host: this.name, rc: r.rc });
      }
    }
    return r;
  }

  /** Whose password was refused: this host, login user and password source. */
  private wrongPasswordKey(): string {
    return `${this.name}\0${this.loginUser ?? ''}`;
  }

  /** su's own failures, told apart from the command's: su prints them before the command runs. */
  private checkSu(r: ExecResult): void {
    const fail = (why: string) => {
      throw new ModuleError(`${this.name}: become failed: ${why}`, { host: this.name, rc: r.rc, stderr: r.stderr });
    };
    if (/(^|\s)su: (Authentication failure|must be run from a terminal|Sorry)/m.test(r.stderr)) {
      fail(`su needs a password to run as ${this.becomeUser} (tsplay answers no password prompt: log in as root, or use become_method: sudo with NOPASSWD)`);
    }
    if (/^su: user .* does not exist/m.test(r.stderr)) fail(`su: user ${this.becomeUser} does not exist`);
    if (r.rc === 127 && /su: (command )?not found/.test(r.stderr)) fail(`${this.becomeExe ?? 'su'} is not installed`);
  }

  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    // Environment values may be secrets: keep them off the host's command lines.
    const textOnStdin = opts.env !== undefined && Object.keys(opts.env).length > 0;
    // One quoted argv, no cd, no environment, not a builtin that changes the shell: safe to run in place.
    const inPlace = opts.cwd === undefined && !textOnStdin && argv.length > 0 && !SHELL_STATE_BUILTINS.has(argv[0]);
    const r = await this.shell(this.commandText(argv, opts), { ...opts, textOnStdin, inPlace });
    return opts.bytes ? { ...textResult(r), stdoutBytes: r.stdoutBytes } : textResult(r);
  }

  exec(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    return this.run(argv, opts);
  }

  /** Several shell snippets in one round trip. */
  async runSections(snippets: readonly string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<SectionResult[]> {
    if (snippets.length === 0) return [];
    const { script, nonce, count } = buildSectionScript(snippets);
    // The task's environment reaches the reads too, as Ansible's module commands all get it; on stdin (values may be secrets).
    const prefix = envPrefix(opts.env);
    // The sections' own text (built to run in place) unless an environment is exported first.
    const r = await this.shell(prefix ? `export ${prefix.trimEnd()}\n${script}` : script, { timeoutMs: opts.timeoutMs, textOnStdin: prefix !== '', inPlace: prefix === '' });
    try {
      return parseSectionBytes(r.stdoutBytes, r.stderr, nonce, count);
    } catch (e) {
      throw new ModuleError(`${this.name}: ${(e as Error).message} (rc ${r.rc}): ${r.stderr.slice(-500).trim()}`, { host: this.name, rc: r.rc, stderr: r.stderr });
    }
  }

  async runAll(commands: string[][]): Promise<RunResult[]> {
    return (await this.runSections(commands.map(sectionCommand))).map(textResult);
  }

  async getAll<Arg, Value>(fact: Fact<Arg, Value>, args: readonly Arg[]): Promise<Value[]> {
    const ahead = this.readAhead?.take(this.readerKey(), fact, args);
    if (ahead) return ahead as Value[];
    // The init system is read once per host for the run (initMemo), whichever module asks.
    if ((fact as Fact<unknown, unknown>) === initSystem) {
      const mgr = await this.initSystem();
      return args.map(() => mgr as Value);
    }
    const ctx: ReadContext = { host: this.name, facts: this.facts };
    if (fact.usesInitSystem && args.length) ctx.initSystem = await this.initSystem();
    return readFact(fact, args, ctx, (snippets) => this.runSections(snippets));
  }

  /** Who reads: a fact's value can depend on the login and become user (ReadAhead's key). */
  readerKey(): string {
    return JSON.stringify([this.loginUser ?? null, this.become, this.become ? this.becomeUser : null, this.become ? this.becomeMethod : null]);
  }

  async get<Arg, Value>(fact: Fact<Arg, Value>, arg: Arg): Promise<Value> {
    return (await this.getAll(fact, [arg]))[0];
  }

  /** The init system: from the facts, else detected once (engine/facts/init-system.ts). */
  private async initSystem(): Promise<InitSystem> {
    const known = initSystemOf(this.facts);
    if (known !== 'unknown') return known;
    this.initMemo.detectedInit ??= (await readFact(initSystem, [undefined], { host: this.name, facts: this.facts }, (snippets) => this.runSections(snippets)))[0];
    return this.initMemo.detectedInit;
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

/** The variable the become password is kept in on the host while sudo asks for it (and sudo's prompt: askpass's argument). */
const BECOME_PASSWORD_ENV = '__TSPLAY_BECOME_PW';

/** Become passwords sudo refused this run, by host and login user: not tried again (engine/host/host.ts shell). */
const WRONG_PASSWORDS = new Map<string, string>();

/** sudo flags without -n (--non-interactive), as Ansible's sudo plugin rewrites them when it has a password: `-nH` becomes `-H`. */
export function withoutNonInteractive(flags: readonly string[]): string[] {
  const out: string[] = [];
  for (const f of flags) {
    if (f === '-n' || f === '--non-interactive') continue;
    const g = f.startsWith('--') ? f : f.replace(/^(-\w*)n(\w*.*)$/, '$1$2');
    if (g !== '-') out.push(g);
  }
  return out;
}

/** The script names a relative path ./PATH (never an option); give it back as the user wrote it. */
function userPathForm(path: string, scriptPath: string): string {
  return !path.startsWith('./') && !path.startsWith('/') && scriptPath.startsWith('./') ? scriptPath.slice(2) : scriptPath;
}
