// Fact `apt_keys`: apt-key's listing -> long key ids (Ansible's parse: pub and
// sub lines, not expired); predictions -> predicted ids.

import test from 'ava';
import { aptKeys, parseKeyIds } from '../../../../engine/facts/apt-keys.js';
import type { AptKeys } from '../../../../engine/facts/apt-keys.js';
import type { Prediction } from '../../../../engine/module-api.js';
import { out, parseRows, predictRow, readCtx } from './table-reader.js';

// As apt-key --keyring K adv --list-public-keys --keyid-format=long printed it on this machine (plus an expired key).
const LIST = `Executing: /tmp/apt-key-gpghome.QOKO0vAmgP/gpg.1.sh --list-public-keys --keyid-format=long
/tmp/k.gpg
----------------
pub   ed25519/0A1109A5C19DAC06 2026-12-01 [SC]
      11D0821F5E689AC23BBA9E990A1109A5C19DAC06
uid                 [ unknown] Test One <one@example.org>
sub   cv25519/1111222233334444 2026-12-01 [E]

pub   rsa2048/AAAABBBBCCCCDDDD 2016-01-01 [SC] [expired: 2017-01-01]
uid                 [ expired] Old <old@example.org>
`;

test('apt_keys: the listing -> pub and sub long ids, expired ones left out', (t) => {
  t.deepEqual(parseKeyIds(LIST), ['0A1109A5C19DAC06', '1111222233334444']);
  t.deepEqual(parseKeyIds('pub:-:255:22:0A1109A5C19DAC06:1796089497:::-:::scSC:::::ed25519:::0:\nfpr:::::::::11D0:\n'), ['0A1109A5C19DAC06'], 'gpg --with-colons');
  t.deepEqual(parseRows(aptKeys, [''], [out(LIST)])[0], { keys: ['0A1109A5C19DAC06', '1111222233334444'] });
  t.throws(() => parseRows(aptKeys, ['/k'], [out('', 2, 'boom')]), { message: /Unable to list public keys \(rc 2\): boom/ });
  t.regex(aptKeys.sections(['/k'], readCtx())[0], /^if \[ -e \/k \]; then LC_ALL=C LANG=C apt-key --keyring \/k adv --list-public-keys --keyid-format=long; else echo tsplay-keyring-missing; fi$/);
  t.deepEqual(parseRows(aptKeys, ["/k"], [out("tsplay-keyring-missing\n")])[0], { keys: [], missing: true }, "a missing keyring file is read as empty, not created");
  t.regex(aptKeys.sections([''], readCtx())[0], /apt-key adv --list-public-keys/);
});

const base: AptKeys = { keys: ['0A1109A5C19DAC06'] };
const ROWS: Array<{ what: string; predictions: Prediction[][]; expected: AptKeys }> = [
  { what: 'nothing predicted', predictions: [], expected: base },
  { what: 'a key added', predictions: [[{ kind: 'apt_key', keyring: '/k', id: '1111222233334444', present: true }]], expected: { keys: ['0A1109A5C19DAC06', '1111222233334444'], predicted: true } },
  { what: 'a key removed', predictions: [[{ kind: 'apt_key', keyring: '/k', id: '0A1109A5C19DAC06', present: false }]], expected: { keys: [], predicted: true } },
  { what: 'another keyring', predictions: [[{ kind: 'apt_key', keyring: '', id: '1111222233334444', present: true }]], expected: base },
];

test('apt_keys: predictions -> predicted ids', async (t) => {
  for (const row of ROWS) t.deepEqual(await predictRow(aptKeys, '/k', base, row.predictions), row.expected, row.what);
});
