// locale_gen: community.general.locale_gen on Debian: enable (or disable) a
// locale's line in /etc/locale.gen and run locale-gen (docs/modules/locale_gen.md).
// Whether it is there is read as Ansible reads it (`locale -a`, names
// normalised: en_US.utf8 is en_US.UTF-8); a locale missing from
// /usr/share/i18n/SUPPORTED is refused. Needs the locales package.

import { defineModule, ModuleError } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import type { FileState, Step } from '../engine/module-api.js';
import { fileContent } from '../engine/facts/file.js';
import { writeExpectation } from './lib/file-content.js';

const schema = S.object({
  name: S.string({ pattern: '^[A-Za-z0-9_]+(\\.[A-Za-z0-9_-]+)?(@[A-Za-z0-9_]+)?$', description: 'the locale, e.g. en_US.UTF-8 or de_DE@euro' }),
  state: S.enum(['present', 'absent'], { default: 'present', description: 'present generates the locale, absent removes it' }),
}, { additionalProperties: false, required: ['name'] });

export type LocaleGenArgs = Static<typeof schema>;

export interface LocaleGenState {
  localeGen: FileState;
  supported: FileState;
  /** `locale -a` lines (null: locale could not run). */
  available: string[] | null;
}

const NORMALIZE: Array<[string, string]> = [['.utf8', '.UTF-8'], ['.eucjp', '.EUC-JP'], ['.iso88591', '.ISO-8859-1'], ['.cp1251', '.CP1251']];

/** Ansible's fix_case: charset spellings as /etc/locale.gen writes them. */
export function fixCase(name: string): string {
  let out = name;
  for (const [s, r] of NORMALIZE) out = out.replace(s, r);
  return out;
}

const escapeRe = (s: string) => s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');

export default defineModule<typeof schema, LocaleGenState>({
  name: 'locale_gen',
  description: 'Generate or remove a locale (/etc/locale.gen and locale-gen; Debian locales package)',
  schema,

  async gather(_args, host) {
    const [localeGen, supported] = await host.getAll(fileContent, ['/etc/locale.gen', '/usr/share/i18n/SUPPORTED']);
    // Raw read: the compiled locales (no prediction models locale-gen's output).
    const [r] = await host.runAll([['locale', '-a']]);
    return { localeGen, supported, available: r.rc === 0 ? r.stdout.split('\n').filter(Boolean) : null };
  },

  plan(args, state) {
    const name = args.name;
    const present = (state.available ?? []).some((l) => fixCase(l) === fixCase(name));
    const want = args.state === 'present';
    const result = { name, state: args.state };
    if (present === want) return { changed: false, reason: `locale ${name} is ${want ? 'present' : 'absent'}`, result };
    if (!state.localeGen.exists || !state.supported.exists) throw new ModuleError('locale_gen: /etc/locale.gen or /usr/share/i18n/SUPPORTED is missing: install the locales package');
    const supported = (state.supported.content ?? Buffer.alloc(0)).toString('utf8');
    if (want && !supported.split('\n').some((l) => l.split(/\s+/)[0] === name)) {
      throw new ModuleError(`locale_gen: The locale you've entered is not available on your system (${name} is not in /usr/share/i18n/SUPPORTED).`);
    }
    // Ansible's set_locale: "#? *NAME CHARSET" becomes "NAME CHARSET" (present) or "# NAME CHARSET" (absent).
    const before = (state.localeGen.content ?? Buffer.alloc(0)).toString('utf8');
    const re = new RegExp(`#?\\s*${escapeRe(name)} (.+)`);
    let after = before
      .split(/(?<=\n)/)
      .map((line) => line.replace(re, (_m, cs: string) => (want ? `${name} ${cs}` : `# ${name} ${cs}`)))
      .join('');
    if (want && after === before && !before.split('\n').some((l) => new RegExp(`^${escapeRe(name)} `).test(l))) {
      // Not listed at all: the SUPPORTED line, appended (Ansible would leave the file and fail to generate it).
      const line = supported.split('\n').find((l) => l.split(/\s+/)[0] === name)!;
      after = before + (before === '' || before.endsWith('\n') ? '' : '\n') + line.trim() + '\n';
    }
    const steps: Step[] = [];
    if (after !== before) {
      const expect = writeExpectation(state.localeGen);
      steps.push({ kind: 'write', path: '/etc/locale.gen', content: after, ...(expect ? { expect } : {}) });
    }
    steps.push({ kind: 'run', argv: ['locale-gen'] });
    return {
      changed: true,
      summary: `${want ? 'generate' : 'remove'} locale ${name}`,
      steps,
      diff: after !== before ? [{ path: '/etc/locale.gen', before, after }] : undefined,
      predicts: after !== before ? [{ kind: 'file', path: '/etc/locale.gen', state: 'file', content: Buffer.from(after) }] : [],
      result,
    };
  },
});
