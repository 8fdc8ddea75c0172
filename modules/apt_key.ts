// apt_key: ansible.builtin.apt_key: add or remove an OpenPGP key in apt-key's
// keyrings (docs/modules/apt_key.md), with apt-key itself as Ansible 2.14
// does (deprecated on Debian 12 but still in the apt package), so the keyring
// file ends the same: `apt-key [--keyring K] add FILE|-` and `del SHORTID`.
// Present or not is decided as Ansible decides: the key's long id (its last 8
// hex digits for an 8-digit id) among the ids `apt-key adv --list-public-keys`
// lists. Without `id`, the id is the first key of `data`/`file`, read with gpg
// in a throw-away home. `url` and `keyserver` are not offered (tsplay hosts
// fetch nothing for a key): give the key as data or file.

import { defineModule, ModuleError } from '../engine/module-api.js';
import type { Prediction, Step } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import { aptKeys, parseKeyIds } from '../engine/facts/apt-keys.js';
import type { AptKeys } from '../engine/facts/apt-keys.js';
import { fileContent } from '../engine/facts/file.js';

const schema = S.object({
  id: S.string({ minLength: 1, description: 'the key id: 8, 16 or more hex digits (0x allowed); without it, the first key of data or file' }),
  data: S.string({ minLength: 1, description: 'the key itself (ASCII-armored or binary OpenPGP), fed to apt-key add -' }),
  file: S.string({ minLength: 1, pattern: '^[^-]', description: 'a key file on the host (apt-key add FILE)' }),
  keyring: S.string({ minLength: 1, pattern: '^[^-]', description: "the keyring apt-key adds to or removes from (--keyring); default: apt-key's own (/etc/apt/trusted.gpg)" }),
  state: S.enum(['present', 'absent'], { default: 'present', description: 'absent removes the key (apt-key del)' }),
  validate_certs: S.boolean({ default: true, description: 'accepted for compatibility; tsplay downloads no key, so it changes nothing' }),
}, { additionalProperties: false });

export type AptKeyArgs = Static<typeof schema>;

export interface AptKeyState {
  keys: AptKeys;
  /** What gpg read from data or file (rc 0: the key ids in it); undefined when neither is given. */
  source?: { rc: number; ids: string[]; stderr: string };
}

/** Ansible's parse_key_id: [short id for apt-key del, id compared with the list, the whole id]. */
export function parseKeyId(raw: string): { short: string; fp: string; full: string } {
  let id = raw.trim().toUpperCase();
  if (!/^(0X)?[0-9A-F]+$/.test(id)) throw new ModuleError('Invalid key_id');
  if (id.startsWith('0X')) id = id.slice(2);
  if (id.length !== 8 && id.length !== 16 && id.length <= 16) throw new ModuleError('Invalid key_id');
  return { short: id.slice(-8), fp: id.length > 16 ? id.slice(-16) : id, full: id };
}

// Reads the key ids of stdin with gpg in a temporary home (nothing of root's ~/.gnupg is touched).
const SHOW_KEYS = 'd=$(mktemp -d) || exit 1; LC_ALL=C GNUPGHOME=$d gpg --batch --with-colons --show-keys; rc=$?; rm -rf "$d"; exit $rc';

