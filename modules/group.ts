// group: Ansible's group module on Linux: create a group (groupadd), give it
// another GID (groupmod), or remove it (groupdel) (docs/modules/group.md).
// `local: true` (lgroupadd, libuser) is refused.

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import type { GroupState, Prediction, Step } from '../engine/module-api.js';
import { gidHolder } from '../engine/facts/id-holders.js';
import { groups } from '../engine/facts/groups.js';
import { accountName, numericId, toId } from './lib/ids.js';

const schema = S.object({
  name: S.with(accountName, { description: 'the group' }),
  gid: S.with(numericId, { description: 'its GID (created with it, or changed to it)' }),
  state: S.enum(['present', 'absent'], { default: 'present', description: 'present creates the group, absent removes it' }),
  system: S.boolean({ default: false, description: 'create it as a system group (groupadd -r); no effect on an existing group' }),
  non_unique: S.boolean({ default: false, description: 'allow a GID another group already has (-o); needs gid' }),
  local: S.boolean({ default: false, description: 'true (lgroupadd, libuser) is not available in tsplay and is refused' }),
}, { additionalProperties: false, required: ['name'] });

export type GroupArgs = Static<typeof schema>;

export interface GroupModuleState {
  group: GroupState;
  /** The group holding the requested GID now (null: none, or no gid given). */
  gidOwner: { name: string; gid: number } | null;
}

export default defineModule<typeof schema, GroupModuleState>({
  name: 'group',
  description: 'Create, change the GID of, or remove a group',
  schema,

  async gather(args, host) {
    const group = await host.get(groups, args.name);
    const gidOwner = args.gid !== undefined && args.state === 'present' ? await host.get(gidHolder, toId(args.gid)) : null;
    return { group, gidOwner };
  },

  plan(args, state) {
    const name = args.name;
    if (args.local) throw new ModuleError('group: local: true (lgroupadd from libuser) is not available in tsplay');
    if (args.non_unique && args.gid === undefined) throw new ModuleError('group: non_unique needs gid');
    const g = state.group;
    if (args.state === 'absent') {
      const result = { name, state: 'absent' };
      if (!g.exists) return { changed: false, reason: `group ${name} does not exist`, result };
      return {
        changed: true,
        summary: `remove group ${name}`,
        steps: [{ kind: 'run', argv: ['groupdel', '--', name] }],
        predicts: [{ kind: 'group', name, exists: false }],
        result,
      };
    }
    const gid = args.gid === undefined ? undefined : toId(args.gid);
    const owner = state.gidOwner;
    const taken = gid !== undefined && !args.non_unique && owner !== null && owner.name !== name && owner.gid === gid;
    if (!g.exists) {
      if (taken) throw new ModuleError(`groupadd: GID '${gid}' already exists (group ${owner.name}); non_unique: true allows it`);
      const argv = ['groupadd', ...(gid !== undefined ? ['-g', String(gid)] : []), ...(args.non_unique ? ['-o'] : []), ...(args.system ? ['-r'] : []), '--', name];
      const p: Prediction = { kind: 'group', name, exists: true };
      if (gid !== undefined) p.gid = gid;
      return {
        changed: true,
        summary: `create ${args.system ? 'system ' : ''}group ${name}${gid !== undefined ? ` with gid ${gid}` : ''}`,
        steps: [{ kind: 'run', argv }],
        predicts: [p],
        // The GID a new group gets without `gid` is chosen by groupadd: unknown until it runs.
        result: { name, state: 'present', system: args.system, gid: gid ?? null },
      };
    }
    const result = { name, state: 'present', system: args.system, gid: gid ?? g.gid ?? null };
    if (gid === undefined || g.gid === gid) {
      return { changed: false, reason: `group ${name} exists${g.gid !== undefined ? ` with gid ${g.gid}` : ''}`, result };
    }
    if (taken) throw new ModuleError(`groupmod: GID '${gid}' already exists (group ${owner.name}); non_unique: true allows it`);
    const steps: Step[] = [{ kind: 'run', argv: ['groupmod', '-g', String(gid), ...(args.non_unique ? ['-o'] : []), '--', name] }];
    return { changed: true, summary: `set group ${name} gid ${g.gid ?? '(unknown)'} -> ${gid}`, steps, predicts: [{ kind: 'group', name, gid }], result };
  },
});
