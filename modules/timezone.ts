// timezone: community.general.timezone's end state on Debian: /etc/localtime a
// symlink to /usr/share/zoneinfo/NAME and /etc/timezone holding NAME
// (docs/modules/timezone.md). tsplay writes both directly on every init
// system (what timedatectl set-timezone leaves on Debian, and what Ansible's
// non-systemd path writes), so it works in containers without timedated and
// --check predicts both files. hwclock is refused.

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import type { FileState, Prediction, Step } from '../engine/module-api.js';
import { file as fileFact, fileContent } from '../engine/facts/file.js';
import { writeExpectation } from './lib/file-content.js';

const schema = S.object({
  // A zoneinfo name: letters, digits, _+-, and / between parts; never . or .. parts.
  name: S.string({ pattern: '^(?!.*(^|/)\\.\\.?(/|$))[A-Za-z0-9_+][A-Za-z0-9_+./-]*$', description: 'the time zone, e.g. Europe/Paris or UTC (a file under /usr/share/zoneinfo)' }),
  hwclock: S.string({ description: 'not available in tsplay (the hardware clock): any value is refused' }),
}, { additionalProperties: false, required: ['name'] });

export type TimezoneArgs = Static<typeof schema>;

export interface TimezoneState {
  localtime: FileState;
  timezone: FileState;
  /** /usr/share/zoneinfo/NAME. */
  zone: FileState;
}

const ZONEINFO = '/usr/share/zoneinfo/';

/** The zone /etc/localtime names (its symlink target under zoneinfo), or undefined. */
export function currentZone(localtime: FileState): string | undefined {
  if (localtime.type !== 'link' || localtime.linkTarget === undefined) return undefined;
  const m = /(?:^|\/)usr\/share\/zoneinfo\/(.+)$/.exec(localtime.linkTarget);
  return m ? m[1] : undefined;
}

export default defineModule<typeof schema, TimezoneState>({
  name: 'timezone',
  description: 'Set the system time zone (/etc/localtime and /etc/timezone)',
  schema,

  async gather(args, host) {
    const [localtime, zone] = await host.getAll(fileFact, ['/etc/localtime', ZONEINFO + args.name]);
    const timezone = await host.get(fileContent, '/etc/timezone');
    return { localtime, timezone, zone };
  },

  plan(args, state) {
    if (args.hwclock !== undefined) throw new ModuleError('timezone: hwclock is not available in tsplay');
    const name = args.name;
    if (!state.zone.exists || state.zone.type === 'directory') throw new ModuleError(`given timezone "${name}" is not available on this host (no ${ZONEINFO}${name}; is tzdata installed?)`);
    const before = currentZone(state.localtime);
    const tzText = state.timezone.exists && state.timezone.content ? state.timezone.content.toString('utf8') : undefined;
    const steps: Step[] = [];
    const predicts: Prediction[] = [];
    const parts: string[] = [];
    if (before !== name) {
      // ln -sfn replaces the old link (or file) in one rename-free step; as timedatectl does, an absolute target.
      steps.push({ kind: 'run', argv: ['ln', '-sfn', '--', ZONEINFO + name, '/etc/localtime'] });
      predicts.push({ kind: 'file', path: '/etc/localtime', state: 'link', target: ZONEINFO + name });
      parts.push(`time zone ${before ?? '(unknown)'} -> ${name}`);
    }
    if (tzText === undefined || tzText.trim() !== name) {
      const content = `${name}\n`;
      steps.push({ kind: 'write', path: '/etc/timezone', content, mode: '0644', ...(writeExpectation(state.timezone) ? { expect: writeExpectation(state.timezone) } : {}) });
      predicts.push({ kind: 'file', path: '/etc/timezone', state: 'file', content: Buffer.from(content) });
      if (!parts.length) parts.push(`/etc/timezone -> ${name}`);
    }
    const result = { name };
    if (!steps.length) return { changed: false, reason: `time zone is already ${name}`, result };
    return {
      changed: true,
      summary: parts.join('; '),
      steps,
      predicts,
      diff: [{ path: '/etc/timezone', before: tzText ?? '', after: `${name}\n` }],
      result: { ...result, diff: { before: { name: before ?? tzText?.trim() ?? null }, after: { name } } },
    };
  },
});
