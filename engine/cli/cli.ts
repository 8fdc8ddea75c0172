// The `tsplay` command line. Exit codes are ansible-playbook's (README):
// 0 ok, 1 error, 2 a host failed, 3 a host unreachable, 4 parse/schema error,
// 5 bad command-line options, 99 interrupted.

import { controlPersistFromEnv, prestartHolder } from '../connection/held-connection.js';
import { parseArgs } from 'node:util';
import { accessSync, constants as fsConstants, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ExitCode, LoadError, UsageError } from '../errors.js';
import { loadInventory, inventoryList, inventoryGraph, selectHosts } from '../inventory/inventory.js';
import { loadPlaybook, type Playbook } from '../load/playbook.js';
import { formatLoadWarning } from '../load/load-warnings.js';
import { configuredRolesPath } from '../load/roles.js';
import { loadRegistry } from '../load/registry.js';
import { argumentTable } from '../load/module-docs.js';
import { consoleReporter, jsonReporter } from '../report/report.js';
import { INTERRUPT_GRACE_MS, Runner } from '../run/runner.js';
import { validatePlaybookVariables } from '../load/validate.js';
import type { Reporter } from '../report/events.js';
import { connectionSettings, hostVars, type ConnectionDefaults, type SshArgsDefaults } from '../inventory/host-vars.js';
import type { Inventory } from '../inventory/model.js';
import type { ConnectionSettings } from '../connection/connection.js';
import { prepareKeys } from '../connection/private-keys.js';
import { terminalPrompt } from '../vault/passwords.js';
import { redactText, registerSecret } from '../vault/redact.js';
import { buildVars, type Vars } from '../template/vars.js';
import { sshConfigReader } from '../connection/ssh-config.js';
import { BECOME_METHOD_REFUSED, CONNECTION_REFUSED, becomeMethodOf, connectionPluginOf } from '../load/connection-keywords.js';
import { startAtFound } from '../run/start-at.js';
import { listText } from './list.js';
import { junitReporter } from '../report/junit.js';
import { htmlReporter } from '../report/html.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { type Config, configConnectionDefaults, dumpConfig, loadConfig } from './config.js';
import { createInterface } from 'node:readline/promises';
import { setupVault, vaultOptions } from '../vault/cli-options.js';
import { parseVaultableYaml } from '../load/yaml.js';

const USAGE = `usage:
  tsplay run PLAYBOOK... -i INVENTORY [-i ...] [-l PATTERN|@FILE] [-t TAGS] [--skip-tags TAGS]
             [-C|--check] [-D|--diff] [-e KEY=VALUE|@file.yml|JSON]... [-f FORKS]
             [--strategy linear|free] [--output text|json|junit] [--report FILE.html] [-v|-vv|-vvv]
             [--roles-path DIR[:DIR...]]
             [-u USER] [--private-key FILE] [-T SECONDS] [-c ssh|local]
             [--ssh-common-args ARGS] [--ssh-extra-args ARGS]
             [-b] [--become-user USER] [--become-method sudo|su] [-K|--ask-become-pass]
             [--force-handlers] [--start-at-task NAME] [--step]
             [--list-tasks | --list-hosts | --list-tags | --syntax-check]
  tsplay validate PLAYBOOK... -i INVENTORY [-e ...] [--roles-path DIR[:DIR...]]
  tsplay inventory -i INVENTORY [--list|--graph] [-l PATTERN]
  tsplay lab up [N] [--name NAME] | down [--name NAME] | status | ssh HOST | inventory [--name NAME]
  tsplay demo
  tsplay modules [MODULE]
  tsplay config dump [--only-changed]
  tsplay vault encrypt|decrypt|view FILE... | encrypt_string [--name VAR] VALUE
  vault secrets (run, validate, inventory, vault): [--vault-id LABEL@SOURCE]... [--vault-password-file FILE]... [-J|--ask-vault-pass]
  tsplay --version
Exit codes: 0 ok, 1 error, 2 host failed, 3 host unreachable, 4 parse/schema error, 5 bad options, 99 interrupted.`;

