// systemd (and its alias systemd_service): Ansible 2.14's systemd module on a
// systemd host: start/stop/restart/reload a unit, enable/disable, mask/unmask,
// daemon-reload/daemon-reexec (docs/modules/systemd.md). A host whose service
// manager is not systemd is refused. `status` is the unit's properties as
// `systemctl show` prints them, read before any change (as Ansible's is).

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import type { InitSystem, Prediction, ServiceState, Step } from '../engine/module-api.js';
import { initSystemFor } from '../engine/facts/init-system.js';
import { services, systemdUnitName } from '../engine/facts/services.js';

const schema = S.object({
  // A unit name; never an option (no leading "-"), no glob (Ansible refuses those too).
  name: S.string({ pattern: '^[A-Za-z0-9_@.:\\\\][A-Za-z0-9_@.:\\\\-]*$', description: 'the unit; without a suffix it is NAME.service' }),
  state: S.enum(['started', 'stopped', 'restarted', 'reloaded'], { description: 'started/stopped act only when needed; restarted and reloaded always act (a stopped unit is started)' }),
  enabled: S.boolean({ description: 'start at boot (systemctl enable/disable)' }),
  masked: S.boolean({ description: 'masked: the unit cannot be started (systemctl mask/unmask)' }),
  daemon_reload: S.boolean({ default: false, description: 'systemctl daemon-reload first (runs even when nothing else changes; not a change, as in Ansible)' }),
  'daemon-reload': S.boolean({ description: 'alias of daemon_reload' }),
  daemon_reexec: S.boolean({ default: false, description: 'systemctl daemon-reexec first (not a change, as in Ansible)' }),
  'daemon-reexec': S.boolean({ description: 'alias of daemon_reexec' }),
  scope: S.enum(['system', 'user', 'global'], {
    default: 'system',
    description: "system: the host's manager; user: the connecting (or become) user's own manager (XDG_RUNTIME_DIR defaults to /run/user/UID, as in Ansible); global: what is enabled for every user (enabled and masked only)",
  }),
  no_block: S.boolean({ default: false, description: 'systemctl --no-block: do not wait for the job to finish' }),
  force: S.boolean({ description: 'systemctl --force: override existing symlinks (enable)' }),
}, {
  // No required_one_of: as in Ansible, whose daemon_reload default (false) already satisfies it,
  // `name` alone is accepted and only reports the unit's status.
  additionalProperties: false,
});

export type SystemdArgs = Static<typeof schema>;

export interface SystemdState {
  /** The host's service manager. */
  mgr: InitSystem;
  /** The unit as the services fact sees it (in --check: with earlier tasks' predictions). */
  service?: ServiceState;
  /** `systemctl show UNIT`: every property (Ansible's `status`). */
  status?: Record<string, string>;
  /** `systemctl is-enabled UNIT`: its output's first line and rc. */
  isEnabled?: { out: string; rc: number };
}

