// Running plan steps from a custom apply(): the same rules as the engine's
// default (steps in order, a run step fails unless its rc is in okCodes), with
// failures raised as ModuleError carrying the command, rc, stdout and stderr.

import { ModuleError } from '../../engine/module-api.js';
import type { HostWriter, RunResult, Step } from '../../engine/module-api.js';

export type RunStep = Extract<Step, { kind: 'run' }>;

/** First non-empty line of stderr (or stdout), for one-line messages. */
export function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
}

export function commandFailed(argv: readonly string[], r: RunResult, what?: string): ModuleError {
  const detail = firstLine(r.stderr) || firstLine(r.stdout) || '(no output)';
  return new ModuleError(`${what ?? argv.join(' ')} failed (rc ${r.rc}): ${detail}`, {
    argv: [...argv], rc: r.rc, stdout: r.stdout, stderr: r.stderr,
  });
}

/** Run one run step; returns its result without judging the rc. */
export function execStep(host: HostWriter, step: RunStep): Promise<RunResult> {
  return host.exec(step.argv, { stdin: step.stdin, cwd: step.cwd, env: step.env });
}

/** Run one step; throws ModuleError when a run step's rc is not acceptable. */
export async function runStep(host: HostWriter, step: Step): Promise<RunResult | undefined> {
  if (step.kind === 'write') {
    const { kind: _k, path, content, ...opts } = step;
    await host.writeFile(path, content, opts);
    return undefined;
  }
  const r = await execStep(host, step);
  if (!(step.okCodes ?? [0]).includes(r.rc)) throw commandFailed(step.argv, r);
  return r;
}
