// The module contract (DESIGN.md "Module contract").
//
//   gather(args, reader) -> state      read-only; in --check the reader sees the predicted-state overlay
//   plan(args, state)    -> Plan       PURE: no I/O, unit-tested from fixture tables
//   apply(plan, writer)  -> result     only outside --check; default: engine/run/steps.ts runs plan.steps
//
// Arguments: `schema` is built with S (engine/schema.ts); the args type is derived from it.
//
// Check mode is enforced by structure: in --check the engine never calls apply and
// never hands a module a HostWriter. There is no `if (check)` in module code.

import type { Schema, Static } from './schema.js';

export { S } from './schema.js';
export type { JsonSchema, Schema, Static } from './schema.js';
import type { Prediction } from './host/prediction.js';
import type { Overlay } from './host/overlay.js';

export interface RunResult {
  rc: number;
  stdout: string;
  stderr: string;
  /** stdout's exact bytes: only when RunOptions.bytes asked for them. */
  stdoutBytes?: Buffer;
}

export interface RunOptions {
  /** Fed to the command's standard input: a Buffer as is, a string as UTF-8. */
  stdin?: string | Buffer;
  /** Directory to run in (the engine emits `cd DIR &&`, quoted). */
  cwd?: string;
  /** Extra environment for this command. */
  env?: Record<string, string>;
  /** Per-command timeout in ms (default: the connection's command timeout). */
  timeoutMs?: number;
  /** Also return stdout's exact bytes (RunResult.stdoutBytes), for binary output. */
  bytes?: boolean;
}

/** What a host reports about one path (lstat: a symlink is reported as a link). */
export interface FileState {
  path: string;
  exists: boolean;
  type?: 'file' | 'directory' | 'link' | 'other';
  /** Four-digit octal permission string, e.g. "0644". */
  mode?: string;
  uid?: number;
  gid?: number;
  /** User / group names (numeric string when the ID has no name). */
  owner?: string;
  group?: string;
  size?: number;
  /** Symlink target, for type 'link'. */
  linkTarget?: string;
  /** The exact bytes of a regular file, when it was read (the file_content fact). Never re-encoded. */
  content?: Buffer;
  /** True when this state comes from the check-mode overlay, not from the host. */
  predicted?: boolean;
}

export interface PackageState {
  name: string;
  installed: boolean;
  /** Installed version; undefined when unknown (e.g. predicted by the overlay). */
  version?: string;
  predicted?: boolean;
}

export interface UserState {
  name: string;
  exists: boolean;
  /** --check: missing now, but an earlier task installs packages, and a package may create it (adduser in its postinst). */
  mayExist?: boolean;
  uid?: number;
  gid?: number;
  home?: string;
  shell?: string;
  predicted?: boolean;
}

export interface GroupState {
  name: string;
  exists: boolean;
  /** --check: missing now, but an earlier task installs packages, and a package may create it. */
  mayExist?: boolean;
  gid?: number;
  members?: string[];
  predicted?: boolean;
}

export interface ServiceState {
  name: string;
  /** Whether the init system knows the unit/script. */
  exists: boolean;
  active?: boolean;
  /** null when the init system has no notion of enabling it (or it is static). */
  enabled?: boolean | null;
  /** Predicted by the overlay (its package would be installed by an earlier task). */
  predicted?: boolean;
}

export interface MountEntry {
  /** Mount point. */
  path: string;
  src: string;
  fstype: string;
  opts: string;
  predicted?: boolean;
}

export type InitSystem = 'systemd' | 'upstart' | 'sysvinit' | 'unknown';

/**
 * A host's facts, named as Ansible 2.14's setup names them without the
 * `ansible_` prefix (docs/playbooks.md "Variables and facts" lists them), plus
 * tsplay's own extras (os_id, os_version, os_codename, kvm, virtualization_hints).
 * What the gather_subset did not collect is absent.
 */
export interface Facts {
  hostname: string;
  fqdn?: string;
  os_id: string; // "debian", "ubuntu" (tsplay's: os-release ID)
  os_version: string; // "12" (tsplay's: os-release VERSION_ID)
  os_codename?: string;
  architecture: string; // "x86_64"
  /** Ansible's name: systemd, upstart, sysvinit, openrc, PID 1's command, else "service". Modules use initSystemOf(). */
  service_mgr: string;
  /** Ansible's mapping: address, interface, gateway, netmask, network, broadcast, macaddress, mtu, type, alias, prefix. */
  default_ipv4?: Record<string, unknown>;
  kvm: boolean; // /dev/kvm present
  virtualization_hints: string[];
  [key: string]: unknown;
}

