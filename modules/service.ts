// service: start/stop/restart/reload and enable/disable a service with the
// host's init system: systemd, upstart or sysvinit (docs/modules/service.md).

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import type { HostReader, InitSystem, Prediction, ServiceState, Step } from '../engine/module-api.js';
import { initSystemFor, initSystemOf } from '../engine/facts/init-system.js';
import { byteString, fromByteString } from './lib/byte-text.js';
import { requireEditableText, writeExpectation } from './lib/file-content.js';
import { fileContent } from '../engine/facts/file.js';
import { services } from '../engine/facts/services.js';

const schema = S.object({
  // A service or unit name; never an option (no leading "-").
  name: S.string({ pattern: '^[A-Za-z0-9_@.:\\\\][A-Za-z0-9_@.:\\\\-]*$', description: 'a service or systemd unit name' }),
  state: S.enum(['started', 'stopped', 'restarted', 'reloaded'], { description: 'started/stopped act only when needed; restarted always restarts; reloaded reloads (starts a stopped service)' }),
  enabled: S.boolean({ description: 'start at boot' }),
}, { additionalProperties: false, required: ['name'] });

export type ServiceArgs = Static<typeof schema>;

export interface ServiceGathered {
  service: ServiceState;
  /** The init system, detected on the host when no gathered fact names it (gather_facts: false). */
  mgr?: InitSystem;
  /** upstart only, when `enabled` is given: /etc/init/NAME.override. */
  /** The upstart override file's exact bytes (edited as bytes, lib/byte-text.ts). */
  override?: { exists: boolean; content?: Buffer };
}

type Action = 'start' | 'stop' | 'restart' | 'reload';

function actionArgv(mgr: InitSystem, action: Action, name: string): string[] {
  switch (mgr) {
    case 'systemd': return ['systemctl', action, '--', name];
    case 'upstart': return ['initctl', action, name];
    case 'sysvinit': return ['service', name, action];
    default: throw new ModuleError(`cannot ${action} ${name}: no supported init system detected (service_mgr is ${mgr})`);
  }
}

const MANUAL = /^\s*manual\s*$/;

