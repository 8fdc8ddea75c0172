// The host's init system (Ansible's service_mgr), detected in ONE place: the
// system facts, the services fact and the package-content snapshot all run
// INIT_PROBE and decide with parseInitProbe.

import type { InitSystem } from '../module-api.js';
import { perArg } from './fact.js';

/**
 * Read-only shell text; prints one line per finding: `pid1 COMM`, then
 * `run_systemd`, `initctl`, `etc_init`, `etc_initd` when present. Constant text.
 */
export const INIT_PROBE =
  // PID 1's name read by the shell itself (a `$(cat ...)` cost a fork and an exec)
  `__tsplay_c=; { IFS= read -r __tsplay_c; } 2>/dev/null </proc/1/comm; printf 'pid1 %s\\n' "$__tsplay_c"; ` +
  `if [ -d /run/systemd/system ]; then echo run_systemd; fi; ` +
  `if command -v initctl >/dev/null 2>&1; then echo initctl; fi; ` +
  `if [ -d /etc/init ]; then echo etc_init; fi; ` +
  `if [ -d /etc/init.d ]; then echo etc_initd; fi`;

/** Decide from INIT_PROBE's lines (in the spirit of Ansible's service_mgr fact). Pure. */
export function parseInitProbe(stdout: string): InitSystem {
  const lines = stdout.split('\n').map((l) => l.trim());
  const pid1 = lines.find((l) => l.startsWith('pid1 '))?.slice(5).trim() ?? '';
  const has = (k: string) => lines.includes(k);
  if (pid1 === 'systemd' || has('run_systemd')) return 'systemd';
  if (has('initctl') && has('etc_init')) return 'upstart';
  if (has('etc_initd')) return 'sysvinit';
  return 'unknown';
}

/** The init system as a fact (for hosts whose system facts were not gathered). No overlay rule. */
export const initSystem = perArg<void, InitSystem>({
  name: 'init_system',
  snippet: () => INIT_PROBE,
  parse: (_arg, r) => parseInitProbe(r.stdout),
});

/**
 * The init system a module acts through: named by the facts, else detected on
 * the host (a real host reads it once per run: engine/host/host.ts).
 */
export async function initSystemFor(host: { facts: { service_mgr?: unknown }; get(fact: typeof initSystem, arg: undefined): Promise<InitSystem> }): Promise<InitSystem> {
  const known = initSystemOf(host.facts);
  return known !== 'unknown' ? known : host.get(initSystem, undefined);
}

/** The init system tsplay's modules use, per facts object (set where the facts are parsed; not a variable). */
const initOfFacts = new WeakMap<object, InitSystem>();

/** Record the init system detected with these facts (INIT_PROBE), apart from Ansible's service_mgr name. */
export function setInitSystemOf(facts: object, init: InitSystem): void {
  initOfFacts.set(facts, init);
}

/**
 * The init system modules act through: the one detected with the facts, else
 * service_mgr when it names one tsplay drives (a fixture, facts set by hand),
 * else unknown. service_mgr itself is Ansible's name (PID 1's command, such as
 * "tini" in a container), which need not be an init system.
 */
export function initSystemOf(facts: { service_mgr?: unknown }): InitSystem {
  const known = initOfFacts.get(facts);
  if (known) return known;
  const m = facts.service_mgr;
  return m === 'systemd' || m === 'upstart' || m === 'sysvinit' ? m : 'unknown';
}
