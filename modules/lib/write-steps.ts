// apply() for the file-writing modules (copy, template, lineinfile, ini_file):
// run the plan's steps in order like the engine's default, and return the
// backup path that an atomic write with `backup: true` made, as `backup_file`.

import { ModuleError } from '../../engine/module-api.js';
import type { ChangePlan, HostWriter } from '../../engine/module-api.js';

export async function applyWithBackup(plan: ChangePlan, host: HostWriter): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const step of plan.steps) {
    if (step.kind === 'write') {
      const { kind: _kind, path, content, ...opts } = step;
      const r = await host.writeFile(path, content, opts);
      if (r.backupPath) out.backup_file = r.backupPath;
      if (r.warnings) out.warnings = [...((out.warnings as string[] | undefined) ?? []), ...r.warnings];
      continue;
    }
    const r = await host.exec(step.argv, { stdin: step.stdin, cwd: step.cwd, env: step.env });
    if (!(step.okCodes ?? [0]).includes(r.rc)) {
      const detail = (r.stderr || r.stdout).trim().split('\n')[0] || '(no output)';
      throw new ModuleError(`${step.argv.join(' ')} failed (rc ${r.rc}): ${detail}`, { argv: step.argv, rc: r.rc, stdout: r.stdout, stderr: r.stderr });
    }
  }
  return out;
}
