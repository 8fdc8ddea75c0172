// Host patterns: every form, Ansible's ordering, and the malformed ones.

import test from 'ava';
import { inventoryFromText, selectHosts, parsePattern } from '../../../../engine/inventory/inventory.js';
import { LoadError } from '../../../../engine/errors.js';

// Inventory order: bastion, web1..web3, db1, db2, then comp-a (a host AND a group named "cache").
const inv = inventoryFromText(
  `
all:
  hosts:
    bastion:
  children:
    web:
      hosts:
        web[1:3]:
      children:
        canary:
          hosts:
            web2:
    db:
      hosts:
        db1:
        db2:
    staging:
      hosts:
        web3:
        db2:
    compute:
      hosts:
        comp-a:
        cache:
    cache:
      hosts:
        db1:
    ipv6:
      hosts:
        "[2001:db8::1]:2222":
`,
  'patterns.yml',
);

const ALL = ['bastion', 'web1', 'web2', 'web3', 'db1', 'db2', 'comp-a', 'cache', '2001:db8::1'];

const cases: Array<[string | string[], string[]]> = [
  ['all', ALL],
  ['*', ALL],
  ['web', ['web1', 'web2', 'web3']],
  ['canary', ['web2']],
  ['web2', ['web2']],
  ['web1:db1', ['web1', 'db1']],
  ['db1:web1', ['db1', 'web1']], // the order written, for names
  ['web,db', ['web1', 'web2', 'web3', 'db1', 'db2']],
  ['web, db', ['web1', 'web2', 'web3', 'db1', 'db2']],
  [['db', 'web'], ['db1', 'db2', 'web1', 'web2', 'web3']],
  ['web:!canary', ['web1', 'web3']],
  ['!canary:web', ['web1', 'web3']], // exclusions apply after unions, wherever written
  ['web:&staging', ['web3']],
  ['all:&staging:!db', ['web3']],
  ['!web', ['bastion', 'db1', 'db2', 'comp-a', 'cache', '2001:db8::1']], // only exclusions: start from all
  ['&staging', ['web3', 'db2']],
  ['web*', ['web1', 'web2', 'web3']], // glob matches the group web and hosts web1..3
  ['we?2', ['web2']],
  ['db[12]', []], // digits-only brackets are a subscript, as in Ansible: db has 2 hosts, index 12 is nothing
  ['db[1]', ['db2']],
  ['web[0]', ['web1']],
  ['web[-1]', ['web3']],
  ['web[0:1]', ['web1', 'web2']], // inclusive
  ['web[1:]', ['web2', 'web3']],
  ['web[:1]', ['web1', 'web2']],
  ['web[5]', []],
  ['~web[13]$', ['web1', 'web3']],
  ['~web[1]', ['web2']], // a trailing [digits] is a subscript even after ~ (Ansible's reading): the 2nd host matching ~web
  ['~(web|db)1', ['web1', 'db1']],
  ['~^comp', ['comp-a', 'cache']], // regex matches the group compute and its hosts
  ['cache', ['cache']], // a plain host name wins over the group of the same name
  ['cache:&db', []],
  ['nothing', []],
  ['nothing:web1', ['web1']],
  ['localhost', ['localhost']], // implicit localhost
  ['127.0.0.1', ['127.0.0.1']],
  ['2001:db8::1', ['2001:db8::1']],
  ['web:web2:web1', ['web1', 'web2', 'web3']], // no duplicates, first occurrence keeps its place
];

for (const [pattern, expected] of cases) {
  test(`pattern ${JSON.stringify(pattern)}`, (t) => {
    t.deepEqual(selectHosts(inv, pattern), expected);
  });
}

test('glob classes that are not subscripts', (t) => {
  t.deepEqual(selectHosts(inv, 'web[13]*'), ['web1', 'web3']);
  t.deepEqual(selectHosts(inv, 'web[!1]*'), ['web2', 'web3']);
});

const badPatterns: Array<[string, RegExp]> = [
  ['web:&', /"&" must be followed by a host or group name/],
  ['web:!', /"!" must be followed/],
  ['!&web', /"!" must be followed/],
  ['web[1:', /unclosed "\["/],
  ['[1:', /unclosed "\["/],
  ['web]', /has no matching "\["/],
  ['web[:]', /needs a start or an end/],
  ['~(web', /invalid regular expression/],
  ['~', /"~" must be followed by a regular expression/],
  ['', /empty pattern/],
  ['web::db', /empty part/],
];
for (const [pattern, re] of badPatterns) {
  test(`bad pattern ${JSON.stringify(pattern)}`, (t) => {
    const err = t.throws(() => selectHosts(inv, pattern), { instanceOf: LoadError });
    t.regex(err.message, re);
    t.true(err.message.includes(`bad host pattern "${pattern}"`));
  });
}

test('parsePattern exposes the terms', (t) => {
  const terms = parsePattern('web:&staging:!~db.*:all[0:2]');
  t.deepEqual(
    terms.map((x) => [x.op, x.kind, x.expr, x.subscript]),
    [
      ['union', 'name', 'web', undefined],
      ['intersect', 'name', 'staging', undefined],
      ['exclude', 'regex', '~db.*', undefined],
      ['union', 'name', 'all', { start: 0, end: 2 }],
    ],
  );
});
