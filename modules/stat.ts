// stat: facts about one path, for `register` and `when` (docs/modules/stat.md).
// Never changes anything; in check mode it sees predicted files.

import { defineModule } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import type { FileState, HostReader } from '../engine/module-api.js';
import { file as fileFact } from '../engine/facts/file.js';

const schema = S.object({
  path: S.string({ pattern: '^/', description: 'the absolute path to report on' }),
  follow: S.boolean({ default: false, description: 'follow symlinks (up to 40) and report the target' }),
}, { additionalProperties: false, required: ['path'] });

export type StatArgs = Static<typeof schema>;

export interface StatState {
  file: FileState;
  /** With follow: what the symlink chain ends at (absent when not a link). */
  target?: FileState;
  /** With follow: the chain did not end (loop, or too long). */
  loop?: boolean;
}

const MAX_LINKS = 40;

/** Resolve a symlink target relative to the link's directory (lexically). */
export function resolveLink(linkPath: string, target: string): string {
  const base = target.startsWith('/') ? [] : linkPath.split('/').slice(0, -1);
  const parts = [...base, ...target.split('/')];
  const out: string[] = [];
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return '/' + out.join('/');
}

function describe(f: FileState): Record<string, unknown> {
  if (!f.exists) return { exists: false };
  const s: Record<string, unknown> = {
    exists: true,
    path: f.path,
    isdir: f.type === 'directory',
    isreg: f.type === 'file',
    islnk: f.type === 'link',
    mode: f.mode ?? null,
    uid: f.uid ?? null,
    gid: f.gid ?? null,
    pw_name: f.owner ?? null,
    gr_name: f.group ?? null,
    size: f.size ?? null,
  };
  if (f.type === 'link') s.lnk_target = f.linkTarget ?? null;
  return s;
}

export default defineModule<typeof schema, StatState>({
  name: 'stat',
  description: 'Report whether a path exists, its type, mode, owner and size',
  schema,

  async gather(args, host: HostReader): Promise<StatState> {
    const file = await host.get(fileFact, args.path);
    const state: StatState = { file };
    if (!args.follow || file.type !== 'link') return state;
    let cur = file;
    for (let i = 0; i < MAX_LINKS && cur.exists && cur.type === 'link' && cur.linkTarget !== undefined; i++) {
      cur = await host.get(fileFact, resolveLink(cur.path, cur.linkTarget));
    }
    state.target = cur;
    if (cur.exists && cur.type === 'link') state.loop = true;
    return state;
  },

  plan(args, state) {
    const f = state.target && !state.loop ? state.target : state.file;
    const stat = describe(f);
    if (state.target && !state.loop && f.exists) stat.path = args.path;
    let what: string;
    if (!f.exists) what = state.target ? 'is a dangling symlink' : 'does not exist';
    else if (state.loop) what = 'is a symlink loop';
    else what = `is a ${f.type === 'file' ? 'regular file' : f.type === 'link' ? 'symlink' : f.type ?? 'file'}${state.target ? ` (via symlink to ${f.path})` : ''}`;
    return { changed: false, reason: `${args.path} ${what}`, result: { stat } };
  },
});