export default defineModule<typeof schema, ServiceGathered>({
  name: 'service',
  description: 'Start, stop, restart, reload, enable or disable a service (systemd, upstart, sysvinit)',
  schema,

  async gather(args, host: HostReader): Promise<ServiceGathered> {
    const service = await host.get(services, args.name);
    const out: ServiceGathered = { service };
    // Without gathered facts: detected (once per host for the run; the services read above did it already).
    out.mgr = await initSystemFor(host);
    if (out.mgr === 'upstart' && args.enabled !== undefined) {
      const f = await host.get(fileContent, `/etc/init/${args.name}.override`);
      out.override = { exists: f.exists, content: f.content ?? Buffer.alloc(0) };
    }
    return out;
  },

  // --check, a loop: every item's unit in one read (ModuleDef.loopReads).
  loopReads(items) {
    const names = items.map((a) => a.name);
    return names.every((n): n is string => typeof n === 'string' && n !== '') ? [{ fact: services, args: [...new Set(names)] }] : [];
  },

  plan(args, state, ctx) {
    const mgr = state.mgr ?? initSystemOf(ctx.facts);
    const name = args.name;
    if (args.state === undefined && args.enabled === undefined) throw new ModuleError('nothing to do: give state and/or enabled');
    const svc = state.service;
    if (!svc.exists && !svc.predicted) {
      throw new ModuleError(`${name}: no such service on this host (${mgr} does not know it); is its package installed?`);
    }
    const steps: Step[] = [];
    const parts: string[] = [];
    const done: string[] = [];
    const predicts: Prediction[] = [];
    const active = svc.active === true;
    let activeAfter: boolean | undefined = svc.active;
    let enabledAfter: boolean | null | undefined = svc.enabled;

    // Enabling first, as Ansible does: a unit enabled then started.
    if (args.enabled !== undefined) {
      if (mgr === 'upstart') {
        const path = `/etc/init/${name}.override`;
        const bytes = state.override?.exists ? state.override.content ?? Buffer.alloc(0) : Buffer.alloc(0);
        requireEditableText(path, { path, exists: true, type: 'file', content: bytes });
        const content = byteString(bytes);
        const lines = content === '' ? [] : content.replace(/\n$/, '').split('\n');
        const manual = lines.some((l) => MANUAL.test(l));
        // compare-and-swap: replace only the override this plan read
        const expect = state.override ? writeExpectation(state.override) : undefined;
        const expectOverride = expect ? { expect } : {};
        if (args.enabled && manual) {
          const kept = lines.filter((l) => !MANUAL.test(l));
          if (kept.length === 0) {
            steps.push({ kind: 'run', argv: ['rm', '-f', '--', path] });
            predicts.push({ kind: 'file', path, state: 'absent' });
          } else {
            const after = fromByteString(kept.join('\n') + '\n');
            steps.push({ kind: 'write', path, content: after, ...expectOverride });
            predicts.push({ kind: 'file', path, state: 'file', content: after });
          }
          parts.push(`enable ${name}`);
        } else if (!args.enabled && !manual) {
          const after = fromByteString(content + (content === '' || content.endsWith('\n') ? '' : '\n') + 'manual\n');
          steps.push({ kind: 'write', path, content: after, ...expectOverride });
          predicts.push({ kind: 'file', path, state: 'file', content: after });
          parts.push(`disable ${name}`);
        } else {
          done.push(`already ${args.enabled ? 'enabled' : 'disabled'}`);
        }
        enabledAfter = args.enabled;
      } else if (svc.enabled === null) {
        done.push(`${args.enabled ? 'enabling' : 'disabling'} does not apply (static or not installable)`);
      } else if (svc.enabled === args.enabled) {
        done.push(`already ${args.enabled ? 'enabled' : 'disabled'}`);
      } else if (mgr === 'systemd') {
        steps.push({ kind: 'run', argv: ['systemctl', args.enabled ? 'enable' : 'disable', '--', name] });
        parts.push(`${args.enabled ? 'enable' : 'disable'} ${name}`);
        enabledAfter = args.enabled;
      } else if (mgr === 'sysvinit') {
        if (args.enabled) {
          steps.push({ kind: 'run', argv: ['update-rc.d', name, 'defaults'] }, { kind: 'run', argv: ['update-rc.d', name, 'enable'] });
        } else {
          steps.push({ kind: 'run', argv: ['update-rc.d', name, 'disable'] });
        }
        parts.push(`${args.enabled ? 'enable' : 'disable'} ${name}`);
        enabledAfter = args.enabled;
      } else {
        throw new ModuleError(`cannot enable or disable ${name}: no supported init system detected (service_mgr is ${mgr})`);
      }
    }

    let action: Action | undefined;
    switch (args.state) {
      case 'started': if (!active) action = 'start'; else done.push('already running'); break;
      case 'stopped': if (active) action = 'stop'; else done.push('already stopped'); break;
      // Ansible: reloading a stopped service starts it. upstart cannot restart a stopped job.
      case 'restarted': action = !active && mgr === 'upstart' ? 'start' : 'restart'; break;
      case 'reloaded': action = active ? 'reload' : 'start'; break;
      default: break;
    }
    if (action) {
      steps.push({ kind: 'run', argv: actionArgv(mgr, action, name) });
      parts.push(`${action} ${name}`);
      activeAfter = action !== 'stop';
    }

    const result = { name, active: activeAfter ?? null, enabled: enabledAfter ?? null };
    if (steps.length === 0) return { changed: false, reason: `${name} ${done.join(' and ')}`, result };
    const p: Prediction = { kind: 'service', name };
    if (action) p.active = activeAfter;
    if (args.enabled !== undefined && enabledAfter !== null && enabledAfter !== undefined) p.enabled = enabledAfter;
    predicts.push(p);
    const note = svc.predicted ? ' (its package is installed by an earlier task)' : '';
    return { changed: true, summary: parts.join('; ') + note, steps, predicts, result };
  },
});
