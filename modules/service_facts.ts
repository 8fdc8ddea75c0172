// service_facts: every service the host's init systems know, as Ansible
// 2.14's service_facts reports them under ansible_facts.services: systemd
// units (name, state, status, source: systemd), sysv scripts from
// `service --status-all` (name, state, source: sysv) and upstart jobs
// (name, state, goal, source: upstart). Never changes anything.

import { defineModule } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { HostReader, RunResult } from '../engine/module-api.js';

const schema = S.object({}, { additionalProperties: false });

export interface ServiceFactsState {
  /** Tools found (service, chkconfig, initctl, rc-status, systemctl) and PID 1's name. */
  tools: string[];
  pid1: string;
  sysv?: RunResult;
  upstart?: RunResult;
  units?: RunResult;
  unitFiles?: RunResult;
  /** The unit files list-units did not list, and `systemctl show --property=ActiveState` of each (in order). */
  showUnits?: string[];
  show?: RunResult[];
}

export type Service = { name: string; state: string; status?: string; source: string; goal?: string };

const C = ['env', 'LC_ALL=C', 'LANG=C'];
const BAD_STATES = ['not-found', 'masked', 'failed'];

/** systemctl list-units: name, state (running or stopped), status (LOAD, or a bad state). */
export function parseUnits(stdout: string, services: Record<string, Service>): void {
  for (const line of stdout.split('\n').filter((l) => l.includes('.service'))) {
    let fields = line.trim().split(/\s+/);
    let status: string;
    const bad = BAD_STATES.find((b) => fields.includes(b));
    if (bad) {
      status = bad;
      fields = fields.slice(1);
    } else status = fields[2];
    const name = fields[0];
    services[name] = { name, state: fields[3] === 'running' ? 'running' : 'stopped', status, source: 'systemd' };
  }
}

/** systemctl list-unit-files: units not listed yet get their ActiveState (from `show`), others their enablement. */
export function parseUnitFiles(stdout: string, active: ReadonlyMap<string, string>, services: Record<string, Service>): void {
  for (const line of stdout.split('\n').filter((l) => l.includes('.service'))) {
    const [name, status] = line.trim().split(/\s+/);
    if (status === undefined) continue;
    if (!(name in services)) services[name] = { name, state: active.get(name) ?? 'unknown', status, source: 'systemd' };
    else if (!BAD_STATES.includes(services[name].status ?? '')) services[name].status = status;
  }
}

/** Each unit's ActiveState as Ansible reads it: `show` failed or printed nothing -> unknown. */
export function activeStates(units: readonly string[], show: readonly RunResult[]): Map<string, string> {
  const out = new Map<string, string>();
  units.forEach((u, i) => {
    const r = show[i];
    out.set(u, r && r.rc === 0 && r.stdout !== '' ? r.stdout.replace('ActiveState=', '').trimEnd() : 'unknown');
  });
  return out;
}

/** The unit files list-units does not list (their state needs `systemctl show`). */
export function unlistedUnitFiles(units: string, unitFiles: string): string[] {
  const listed: Record<string, Service> = {};
  parseUnits(units, listed);
  return unitFiles.split('\n').filter((l) => l.includes('.service')).map((l) => l.trim().split(/\s+/)[0]).filter((n) => n && !(n in listed));
}

export function parseSysv(stdout: string, services: Record<string, Service>): void {
  for (const m of stdout.matchAll(/^\s*\[ (\+|-) \]\s+(.+)$/gm)) {
    services[m[2]] = { name: m[2], state: m[1] === '+' ? 'running' : 'stopped', source: 'sysv' };
  }
}

export function parseUpstart(stdout: string, services: Record<string, Service>): void {
  for (const line of stdout.replace(/\r/g, '').split('\n')) {
    const m = /^\s?(.*)\s(\w+)\/(\w+)(,\sprocess\s([0-9]+))?\s*$/.exec(line);
    if (m) services[m[1]] = { name: m[1], state: m[3], goal: m[2], source: 'upstart' };
  }
}

export default defineModule<typeof schema, ServiceFactsState>({
  name: 'service_facts',
  description: 'Read the state of every service (systemd, sysv, upstart) into ansible_facts.services',
  schema,

  async gather(_args, host: HostReader): Promise<ServiceFactsState> {
    const [tools, sysv, upstart, units, unitFiles] = await host.runAll([
      ['sh', '-c', 'for t in service chkconfig initctl rc-status systemctl; do if command -v "$t" >/dev/null 2>&1; then echo "$t"; fi; done; printf "pid1 %s\\n" "$(cat /proc/1/comm 2>/dev/null)"'],
      [...C, 'service', '--status-all'],
      [...C, 'initctl', 'list'],
      [...C, 'systemctl', 'list-units', '--no-pager', '--type', 'service', '--all'],
      [...C, 'systemctl', 'list-unit-files', '--no-pager', '--type', 'service', '--all'],
    ]);
    const found = tools.stdout.split('\n').filter((l) => l && !l.startsWith('pid1 '));
    const pid1 = /^pid1 (.*)$/m.exec(tools.stdout)?.[1] ?? '';
    const state: ServiceFactsState = { tools: found, pid1, sysv, upstart, units, unitFiles };
    if (pid1.includes('systemd') && found.includes('systemctl') && units.rc === 0 && unitFiles.rc === 0) {
      const missing = unlistedUnitFiles(units.stdout, unitFiles.stdout);
      // one command per unit, as Ansible (a template unit such as getty@.service fails alone), in one round trip
      if (missing.length) {
        state.showUnits = missing;
        state.show = await host.runAll(missing.map((u) => [...C, 'systemctl', 'show', u, '--property=ActiveState']));
      }
    }
    return state;
  },

  plan(_args, s) {
    const services: Record<string, Service> = {};
    const has = (t: string) => s.tools.includes(t);
    // as Ansible: sysv (and upstart) first, then systemd's units over them
    if (has('service') && !has('chkconfig') && !has('rc-status') && s.sysv) parseSysv(s.sysv.stdout, services);
    if (has('initctl') && !has('chkconfig') && s.upstart?.rc === 0) parseUpstart(s.upstart.stdout, services);
    if (s.pid1.includes('systemd') && has('systemctl')) {
      const sd: Record<string, Service> = {};
      if (s.units?.rc === 0) parseUnits(s.units.stdout, sd);
      if (s.unitFiles?.rc === 0) parseUnitFiles(s.unitFiles.stdout, activeStates(s.showUnits ?? [], s.show ?? []), sd);
      Object.assign(services, sd);
    }
    const n = Object.keys(services).length;
    if (!n) {
      return { changed: false, reason: 'no services found', result: { skipped: true, msg: 'Failed to find any services. This can be due to privileges or some other configuration issue.' } };
    }
    return { changed: false, reason: `read ${n} services`, result: { ansible_facts: { services } } };
  },
});
