// What command and shell share: creates/removes gathering and the plan. The one
// run step is the task's result (taskResult: rc/stdout/stderr...); a non-zero rc
// fails the task (engine/run/steps.ts).

import type { HostReader, Plan, RunStep } from '../../engine/module-api.js';
import { S } from '../../engine/schema.js';
import type { PropsStatic } from '../../engine/schema.js';
import { file } from '../../engine/facts/file.js';

/** The arguments command and shell share (each module's schema adds its own). */
export const commonProperties = {
  cmd: S.string({ description: 'the command line' }),
  chdir: S.string({ minLength: 1, description: 'run in this directory' }),
  creates: S.string({ minLength: 1, description: 'path or glob (relative to chdir): do not run when it exists' }),
  removes: S.string({ minLength: 1, description: 'path or glob (relative to chdir): run only when it exists' }),
  stdin: S.string({ description: 'text fed to the command on standard input' }),
  stdin_add_newline: S.boolean({ default: true, description: 'append a newline to stdin' }),
};

/** What the shared code reads: command's and shell's derived argument types both fit it. */
export type CommandArgs = PropsStatic<typeof commonProperties> & { argv?: string[]; executable?: string };

export interface CommandState {
  /** Whether `creates` / `removes` exist on the host (absent when not given). */
  creates?: boolean;
  removes?: boolean;
}

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
  const step: RunStep = { kind: 'run', argv, taskResult: true };
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
