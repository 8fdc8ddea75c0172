// Ownership and permission planning shared by file, copy, template, lineinfile and
// ini_file: compare the wanted mode/owner/group with a FileState and produce the
// argv steps (chown/chgrp, then chmod) and one-line descriptions. Pure.

import { ModuleError } from '../../engine/module-api.js';
import type { FileState, Step } from '../../engine/module-api.js';
import { S } from '../../engine/schema.js';
import type { PropsStatic } from '../../engine/schema.js';
import { ModeError, resolveMode } from './file-mode.js';

export const attrSchema = {
  mode: S.types(['string', 'integer'], { description: 'octal ("0644") or symbolic ("u=rw,g=r,o=") mode; an integer is taken as YAML gives it (0644 -> 420)' }),
  owner: S.types(['string', 'integer'], { description: 'user name or numeric UID (a value starting with "-" is refused)' }),
  group: S.types(['string', 'integer'], { description: 'group name or numeric GID (a value starting with "-" is refused)' }),
};

/** mode/owner/group as the modules that take them validate them. */
export type AttrArgs = PropsStatic<typeof attrSchema>;

export interface AttrPlan {
  /** Human descriptions: "mode 0644 -> 0640", "owner root -> nova". */
  changes: string[];
  steps: Step[];
  /** The resolved wanted values (mode as "0640"), for write steps and predictions. */
  mode?: string;
  owner?: string;
  group?: string;
}

/** JSON Schema fragments for the attribute arguments. */
// No user or group name or ID starts with "-" (useradd/groupadd refuse them), so a
// value that does is refused here: it could only be an option injected into chown.
export function isAccountNameOrId(value: string): boolean {
  return value !== '' && !value.startsWith('-') && !value.includes(':') && !/\s/.test(value);
}

function checkName(kind: 'owner' | 'group', value: string): string {
  if (!isAccountNameOrId(value)) throw new ModuleError(`${kind} ${JSON.stringify(value)} is not a valid ${kind === 'owner' ? 'user' : 'group'} name or ID`);
  return value;
}

/** The wanted values as strings, mode resolved against `current` (or the new-file base). */
export function wantedAttrs(args: AttrArgs, current: FileState | undefined, isDir: boolean): { mode?: string; owner?: string; group?: string } {
  const out: { mode?: string; owner?: string; group?: string } = {};
  if (args.mode !== undefined && args.mode !== null) {
    try {
      out.mode = resolveMode(args.mode, current?.exists ? current.mode : undefined, isDir);
    } catch (e) {
      if (e instanceof ModeError) throw new ModuleError(e.message);
      throw e;
    }
  }
  if (args.owner !== undefined && args.owner !== null) out.owner = checkName('owner', String(args.owner));
  if (args.group !== undefined && args.group !== null) out.group = checkName('group', String(args.group));
  return out;
}

function idMatches(want: string, name: string | undefined, id: number | undefined): boolean {
  if (name !== undefined && name === want) return true;
  return /^\d+$/.test(want) && id !== undefined && id === Number(want);
}

/**
 * Steps that bring an EXISTING path's attributes to what `args` asks for. Unknown
 * current values (a predicted file) count as different. `link`: chown -h, no chmod.
 */
export function planAttributes(path: string, args: AttrArgs, state: FileState, opts: { isDir: boolean; link?: boolean }): AttrPlan {
  const want = wantedAttrs(args, state, opts.isDir);
  const changes: string[] = [];
  const steps: Step[] = [];
  const ownerDiffers = want.owner !== undefined && !idMatches(want.owner, state.owner, state.uid);
  const groupDiffers = want.group !== undefined && !idMatches(want.group, state.group, state.gid);
  if (ownerDiffers) changes.push(`owner ${state.owner ?? state.uid ?? 'unknown'} -> ${want.owner}`);
  if (groupDiffers) changes.push(`group ${state.group ?? state.gid ?? 'unknown'} -> ${want.group}`);
  const h = opts.link ? ['-h'] : [];
  if (ownerDiffers && groupDiffers) steps.push({ kind: 'run', argv: ['chown', ...h, '--', `${want.owner}:${want.group}`, path] });
  else if (ownerDiffers) steps.push({ kind: 'run', argv: ['chown', ...h, '--', want.owner!, path] });
  else if (groupDiffers) steps.push({ kind: 'run', argv: ['chgrp', ...h, '--', want.group!, path] });
  if (!opts.link && want.mode !== undefined && want.mode !== state.mode) {
    changes.push(`mode ${state.mode ?? 'unknown'} -> ${want.mode}`);
    // GNU chmod keeps a directory's setuid/setgid bits under a 4-digit mode; Ansible's os.chmod sets the
    // mode exactly, so when those bits are set on a directory the mode goes as 5 digits (chmod's "clear them").
    const keepsSpecial = opts.isDir && state.mode !== undefined && (parseInt(state.mode, 8) & 0o6000) !== 0;
    steps.push({ kind: 'run', argv: ['chmod', '--', keepsSpecial ? want.mode.padStart(5, '0') : want.mode, path] });
  }
  return { changes, steps, ...want };
}
