// `apt_keys`: the OpenPGP keys apt-key lists for a keyring ('' : apt-key's
// default, /etc/apt/trusted.gpg and trusted.gpg.d), read as Ansible 2.14's
// apt_key module reads them: `apt-key [--keyring K] adv --list-public-keys
// --keyid-format=long`, the long id of every pub and sub line that is not
// expired. Overlay rule: predicted additions and removals in that keyring.

import { ModuleError } from '../module-api.js';
import { quoteArgv } from '../host/shell.js';
import type { Overlay } from '../host/overlay.js';
import { perArg } from './fact.js';

export interface AptKeys {
  /** Long (16 hex digit) key ids, as listed. */
  keys: string[];
  /** The keyring file does not exist (apt-key's listing, as Ansible runs it, creates it empty). */
  missing?: boolean;
  predicted?: boolean;
}

/** The key ids in `gpg --list-keys --keyid-format=long` or `--with-colons` output, as Ansible parses them. */
export function parseKeyIds(output: string): string[] {
  const found: string[] = [];
  for (const line of output.split('\n')) {
    if (!(line.startsWith('pub') || line.startsWith('sub')) || line.includes('expired')) continue;
    const tokens = line.split(/\s+/).filter(Boolean);
    const slash = tokens[1]?.split('/');
    if (slash && slash.length === 2) found.push(slash[1]);
    else {
      const colon = line.split(':');
      if (colon.length > 4) found.push(colon[4]);
    }
  }
  return found;
}

export const aptKeysArgv = (keyring: string): string[] =>
  ['apt-key', ...(keyring ? ['--keyring', keyring] : []), 'adv', '--list-public-keys', '--keyid-format=long'];

/** The keyring's keys once the recorded predictions apply. Pure. */
export function predictAptKeys(overlay: Overlay, keyring: string, base: AptKeys): AptKeys {
  const p = overlay.aptKeyPrediction(keyring);
  if (!p || p.size === 0) return base;
  let keys = [...base.keys];
  for (const [id, present] of p) {
    if (present && !keys.includes(id)) keys.push(id);
    if (!present) keys = keys.filter((k) => k !== id && !id.endsWith(k) && !k.endsWith(id));
  }
  return { keys, ...(base.missing && keys.length === 0 ? { missing: true } : {}), predicted: true };
}

export const aptKeys = perArg<string, AptKeys>({
  name: 'apt_keys',
  // A missing keyring file lists nothing; it is not created by reading (apt-key's listing would create it).
  // (No `exit`: the sections of one round trip run in one script.)
  snippet: (keyring) => {
    const list = `LC_ALL=C LANG=C ${quoteArgv(aptKeysArgv(keyring))}`;
    return keyring ? `if [ -e ${quoteArgv([keyring])} ]; then ${list}; else echo tsplay-keyring-missing; fi` : list;
  },
  parse(keyring, r, ctx) {
    if (r.rc !== 0) {
      throw new ModuleError(`${ctx.host}: Unable to list public keys (rc ${r.rc}): ${r.stderr.trim()}`, { cmd: aptKeysArgv(keyring).join(' '), rc: r.rc, stdout: r.stdout, stderr: r.stderr });
    }
    return r.stdout.startsWith('tsplay-keyring-missing') ? { keys: [], missing: true } : { keys: parseKeyIds(r.stdout) };
  },
  predict: (keyring, base, p) => predictAptKeys(p.overlay, keyring, base),
});
