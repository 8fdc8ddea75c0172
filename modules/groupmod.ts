// groupmod: change a group's GID, recording the old one; users whose primary
// group it is follow it (groupmod updates their passwd entries) and are
// predicted with the new GID (docs/modules/groupmod.md).

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import type { GroupState, HostReader, Prediction, UserState } from '../engine/module-api.js';
import { accountName, numericId, parseGroupLine, parsePasswd, toId } from './lib/ids.js';

const schema = S.object({
  name: S.with(accountName, { description: 'the group' }),
  gid: S.with(numericId, { description: 'the new GID' }),
}, { additionalProperties: false, required: ['name', 'gid'] });

export type GroupmodArgs = Static<typeof schema>;

export interface GroupmodState {
  group: GroupState;
  /** Who holds the requested GID now (null: nobody). */
  gidOwner: { name: string; gid?: number } | null;
  /** Users whose primary group is this group (before the change). */
  primaryUsers: UserState[];
}

export default defineModule<typeof schema, GroupmodState>({
  name: 'groupmod',
  description: "Change a group's GID; returns old_gid",
  schema,

  async gather(args, host: HostReader): Promise<GroupmodState> {
    const [group] = await host.groups([args.name]);
    const [byGid, passwd] = await host.runAll([['getent', 'group', String(args.gid)], ['getent', 'passwd']]);
    const owner = byGid.rc === 0 ? parseGroupLine(byGid.stdout.split('\n')[0]) : undefined;
    let gidOwner: GroupmodState['gidOwner'] = null;
    if (owner && owner.name !== args.name) {
      const [other] = await host.groups([owner.name]);
      gidOwner = { name: owner.name, gid: other.exists ? other.gid : undefined };
    } else if (owner) {
      gidOwner = { name: owner.name, gid: owner.gid };
    }
    let primaryUsers: UserState[] = [];
    if (group.exists && group.gid !== undefined) {
      const names = parsePasswd(passwd.stdout).filter((u) => u.gid === group.gid).map((u) => u.name);
      // Check the overlay's view of those users (an earlier usermod may move them).
      primaryUsers = names.length ? (await host.users(names)).filter((u) => u.exists && u.gid === group.gid) : [];
    }
    return { group, gidOwner, primaryUsers };
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
