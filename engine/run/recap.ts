// The recap: how each outcome counts (as ansible-playbook counts it), and the
// run's exit code from the counts.

import type { RecapCounts } from '../report/events.js';
import { ExitCode } from '../errors.js';
import type { HostRun, TaskOutcome } from './host-run.js';

export function emptyRecap(): RecapCounts {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
}

/** Count an outcome on its host; a failure not ignored takes the host out. Returns true when the task changed something. */
export function countOutcome(h: HostRun, outcome: TaskOutcome): boolean {
  const { status, result } = outcome;
  switch (status) {
    case 'skipped':
      h.recap.skipped++;
      break;
    case 'failed':
      if (outcome.ignored) {
        // As ansible-playbook counts it: an ignored failure is ok, ignored, and changed if it changed.
        h.recap.ok++;
        h.recap.ignored++;
        if (result.changed === true) h.recap.changed++;
      } else {
        h.recap.failed++;
        h.failed = true;
      }
      break;
    case 'changed':
      h.recap.ok++;
      h.recap.changed++;
      return true;
    default:
      h.recap.ok++;
  }
  return false;
}

/** The recap of the hosts a play ran on (a host only read through hostvars or delegate_to is not in it). */
export function recapOf(hosts: Iterable<HostRun>): Record<string, RecapCounts> {
  const recap: Record<string, RecapCounts> = {};
  for (const h of hosts) if (h.inPlay) recap[h.name] = h.recap;
  return recap;
}

/** ansible-playbook's exit code: interrupted, else any failure, else any unreachable host, else ok. */
export function exitCodeOf(hosts: HostRun[], interrupted: boolean): number {
  const anyFailed = hosts.some((h) => h.recap.failed > 0);
  const anyUnreachable = hosts.some((h) => h.recap.unreachable > 0);
  return interrupted ? ExitCode.interrupted : anyFailed ? ExitCode.hostFailed : anyUnreachable ? ExitCode.hostUnreachable : ExitCode.ok;
}
