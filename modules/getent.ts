// getent: read passwd/group (and other NSS database) entries into facts,
// Ansible-style: ansible_facts.getent_<database>.<key> = [fields after the key]
// (docs/modules/getent.md). Never changes anything.

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import type { GroupState, HostReader, UserState } from '../engine/module-api.js';
import { firstLine } from './lib/text-lines.js';
import { groups } from '../engine/facts/groups.js';
import { users } from '../engine/facts/users.js';

const schema = S.object({
  database: S.enum(['passwd', 'group', 'shadow', 'gshadow', 'hosts', 'ahosts', 'services', 'protocols', 'networks'], { description: 'the getent database to read' }),
  key: S.anyOf([S.integer({ minimum: 0 }), S.string({ pattern: '^[^-\\s][^\\s]*$' })], { description: 'one entry (a name or an ID); unset: the whole database' }),
  fail_key: S.boolean({ default: true, description: 'fail when the key is not found' }),
}, { additionalProperties: false, required: ['database'] });

export type GetentArgs = Static<typeof schema>;

export interface GetentState {
  rc: number;
  stdout: string;
  stderr: string;
  /** passwd/group with a name key: what the check-mode overlay says about it. */
  overlay?: UserState | GroupState;
}

const COLON_DBS = new Set(['passwd', 'group', 'shadow', 'gshadow']);

/** getent output -> { key: fields after the key }; the first line for a key wins. */
export function parseGetent(database: string, stdout: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const fields = COLON_DBS.has(database) ? line.split(':') : line.trim().split(/\s+/);
    const [key, ...rest] = fields;
    if (!(key in out)) out[key] = rest;
  }
  return out;
}

export default defineModule<typeof schema, GetentState>({
  name: 'getent',
  description: 'Read passwd/group (or other getent database) entries into facts',
  schema,

  async gather(args, host: HostReader): Promise<GetentState> {
    const argv = ['getent', args.database, ...(args.key !== undefined ? ['--', String(args.key)] : [])];
    // Raw output for `register` (any database); the overlay's view comes from the users/groups facts below.
    const [r] = await host.runAll([argv]);
    const state: GetentState = { rc: r.rc, stdout: r.stdout, stderr: r.stderr };
    if (typeof args.key === 'string' && !/^\d+$/.test(args.key)) {
      if (args.database === 'passwd') state.overlay = await host.get(users, args.key);
      else if (args.database === 'group') state.overlay = await host.get(groups, args.key);
    }
    return state;
  },

  plan(args, state) {
    const db = args.database;
    const key = args.key === undefined ? undefined : String(args.key);
    if (state.rc !== 0 && state.rc !== 2) {
      throw new ModuleError(`getent ${db}${key ? ` ${key}` : ''} failed (rc ${state.rc}): ${firstLine(state.stderr) || (state.rc === 3 ? 'enumeration not supported' : 'unknown error')}`);
    }
    const entries = state.rc === 0 ? parseGetent(db, state.stdout) : {};
    // Check mode: an earlier task's predicted user/group change wins over the host.
    const o = state.overlay;
    if (key && o?.predicted) {
      if (!o.exists) {
        delete entries[key];
      } else if (db === 'passwd') {
        const u = o as UserState;
        const e = entries[key] ?? ['x', '', '', '', '', ''];
        if (u.uid !== undefined) e[1] = String(u.uid);
        if (u.gid !== undefined) e[2] = String(u.gid);
        if (u.home !== undefined) e[4] = u.home;
        if (u.shell !== undefined) e[5] = u.shell;
        entries[key] = e;
      } else {
        const g = o as GroupState;
        const e = entries[key] ?? ['x', '', ''];
        if (g.gid !== undefined) e[1] = String(g.gid);
        if (g.members !== undefined) e[2] = g.members.join(',');
        entries[key] = e;
      }
    }
    const factName = `getent_${db}`;
    if (key === undefined) {
      return { changed: false, reason: `read ${Object.keys(entries).length} ${db} entries`, result: { ansible_facts: { [factName]: entries } } };
    }
    // A numeric key (getent passwd 111) answers with the entry's name as key.
    const foundKey = key in entries ? key : Object.keys(entries)[0];
    if (foundKey === undefined) {
      if (args.fail_key) throw new ModuleError(`${key} not found in ${db}`);
      return { changed: false, reason: `${key} not found in ${db} (fail_key: false)`, result: { ansible_facts: { [factName]: { [key]: null } } } };
    }
    const fields = entries[foundKey];
    const result: Record<string, unknown> = { ansible_facts: { [factName]: { [foundKey]: fields } } };
    if (db === 'passwd') {
      Object.assign(result, { name: foundKey, uid: Number(fields[1]), gid: Number(fields[2]), home: fields[4], shell: fields[5] });
    } else if (db === 'group') {
      Object.assign(result, { name: foundKey, gid: Number(fields[1]), members: fields[2] ? fields[2].split(',') : [] });
    }
    return { changed: false, reason: `${foundKey} found in ${db}`, result };
  },
});
