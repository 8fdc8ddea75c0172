// A user's crontab as `crontab -l` prints it (`crontab -u USER -l` for a named
// user): the text, or "" when the user has none (crontab exits 1). Overlay
// rule: a planned crontab install (the cron module) is recorded as a file
// prediction on the user's spool file, /var/spool/cron/crontabs/USER, with the
// content `crontab -l` will then print; the current user's is keyed `.self`.

import { ModuleError } from '../module-api.js';
import { quoteArgv } from '../host/shell.js';
import { perArg } from './fact.js';

/** The spool path a crontab prediction is recorded under. */
export function crontabSpoolPath(user: string | undefined): string {
  return `/var/spool/cron/crontabs/${user ?? '.self'}`;
}

export const crontab = perArg<string | undefined, string>({
  name: 'crontab',
  snippet: (user) => quoteArgv(user === undefined ? ['crontab', '-l'] : ['crontab', '-u', user, '-l']),
  parse: (user, r) => {
    if (r.rc === 0) return r.stdout;
    if (r.rc === 1) return ''; // "no crontab for USER"
    throw new ModuleError(`Unable to read crontab${user === undefined ? '' : ` of ${user}`}: crontab -l exited with rc ${r.rc}: ${r.stderr.trim()}`);
  },
  predict: (user, value, p) => {
    const v = p.overlay.fileVerdict(crontabSpoolPath(user));
    if (v?.kind === 'absent') return '';
    return v?.kind === 'exact' && v.p.state === 'file' && v.p.content ? v.p.content.toString('utf8') : value;
  },
});