const runOptions = {
  inventory: { type: 'string', short: 'i', multiple: true },
  limit: { type: 'string', short: 'l' },
  tags: { type: 'string', short: 't', multiple: true },
  'skip-tags': { type: 'string', multiple: true },
  check: { type: 'boolean', short: 'C' },
  diff: { type: 'boolean', short: 'D' },
  'extra-vars': { type: 'string', short: 'e', multiple: true },
  forks: { type: 'string', short: 'f' },
  strategy: { type: 'string' },
  output: { type: 'string' },
  report: { type: 'string' },
  verbose: { type: 'boolean', short: 'v', multiple: true },
  list: { type: 'boolean' },
  graph: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  'roles-path': { type: 'string' },
  // Connection and privilege options, as ansible-playbook's: defaults below every host variable and keyword.
  user: { type: 'string', short: 'u' },
  'private-key': { type: 'string' },
  'key-file': { type: 'string' },
  timeout: { type: 'string', short: 'T' },
  connection: { type: 'string', short: 'c' },
  become: { type: 'boolean', short: 'b' },
  'become-user': { type: 'string' },
  'become-method': { type: 'string' },
  'ask-become-pass': { type: 'boolean', short: 'K' },
  'ssh-common-args': { type: 'string' },
  'ssh-extra-args': { type: 'string' },
  'force-handlers': { type: 'boolean' },
  'start-at-task': { type: 'string' },
  step: { type: 'boolean' },
  'list-tasks': { type: 'boolean' },
  'list-hosts': { type: 'boolean' },
  'list-tags': { type: 'boolean' },
  'syntax-check': { type: 'boolean' },
  ...vaultOptions,
} as const;

type RunValues = ReturnType<typeof parse>['values'];

/** -u, --private-key, -T, -c, -b, --become-user, --become-method: checked, as ConnectionDefaults. */
export function connectionDefaultsOf(o: RunValues): ConnectionDefaults {
  const d: ConnectionDefaults = {};
  if (o.user !== undefined) d.remoteUser = o.user;
  const key = o['private-key'] ?? o['key-file'];
  if (key !== undefined) d.privateKeyFile = key;
  if (o.timeout !== undefined) {
    const t = Number(o.timeout);
    if (!/^\d+(\.\d+)?$/.test(o.timeout) || !(t > 0)) throw new UsageError(`-T/--timeout must be a positive number of seconds, got ${JSON.stringify(o.timeout)}`);
    d.timeoutSec = t;
  }
  if (o.connection !== undefined) {
    if (connectionPluginOf(o.connection) === undefined) throw new UsageError(`-c/--connection ${JSON.stringify(o.connection)}: ${CONNECTION_REFUSED}`);
    d.connection = o.connection;
  }
  if (o.become) d.become = true;
  if (o['become-user'] !== undefined) d.becomeUser = o['become-user'];
  if (o['become-method'] !== undefined) {
    if (becomeMethodOf(o['become-method']) === undefined) throw new UsageError(`--become-method ${JSON.stringify(o['become-method'])}: ${BECOME_METHOD_REFUSED}`);
    d.becomeMethod = o['become-method'];
  }
  const sshArgs: SshArgsDefaults = {};
  if (o['ssh-common-args'] !== undefined) sshArgs.ansible_ssh_common_args = { text: o['ssh-common-args'], origin: '--ssh-common-args' };
  if (o['ssh-extra-args'] !== undefined) sshArgs.ansible_ssh_extra_args = { text: o['ssh-extra-args'], origin: '--ssh-extra-args' };
  if (Object.keys(sshArgs).length) d.sshArgs = sshArgs;
  return d;
}

