// User/group IDs and getent lines, shared by usermod, groupmod, getent and chown_find.

import { S } from '../../engine/schema.js';

/** JSON Schema for an ID given as a number or a numeric string. */
export const numericId = S.anyOf([S.integer({ minimum: 0 }), S.string({ pattern: '^[0-9]+$' })]);
/** An ID or a name (never starting with "-", so it cannot become an option). */
export const idOrName = S.anyOf([S.integer({ minimum: 0 }), S.string({ pattern: '^[A-Za-z0-9_.][A-Za-z0-9_.$-]*$' })]);
/** A user or group name. */
export const accountName = S.string({ pattern: '^[A-Za-z0-9_.][A-Za-z0-9_.$-]*$' });

export function isNumericId(v: unknown): boolean {
  return typeof v === 'number' || (typeof v === 'string' && /^[0-9]+$/.test(v));
}

export function toId(v: number | string): number {
  return typeof v === 'number' ? v : Number(v);
}

export interface PasswdEntry { name: string; uid: number; gid: number; gecos: string; home: string; shell: string }
export interface GroupEntry { name: string; gid: number; members: string[] }

/** One `getent passwd` line, or undefined when it is not one. */
export function parsePasswdLine(line: string): PasswdEntry | undefined {
  const f = line.split(':');
  if (f.length < 7 || !/^\d+$/.test(f[2]) || !/^\d+$/.test(f[3])) return undefined;
  return { name: f[0], uid: Number(f[2]), gid: Number(f[3]), gecos: f[4], home: f[5], shell: f.slice(6).join(':') };
}

export function parseGroupLine(line: string): GroupEntry | undefined {
  const f = line.split(':');
  if (f.length < 4 || !/^\d+$/.test(f[2])) return undefined;
  return { name: f[0], gid: Number(f[2]), members: f[3] === '' ? [] : f[3].split(',') };
}

export function parsePasswd(text: string): PasswdEntry[] {
  return text.split('\n').map(parsePasswdLine).filter((e): e is PasswdEntry => e !== undefined);
}