/** Parse `systemctl show` output (KEY=VALUE lines; a value may hold `=`). Pure. */
export function parseShow(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** Ansible: is-enabled exits 0 (enabled, static, generated, ...) and does not say only indirect/alias. */
function enabledNow(state: SystemdState): boolean {
  const svc = state.service;
  if (svc?.predicted && svc.enabled !== null && svc.enabled !== undefined) return svc.enabled;
  const ie = state.isEnabled;
  if (!ie) return false;
  return ie.rc === 0 && ie.out !== 'indirect' && ie.out !== 'alias';
}

function flags(args: SystemdArgs): string[] {
  return [...(args.no_block ? ['--no-block'] : []), ...(args.force ? ['--force'] : [])];
}

// user and global scope: `systemctl --user|--global`, with XDG_RUNTIME_DIR set to
// /run/user/UID when the session has none (an SSH command often has none), as
// Ansible's module sets it. The unit name and verbs stay arguments, never shell text.
const SCOPED_SYSTEMCTL = 'XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/run/user/$(id -u)}" exec systemctl "$@"';

/** `systemctl [--user|--global] ...rest` for the task's scope. */
export function systemctlArgv(scope: SystemdArgs['scope'], rest: string[]): string[] {
  return scope === 'system' ? ['systemctl', ...rest] : ['sh', '-c', SCOPED_SYSTEMCTL, 'systemctl', `--${scope}`, ...rest];
}

/** is-enabled's words that mean systemd knows the unit (Ansible's list, from systemctl(1)). */
const KNOWN_ENABLED_STATES = new Set(['enabled', 'enabled-runtime', 'linked', 'linked-runtime', 'masked', 'masked-runtime', 'static', 'indirect', 'disabled', 'generated', 'transient']);

type Action = 'start' | 'stop' | 'restart' | 'reload';

export default defineModule<typeof schema, SystemdState>({
  name: 'systemd',
  description: 'Manage a systemd unit: start/stop/restart/reload, enable, mask, daemon-reload (systemd hosts only)',
  schema,

  async gather(args, host) {
    const mgr = await initSystemFor(host);
    if (mgr !== 'systemd' || args.name === undefined) return { mgr };
    const unit = systemdUnitName(args.name);
    if (args.scope !== 'system') {
      // A user's or the global units: not the services fact (system units), so nothing predicted.
      const [show, ie] = await host.runAll([systemctlArgv(args.scope, ['show', '--', unit]), systemctlArgv(args.scope, ['is-enabled', '--', unit])]);
      return { mgr, status: show.rc === 0 ? parseShow(show.stdout) : {}, isEnabled: { out: ie.stdout.split('\n')[0].trim(), rc: ie.rc } };
    }
    const service = await host.get(services, args.name);
    // Raw reads: the unit's property listing and is-enabled's word, for `status` and
    // Ansible's enabled rule; the services fact above carries what --check predicts.
    const [show, ie] = await host.runAll([
      ['systemctl', 'show', '--', unit],
      ['systemctl', 'is-enabled', '--', unit],
    ]);
    return {
      mgr,
      service,
      status: show.rc === 0 ? parseShow(show.stdout) : {},
      isEnabled: { out: ie.stdout.split('\n')[0].trim(), rc: ie.rc },
    };
  },

  plan(args, state) {
    if (state.mgr !== 'systemd') {
      throw new ModuleError(`systemd: this host's service manager is ${state.mgr}, not systemd (the service module drives sysvinit and upstart)`);
    }
    const reload = args.daemon_reload || args['daemon-reload'] === true;
    const reexec = args.daemon_reexec || args['daemon-reexec'] === true;
    const name = args.name;
    if (name === undefined && (args.state !== undefined || args.enabled !== undefined || args.masked !== undefined)) {
      throw new ModuleError('systemd: state, enabled and masked need name');
    }
    const f = flags(args);
    const sc = (...rest: string[]): string[] => systemctlArgv(args.scope, [...f, ...rest]);
    const pre: Step[] = [];
    if (reload) pre.push({ kind: 'run', argv: sc('daemon-reload') });
    if (reexec) pre.push({ kind: 'run', argv: sc('daemon-reexec') });
    if (name === undefined) {
      const what = [reload ? 'daemon-reload' : '', reexec ? 'daemon-reexec' : ''].filter(Boolean).join(' and ');
      return { changed: false, reason: `systemd ${what} (not a change)`, steps: pre, result: { name: null, status: {} } };
    }

    const unit = systemdUnitName(name);
    const svc = state.service ?? { name, exists: false };
    const status = state.status ?? {};
    const loadState = svc.predicted ? 'loaded' : status.LoadState;
    // Ansible: `show` found it, or (show failed, as it does with --global) is-enabled names a known state.
    const found = svc.exists || svc.predicted === true || (loadState !== undefined && loadState !== 'not-found')
      || (status.LoadState === undefined && KNOWN_ENABLED_STATES.has(state.isEnabled?.out ?? ''));
    const masked = state.isEnabled?.out === 'masked' || (!svc.predicted && loadState === 'masked');
    if (!masked && found && status.LoadError !== undefined && status.LoadState === 'error') {
      throw new ModuleError(`Error loading unit file '${name}': ${status.LoadError}`);
    }
    const missing = () => new ModuleError(`Could not find the requested service ${name}: host`);

    const steps: Step[] = [];
    const parts: string[] = [];
    const done: string[] = [];
    const result: Record<string, unknown> = { name, status };
    let enabledAfter: boolean | undefined;
    let activeAfter: boolean | undefined;

    if (args.masked !== undefined) {
      if (masked !== args.masked) {
        if (!found && !args.masked) throw missing();
        steps.push({ kind: 'run', argv: sc(args.masked ? 'mask' : 'unmask', '--', unit) });
        parts.push(`${args.masked ? 'mask' : 'unmask'} ${unit}`);
      } else done.push(args.masked ? 'masked' : 'not masked');
    }

    if (args.enabled !== undefined) {
      if (!found) throw missing();
      const enabled = enabledNow(state);
      result.enabled = args.enabled;
      if (enabled !== args.enabled) {
        steps.push({ kind: 'run', argv: sc(args.enabled ? 'enable' : 'disable', '--', unit) });
        parts.push(`${args.enabled ? 'enable' : 'disable'} ${unit}`);
        enabledAfter = args.enabled;
      } else done.push(enabled ? 'enabled' : 'disabled');
    }

    if (args.state !== undefined) {
      if (!found) throw missing();
      // No ActiveState (global scope: no manager runs those units): Ansible's own failure.
      if (args.scope !== 'system' && status.ActiveState === undefined) throw new ModuleError('Service is in unknown state', { status });
      const activeState = svc.predicted ? (svc.active ? 'active' : 'inactive') : status.ActiveState ?? (svc.active ? 'active' : 'inactive');
      const running = activeState === 'active' || activeState === 'activating';
      let action: Action | undefined;
      if (args.state === 'started') {
        if (!running) action = 'start';
        else done.push('running');
      } else if (args.state === 'stopped') {
        if (running || activeState === 'deactivating') action = 'stop';
        else done.push('stopped');
      } else {
        action = running ? (args.state === 'restarted' ? 'restart' : 'reload') : 'start';
      }
      result.state = args.state === 'stopped' ? 'stopped' : 'started';
      if (action) {
        steps.push({ kind: 'run', argv: sc(action, '--', unit) });
        parts.push(`${action} ${unit}`);
        activeAfter = action !== 'stop';
      }
    }

    if (!steps.length) {
      return { changed: false, reason: `${unit} ${done.join(', ') || 'unchanged'}`, steps: pre.length ? pre : undefined, result };
    }
    const predicts: Prediction[] = [];
    // Service predictions are the system manager's units; a user's or the global units are not predicted.
    if (args.scope === 'system' && (enabledAfter !== undefined || activeAfter !== undefined)) {
      const p: Prediction = { kind: 'service', name };
      if (activeAfter !== undefined) p.active = activeAfter;
      if (enabledAfter !== undefined) p.enabled = enabledAfter;
      predicts.push(p);
    }
    const note = svc.predicted ? ' (its package is installed by an earlier task)' : '';
    return { changed: true, summary: parts.join('; ') + note, steps: [...pre, ...steps], predicts, result };
  },
});