/**
 * -K (or become_ask_pass): "BECOME password: " on the terminal, echo off, once per run, as
 * ansible-playbook 2.14 asks it; an empty answer is no password, as in Ansible.
 */
async function askBecomePass(asked: string | undefined): Promise<string | undefined> {
  if (asked === undefined) return undefined;
  const prompt = terminalPrompt();
  if (!prompt) {
    throw new UsageError(`${asked} asks for the become password on a terminal, and standard input is not one (set ansible_become_password, vault-encrypted, in the inventory instead)`);
  }
  const answer = await prompt('BECOME password: ');
  if (answer === '') return undefined;
  registerSecret(answer);
  return answer;
}

/** ANSIBLE_BECOME_PASS, else ANSIBLE_SUDO_PASS (Ansible 2.14's sudo plugin reads both); hidden from output. */
export function becomePasswordFromEnv(env: Record<string, string | undefined>): string | undefined {
  const v = env.ANSIBLE_BECOME_PASS || env.ANSIBLE_SUDO_PASS || undefined;
  if (v !== undefined) registerSecret(v);
  return v;
}

/**
 * The private key files the run's hosts (and their jump hosts) name: each play's hosts,
 * within --limit, with their inventory variables and the extra vars.
 */
/** The key files the run's hosts use, and whether any of them keeps its connection between runs (ControlPersist). */
function connectionPlanOf(inventory: Inventory, playbooks: Playbook[], limit: string | undefined, extraVars: Vars, defaults: ConnectionDefaults): { files: string[]; held: boolean } {
  const names = new Set<string>();
  const limited = limit ? new Set(selectHosts(inventory, limit)) : undefined;
  for (const pb of playbooks) {
    for (const play of pb.plays) {
      try {
        for (const h of selectHosts(inventory, play.hosts)) if (!limited || limited.has(h)) names.add(h);
      } catch {
        // a templated or odd pattern: the run reports it; its hosts are asked about when they connect
      }
    }
  }
  const files: string[] = [];
  let held = false;
  for (const n of names) {
    let s: ConnectionSettings | undefined;
    try {
      s = connectionSettings(n, buildVars([inventory.hosts.has(n) ? hostVars(inventory, n) : {}, extraVars]), defaults);
    } catch {
      continue; // the run reports a bad setting on its host
    }
    for (let hop: ConnectionSettings | undefined = s; hop; hop = hop.jump) {
      if (hop.connection === 'ssh' && hop.privateKeyFile) files.push(hop.privateKeyFile);
    }
    if (s.connection === 'ssh' && (s.controlPersistMs ?? 0) > 0) held = true;
  }
  return { files, held };
}

/** -l @FILE: the host names in FILE, one per line (a .retry file), as one pattern. */
export async function resolveLimit(limit: string | undefined): Promise<string | undefined> {
  if (limit === undefined || !limit.startsWith('@')) return limit;
  const file = limit.slice(1);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`-l ${limit}: cannot read ${file}: ${(e as Error).message}`);
  }
  const names = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (!names.length) throw new UsageError(`-l ${limit}: ${file} names no host`);
  return names.join(',');
}

/** --step on a terminal: ansible-playbook's question before each task. */
function stepPrompt(): (task: string) => Promise<'yes' | 'no' | 'continue'> {
  let continuing = false;
  return async (task) => {
    if (continuing) return 'yes';
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
      const answer = (await rl.question(`Perform task: TASK: ${task} (N)o/(y)es/(c)ontinue: `)).trim().toLowerCase();
      if (answer === 'y' || answer === 'yes') return 'yes';
      if (answer === 'c' || answer === 'continue') {
        continuing = true;
        return 'yes';
      }
      return 'no';
    } finally {
      rl.close();
    }
  };
}

/** Options whose value is itself OpenSSH options ('-o X=y'): their next word is always their value, as argparse takes a word with a space. */
const OPTIONS_OF_OPTIONS = new Set(['--ssh-common-args', '--ssh-extra-args']);

