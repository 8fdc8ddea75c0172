// owner/group names must name an account before a task plans with them
// (issue 12, divergence 8). Ansible looks a name up when it sets it
// ("chown failed: failed to look up user X") and so, in --check on a missing
// file, predicts a change its real run then fails; after writing the content,
// its real run fails and leaves the file with the old owner. tsplay looks the
// name up at gather, in --check and in the run alike, before anything is
// written (docs/modules/file.md "owner and group names").
//
// Read through the host reader, so in --check an account an earlier task would
// create (the overlay's prediction) counts as existing, and so does one a
// package an earlier task installs may create (its postinst's adduser is not
// predicted). A name the file already carries needs no lookup: the host just
// resolved it.

import { ModuleError } from '../../engine/module-api.js';
import type { FileState, HostReader } from '../../engine/module-api.js';
import { users } from '../../engine/facts/users.js';
import { groups } from '../../engine/facts/groups.js';
import { isNumericId } from './ids.js';
import { isAccountNameOrId } from './file-attrs.js';

interface NamedAttrs {
  owner?: string | number | null;
  group?: string | number | null;
}

// A value no account can have (a leading "-", ":", whitespace) is not looked up: the plan refuses it as
// not a valid name (modules/lib/file-attrs.ts), with that message, before any command sees it.
function needsLookup(value: string | number | null | undefined, current: string | undefined): value is string {
  return typeof value === 'string' && isAccountNameOrId(value) && !isNumericId(value) && value !== current;
}

// In --check, an account a package from an earlier task may create is given the benefit of the doubt.
const known = (s: { exists: boolean; mayExist?: boolean }): boolean => s.exists || s.mayExist === true;

/** Fail, with Ansible's message, when owner or group is a name no account has. */
export async function requireKnownAccounts(host: HostReader, args: NamedAttrs, current?: FileState): Promise<void> {
  const have = current?.exists ? current : undefined;
  if (needsLookup(args.owner, have?.owner) && !known(await host.get(users, args.owner))) {
    throw new ModuleError(`chown failed: failed to look up user ${args.owner}`, { changed: false });
  }
  if (needsLookup(args.group, have?.group) && !known(await host.get(groups, args.group))) {
    throw new ModuleError(`chgrp failed: failed to look up group ${args.group}`, { changed: false });
  }
}
