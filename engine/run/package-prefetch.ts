// Package work started in the background at the start of a run (issue 14):
// under --check, the package contents the predictions will need; in a real
// run, the .debs the run's apt tasks will install.
//
// When --check predicts that an `apt` task installs packages, a later task that
// asks about a file, unit or package those packages bring is answered from the
// packages themselves (engine/facts/package-content.ts): apt's resolver for the
// new dependencies, then the .debs fetched and read on the host. That costs
// seconds, and it used to start only when the later task asked. Here, at the
// start of a --check run, every `apt`/`package` task whose package names can be
// told before the run (literal names, or templates of inventory, play and role
// default variables) is read for each host its play targets: the names the host
// lacks are looked up in the background, in the same cache and with the same
// request the prediction will make, so the task that needs them finds them
// ready or in flight. A prefetch never decides a prediction: the predictions
// use only the packages that an earlier task of the run predicts it installs
// (package-content.ts), and any error here is dropped (the prediction then
// makes its own round trip, as before). Nothing on the host changes: the
// lookups are the read-only ones --check already makes. A host whose later
// tasks can be told, before the run, to read only files and units it already
// has is not looked at (contentReads): there the lookups would never be used.
// The bundled job's computes are such hosts.
//
// In a real run the same plan downloads, per host, the packages (with their
// new dependencies, at the versions apt's resolver picks) that the host lacks,
// while the run's other tasks go on: a download-only `apt-get install` into a
// private directory (with locking off, so a task of the run or of the site
// that runs apt or dpkg meanwhile is never locked out), then each .deb is
// renamed into /var/cache/apt/archives, where the install finds it instead of
// downloading it. The host's apt and package tasks wait for its downloads
// to end first. A failed download changes nothing but leaves the
// install to download as before. TSPLAY_PACKAGE_PREFETCH=0 turns both off.

import { Host } from '../host/host.js';
import { groupNamesOf, groupsMap, hostVars, selectHosts } from '../inventory/inventory.js';
import type { Inventory } from '../inventory/inventory.js';
import type { Item, Play, Task } from '../load/playbook.js';
import type { Playbook } from '../load/playbook.js';
import { packageFilesOf } from '../facts/package-content.js';
import { APT_DOWNLOAD_ONLY, coveredPath } from '../facts/package-files.js';
import { file } from '../facts/file.js';
import { services } from '../facts/services.js';
import { BUILTIN_NAMES } from './builtins/index.js';
import { posix as posixPath } from 'node:path';
import { recommendsFlags } from '../facts/apt-simulation.js';
import { renderDeep, renderString } from '../template/template.js';
import { evaluateAll } from '../template/expression.js';
import { setFactValue } from './builtins/set-fact.js';
import { buildVars, type Vars } from '../template/vars.js';
import type { Connection } from '../connection/connection.js';
import type { HostRun } from './host-run.js';

/** What the prefetch needs of the runner. */
export interface PrefetchRunner {
  inventory: Inventory;
  extraVars: Vars;
  limit?: string;
  hostRun(name: string): HostRun;
  connection(h: HostRun): Connection;
}

/** One install a task asks for on a host, as the apt module would predict it. */
export interface PlannedInstall {
  names: string[];
  installRecommends?: boolean;
  /** The task's become (its own or its play's); undefined: the host's setting. */
  become?: boolean;
  becomeUser?: string;
}

const PACKAGE_MODULES = new Set(['apt', 'package']);
/** A plain package name: no version, wildcard, release or .deb path (those take the module's own route). */
const PLAIN_NAME = /^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?$/;

/** The keywords a task inherits that decide how it reaches the host. */
type Reach = Pick<Play, 'become' | 'becomeUser' | 'conn'>;

/** One task of a play as its blocks place it. */
interface PlacedTask {
  task: Task;
  /** The keywords its blocks give it. */
  reach: Reach;
  /** Its blocks' `when` conditions, outermost first. */
  blockWhen: Array<string | boolean>;
  /** Whether a block around it has variables of its own, or it is in a `rescue` (it may not run). */
  scoped: boolean;
}