function parse(argv: string[]) {
  const args = argv.flatMap((a, i) => (OPTIONS_OF_OPTIONS.has(a) && i + 1 < argv.length ? [`${a}=${argv[i + 1]}`] : OPTIONS_OF_OPTIONS.has(argv[i - 1]) ? [] : [a]));
  try {
    return parseArgs({ args, options: runOptions, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${USAGE}`);
  }
}

function splitList(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

/** -e KEY=VALUE [KEY=VALUE...] | -e @file.yml | -e '{"json": 1}' */
export async function parseExtraVars(values: string[] | undefined): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const v of values ?? []) {
    const s = v.trim();
    if (s.startsWith('@')) {
      const file = s.slice(1);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        throw new UsageError(`-e ${s}: cannot read ${file}: ${(e as Error).message}`);
      }
      const doc = parseVaultableYaml(text, file);
      if (doc.value === null) continue;
      if (typeof doc.value !== 'object' || Array.isArray(doc.value)) throw new LoadError('extra vars file must be a mapping', doc.placeOf([]));
      Object.assign(out, doc.value);
    } else if (s.startsWith('{')) {
      let value: unknown;
      try {
        value = JSON.parse(s);
      } catch (e) {
        throw new UsageError(`-e: invalid JSON: ${(e as Error).message}`);
      }
      // As YAML files are (js-yaml's maxDepth): deeper values overflow the stack of every later walk.
      if (nestingDepth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw new UsageError(`-e: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
      Object.assign(out, value);
    } else {
      for (const pair of s.split(/\s+/).filter(Boolean)) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new UsageError(`-e ${JSON.stringify(pair)}: expected KEY=VALUE, @file.yml or JSON`);
        const key = pair.slice(0, eq);
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new UsageError(`-e: invalid variable name ${JSON.stringify(key)}`);
        out[key] = pair.slice(eq + 1); // strings, as ansible-playbook's key=value form
      }
    }
  }
  return out;
}

const MAX_JSON_DEPTH = 100;

/** Nesting depth of lists and mappings, counted without recursion; stops once past `limit`. */
function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d + 1 > deepest) deepest = d + 1;
    if (deepest > limit) return deepest;
    for (const child of Object.values(v as Record<string, unknown>)) stack.push([child, d + 1]);
  }
  return deepest;
}

function libraryDirs(playbooks: string[]): string[] {
  return [...new Set(playbooks.map((p) => join(dirname(resolve(p)), 'library')))];
}

/** `tsplay --version`: this tsplay's version and where it runs from, as `ansible-playbook --version` says its own. */
export function versionText(): string {
  const version = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  return [`tsplay ${version}`, `  executable location = ${process.argv[1] ?? ''}`, `  node version = ${process.version}`].join('\n');
}

/** -i, else ANSIBLE_INVENTORY or ansible.cfg's inventory. */
function inventoriesOf(cli: string[] | undefined, config: Config): string[] | undefined {
  return cli?.length ? cli : (config.settings.inventory.value as string[] | undefined);
}

/** --roles-path (colon-separated, as ansible-playbook's), else ANSIBLE_ROLES_PATH or ansible.cfg's roles_path, else Ansible's default. */
function rolesPathOf(cli: string | undefined, config: Config): string[] {
  return cli !== undefined ? configuredRolesPath(cli) : (config.settings.rolesPath.value as string[]);
}

async function loadAll(playbookFiles: string[], inventories: string[] | undefined, rolesPath: string[], inventoryOptional = false) {
  if (!playbookFiles.length) throw new UsageError(`no playbook given\n${USAGE}`);
  if (!inventories?.length && !inventoryOptional) throw new UsageError('no inventory given (-i INVENTORY, ANSIBLE_INVENTORY, or inventory in ansible.cfg)');
  const inventory = await loadInventory(inventories ?? []);
  const registry = await loadRegistry(libraryDirs(playbookFiles));
  const playbooks: Playbook[] = [];
  const opts = { rolesPath };
  for (const f of playbookFiles) playbooks.push(await loadPlaybook(f, registry, opts));
  return { inventory, registry, playbooks };
}

