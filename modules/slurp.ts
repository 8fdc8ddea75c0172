// slurp: a file's exact bytes from the host, base64-encoded, for `register`
// (ansible.builtin.slurp). Never changes anything; runs in --check as Ansible's
// does (and there sees the content earlier tasks would write). Follows symlinks
// as Ansible's open() does.

import { defineModule, ModuleError } from '../engine/module-api.js';
import type { FileState } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import { fileContent } from '../engine/facts/file.js';
import { resolveLink } from './stat.js';

const schema = S.object({
  src: S.string({ pattern: '^/', description: 'the absolute path of the file to read (a relative path is refused: Ansible reads it relative to the remote working directory)' }),
  path: S.string({ pattern: '^/', description: 'alias of src' }),
}, { additionalProperties: false, oneOf: [{ required: ['src'] }, { required: ['path'] }] });

export interface SlurpState {
  /** What src names, after following symlinks (up to 40 links). */
  file: FileState;
  /** The chain of links did not end (a loop, or more than 40). */
  loop?: boolean;
}

const MAX_LINKS = 40;

export default defineModule<typeof schema, SlurpState>({
  name: 'slurp',
  description: 'Read a file from the host, base64-encoded, for register',
  schema,
  async gather(args, host) {
    const src = args.src ?? args.path;
    if (src === undefined) throw new ModuleError('src is required');
    let file = await host.get(fileContent, src);
    for (let n = 0; file.exists && file.type === 'link'; n++) {
      if (n >= MAX_LINKS) return { file, loop: true };
      file = await host.get(fileContent, resolveLink(file.path, file.linkTarget ?? ''));
    }
    return { file };
  },
  plan(args, state) {
    const source = args.src ?? args.path ?? '';
    const f = state.file;
    // Ansible's messages (slurp.py: the errno of open()).
    if (state.loop) throw new ModuleError(`unable to slurp file: [Errno 40] Too many levels of symbolic links: '${source}'`, { source });
    if (!f.exists) throw new ModuleError(`file not found: ${source}`, { source });
    if (f.type === 'directory') throw new ModuleError(`source is a directory and must be a file: ${source}`, { source });
    if (f.content === undefined) {
      if (f.predicted) throw new ModuleError(`${source}: an earlier task would change it and its content is not known in --check`, { source });
      throw new ModuleError(`unable to slurp file: ${source} is not a regular file`, { source });
    }
    return { changed: false, reason: `read ${f.content.length} bytes`, result: { content: f.content.toString('base64'), encoding: 'base64', source } };
  },
});