/** Every task of a play with the keywords its blocks give it, blocks opened (includes are dynamic: not followed). */
function* tasksOf(items: Item[], reach: Reach, blockWhen: Array<string | boolean> = [], scoped = false): Generator<PlacedTask> {
  for (const it of items) {
    if (it.kind === 'task') {
      yield { task: it, reach, blockWhen, scoped };
      continue;
    }
    const inner: Reach = { become: it.become ?? reach.become, becomeUser: it.becomeUser ?? reach.becomeUser, conn: it.conn ?? reach.conn };
    const when = [...blockWhen, ...it.when];
    const own = scoped || Object.keys(it.vars).length > 0;
    yield* tasksOf(it.block, inner, when, own);
    yield* tasksOf(it.rescue, inner, when, true);
    yield* tasksOf(it.always, inner, when, own);
  }
}

/**
 * The install a package task asks for on one host, when it can be told before
 * the run: undefined for a removal, a templated option, names that need
 * variables the run has not made yet, or anything but plain names.
 */
export function plannedInstall(task: Task, vars: Vars, play?: Reach): PlannedInstall | undefined {
  if (!PACKAGE_MODULES.has(task.action)) return undefined;
  // As the task will run it: a templated become, another user, port or connection is left to the task.
  const become = task.become ?? play?.become;
  if (typeof become === 'string' || task.conn !== undefined || play?.conn !== undefined || task.delegateTo !== undefined) return undefined;
  const becomeUser = task.becomeUser ?? play?.becomeUser;
  const a = task.args;
  const state = a.state ?? 'present';
  if (state !== 'present' && state !== 'latest') return undefined;
  if (a.install_recommends !== undefined && typeof a.install_recommends !== 'boolean') return undefined;
  let raw: unknown = a.name ?? a.pkg ?? a.package;
  try {
    raw = typeof raw === 'string' ? renderString(raw, vars) : renderDeep(raw, vars);
  } catch {
    return undefined;
  }
  const list = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter(Boolean) : raw;
  if (!Array.isArray(list) || !list.length || !list.every((n) => typeof n === 'string' && PLAIN_NAME.test(n))) return undefined;
  return {
    names: list as string[],
    ...(typeof a.install_recommends === 'boolean' ? { installRecommends: a.install_recommends } : {}),
    ...(become !== undefined ? { become } : {}),
    ...(becomeUser !== undefined ? { becomeUser } : {}),
  };
}

/** Variables known before the run: the host's inventory variables, the play's and its roles' defaults and vars, the facts given (set_fact's layer), the extra vars. */
function knownVars(r: PrefetchRunner, play: Play, host: string, facts?: Vars): Vars {
  const inv = r.inventory;
  return buildVars([
    ...play.roles.map((role) => role.defaults),
    inv.hosts.has(host) ? hostVars(inv, host) : {},
    play.vars,
    ...play.roles.map((role) => role.vars),
    facts,
    r.extraVars,
    { inventory_hostname: host, inventory_hostname_short: host.split('.')[0], group_names: inv.hosts.has(host) ? groupNamesOf(inv, host) : [], groups: groupsMap(inv) },
  ]);
}

/** The hosts a play targets, as far as the extra vars and groups tell before the run; undefined when its pattern cannot be told. */
function playHosts(r: PrefetchRunner, play: Play): string[] | undefined {
  try {
    return selectHosts(r.inventory, String(renderString(play.hosts, buildVars([r.extraVars, { groups: groupsMap(r.inventory) }]))));
  } catch {
    return undefined;
  }
}

/** Per host, the installs the run's package tasks ask for (in task order, per recommends setting). */
export function plannedInstalls(r: PrefetchRunner, playbooks: Playbook[]): Map<string, PlannedInstall[]> {
  const out = new Map<string, PlannedInstall[]>();
  const allowed = r.limit ? new Set(selectHosts(r.inventory, r.limit)) : undefined;
  for (const play of playbooks.flatMap((pb) => pb.plays)) {
    const reach: Reach = { become: play.become, becomeUser: play.becomeUser, conn: play.conn };
    const tasks = [...tasksOf(play.preTasks, reach), ...tasksOf(play.tasks, reach), ...tasksOf(play.postTasks, reach)].filter((t) => PACKAGE_MODULES.has(t.task.action));
    if (!tasks.length) continue;
    const hosts = playHosts(r, play);
    if (!hosts) continue;
    for (const host of hosts.filter((h) => !allowed || allowed.has(h))) {
      const vars = knownVars(r, play, host);
      for (const { task, reach: r2 } of tasks) {
        const p = plannedInstall(task, vars, r2);
        if (!p) continue;
        const list = out.get(host) ?? [];
        const same = list.find((x) => x.installRecommends === p.installRecommends && x.become === p.become && x.becomeUser === p.becomeUser);
        if (same) same.names = [...new Set([...same.names, ...p.names])];
        else list.push(p);
        out.set(host, list);
      }
    }
  }
  return out;
}