// Facts (engine/facts/fact.ts helps define them; one file per fact in engine/facts/).

/** One section's result; stdoutBytes are the exact bytes (a file's content). */
export interface SectionResult extends RunResult {
  stdoutBytes: Buffer;
}

/** What sections() and parse() know about the host being read. */
export interface ReadContext {
  /** Inventory hostname, for error messages. */
  host: string;
  facts: Facts;
  /** The init system (from the facts, else detected once): set for a fact with usesInitSystem. */
  initSystem?: InitSystem;
}

/** What an overlay rule sees in --check. */
export interface PredictContext {
  /** The predictions recorded by earlier planned tasks on this host. */
  readonly overlay: Overlay;
  /** The real host, for providers that must look something up (package contents). */
  readonly host: HostReader;
}

export interface Fact<Arg, Value> {
  /** Unique, snake_case ("file", "packages"). */
  readonly name: string;
  /** sections/parse need ctx.initSystem (the host detects it once when facts were not gathered). */
  readonly usesInitSystem?: boolean;
  /**
   * Shell sections reading the values of these args; all run in one round
   * trip. Built only with engine/host/shell.ts quote/quoteArgv. May throw to
   * refuse an argument before anything runs.
   */
  sections(args: readonly Arg[], ctx: ReadContext): string[];
  /** The value of each arg, in order, from the sections' results. Pure. */
  parse(args: readonly Arg[], results: readonly SectionResult[], ctx: ReadContext): Value[];
  /** The overlay rule: the value once the recorded predictions are true. None: predictions never alter it. */
  predict?(arg: Arg, value: Value, p: PredictContext): Value | Promise<Value>;
}

/**
 * Read-only access to one host. Every read is a fact (engine/facts/fact.ts):
 * in --check this is the predicted reader, whose get applies each fact's
 * overlay rule, so it answers with what earlier planned tasks would have made true.
 */
export interface HostReader {
  /** Inventory hostname. */
  readonly name: string;
  readonly facts: Facts;
  /** The value of one fact for one argument (a void fact: no argument). */
  get<Arg, Value>(fact: Fact<Arg, Value>, arg: Arg): Promise<Value>;
  /** The values of one fact for several arguments, in ONE round trip; in the same order. */
  getAll<Arg, Value>(fact: Fact<Arg, Value>, args: readonly Arg[]): Promise<Value[]>;
  /**
   * Run a read-only command whose output no prediction can alter (a network
   * probe, a glob, a find listing). Never use it to change the host, nor for
   * anything a fact reads: only facts see check-mode predictions.
   */
  run(argv: string[], opts?: RunOptions): Promise<RunResult>;
  /** Several such commands in ONE round trip; results in the same order. */
  runAll(commands: string[][]): Promise<RunResult[]>;
}

/**
 * What the target must still hold when a write replaces it (compare-and-swap):
 * absent, or a regular file whose bytes have this SHA-256 (engine/host/content-hash.ts).
 */
export type WriteExpectation = { exists: false } | { sha256: string };

export interface WriteFileOptions {
  /** Octal string ("0644"); default: keep the old file's mode, or 0644 for a new file. */
  mode?: string;
  /** Default: keep the old file's owner/group, or root for a new file. */
  owner?: string;
  group?: string;
  /** Keep a timestamped copy of the old file beside it; its path is returned. */
  backup?: boolean;
  /** Command with %s for the temporary file; the file is installed only if it exits 0. */
  validate?: string;
  /**
   * The state the plan was made against: the rename happens only if the target
   * still holds it, otherwise the write throws StaleTargetError (and the engine
   * gathers and plans again). Unset: replace whatever is there.
   */
  expect?: WriteExpectation;
}

export interface WriteFileResult {
  /** Where `backup: true` kept the old content. */
  backupPath?: string;
  /** Things the operator should know that did not fail the write. */
  warnings?: string[];
}

/**
 * Read-write access. Only apply() receives it, and only outside --check.
 */
export interface HostWriter extends HostReader {
  /** Run a command that may change the host. */
  exec(argv: string[], opts?: RunOptions): Promise<RunResult>;
  /**
   * All-or-nothing write (a string is UTF-8): a verified, fsynced temp file in the
   * same directory, mode/owner set, then renamed (only if opts.expect still holds).
   */
  writeFile(path: string, content: string | Buffer, opts?: WriteFileOptions): Promise<WriteFileResult>;
}

