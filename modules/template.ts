// template: render a controller file (`src`, relative to the playbook) with the
// task's variables (handlebars, the engine's template language) and write it to
// `dest` atomically, with mode/owner/group/backup/validate.

import { defineModule } from '../engine/module-api.js';
import { applyWithBackup } from './lib/write-steps.js';
import { gatherDest, planPutFile, putFileProperties } from './lib/put-file.js';
import type { PutFileArgs, PutFileState } from './lib/put-file.js';

export default defineModule<PutFileArgs, PutFileState>({
  name: 'template',
  description: 'Render a handlebars template from the controller and write it to the host, atomically',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['src', 'dest'],
    properties: {
      src: { type: 'string', minLength: 1, description: 'template file on the controller, relative to the playbook' },
      ...putFileProperties,
    },
  },
  async gather(args, host, ctx) {
    const content = ctx.render(await ctx.readLocalFile(args.src!));
    return gatherDest(args, host, content);
  },
  plan(args, state) {
    return planPutFile(args, state);
  },
  apply: (plan, host) => applyWithBackup(plan, host),
});