export default defineModule<typeof schema, AptKeyState>({
  name: 'apt_key',
  description: 'Add or remove an apt key (apt-key)',
  schema,
  async gather(args, host) {
    if (args.data !== undefined && args.file !== undefined) throw new ModuleError('parameters are mutually exclusive: data|file|keyserver|url');
    const keys = await host.get(aptKeys, args.keyring ?? '');
    let bytes: Buffer | undefined;
    if (args.data !== undefined) bytes = Buffer.from(args.data, 'utf8');
    else if (args.file !== undefined) {
      const f = await host.get(fileContent, args.file);
      if (!f.exists || f.type !== 'file') return { keys, source: { rc: 2, ids: [], stderr: `${args.file}: no such file` } };
      // A file only predicted (content unknown in --check): its id cannot be read.
      if (f.content === undefined) return { keys };
      bytes = f.content;
    }
    if (bytes === undefined) return { keys };
    const r = await host.run(['sh', '-c', SHOW_KEYS], { stdin: bytes });
    return { keys, source: { rc: r.rc, ids: r.rc === 0 ? parseKeyIds(r.stdout) : [], stderr: r.stderr } };
  },
  plan(args, state) {
    if (args.data !== undefined && args.file !== undefined) throw new ModuleError('parameters are mutually exclusive: data|file|keyserver|url');
    const keyring = args.keyring ?? '';
    let raw = args.id;
    if (raw === undefined) {
      if (args.data === undefined && args.file === undefined) throw new ModuleError('Invalid key_id');
      if (!state.source) throw new ModuleError(`the key id of ${args.file} is not known before an earlier task writes it: give id`);
      if (state.source.rc !== 0) throw new ModuleError(`Unable to extract key from '${args.data !== undefined ? 'inline data' : args.file}'`, { stderr: state.source.stderr });
      raw = state.source.ids[0];
      if (raw === undefined) throw new ModuleError('Invalid key_id', { id: null });
    }
    const { short, fp, full } = parseKeyId(raw);
    const shortFormat = full.length === 8;
    const list = shortFormat ? state.keys.keys.map((k) => k.slice(-8)) : state.keys.keys;
    const result: Record<string, unknown> = { id: raw, short_id: short, fp, key_id: full, before: list };
    const base = ['apt-key', ...(keyring ? ['--keyring', keyring] : [])];
    // Ansible lists the keyring once more after a change, and its first listing creates a missing keyring file
    // (empty): the same listing, run as a step, leaves the same file.
    const list2: Step = { kind: 'run', argv: ['apt-key', ...(keyring ? ['--keyring', keyring] : []), 'adv', '--list-public-keys', '--keyid-format=long'], quiet: true };
    const housekeeping = keyring && state.keys.missing ? { steps: [list2] } : {};

    if (args.state === 'absent') {
      if (!list.includes(fp)) return { changed: false, reason: `key ${fp} is not in the keyring`, result, ...housekeeping };
      const after = list.filter((k) => k !== fp);
      return {
        changed: true,
        summary: `remove key ${fp}`,
        steps: [{ kind: 'run', argv: [...base, 'del', short] }, list2],
        predicts: state.keys.keys.filter((k) => k.endsWith(fp)).map((k): Prediction => ({ kind: 'apt_key', keyring, id: k, present: false })),
        result: { ...result, after },
      };
    }

    if (list.includes(shortFormat ? short : fp)) return { changed: false, reason: `key ${fp} is already in the keyring`, result, ...housekeeping };
    if (args.data === undefined && args.file === undefined) throw new ModuleError('No key to add ... how did i get here?!?!', result);
    const steps: Step[] = [args.data !== undefined
      ? { kind: 'run', argv: [...base, 'add', '-'], stdin: args.data }
      : { kind: 'run', argv: [...base, 'add', args.file!] }];
    const added = state.source?.rc === 0 ? state.source.ids : [];
    // As Ansible: apt-key adds the key, then the task fails when the requested id is not among what was added.
    steps.push(list2);
    if (state.source?.rc === 0 && !added.some((k) => k.endsWith(fp))) {
      steps.push({
        kind: 'run', argv: ['sh', '-c', 'echo "$1" >&2; exit 1', 'sh', 'apt-key did not return an error, but failed to add the key (check that the id is correct and *not* a subkey)'],
      });
    }
    const predicted = added.length ? added : [fp];
    const after = [...list, ...predicted.map((k) => (shortFormat ? k.slice(-8) : k)).filter((k) => !list.includes(k))];
    return {
      changed: true,
      summary: `add key ${fp}${keyring ? ` to ${keyring}` : ''}`,
      steps,
      predicts: predicted.map((k): Prediction => ({ kind: 'apt_key', keyring, id: k, present: true })),
      result: { ...result, after },
    };
  },
});