/**
 * One file's change, for --diff. Diff is data; reporters render it. before and
 * after are text for display (decoded as UTF-8, see modules/lib/byte-text.ts);
 * a side that is binary is flagged and left empty, as Ansible skips its diff.
 */
export interface FileDiff {
  path: string;
  before: string;
  after: string;
  /** The old content is binary (has a NUL byte): no line diff is shown. */
  beforeBinary?: boolean;
  /** The new content is binary: no line diff is shown. */
  afterBinary?: boolean;
  /** Headers, e.g. "before: /etc/fstab" (default: the path). */
  beforeHeader?: string;
  afterHeader?: string;
}

export type { Prediction } from './host/prediction.js';

/**
 * In a write step's path with `timestamp: true`, replaced by the time the steps
 * run (UTC, `20261130T155027.123Z`): one value for all the steps of a task.
 */
export const TIMESTAMP_TOKEN = '{timestamp}';

/**
 * Run a command that may change the host. It fails the task (and the steps after
 * it do not run) unless its rc is in okCodes (default [0]).
 */
export interface RunStep {
  kind: 'run';
  argv: string[];
  /** Fed to standard input: a Buffer as is (unarchive: the archive), a string as UTF-8. */
  stdin?: string | Buffer;
  cwd?: string;
  env?: Record<string, string>;
  okCodes?: number[];
  /**
   * This command's result is the task's result, in the command module's shape:
   * cmd, rc, stdout, stderr (trailing CR/LF removed), stdout_lines,
   * stderr_lines, start, end, delta, delta_ms (command, shell). Otherwise it is listed in `commands`.
   */
  taskResult?: boolean;
  /** Not listed in the task's `commands` (chown_find: thousands of paths, its log has them). */
  quiet?: boolean;
  /**
   * A failure explanation: when the command exits with one of `codes`, run
   * `argv` (read-only) and fail with `message` instead of the generic one. In
   * `message`, `{lines}` becomes that command's non-empty output lines joined
   * with ", " (at most 10, then ", ... (N in all)"), or `none` when it printed
   * nothing. usermod: rc 8 names the user's processes (`ps -o pid=,comm= -u UID`).
   */
  explain?: { codes: number[]; argv: string[]; message: string; none: string };
  /**
   * Rollback: if a LATER step of the plan fails, run `argv` (best effort; the
   * failure message says what it did). mount: the mount point it made is removed
   * when the mount fails.
   */
  undo?: { argv: string[] };
}

/** An all-or-nothing file write (WriteFileOptions); `content`: a Buffer is written as is, a string as UTF-8. */
export interface WriteStep extends WriteFileOptions {
  kind: 'write';
  path: string;
  content: string | Buffer;
  /** `path` contains TIMESTAMP_TOKEN, replaced at run time (chown_find's log). */
  timestamp?: boolean;
  /** The path written (after the timestamp) is returned in the task's result under this key. */
  registerPath?: string;
  /**
   * Rollback: if a LATER step of the plan fails, the executor writes `content`
   * (the old bytes) back to `path`, compare-and-swap against what this step wrote
   * (someone else's newer change is not overwritten), and the failure message says
   * so. mount: the old fstab is put back when mount fails.
   */
  undo?: { content: string | Buffer };
}

/** A plan's change, as data; engine/run/steps.ts runs the steps in order, in one place. */
export type Step = RunStep | WriteStep;

export interface NoChangePlan {
  changed: false;
  /** Why nothing needs doing: "line already present". */
  reason: string;
  /** Values returned to `register` (e.g. getent facts, stat results). */
  result?: Record<string, unknown>;
  /**
   * Housekeeping run outside --check that is not a change, as Ansible runs it
   * and reports ok (systemd's daemon_reload). Never anything a later task's
   * plan depends on: it is not predicted.
   */
  steps?: Step[];
}

export interface ChangePlan {
  changed: true;
  /** One line: what will change ("set nova uid 107 -> 111"). */
  summary: string;
  steps: Step[];
  diff?: FileDiff[];
  predicts?: Prediction[];
  /** Values returned to `register`, known at plan time (e.g. old_uid). */
  result?: Record<string, unknown>;
  /**
   * In --check the engine reports this task as skipped with this reason
   * instead of "changed" (command/shell: the command itself is not run).
   */
  checkModeSkip?: string;
  /**
   * After the steps ran for real, the engine lstats this path and adds what
   * Ansible's file, copy and template return about it (state: as given, else the
   * path's kind; mode, owner, group, uid, gid, size; engine/facts/file-result.ts).
   * Not in --check: there Ansible returns the state before the change, which the
   * plan puts in `result` itself. `add`: more keys for the real run's result only
   * (copy's checksum and md5sum).
   */
  statResult?: { path: string; state?: string; add?: Record<string, unknown> };
}

