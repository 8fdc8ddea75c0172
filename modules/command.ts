// command: run a program with arguments, no shell (docs/modules/command.md).

import { defineModule, ModuleError } from '../engine/module-api.js';
import { quoteArgv } from '../engine/host/shell.js';
import { applyCommand, commonProperties, gatherCommand, planCommand } from './lib/system-command.js';
import type { CommandArgs, CommandState } from './lib/system-command.js';
import { splitCommand, SplitError } from '../engine/host/shell.js';

export default defineModule<CommandArgs, CommandState>({
  name: 'command',
  description: 'Run a command without a shell; return rc, stdout and stderr',
  freeForm: 'cmd',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...commonProperties,
      argv: { type: 'array', items: { type: 'string' }, minItems: 1 },
    },
  },

  gather: (args, host) => gatherCommand(args, host),

  plan(args, state) {
    if (args.cmd !== undefined && args.argv !== undefined) throw new ModuleError('give either cmd (a string) or argv (a list), not both');
    if (args.cmd === undefined && args.argv === undefined) throw new ModuleError('nothing to run: give cmd (a string) or argv (a list)');
    let argv: string[];
    if (args.argv) {
      argv = args.argv;
    } else {
      try {
        argv = splitCommand(args.cmd!);
      } catch (e) {
        if (e instanceof SplitError) throw new ModuleError(`cannot split ${JSON.stringify(args.cmd)}: ${e.message}`);
        throw e;
      }
      if (argv.length === 0) throw new ModuleError('nothing to run: cmd is empty');
    }
    return planCommand(args, state, argv, quoteArgv(argv));
  },

  apply: (plan, host) => applyCommand(plan, host),
});