async function cmdRun(argv: string[]): Promise<number> {
  const { values: o, positionals } = parse(argv);
  if (o.help) {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig();
  const listing = (['list-tasks', 'list-hosts', 'list-tags', 'syntax-check'] as const).some((m) => o[m]);
  // -K first, as ansible-playbook asks it before the vault password; not for the list modes (nothing runs).
  const becomePassword = listing ? undefined : await askBecomePass(o['ask-become-pass'] ? '-K/--ask-become-pass' : config.settings.becomeAskPass.value === true ? `become_ask_pass (${config.settings.becomeAskPass.origin})` : undefined);
  // Before anything is read: -e @file, inventories and playbooks may hold vaulted content.
  await setupVault(o, config);
  const forks = o.forks === undefined ? (config.settings.forks.value as number) : Number(o.forks);
  if (!Number.isInteger(forks) || forks < 1) throw new UsageError(`--forks must be a positive integer, got ${JSON.stringify(o.forks)}`);
  const strategy = (o.strategy ?? config.settings.strategy.value) as 'linear' | 'free';
  if (!['linear', 'free'].includes(strategy)) {
    throw new UsageError(`--strategy must be linear or free, got ${JSON.stringify(strategy)}${o.strategy === undefined ? ` (${config.settings.strategy.origin})` : ''}`);
  }
  const output = o.output ?? 'text';
  if (!['text', 'json', 'junit'].includes(output)) throw new UsageError(`--output must be text, json or junit, got ${JSON.stringify(o.output)}`);
  const extraVars = await parseExtraVars(o['extra-vars']);
  const fromConfig = configConnectionDefaults(config);
  const fromCli = connectionDefaultsOf(o);
  const connectionDefaults: ConnectionDefaults = { ...fromConfig, ...fromCli };
  // -K's answer, else ANSIBLE_BECOME_PASS / ANSIBLE_SUDO_PASS (Ansible's sudo plugin's environment), both below the variables.
  const givenBecomePassword = becomePassword ?? becomePasswordFromEnv(process.env);
  if (givenBecomePassword !== undefined) connectionDefaults.becomePassword = givenBecomePassword;
  if (fromConfig.sshArgs || fromCli.sshArgs) connectionDefaults.sshArgs = { ...fromConfig.sshArgs, ...fromCli.sshArgs };
  // As ssh would: ~/.ssh/config and /etc/ssh/ssh_config (or -F FILE) fill in what the inventory leaves unset.
  connectionDefaults.sshConfig = sshConfigReader();
  const warn = (msg: string) => (output === 'json' ? jsonReporter()({ kind: 'warning', msg }) : console.error(`[WARNING]: ${msg}`));
  const junitEmit = output === 'junit' ? junitReporter() : undefined;
  for (const w of config.ignored) warn(w);
  const limit = await resolveLimit(o.limit);
  const listModes = (['list-tasks', 'list-hosts', 'list-tags', 'syntax-check'] as const).filter((m) => o[m]);
  if (listModes.length > 1) throw new UsageError(`--${listModes.join(' and --')} cannot be combined`);
  if (o.report !== undefined && listModes.length) throw new UsageError(`--report records a run: --${listModes[0]} runs nothing`);
  if (o.report === '') throw new UsageError('--report needs a file name (--report FILE.html)');
  if (o.report !== undefined) reportWritable(o.report);
  if (o.step && !process.stdin.isTTY) throw new UsageError('--step asks before each task: it needs a terminal on standard input');
  const { inventory, registry, playbooks } = await loadAll(positionals, inventoriesOf(o.inventory, config), rolesPathOf(o['roles-path'], config), listModes.length > 0 && !o['list-hosts']);
  for (const w of inventory.shownWarnings ?? []) warn(w);
  if (listModes.length) {
    const mode = ({ 'list-tasks': 'tasks', 'list-hosts': 'hosts', 'list-tags': 'tags', 'syntax-check': 'syntax' } as const)[listModes[0]];
    for (const w of playbooks.flatMap((p) => p.warnings ?? [])) console.error(formatLoadWarning(w));
    console.log(listText(playbooks, mode, { inventory, limit, tags: splitList(o.tags), skipTags: splitList(o['skip-tags']) }, positionals));
    return 0;
  }
  // A bad pattern is an error before anything runs; one that leaves no host is too, in Ansible's words (exit 1).
  if (limit && inventory.hosts.size > 0 && selectHosts(inventory, limit).length === 0) {
    warn(`Could not match supplied host pattern, ignoring: ${limit}`);
    return startError(output, o.report, 'Specified inventory, host pattern and/or --limit leaves us with no hosts to target.', ExitCode.error);
  }
  // Ansible runs nothing and exits 0 when no task matches; tsplay says so before touching a host, and fails (docs/playbooks.md).
  const startAtTask = o['start-at-task'];
  if (startAtTask !== undefined && !startAtFound(playbooks, startAtTask)) {
    return startError(output, o.report, `No matching task "${startAtTask}" found. Note: --start-at-task can only follow static includes.`, ExitCode.error);
  }
  // Keys with a passphrase: the agent, or one prompt per key file, before any host is touched.
  const plan = connectionPlanOf(inventory, playbooks, limit, extraVars, connectionDefaults);
  // The connection holder (engine/connection/connection-holder.ts) starts while the run gets ready.
  if (plan.held && controlPersistFromEnv() !== 0) prestartHolder();
  await prepareKeys(plan.files, terminalPrompt());
  const verbosity = o.verbose?.length ?? 0;
  const outputEmit: Reporter = junitEmit ?? (output === 'json' ? jsonReporter() : consoleReporter({ verbosity, diff: o.diff }));
  // --report FILE.html beside any --output; the runner's redaction wraps this emit, so the page gets redacted events.
  const html = o.report !== undefined ? htmlReporter(o.report) : undefined;
  const emit: Reporter = html ? (e) => (outputEmit(e), html.emit(e)) : outputEmit;
  const runner = new Runner({
    inventory, registry, check: Boolean(o.check), diff: Boolean(o.diff), forks, strategy, limit,
    tags: splitList(o.tags), skipTags: splitList(o['skip-tags']), extraVars, verbosity, emit,
    connectionDefaults, forceHandlers: Boolean(o['force-handlers']) || config.settings.forceHandlers.value === true, startAtTask,
    ...(o.step ? { confirmTask: stepPrompt() } : {}),
  });
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(ExitCode.interrupted);
    process.stderr.write(
      `\ninterrupted: starting nothing new; running commands have ${INTERRUPT_GRACE_MS / 1000} s to finish, then are abandoned (Ctrl-C again to exit now)\n`,
    );
    runner.interrupt();
  };
  process.on('SIGINT', onSigint);
  // A second Ctrl-C exits at once: the page is written with what happened so far.
  const flushReport = () => html?.flush();
  process.on('exit', flushReport);
  try {
    return await runner.run(playbooks);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('exit', flushReport);
    flushReport();
  }
}

