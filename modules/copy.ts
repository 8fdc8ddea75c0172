// copy: put `content`, or a file from the controller (`src`, relative to the
// playbook), at `dest` on the host; atomic, with mode/owner/group/backup/validate.

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import { gatherDest, planPutFile, putFileProperties } from './lib/put-file.js';
import type { PutFileState } from './lib/put-file.js';

const schema = S.object({
  src: S.string({ minLength: 1, description: 'file on the controller, relative to the playbook, copied byte for byte' }),
  content: S.string({ description: 'the content, written as UTF-8; give src or content' }),
  ...putFileProperties,
}, { additionalProperties: false, required: ['dest'], oneOf: [{ required: ['src'] }, { required: ['content'] }] });

export default defineModule<typeof schema, PutFileState>({
  name: 'copy',
  description: 'Write a file from inline content or a controller file to the host, atomically',
  schema,
  async gather(args, host, ctx) {
    if ((args.src === undefined) === (args.content === undefined)) throw new ModuleError('give exactly one of src and content');
    // `content` is text and written as UTF-8; a `src` file is copied byte for byte.
    const content = args.content !== undefined ? Buffer.from(args.content, 'utf8') : await ctx.readLocalFile(args.src!);
    return gatherDest(args, host, content);
  },
  plan(args, state) {
    if ((args.src === undefined) === (args.content === undefined)) throw new ModuleError('give exactly one of src and content');
    return planPutFile(args, state);
  },
});
