// What command and shell share: creates/removes gathering, the plan, and an
// apply() that returns rc/stdout/stderr and fails on a non-zero rc.

import { ModuleError } from '../../engine/module-api.js';
import type { ChangePlan, HostReader, HostWriter, Plan } from '../../engine/module-api.js';
import { quoteArgv } from '../../engine/host/shell.js';
import { execStep } from './system-run.js';
import type { RunStep } from './system-run.js';
import { file } from '../../engine/facts/file.js';

export interface CommandArgs {
  cmd?: string;
  argv?: string[];
  chdir?: string;
  creates?: string;
  removes?: string;
  stdin?: string;
  stdin_add_newline: boolean;
  executable?: string;
}

export interface CommandState {
  /** Whether `creates` / `removes` exist on the host (absent when not given). */
  creates?: boolean;
  removes?: boolean;
}

export const commonProperties = {
  cmd: { type: 'string' },
  chdir: { type: 'string', minLength: 1 },
  creates: { type: 'string', minLength: 1 },
  removes: { type: 'string', minLength: 1 },
  stdin: { type: 'string' },
  stdin_add_newline: { type: 'boolean', default: true },
};

const GLOB = /[*?[]/;
// The pattern arrives as $1; with IFS empty it is globbed but not split.
const GLOB_SCRIPT = 'IFS=; for f in $1; do [ -e "$f" ] || [ -L "$f" ] && exit 0; done; exit 1';

/** creates/removes relative to chdir, as Ansible resolves them. */
export function resolvePath(p: string, chdir?: string): string {
  if (p.startsWith('/') || !chdir) return p;
  return chdir.replace(/\/+$/, '') + '/' + p;
}

async function exists(host: HostReader, path: string): Promise<boolean> {
  // A glob is matched by the host's shell (raw run, not a fact): predicted files do not match it.
  if (GLOB.test(path)) return (await host.run(['sh', '-c', GLOB_SCRIPT, 'sh', path])).rc === 0;
  const st = await host.get(file, path);
  return st.exists;
}

export async function gatherCommand(args: CommandArgs, host: HostReader): Promise<CommandState> {
  const state: CommandState = {};
  if (args.creates) state.creates = await exists(host, resolvePath(args.creates, args.chdir));
  if (args.removes) state.removes = await exists(host, resolvePath(args.removes, args.chdir));
  return state;
}

/** The plan for an argv already built (the command module splits, shell wraps). */
export function planCommand(args: CommandArgs, state: CommandState, argv: string[], shown: string): Plan {
  const skipped = { cmd: argv, rc: 0, stdout: '', stderr: '', stdout_lines: [], stderr_lines: [] };
  let checkModeSkip = 'check mode: the command is not run';
  if (args.creates) {
    const p = resolvePath(args.creates, args.chdir);
    if (state.creates) return { changed: false, reason: `not run: ${p} exists`, result: skipped };
    checkModeSkip = `check mode: ${p} does not exist, so the command would run`;
  }
  if (args.removes) {
    const p = resolvePath(args.removes, args.chdir);
    if (!state.removes) return { changed: false, reason: `not run: ${p} does not exist`, result: skipped };
    checkModeSkip = `check mode: ${p} exists, so the command would run`;
  }
  const step: RunStep = { kind: 'run', argv };
  if (args.stdin !== undefined) step.stdin = args.stdin_add_newline ? args.stdin + '\n' : args.stdin;
  if (args.chdir) step.cwd = args.chdir;
  return {
    changed: true,
    summary: `run ${shown}${args.chdir ? ` in ${args.chdir}` : ''}`,
    steps: [step],
    result: { cmd: argv },
    checkModeSkip,
  };
}

function lines(text: string): string[] {
  return text === '' ? [] : text.split('\n');
}

/** Run the one step; return rc/stdout/stderr (one trailing newline stripped); non-zero rc fails. */
export async function applyCommand(plan: ChangePlan, host: HostWriter): Promise<Record<string, unknown>> {
  const step = plan.steps[0] as RunStep;
  const started = Date.now();
  const r = await execStep(host, step);
  const stdout = r.stdout.replace(/\r?\n$/, '');
  const stderr = r.stderr.replace(/\r?\n$/, '');
  const result = {
    cmd: step.argv, rc: r.rc, stdout, stderr, stdout_lines: lines(stdout), stderr_lines: lines(stderr),
    delta_ms: Date.now() - started,
  };
  if (r.rc !== 0) {
    const first = stderr.split('\n').find((l) => l.trim() !== '') ?? '';
    throw new ModuleError(`${quoteArgv(step.argv)} exited with rc ${r.rc}${first ? `: ${first}` : ''}`, result);
  }
  return result;
}