/** The run cannot start: Ansible's "ERROR! ..." on stderr, or under --output json an error event and run_end. */
function startError(output: string, report: string | undefined, rawMsg: string, code: number, place?: string): number {
  const msg = redactText(rawMsg);
  if (report) errorPage(report, msg, code, place);
  if (output === 'json' || output === 'junit') {
    const emit = output === 'json' ? jsonReporter() : junitReporter();
    emit({ kind: 'error', msg, ...(place ? { place } : {}), exitCode: code });
    emit({ kind: 'run_end', exitCode: code, durationMs: 0 });
  } else {
    console.error(`ERROR! ${msg}`);
  }
  return code;
}

/** --report's directory must exist and be writable before anything runs: a page lost at the end would be an audit lost. */
function reportWritable(file: string): void {
  const dir = dirname(resolve(file));
  try {
    accessSync(dir, fsConstants.W_OK);
  } catch (e) {
    throw new UsageError(`--report ${file}: cannot write in ${dir}: ${(e as Error).message}`);
  }
}

/** The page of a run that could not start; one that cannot be written is said on stderr (the error is the news). */
function errorPage(report: string, msg: string, code: number, place?: string): void {
  try {
    const page = htmlReporter(report);
    page.emit({ kind: 'error', msg, ...(place ? { place } : {}), exitCode: code });
    page.emit({ kind: 'run_end', exitCode: code, durationMs: 0 });
  } catch (e) {
    console.error(`[WARNING]: --report ${report}: ${(e as Error).message}`);
  }
}

