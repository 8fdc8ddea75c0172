// groupmod: change a group's GID, recording the old one; users whose primary
// group it is follow it (groupmod updates their passwd entries) and are
// predicted with the new GID (docs/modules/groupmod.md).

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import type { GroupState, HostReader, Prediction, UserState } from '../engine/module-api.js';
import { gidHolder, primaryUsers } from '../engine/facts/id-holders.js';
import { groups } from '../engine/facts/groups.js';
import { accountName, numericId, toId } from './lib/ids.js';

const schema = S.object({
  name: S.with(accountName, { description: 'the group' }),
  gid: S.with(numericId, { description: 'the new GID' }),
}, { additionalProperties: false, required: ['name', 'gid'] });

export type GroupmodArgs = Static<typeof schema>;

export interface GroupmodState {
  group: GroupState;
  /** Who holds the requested GID now (null: nobody, or not asked: the group has it already). */
  gidOwner: { name: string; gid?: number } | null;
  /** Users whose primary group is this group (before the change). */
  primaryUsers: UserState[];
}

export default defineModule<typeof schema, GroupmodState>({
  name: 'groupmod',
  description: "Change a group's GID; returns old_gid",
  schema,

  async gather(args, host: HostReader): Promise<GroupmodState> {
    const group = await host.get(groups, args.name);
    // Who holds the GID, and whose primary group this is: facts whose overlay
    // rule sees groups and users that earlier tasks move.
    // A group that has the GID already is left as it is whoever else shares it: no need to ask.
    const owner = group.exists && group.gid === toId(args.gid) ? undefined : await host.get(gidHolder, toId(args.gid));
    const gidOwner: GroupmodState['gidOwner'] = owner ? { name: owner.name, gid: owner.gid } : null;
    const primary = group.exists && group.gid !== undefined ? await host.get(primaryUsers, group.gid) : [];
    return { group, gidOwner, primaryUsers: primary };
  },

  plan(args, state) {
    const name = args.name;
    const gid = toId(args.gid);
    if (!state.group.exists) throw new ModuleError(`group ${name} does not exist`);
    const oldGid = state.group.gid;
    const owner = state.gidOwner;
    if (owner && owner.name !== name && owner.gid === gid) {
      throw new ModuleError(`cannot give group ${name} gid ${gid}: it belongs to group ${owner.name}`, { owner: owner.name });
    }
    const users = state.primaryUsers.map((u) => u.name).sort();
    const result = { name, old_gid: oldGid ?? null, gid, users };
    if (oldGid === gid) return { changed: false, reason: `group ${name} already has gid ${gid}`, result };
    const predicts: Prediction[] = [{ kind: 'group', name, gid }];
    for (const u of users) predicts.push({ kind: 'user', name: u, gid });
    return {
      changed: true,
      summary: `set group ${name} gid ${oldGid ?? '(unknown)'} -> ${gid}`
        + (users.length ? ` (primary group of ${users.join(', ')})` : ''),
      steps: [{ kind: 'run', argv: ['groupmod', '-g', String(gid), '--', name] }],
      predicts,
      result,
    };
  },
});
