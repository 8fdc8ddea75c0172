// template: render a controller file (`src`, relative to the playbook) with the
// task's variables (Jinja statements, or the older handlebars forms; see
// docs/templating.md) and write it to
// `dest` atomically, with mode/owner/group/backup/validate.

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import { gatherDest, planPutFile, putFileProperties } from './lib/put-file.js';
import type { PutFileState } from './lib/put-file.js';

const schema = S.object({
  src: S.string({ minLength: 1, description: 'template file on the controller, relative to the playbook' }),
  ...putFileProperties,
}, { additionalProperties: false, required: ['src', 'dest'] });

export default defineModule<typeof schema, PutFileState>({
  name: 'template',
  description: 'Render a Jinja2 template from the controller and write it to the host, atomically',
  schema,
  async gather(args, host, ctx) {
    const source = await ctx.readLocalFile(args.src);
    const text = decodeTemplate(args.src, source);
    const rendered = ctx.renderFile ? ctx.renderFile(args.src, text, args.dest) : ctx.render(text);
    return gatherDest(args, host, Buffer.from(rendered, 'utf8'));
  },
  plan(args, state) {
    return planPutFile(args, state);
  },
});

/**
 * A template is UTF-8 text (as Ansible's template module reads it). A source
 * that is not valid UTF-8 is refused, naming the file and the first bad byte,
 * rather than rendered with replacement characters.
 */
export function decodeTemplate(src: string, bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new ModuleError(`template ${src} is not valid UTF-8 (byte 0x${bytes[at].toString(16).padStart(2, '0')} at offset ${at}); templates must be UTF-8 text`, { src });
  }
}

/** Offset of the first byte of the first invalid UTF-8 sequence (the bytes are known to hold one). */
function firstInvalidUtf8(bytes: Buffer): number {
  const text = bytes.toString('utf8');
  let offset = 0;
  for (const ch of text) {
    const len = Buffer.byteLength(ch, 'utf8');
    // U+FFFD stands for an invalid sequence unless the file really holds EF BF BD there.
    if (ch === '\uFFFD' && !(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd)) return offset;
    offset += len;
  }
  return 0;
}