/** `--report FILE` (or `--report=FILE`) among the arguments: an error before the run is a page too. */
function reportFileOf(argv: string[]): string | undefined {
  for (const [i, a] of argv.entries()) {
    const v = a.startsWith('--report=') ? a.slice(9) : a === '--report' ? argv[i + 1] : undefined;
    if (v) return v;
  }
  return undefined;
}

/** `--output json|junit` (or `--output=...`) among the arguments: errors before the run are reported in that format too. */
function machineOutput(argv: string[]): 'json' | 'junit' | undefined {
  for (const [i, a] of argv.entries()) {
    const v = a.startsWith('--output=') ? a.slice(9) : a === '--output' ? argv[i + 1] : undefined;
    if (v === 'json' || v === 'junit') return v;
  }
  return undefined;
}

async function cmdValidate(argv: string[]): Promise<number> {
  const { values: o, positionals } = parse(argv);
  const config = loadConfig();
  await setupVault(o, config);
  const extraVars = await parseExtraVars(o['extra-vars']);
  const inventories = inventoriesOf(o.inventory, config);
  const { inventory, playbooks } = await loadAll(positionals, inventories, rolesPathOf(o['roles-path'], config));
  for (const w of playbooks.flatMap((p) => p.warnings ?? [])) console.error(formatLoadWarning(w));
  const problems = validatePlaybookVariables(playbooks, inventory, extraVars);
  if (problems.length) {
    for (const p of problems) console.error(p);
    return ExitCode.parseError;
  }
  const tasks = playbooks.reduce((n, pb) => n + pb.plays.length, 0);
  console.log(`ok: ${positionals.join(', ')} (${tasks} plays) is valid against ${inventories!.join(', ')}`);
  return 0;
}

async function cmdInventory(argv: string[]): Promise<number> {
  const { values: o } = parse(argv);
  const config = loadConfig();
  const inventories = inventoriesOf(o.inventory, config);
  if (!inventories?.length) throw new UsageError('no inventory given (-i INVENTORY, ANSIBLE_INVENTORY, or inventory in ansible.cfg)');
  await setupVault(o, config);
  const inv = await loadInventory(inventories);
  for (const w of inv.shownWarnings ?? []) console.error(`[WARNING]: ${w}`);
  if (o.graph) {
    console.log(inventoryGraph(inv, o.limit));
    return 0;
  }
  if (o.limit && !o.list) {
    for (const h of selectHosts(inv, o.limit)) console.log(h);
    return 0;
  }
  const list = inventoryList(inv);
  if (o.limit) {
    const allowed = new Set(selectHosts(inv, o.limit));
    const meta = list._meta as { hostvars: Record<string, unknown> };
    for (const h of Object.keys(meta.hostvars)) if (!allowed.has(h)) delete meta.hostvars[h];
  }
  // Vaulted values are hidden here too (Ansible prints whole-file vaulted values: docs/playbooks.md).
  console.log(redactText(JSON.stringify(list, null, 2)));
  return 0;
}

