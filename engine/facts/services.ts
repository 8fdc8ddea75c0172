// `services`: what the host's init system reports for each service/unit, one
// section per name; under systemd, several names are one `systemctl show` (its
// start-up is most of the read's cost: 5 units in one call take about a third
// of 5 calls). Overlay rule: a unit the host does not know that a
// predicted package install would ship is seen as that package's postinst
// leaves it (package-content provider); explicit service predictions
// (started, enabled) then apply, `x` and `x.service` being one.

import { ModuleError, type InitSystem, type RunResult, type ServiceState } from '../module-api.js';
import { initSystemOf } from './init-system.js';
import { quote, quoteArgv } from '../host/shell.js';
import type { Overlay } from '../host/overlay.js';
import type { Fact, ReadContext } from './fact.js';
import { packageUnit } from './package-content.js';

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

function knownInit(ctx: ReadContext): Exclude<InitSystem, 'unknown'> {
  const mgr = ctx.initSystem ?? initSystemOf(ctx.facts);
  if (mgr === 'unknown') throw new ModuleError(`${ctx.host}: cannot query services: unknown service manager (no systemd, upstart or /etc/init.d)`);
  return mgr;
}

const SHOW_PROPS = 'LoadState,ActiveState,SubState,UnitFileState';

/**
 * Split one `systemctl show -p ... -- A B C`: a block of properties per unit, in
 * the order named, separated by an empty line. A failed call or a count that
 * does not match is an error for all of them.
 */
export function parseSystemctlShowMany(names: readonly string[], r: RunResult): ServiceState[] {
  const blocks = r.stdout.replace(/\n+$/, '').split('\n\n');
  if (r.rc !== 0 || blocks.length !== names.length) {
    throw new ModuleError(`systemctl show ${names.join(' ')} failed (rc ${r.rc}, ${blocks.length} answers for ${names.length} units): ${r.stderr.trim()}`, { services: [...names], rc: r.rc, stderr: r.stderr });
  }
  return names.map((n, i) => parseSystemctlShow(n, { ...r, stdout: blocks[i] + '\n' }));
}

/** The read-only shell text for one service under an init system. */
export function serviceSnippet(mgr: Exclude<InitSystem, 'unknown'>, n: string): string {
  if (mgr === 'systemd') return quoteArgv(['systemctl', 'show', '-p', SHOW_PROPS, '--', systemdUnitName(n)]);
  if (mgr === 'upstart') {
    const conf = quote(`/etc/init/${n}.conf`);
    const override = quote(`/etc/init/${n}.override`);
    return (
      `if [ -f ${conf} ]; then echo exists; fi; ` +
      `if grep -qs '^[[:space:]]*manual' ${override} ${conf}; then echo manual; fi; ` +
      `printf 'status %s\\n' "$(initctl status ${quote(n)} 2>/dev/null)"`
    );
  }
  const q = quote(n);
  return (
    `if [ -f /etc/init.d/${q} ]; then echo exists; ` +
    `for f in /etc/rc[2-5].d/S??${q}; do if [ -e "$f" ]; then echo enabled; break; fi; done; ` +
    `service ${q} status >/dev/null 2>&1; echo "status $?"; fi`
  );
}

/** A service's state once explicit service predictions apply. Pure. */
export function predictService(overlay: Overlay, base: ServiceState): ServiceState {
  const p = overlay.servicePrediction(base.name);
  if (!p) return base;
  return {
    name: base.name,
    exists: true,
    active: p.active ?? (base.exists ? base.active : false),
    enabled: p.enabled ?? (base.exists ? base.enabled : false),
    predicted: true,
  };
}

export const services: Fact<string, ServiceState> = {
  name: 'services',
  usesInitSystem: true,
  sections(names, ctx) {
    // initctl and service take the name where they also read options (and have no "--").
    const bad = names.find((n) => n.startsWith('-'));
    if (bad !== undefined) throw new ModuleError(`${ctx.host}: ${JSON.stringify(bad)} is not a service name (it starts with "-")`);
    const mgr = knownInit(ctx);
    if (mgr === 'systemd' && names.length > 1) return [quoteArgv(['systemctl', 'show', '-p', SHOW_PROPS, '--', ...names.map(systemdUnitName)])];
    return names.map((n) => serviceSnippet(mgr, n));
  },
  parse(names, rs, ctx) {
    const mgr = knownInit(ctx);
    if (mgr === 'systemd' && names.length > 1) return parseSystemctlShowMany(names, rs[0]);
    const parse = mgr === 'systemd' ? parseSystemctlShow : mgr === 'upstart' ? parseUpstart : parseSysv;
    return names.map((n, i) => parse(n, rs[i]));
  },
  async predict(_name, base, p) {
    return predictService(p.overlay, await packageUnit(p, base));
  },
};
