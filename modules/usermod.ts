// usermod: change a user's UID and/or primary group, recording the old IDs
// for later tasks (docs/modules/usermod.md).

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import type { HostReader, UserState } from '../engine/module-api.js';
import { gidHolder, uidHolder } from '../engine/facts/id-holders.js';
import { groups } from '../engine/facts/groups.js';
import { users } from '../engine/facts/users.js';
import { accountName, idOrName, isNumericId, numericId, toId } from './lib/ids.js';

const schema = S.object({
  name: S.with(accountName, { description: 'the user' }),
  uid: S.with(numericId, { description: 'the new UID' }),
  group: S.with(idOrName, { description: 'the new primary group (name or GID)' }),
}, { additionalProperties: false, required: ['name'] });

export type UsermodArgs = Static<typeof schema>;

export interface UsermodState {
  user: UserState;
  /** The requested primary group, resolved (absent when `group` is not given). */
  group?: { name: string; exists: boolean; gid?: number };
  /** Who holds the requested UID now (null: nobody; absent: `uid` not given, or the user has it already). */
  uidOwner?: { name: string; uid?: number } | null;
}

export default defineModule<typeof schema, UsermodState>({
  name: 'usermod',
  description: "Change a user's UID and/or primary group; returns old_uid/old_gid",
  schema,

  async gather(args, host: HostReader): Promise<UsermodState> {
    const user = await host.get(users, args.name);
    const state: UsermodState = { user };
    // Who holds the UID/GID: facts whose overlay rule sees users/groups that earlier tasks move.
    // A user that has the UID already is left as it is whoever else shares it (as Ansible's
    // user module): no need to ask.
    if (args.uid !== undefined && !(user.exists && user.uid === toId(args.uid))) {
      const owner = await host.get(uidHolder, toId(args.uid));
      state.uidOwner = owner ? { name: owner.name, uid: owner.uid } : null;
    }
    if (args.group !== undefined) {
      if (isNumericId(args.group)) {
        const g = await host.get(gidHolder, toId(args.group));
        state.group = g ? { name: g.name, exists: true, gid: g.gid } : { name: String(args.group), exists: false };
      } else {
        const g = await host.get(groups, String(args.group));
        state.group = { name: g.name, exists: g.exists, gid: g.gid };
      }
    }
    return state;
  },

  plan(args, state) {
    const name = args.name;
    if (args.uid === undefined && args.group === undefined) throw new ModuleError('nothing to change: give uid and/or group');
    if (!state.user.exists) throw new ModuleError(`user ${name} does not exist`);
    const oldUid = state.user.uid;
    const oldGid = state.user.gid;
    const argv = ['usermod'];
    const parts: string[] = [];
    const same: string[] = [];
    let newUid = oldUid;
    let newGid = oldGid;

    if (args.uid !== undefined) {
      const uid = toId(args.uid);
      const owner = state.uidOwner;
      if (owner && owner.name !== name && owner.uid === uid) {
        throw new ModuleError(`cannot give ${name} uid ${uid}: it belongs to user ${owner.name}`, { owner: owner.name });
      }
      if (uid !== oldUid) {
        argv.push('-u', String(uid));
        parts.push(`uid ${oldUid ?? '(unknown)'} -> ${uid}`);
        newUid = uid;
      } else {
        same.push(`uid ${uid}`);
      }
    }
    if (args.group !== undefined) {
      const g = state.group;
      if (!g || !g.exists || g.gid === undefined) throw new ModuleError(`cannot set the primary group of ${name}: group ${args.group} does not exist`);
      if (g.gid !== oldGid) {
        argv.push('-g', String(args.group));
        parts.push(`primary group ${oldGid ?? '(unknown)'} -> ${g.gid} (${g.name})`);
        newGid = g.gid;
      } else {
        same.push(`gid ${g.gid}`);
      }
    }
    const result = { name, old_uid: oldUid ?? null, old_gid: oldGid ?? null, uid: newUid ?? null, gid: newGid ?? null };
    if (parts.length === 0) return { changed: false, reason: `${name} already has ${same.join(' and ')}`, result };
    argv.push('--', name);
    // usermod exits 8 when the user runs processes: name them (by the old uid, which they still run as).
    const explain = {
      codes: [8],
      argv: ['ps', '-o', 'pid=,comm=', '-u', oldUid !== undefined ? String(oldUid) : name],
      message: `cannot change ${name}: the user is running processes ({lines}); stop them (their services) first`,
      none: 'none found by ps',
    };
    return {
      changed: true,
      summary: `set ${name} ${parts.join(', ')}`,
      steps: [{ kind: 'run', argv, explain }],
      predicts: [{ kind: 'user', name, uid: newUid, gid: newGid }],
      result,
    };
  },
});