/** `tsplay config dump [--only-changed]`: each setting, its value and where it came from, as `ansible-config dump`. */
function cmdConfig(args: string[]): number {
  const [sub, ...flags] = args;
  if (sub !== 'dump' || flags.some((f) => f !== '--only-changed')) throw new UsageError('usage: tsplay config dump [--only-changed]');
  console.log(dumpConfig(loadConfig(), flags.includes('--only-changed')));
  return 0;
}

async function cmdModules(args: string[]): Promise<number> {
  const reg = await loadRegistry();
  if (args.length) {
    // One module: its description and the argument table generated from its schema.
    const def = reg.get(args[0]);
    if (!def || args.length > 1) throw new UsageError(`usage: tsplay modules [MODULE] (modules: ${[...reg.keys()].sort().join(', ')})`);
    console.log(`${def.name}: ${def.description}\n\n${argumentTable(def)}`);
    return 0;
  }
  for (const def of [...reg.values()].sort((a, b) => a.name.localeCompare(b.name))) console.log(`${def.name.padEnd(14)} ${def.description}`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'run':
        return await cmdRun(rest);
      case 'validate':
        return await cmdValidate(rest);
      case 'inventory':
        return await cmdInventory(rest);
      case 'lab': {
        const { runLabCommand } = await import('../lab/index.js');
        return await runLabCommand(rest);
      }
      case 'demo': {
        const { runDemo } = await import('./demo.js');
        return await runDemo(main);
      }
      case 'modules':
        return await cmdModules(rest);
      case 'config':
        return cmdConfig(rest);
      case 'vault':
        return await (await import('./vault.js')).runVaultCommand(rest);
      case 'hold-connections': {
        // Internal: the connection holder a run starts (engine/connection/connection-holder.ts); it exits by itself.
        if (rest.length !== 1) throw new UsageError('usage: tsplay hold-connections SOCKET (started by tsplay run, not by hand)');
        const { runHolder } = await import('../connection/connection-holder.js');
        await runHolder(rest[0]);
        return await new Promise<number>(() => {});
      }
      case '--version':
      case 'version':
        console.log(versionText());
        return 0;
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        console.log(USAGE);
        return cmd === undefined ? ExitCode.badOptions : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)}\n${USAGE}`);
    }
  } catch (e) {
    const machine = cmd === 'run' ? machineOutput(rest) : undefined;
    // Not for an error about --report itself (no page can or should be written then).
    const report = cmd === 'run' && !(e instanceof Error && e.message.startsWith('--report')) ? reportFileOf(rest) : undefined;
    if ((e instanceof LoadError || e instanceof UsageError) && (machine || report)) {
      const place = e instanceof LoadError && e.place ? `${e.place.file}:${e.place.line}:${e.place.col}` : undefined;
      if (machine) return startError(machine, report, e instanceof LoadError ? e.reason : e.message, e.exitCode, place);
      // Text output: the error on stderr as below, and the page.
      errorPage(report!, redactText(e instanceof LoadError ? e.reason : e.message), e.exitCode, place);
    }
    if (e instanceof LoadError || e instanceof UsageError) {
      console.error(`ERROR: ${redactText(e.message)}`);
      return e.exitCode;
    }
    console.error(`ERROR: ${redactText((e as Error).stack ?? String(e))}`);
    return ExitCode.error;
  }
}

const isMain = process.argv[1] && resolve(process.argv[1]).replace(/\.(ts|js)$/, '') === resolve(new URL(import.meta.url).pathname).replace(/\.(ts|js)$/, '');
if (isMain) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // As bin/tsplay.js: whatever a run left (a socket to a silent host, a task
    // abandoned after Ctrl-C) must not keep the process alive after the recap.
    setTimeout(() => process.exit(code), 3000).unref();
  });
}
