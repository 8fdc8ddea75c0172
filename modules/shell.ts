// shell: run a command line with /bin/sh -c (docs/modules/shell.md).
// The command line is the user's shell text by design; it is passed as ONE
// argument to sh, never spliced into the engine's own command text.

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import { commonProperties, gatherCommand, planCommand } from './lib/system-command.js';
import type { CommandState } from './lib/system-command.js';

const schema = S.object({
  ...commonProperties,
  executable: S.string({ pattern: '^/', default: '/bin/sh', description: 'the shell that runs cmd' }),
}, { additionalProperties: false, required: ['cmd'] });

export default defineModule<typeof schema, CommandState>({
  name: 'shell',
  description: 'Run a command line through /bin/sh -c; return rc, stdout and stderr',
  freeForm: 'cmd',
  schema,

  gather: (args, host) => gatherCommand(args, host),

  plan(args, state) {
    if (args.cmd.trim() === '') throw new ModuleError('nothing to run: cmd is empty');
    const shown = args.cmd.includes('\n') ? `${args.cmd.split('\n')[0]} ...` : args.cmd;
    return planCommand(args, state, [args.executable ?? '/bin/sh', '-c', args.cmd], shown);
  },
});