/** dpkg's answer: the names among `names` that are not installed on the host. */
async function missing(host: Host, names: string[]): Promise<string[]> {
  const r = await host.run(['dpkg-query', '-W', '-f', '${Package} ${db:Status-Abbrev}\\n', '--', ...names]);
  const installed = new Set(r.stdout.split('\n').filter((l) => /^\S+ ii/.test(l)).map((l) => l.split(' ')[0]));
  return names.filter((n) => !installed.has(n.split(':')[0]));
}

/** Tasks that wait for their host's downloads: the installs the downloads are for. */
export const WAITS_FOR_DOWNLOADS: ReadonlySet<string> = new Set(['apt', 'package']);

/**
 * Download what `apt-get install ARGS` would unpack into a private directory
 * (a download-only install: apt resolves as the real install will, in one run
 * of apt), then rename each .deb into /var/cache/apt/archives unless it is
 * there. Debug::NoLocking: a download-only install would otherwise take the
 * dpkg frontend lock, which the run's own apt tasks or the site's apt may hold;
 * nothing but the private directory is written (package-files.ts says more).
 */
export const DOWNLOAD_SCRIPT = `set -u
T=$(mktemp -d) || exit 70
trap 'cd /; rm -rf "$T"' EXIT
A=/var/cache/apt/archives
mkdir -p "$T/a/partial" || exit 70
${APT_DOWNLOAD_ONLY} >/dev/null 2>&1
for f in "$T"/a/*.deb; do
  [ -f "$f" ] || continue
  b=\${f##*/}
  if [ ! -e "$A/$b" ] && cp "$f" "$A/.$b.tsplay" 2>/dev/null; then mv -f "$A/.$b.tsplay" "$A/$b" || rm -f "$A/.$b.tsplay"; fi
done
exit 0
`;

/** argv downloading what `apt-get install NAMES` (this recommends setting) would unpack into apt's cache. */
export function downloadArgv(names: readonly string[], installRecommends?: boolean): string[] {
  return ['sh', '-c', DOWNLOAD_SCRIPT, 'tsplay-apt-download', ...recommendsFlags(installRecommends), 'install', '--', ...names];
}

/** The host as the task will reach it (its become), on the host's own connection. */
function hostFor(r: PrefetchRunner, h: HostRun, p: PlannedInstall): Host {
  const s = h.settings;
  return new Host(r.connection(h), {
    name: h.name, loginUser: s.user, become: p.become ?? s.become, becomeUser: p.becomeUser ?? s.becomeUser,
    becomeMethod: s.becomeMethod, becomeFlags: s.becomeFlags, becomeExe: s.becomeExe, becomePassword: s.becomePassword,
  });
}

/**
 * The arguments that name a file a shipped module's prediction reads (aliases
 * included), and the files some read without naming them. A module not listed
 * here may read anything: its host is prefetched as before.
 */
const READ_PATH_ARGS: Record<string, string[]> = {
  lineinfile: ['path', 'dest', 'destfile', 'name'],
  blockinfile: ['path', 'dest', 'destfile', 'name'],
  replace: ['path', 'dest', 'destfile', 'name'],
  ini_file: ['path', 'dest'],
  copy: ['dest'],
  template: ['dest'],
  file: ['path', 'dest', 'name'],
  stat: ['path'],
  slurp: ['src', 'path'],
  command: ['creates', 'removes'],
  shell: ['creates', 'removes'],
  wait_for: ['path'],
  mount: ['fstab'],
  service: [],
  systemd: [],
  systemd_service: [],
};
const IMPLICIT_READS: Record<string, string[]> = { mount: ['/etc/fstab'] };
/** The argument that names the unit a service module reads. */
const UNIT_ARGS: Record<string, string[]> = { service: ['name'], systemd: ['name', 'unit'], systemd_service: ['name', 'unit'] };
/** Built-in actions (engine/run/builtins): none reads a file, unit or package of the host. */
const READS_NOTHING: ReadonlySet<string> = new Set(BUILTIN_NAMES);

