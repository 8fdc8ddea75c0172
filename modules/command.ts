// command: run a program with arguments, no shell (docs/modules/command.md).

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import { quoteArgv } from '../engine/host/shell.js';
import { commonProperties, gatherCommand, planCommand } from './lib/system-command.js';
import type { CommandState } from './lib/system-command.js';
import { splitCommand, SplitError } from '../engine/host/shell.js';

const schema = S.object({
  ...commonProperties,
  argv: S.array(S.string(), { minItems: 1, description: 'the command as a list, not split; give cmd or argv, not both' }),
}, { additionalProperties: false });

export default defineModule<typeof schema, CommandState>({
  name: 'command',
  description: 'Run a command without a shell; return rc, stdout and stderr',
  freeForm: 'cmd',
  schema,

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
});
