// The pip module's reading of names and versions (modules/lib/pip-req.ts).
// Every expected value was computed with the pkg_resources Ansible 2.14's pip
// module uses (Requirement.parse(...).specifier.contains(v, prereleases=True),
// str(Requirement)) on this machine's /usr/bin/python3.

import test from 'ava';
import { canonicalName, parseRequirement, recoverNames, satisfies, wouldInstall } from '../../../../modules/lib/pip-req.js';

const MATCH: Array<[string, string, boolean]> = [
  ['2.0', '>=1.0', true], ['1.0', '==1.0.0', true], ['1.5', '~=1.4', true], ['2.0', '~=1.4', false],
  ['1.4.9', '~=1.4.2', true], ['1.5.0', '~=1.4.2', false], ['2.0rc1', '>=1.0', true], ['2.0rc1', '<2.0', false],
  ['2.0.dev1', '<2.0rc1', true], ['2.0.post1', '>2.0', false], ['1.2.3', '==1.2.*', true], ['1.3', '!=1.2.*', true],
  ['1!1.0', '>=2.0', true], ['1.0+local', '==1.0', true], ['10.0', '>9.1', true], ['1.0a1', '<1.0b1', true],
];

test('satisfies: PEP 440 matching with pre-releases allowed, as pkg_resources answers', (t) => {
  for (const [v, spec, expected] of MATCH) {
    t.is(satisfies(v, parseRequirement(`x${spec}`).specs), expected, `${v} ${spec}`);
  }
});

test('parseRequirement: the text pip gets and the canonical name', (t) => {
  t.deepEqual(parseRequirement('tinya>=1.0,<2.0').text, 'tinya<2.0,>=1.0');
  t.deepEqual(parseRequirement('tinya[extra] >= 1.0').text, 'tinya[extra]>=1.0');
  t.deepEqual(parseRequirement('Tiny.B'), { text: 'Tiny.B', name: 'tiny-b', specs: [] });
  t.deepEqual(parseRequirement('tinya', '1.0').text, 'tinya==1.0');
  t.deepEqual(parseRequirement('tinya', '<2').text, 'tinya<2');
  t.is(parseRequirement('git+https://example.invalid/x.git').name, undefined, 'a VCS URL is not a name');
  t.is(parseRequirement('/srv/x.whl').name, undefined, 'a path is not a name');
  t.is(canonicalName('A__b.-C'), 'a-b-c');
});

test("recoverNames: Ansible's _recover_package_name", (t) => {
  // The examples of Ansible's own docstring.
  t.deepEqual(recoverNames(['django>1.11.1', '<1.11.3', 'ipaddress', 'simpleproject>1.1.0', '<2.0.0']), ['django>1.11.1,<1.11.3', 'ipaddress', 'simpleproject>1.1.0,<2.0.0']);
  t.deepEqual(recoverNames(['django>1.11.1,<1.11.3,ipaddress', 'simpleproject>1.1.0,<2.0.0']), ['django>1.11.1,<1.11.3', 'ipaddress', 'simpleproject>1.1.0,<2.0.0']);
  t.deepEqual(recoverNames(['a[x,y]>=1', 'b']), ['a[x,y]>=1', 'b'], 'a comma inside extras');
});

test('wouldInstall: the names and versions of a dry run', (t) => {
  t.deepEqual(wouldInstall('Looking in links: /w\nWould install tiny_b-0.5 tinya-2.0\n'), [{ name: 'tiny-b', version: '0.5' }, { name: 'tinya', version: '2.0' }]);
  t.deepEqual(wouldInstall('Requirement already satisfied: tinya in ./v (2.0)\n'), []);
});