export type Plan = NoChangePlan | ChangePlan;

/** A failure the operator must read: the message says what and why. */
export class ModuleError extends Error {
  constructor(message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ModuleError';
  }
}

/**
 * A ModuleError, also one made by another copy of this file: a user's module
 * that imports it from tsplay/dist/engine/ gets a class of its own, since the
 * CLI runs the engine from its bundle (dist/tsplay.mjs).
 */
export function isModuleError(e: unknown): e is ModuleError {
  return e instanceof ModuleError || (e instanceof Error && e.name === 'ModuleError' && typeof (e as { details?: unknown }).details === 'object' && (e as { details?: unknown }).details !== null);
}

/**
 * The target of a write no longer holds what the plan was made against (another
 * writer changed it since it was read): nothing was written. runModule gathers
 * and plans again.
 */
export class StaleTargetError extends ModuleError {
  constructor(readonly host: string, readonly path: string, detail: string) {
    super(`${host}: write ${path}: the file changed since it was read (${detail}); nothing was written`, { host, path, stale: true });
    this.name = 'StaleTargetError';
  }
}

export interface ModuleContext {
  diff: boolean;
  facts: Facts;
  /** Render a template string with the task's variables (template module). */
  render(template: string): string;
  /**
   * Render a template file's text as the template module does: Jinja statements,
   * ansible_managed and the template_* variables, errors naming the file
   * (engine/template/template-file.ts). `src` as the task gave it.
   */
  renderFile?(src: string, text: string, dest?: string): string;
  /** The exact bytes of a file on the controller, relative to the playbook (copy/template src). */
  readLocalFile(path: string): Promise<Buffer>;
  /** A controller path as Ansible's path_dwim makes it: absolute as is, else relative to the playbook's directory (fetch's dest). */
  localPath?(path: string): string;
}

/** A module's arguments schema: a JSON Schema object built with S.object (engine/schema.ts). */
export type ArgsSchema = Schema<object>;

/**
 * A module. Its argument type is derived from its schema (Static<S>): the
 * arguments after ajv validated them and filled the defaults.
 */
export interface ModuleDef<S extends ArgsSchema = ArgsSchema, State = unknown> {
  name: string;
  /** One line for docs and `tsplay modules`. */
  description: string;
  /** Arguments schema: additionalProperties false; defaults filled by ajv (useDefaults). */
  schema: S;
  /** A free-form string (`command: ls -l`) becomes `{ [freeForm]: string }`. */
  freeForm?: string;
  /**
   * Ansible's action does not run in check mode: in --check the engine neither
   * gathers nor plans and reports the task skipped with this message (fetch).
   */
  checkModeSkip?: string;
  gather(args: Static<S>, host: HostReader, ctx: ModuleContext): Promise<State>;
  /**
   * Optional, for a loop under --check: the fact reads the items' gathers will
   * make, from every item's arguments (rendered, not validated). The engine makes
   * them before the first item, one round trip per fact, and each item's read of
   * the same fact and argument takes that answer (the host's own state: the
   * overlay of the earlier items' predictions still applies over it). In --check
   * nothing changes a host between the items, so the answer is what the item
   * would have read; a read not listed, or an item whose arguments differ, reads
   * the host as always. Never used in a real run, where an item changes what the
   * next one reads.
   */
  loopReads?(items: Array<Record<string, unknown>>): Array<{ fact: Fact<unknown, unknown>; args: unknown[] }>;
  plan(args: Static<S>, state: State, ctx: Omit<ModuleContext, 'render' | 'readLocalFile'>): Plan;
  /**
   * Default (and what every bundled module uses): the engine runs plan.steps
   * (engine/run/steps.ts). Override only where no step data can express the change;
   * the returned values are merged into the task's result.
   */
  apply?(plan: ChangePlan, host: HostWriter, ctx: ModuleContext): Promise<Record<string, unknown> | void>;
}

/** The validated arguments of a module (defaults filled). */
export type ArgsOf<M> = M extends ModuleDef<infer S, unknown> ? Static<S> : never;

/** Declare a module: its argument type is inferred from `schema`. */
export function defineModule<S extends ArgsSchema, State>(def: ModuleDef<S, State>): ModuleDef<S, State> {
  return def;
}