/** Files and units a host's later tasks name, as far as they can be told before the run. */
export interface ContentReads {
  paths: string[];
  units: string[];
}

/** Actions that change the variables or groups later tasks see in ways this walk does not follow. */
const CHANGES_VARS: ReadonlySet<string> = new Set(['include_vars', 'add_host', 'group_by']);
/** A lookup runs code or reads the controller: never called before the run. */
const CALLS_LOOKUP = /\b(lookup|query|q)\s*\(/;

/** Whether a task's text (arguments and conditions) calls a lookup. */
function callsLookup(...parts: unknown[]): boolean {
  return CALLS_LOOKUP.test(JSON.stringify(parts));
}

/**
 * What the tasks that run on a host from its first planned install on (that
 * play's tasks and handlers and every later play's) could ask of the predicted
 * packages' contents: the covered paths (package-files.ts coveredPath) and the
 * units they name. Undefined when that cannot be told before the run: a module
 * not in READ_PATH_ARGS, an include, a delegated task, an argument that needs
 * run-time variables, or a later package task (it asks apt's closure).
 *
 * The walk follows `set_fact` from the first play on, as the host will run it,
 * where its conditions and values can be told from the variables known before
 * the run (the settings idiom: `set_fact: {x: default}` when `x is not defined`).
 * A set_fact it cannot tell (a condition or value that needs run-time data, a
 * loop, a rescue, a block's or task's own vars, run_once, delegation) and a
 * registered result make their names unknown: a later path naming one is not
 * told either. This is only a guess at what to fetch early: a prediction that
 * needs what was not fetched still asks the host itself.
 */
export function contentReads(r: PrefetchRunner, playbooks: Playbook[], host: string): ContentReads | undefined {
  const out: ContentReads = { paths: [], units: [] };
  let started = false;
  /** What the host's set_fact tasks will have set, where known before the run. */
  const facts: Vars = {};
  /** Names set at run time to values not known before it. */
  const unknown = new Set<string>();
  for (const play of playbooks.flatMap((pb) => pb.plays)) {
    const hosts = playHosts(r, play);
    if (!hosts) return undefined;
    if (!hosts.includes(host)) continue;
    // vars_files are read at run time: their variables are not known here.
    if (play.varsFiles.length) return undefined;
    let vars: Vars | undefined;
    const varsNow = (): Vars => {
      if (!vars) {
        vars = knownVars(r, play, host, facts);
        for (const k of unknown) delete vars[k];
      }
      return vars;
    };
    const reach: Reach = { become: play.become, becomeUser: play.becomeUser, conn: play.conn };
    const tasks: PlacedTask[] = [
      ...tasksOf(play.preTasks, reach),
      ...tasksOf(play.tasks, reach),
      ...tasksOf(play.postTasks, reach),
      // A handler may or may not run.
      ...play.handlers.map((task) => ({ task, reach, blockWhen: [], scoped: true })),
    ];
    for (const { task, reach: r2, blockWhen, scoped } of tasks) {
      if (task.include || task.templatedAction || CHANGES_VARS.has(task.action)) return undefined;
      if (task.action === 'set_fact') {
        const keys = Object.keys(task.args).filter((k) => k !== 'cacheable');
        if (keys.some((k) => k.includes('{{') || k.includes('{%'))) return undefined;
        let values: Vars | undefined;
        const sure = !scoped && task.loop === undefined && task.delegateTo === undefined && task.runOnce === false && !Object.keys(task.vars).length;
        if (sure && !callsLookup(task.args, blockWhen, task.when)) {
          try {
            const v = varsNow();
            values = {};
            if (evaluateAll([...blockWhen, ...task.when], v)) for (const k of keys) values[k] = setFactValue(renderDeep(task.args[k], v));
          } catch {
            values = undefined;
          }
        }
        for (const k of keys) {
          if (values && !(k in values)) continue;
          if (values) {
            facts[k] = values[k];
            unknown.delete(k);
          } else {
            delete facts[k];
            unknown.add(k);
          }
        }
        vars = undefined;
        continue;
      }
      if (task.register) {
        delete facts[task.register];
        unknown.add(task.register);
        vars = undefined;
      }
      if (PACKAGE_MODULES.has(task.action)) {
        // The first install is what the prefetch is for; a later package task asks apt's closure.
        if (!started && plannedInstall(task, varsNow(), r2)) {
          started = true;
          continue;
        }
        if (started) return undefined;
        continue;
      }
      if (!started || READS_NOTHING.has(task.action)) continue;
      const pathArgs = READ_PATH_ARGS[task.action];
      if (!pathArgs || task.delegateTo !== undefined) return undefined;
      const named = (keys: string[]): string[] | undefined => {
        const found: string[] = [];
        for (const k of keys) {
          const raw = task.args[k];
          if (raw === undefined) continue;
          if (typeof raw !== 'string' || callsLookup(raw)) return undefined;
          let v: unknown;
          try {
            v = renderString(raw, varsNow());
          } catch {
            return undefined;
          }
          if (typeof v !== 'string') return undefined;
          found.push(v);
        }
        return found;
      };
      const paths = named(pathArgs);
      const units = named(UNIT_ARGS[task.action] ?? []);
      if (!paths || !units) return undefined;
      out.paths.push(...[...paths, ...(IMPLICIT_READS[task.action] ?? [])].filter((p) => coveredPath(posixPath.normalize(p))));
      out.units.push(...units);
    }
  }
  return { paths: [...new Set(out.paths)], units: [...new Set(out.units)] };
}

/** --check: the contents the predictions will read, in the overlay's cache. */
async function prepareContents(r: PrefetchRunner, h: HostRun, installs: PlannedInstall[], reads: ContentReads | undefined): Promise<void> {
  const files = packageFilesOf(h.overlay);
  if (reads) {
    // Every file and unit the later tasks name is on the host already: nothing they read can come
    // from the packages, so nothing is fetched (a prediction that does need them still asks itself).
    const host = hostFor(r, h, installs[0]);
    const [paths, units] = await Promise.all([host.getAll(file, reads.paths), host.getAll(services, reads.units)]);
    if (paths.every((st) => st.exists) && units.every((st) => st.exists)) return;
  }
  for (const p of installs) {
    const host = hostFor(r, h, p);
    const names = await missing(host, p.names);
    if (!names.length) continue;
    // The same request (names, recommends) the prediction makes from the overlay's install group.
    // Tentative: a failure here (a sudo password only a play's vars give, say) is no answer for the prediction.
    const all = await files.closure(host, names, p.installRecommends, { tentative: true, contents: true });
    await files.ensure(host, all, { tentative: true });
  }
}

/** A real run: the .debs the installs will need, in apt's cache. */
async function download(r: PrefetchRunner, h: HostRun, installs: PlannedInstall[]): Promise<void> {
  for (const p of installs) {
    const host = hostFor(r, h, p);
    const names = await missing(host, p.names);
    if (!names.length) continue;
    await host.run(downloadArgv(names, p.installRecommends), { timeoutMs: 1_800_000 });
  }
}

/**
 * Start the package work in the background. Returns at once; under --check the
 * lookups end on their own (or fail quietly when the run closes the
 * connections); in a real run each host's downloads are its HostRun's
 * `packageDownloads`, which its apt tasks wait for.
 */
export function startPackagePrefetch(r: PrefetchRunner, playbooks: Playbook[], check: boolean): void {
  if (process.env.TSPLAY_PACKAGE_PREFETCH === '0') return;
  let planned: Map<string, PlannedInstall[]>;
  try {
    planned = plannedInstalls(r, playbooks);
  } catch {
    return;
  }
  for (const [name, installs] of planned) {
    const h = r.hostRun(name);
    let reads: ContentReads | undefined;
    try {
      reads = check ? contentReads(r, playbooks, name) : undefined;
    } catch {
      reads = undefined;
    }
    const work = (check ? prepareContents(r, h, installs, reads) : download(r, h, installs)).catch(() => undefined);
    if (!check) h.packageDownloads = work;
  }
}
