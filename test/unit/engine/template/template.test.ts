import test from 'ava';
import {
  TemplateError,
  checkTemplate,
  isTemplated,
  renderDeep,
  renderString,
  templateVariables,
} from '../../../../engine/template/template.js';

const vars: Record<string, unknown> = {
  packages: ['nova-compute', 'nfs-common'],
  n: 3,
  zero: 0,
  flag: true,
  off: false,
  nothing: null,
  conf: { path: '/etc/nova/nova.conf', mode: '0640' },
  s: 'Nova',
  inventory_hostname: 'cmp1',
  hostvars: {
    ctl1: { nova_uid: '111', ansible_host: '10.0.0.1' },
    'ctl-1': { nova_uid: 112 },
    cmp1: { nova_uid: '113' },
  },
  groups: { compute: ['cmp1', 'cmp2'], controller: ['ctl1'] },
  r: { changed: true, failed: false, rc: 0, results: [{ stdout: 'out0', rc: 0 }, { stdout: 'out1', rc: 1 }] },
  item: { name: 'nova', uid: 111 },
};

const renders = test.macro({
  exec(t, template: string, expected: unknown) {
    t.deepEqual(renderString(template, vars), expected);
  },
  title: (provided, template: string, expected: unknown) => provided ?? `${JSON.stringify(template)} => ${JSON.stringify(expected)}`,
});

// a lone tag yields the value itself
test(renders, '{{packages}}', ['nova-compute', 'nfs-common']);
test(renders, '{{ packages }}', ['nova-compute', 'nfs-common']);
test(renders, '{{n}}', 3);
test(renders, '{{flag}}', true);
test(renders, '{{off}}', false);
test(renders, '{{nothing}}', null);
test(renders, '{{conf}}', { path: '/etc/nova/nova.conf', mode: '0640' });
test(renders, '{{item.uid}}', 111);
test(renders, '{{ packages | length }}', 2);
test(renders, '{{ n == 3 }}', true);
test(renders, '{{int "12"}}', 12);
test(renders, '{{split "a,b" ","}}', ['a', 'b']);
test(renders, '{{default missing packages}}', ['nova-compute', 'nfs-common']);
test(renders, "{{ groups['compute'] }}", ['cmp1', 'cmp2']);
test(renders, '{{"literal"}}', 'literal');

// anything else is a string
test(renders, 'no tags here', 'no tags here');
test(renders, ' {{n}}', ' 3');
test(renders, 'n={{n}}', 'n=3');
test(renders, '{{n}}{{n}}', '33');
test(renders, 'flag={{flag}}', 'flag=True'); // Python's str(), as Ansible renders a value inside a string
test(renders, 'x{{nothing}}y', 'xy');
test(renders, 'pkgs: {{packages}}', "pkgs: ['nova-compute', 'nfs-common']"); // lists and mappings inside a string: Python's str()
test(renders, 'conf {{conf}}', "conf {'path': '/etc/nova/nova.conf', 'mode': '0640'}");
test(renders, 'uid={{hostvars.ctl1.nova_uid}}', 'uid=111');
test(renders, 'uid={{hostvars.[ctl-1].nova_uid}}', 'uid=112');
test(renders, 'out={{r.results.[1].stdout}}', 'out=out1');
test(renders, 'out={{r.results.0.stdout}}', 'out=out0');
test(renders, '<{{s}}> & "{{s}}"', '<Nova> & "Nova"'); // no HTML escaping
test(renders, '{{{s}}}!', 'Nova!');
test(renders, 'a {{~ s ~}} b', 'aNovab');
test(renders, 'a {{!-- a comment --}}b', 'a b');
test(renders, 'a {{! short }}b', 'a b');
test(renders, 'line1\n{{s}}\nline3', 'line1\nNova\nline3');
test(renders, 'escaped \\{{s}}', 'escaped {{s}}');

// helpers
test(renders, '{{default missing "x"}}', 'x');
test(renders, '{{default missing.deep.er "x"}}', 'x');
test(renders, '{{default hostvars.ctl9.nova_uid "none"}}', 'none');
test(renders, '{{default s "x"}}', 'Nova');
test(renders, 'v={{default missing "x"}}', 'v=x');
test(renders, '{{defined missing}}', false);
test(renders, '{{defined s}}', true);
test(renders, '{{join packages ","}}', 'nova-compute,nfs-common');
test(renders, '{{join packages}}', 'nova-computenfs-common');
test(renders, '{{lookup hostvars "ctl1" "nova_uid"}}', '111');
test(renders, '{{lookup hostvars inventory_hostname "nova_uid"}}', '113');
test(renders, '{{hostvar "ctl-1" "nova_uid"}}', 112);
test(renders, '{{hostvar inventory_hostname "nova_uid"}}', '113');
test(renders, '{{upper s}}', 'NOVA');
test(renders, '{{lower s}}', 'nova');
test(renders, '{{trim "  x  "}}', 'x');
test(renders, '{{length packages}}', 2);
test(renders, '{{int hostvars.ctl1.nova_uid}}', 111);
test(renders, '{{to_json conf}}', '{"path": "/etc/nova/nova.conf", "mode": "0640"}');
test(renders, '{{eq n 3}}', true);
test(renders, '{{ne n 3}}', false);
test(renders, '{{eq hostvars.ctl1.nova_uid 111}}', false); // '111' is not 111
test(renders, '{{gt n 2}}', true);
test(renders, '{{startsWith s "No"}}', true);
test(renders, '{{endsWith conf.path ".conf"}}', true);
test(renders, '{{contains packages "nfs-common"}}', true);
test(renders, '{{contains s "ov"}}', true);
test(renders, '{{contains conf "mode"}}', true);
test(renders, '{{regex_search "uid=111(nova)" "[0-9]+"}}', '111');
test(renders, '{{match s "^N"}}', true);
test(renders, '{{and flag n}}', true);
test(renders, '{{or off zero}}', false);
test(renders, '{{not off}}', true);
test(renders, '{{upper (default missing "x")}}', 'X');
test(renders, '{{join (split "a b" " ") "-"}}', 'a-b');
test(renders, '{{concat s "-" n}}', 'Nova-3');

// blocks
test(renders, '{{#each packages}}[{{this}}]{{/each}}', '[nova-compute][nfs-common]');
test(renders, '{{#each packages}}{{@index}}={{this}};{{/each}}', '0=nova-compute;1=nfs-common;');
test(renders, '{{#each groups.compute as |h|}}{{h}}:{{default (lookup ../hostvars h) "?"}};{{/each}}', "cmp1:{'nova_uid': '113'};cmp2:?;");
test(renders, '{{#each groups.controller}}{{this}}={{../n}};{{/each}}', 'ctl1=3;');
test(renders, '{{#each r.results}}{{stdout}}/{{rc}} {{/each}}', 'out0/0 out1/1 ');
test(renders, '{{#if flag}}yes{{else}}no{{/if}}', 'yes');
test(renders, '{{#if (eq n 4)}}four{{else}}not four{{/if}}', 'not four');
test(renders, '{{#unless off}}on{{/unless}}', 'on');
test(renders, '{{#with conf}}{{path}} {{mode}}{{/with}}', '/etc/nova/nova.conf 0640');
test(renders, '{{#each packages}}{{ this | upper }} {{/each}}', 'NOVA-COMPUTE NFS-COMMON ');
test(renders, '{{#if (defined missing)}}a{{else}}b{{/if}}', 'b');
test(renders, 'list:\n{{#each packages}}\n  - {{this}}\n{{/each}}\n', 'list:\n  - nova-compute\n  - nfs-common\n');

// Jinja-style tags (parsed by the expression parser)
test(renders, "{{ missing | default('y') }}", 'y');
test(renders, "{{ s | default('y') }}", 'Nova');
test(renders, "{{ hostvars['ctl1'].nova_uid }}", '111');
test(renders, "{{ hostvars['ctl-1'].nova_uid }}", 112);
test(renders, "{{ hostvars[inventory_hostname].nova_uid | int }}", 113);
test(renders, "{{ groups['compute'] | join(',') }}", 'cmp1,cmp2');
test(renders, 'n={{ packages | length }}', 'n=2');
test(renders, 'x={{ r.results[0].stdout }}', 'x=out0');
test(renders, '{{ r.rc == 0 and r is changed }}', true);
test(renders, "uid {{ hostvars['ctl1'].nova_uid }} on {{ inventory_hostname }}", 'uid 111 on cmp1');
test(renders, "a {{~ s | lower ~}} b", 'anovab');

// ------------------------------------------------------------ errors

const fails = test.macro({
  exec(t, template: string, expected: { reason: string; variable?: string; line?: number; column?: number }) {
    const e = t.throws(() => renderString(template, vars), { instanceOf: TemplateError });
    t.true(e.reason.includes(expected.reason), e.message);
    t.is(e.template, template);
    t.is(e.variable, expected.variable);
    if (expected.line !== undefined) t.is(e.line, expected.line);
    if (expected.column !== undefined) t.is(e.column, expected.column);
  },
  title: (provided, template: string) => provided ?? `error: ${JSON.stringify(template)}`,
});

test(fails, '{{missing}}', { reason: 'undefined variable "missing"', variable: 'missing', line: 1, column: 3 });
test(fails, 'x {{ missing }}', { reason: 'undefined variable "missing"', variable: 'missing', line: 1, column: 6 });
test(fails, '{{hostvars.ctl1.nova_gid}}', {
  reason: 'undefined variable "hostvars.ctl1.nova_gid" (no "nova_gid" in "hostvars.ctl1")',
  variable: 'hostvars.ctl1.nova_gid',
  column: 3,
});
test(fails, 'uid={{hostvars.ctl9.nova_uid}}', {
  reason: 'undefined variable "hostvars.ctl9.nova_uid" (no "ctl9" in "hostvars")',
  variable: 'hostvars.ctl9.nova_uid',
  column: 7,
});
test(fails, '{{s.length}}', { reason: '("s" is a string)', variable: 's.length' });
test(fails, '{{r.results.[5].stdout}}', { reason: 'no "5" in "r.results"', variable: 'r.results.[5].stdout' });
test(fails, 'a\nb\n  {{ nope }}', { reason: 'undefined variable "nope"', variable: 'nope', line: 3, column: 6 });
test(fails, '{{upper missing}}', { reason: 'undefined variable "missing"', variable: 'missing', column: 9 });
test(fails, '{{join (split missing ",") "-"}}', { reason: 'undefined variable "missing"', variable: 'missing', column: 15 });
test(fails, '{{default missing other}}', { reason: 'undefined variable "other"', variable: 'other', column: 19 });
test(fails, '{{#each nope}}x{{/each}}', { reason: 'undefined variable "nope"', variable: 'nope', column: 9 });
test(fails, '{{#if nope}}x{{/if}}', { reason: 'undefined variable "nope"', variable: 'nope' });
test(fails, '{{#each packages}}{{name}}{{/each}}', { reason: 'undefined variable "name"', variable: 'name', column: 21 });
test(renders, '{{default (hostvar "ctl9" "nova_uid") "-"}}', '-');
test(fails, '{{lookup hostvars "ctl9"}}', { reason: 'lookup: no key "ctl9"', variable: 'ctl9' });
test(fails, '{{hostvar "ctl9" "nova_uid"}}', {
  reason: 'undefined variable "hostvars.ctl9.nova_uid" (no host "ctl9" in hostvars)',
  variable: 'hostvars.ctl9.nova_uid',
});
test(fails, "{{ hostvars['ctl9'].nova_uid }}", { reason: 'undefined variable "hostvars[\'ctl9\']"', variable: "hostvars['ctl9']", column: 4 });
test(fails, 'x\n  {{ nope | int }}', { reason: 'undefined variable "nope"', variable: 'nope', line: 2, column: 6 });
test(fails, '{{ missing | length }} and {{n}}', { reason: 'undefined variable "missing"', variable: 'missing', column: 4 });
test(fails, '{{length n}}', { reason: 'length: length expects a string, list or mapping, got int', column: 3 });
test(fails, '{{gt s 1}}', { reason: 'cannot compare string with int', column: 3 });
test(fails, '{{ s > 1 }}', { reason: 'cannot compare string with int', column: 4 });

// syntax and unsupported constructs, located
test(fails, '{{foo bar}}', { reason: 'unknown helper "foo"', column: 3 });
test(fails, '{{_v this 0}}', { reason: 'unknown helper "_v"', column: 3 });
test(fails, '{{_j this 0}}', { reason: 'unknown helper "_j"', column: 3 });
test(fails, '{{constructor s}}', { reason: 'unknown helper "constructor"' });
test(fails, '{{#if flag}}x', { reason: 'unexpected end of template', line: 1, column: 14 });
test(fails, 'abc\n  {{ s', { reason: 'unclosed "{{"', line: 2, column: 3 });
test(fails, '{{#if flag}}x{{/each}}', { reason: "if doesn't match each", column: 4 });
test(fails, '{{#packages}}x{{/packages}}', { reason: 'is not a block helper', column: 4 });
test(fails, '{{> partial}}', { reason: 'partials' });
test(fails, '{{join packages sep=","}}', { reason: 'takes no named arguments' });
test(fails, '{% if flag %}x{% endif', { reason: 'unclosed "{%"', column: 15 });
test(fails, "{{ nosuch('env', 'HOME') }}", { reason: 'unknown function "nosuch"', column: 4 });
test(renders, "{{ 'a' if flag else 'b' }}", 'a');
test(fails, '{{ x | nofilter }}', { reason: 'unknown filter "nofilter"', column: 8 });
test(fails, "pre {{ hostvars['ctl1' }} post {{n}}", { reason: 'expected "]"', column: 24 });
test(fails, '{{s}} then {{ a == }} {{n}}', { reason: 'unexpected end of expression', column: 20 });

test('error message names the variable and quotes the template', (t) => {
  const e = t.throws(() => renderString('{{hostvars.ctl1.nova_gid}}', vars), { instanceOf: TemplateError });
  t.is(
    e.message,
    'undefined variable "hostvars.ctl1.nova_gid" (no "nova_gid" in "hostvars.ctl1") in "{{hostvars.ctl1.nova_gid}}"',
  );
});

test('errors after a Jinja-style tag keep the original columns', (t) => {
  const tpl = "{{ hostvars['ctl1'].nova_uid | int }} and {{nope}}";
  const e = t.throws(() => renderString(tpl, vars), { instanceOf: TemplateError });
  t.is(e.variable, 'nope');
  t.is(e.column, tpl.indexOf('nope') + 1);
  const tpl2 = "{{ hostvars['ctl1'].nova_uid | int }}\n{{#each packages}}{{/if}}";
  const e2 = t.throws(() => renderString(tpl2, vars), { instanceOf: TemplateError });
  t.is(e2.line, 2);
  t.is(e2.column, 4);
});

// ------------------------------------------------------------ API

test('isTemplated', (t) => {
  t.true(isTemplated('a {{b}}'));
  t.true(isTemplated('{% if %}'));
  t.false(isTemplated('plain ${HOME} {x}'));
});

test('renderDeep renders every string, leaves keys and non-strings alone', (t) => {
  const input = {
    name: 'install {{ packages | length }} packages',
    pkgs: '{{packages}}',
    '{{key}}': 'kept',
    nested: [{ uid: '{{hostvars.ctl1.nova_uid}}', n: 5, b: false, z: null }],
  };
  const out = renderDeep(input, vars);
  t.deepEqual(out, {
    name: 'install 2 packages',
    pkgs: ['nova-compute', 'nfs-common'],
    '{{key}}': 'kept',
    nested: [{ uid: '111', n: 5, b: false, z: null }],
  });
  t.is(input.pkgs, '{{packages}}'); // input untouched
});

test('checkTemplate validates syntax without variables', (t) => {
  t.notThrows(() => checkTemplate('{{undefined_is_fine_here}} {{#each x}}{{this}}{{/each}}'));
  t.notThrows(() => checkTemplate('no template'));
  const e = t.throws(() => checkTemplate('line1\nline2 {{#if x}}'), { instanceOf: TemplateError });
  t.is(e.line, 2);
  t.throws(() => checkTemplate("{{ x | nofilter }}"), { instanceOf: TemplateError });
  t.throws(() => checkTemplate('{{nohelper x}}'), { instanceOf: TemplateError });
});

test('templateVariables lists the root names that must be defined', (t) => {
  t.deepEqual(templateVariables('plain'), []);
  t.deepEqual(
    templateVariables(
      '{{a.b}} {{default c 1}} {{upper d}} {{#each l}}{{x}}{{../y}}{{/each}} {{ z | default(1) }} {{ w | int }} {{hostvars.[h-1].v}}',
    ).sort(),
    ['a', 'd', 'hostvars', 'l', 'w', 'y'],
  );
  t.deepEqual(templateVariables('{{#each l as |it|}}{{it.name}}{{/each}}'), ['l']);
});

test('the same template renders with different variables (cache is keyed by source only)', (t) => {
  t.is(renderString('v={{v}}', { v: 1 }), 'v=1');
  t.is(renderString('v={{v}}', { v: 2 }), 'v=2');
  t.deepEqual(renderString('{{v}}', { v: [1] }), [1]);
  t.deepEqual(renderString('{{v}}', { v: 'x' }), 'x');
  t.is(renderString('{{#each v}}{{this}}{{/each}}', { v: [1, 2] }), '12');
  t.is(renderString('{{#each v}}{{this}}{{/each}}', { v: [3] }), '3');
});

test('variables layered with prototypes are visible', (t) => {
  const base = { a: 'A' };
  const layered = Object.assign(Object.create(base) as Record<string, unknown>, { b: 'B' });
  t.is(renderString('{{a}}{{b}}', layered), 'AB');
  t.is(renderString('{{#if true}}{{a}}{{/if}}', layered), 'A');
  t.throws(() => renderString('{{toString}}', {}), { instanceOf: TemplateError });
});

test.serial('performance: a small template renders in microseconds once compiled', (t) => {
  // best of several batches: robust against other processes on a shared machine
  const measure = (tpl: string, n = 2000, batches = 8) => {
    renderString(tpl, vars);
    let best = Infinity;
    for (let b = 0; b < batches; b++) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < n; i++) renderString(tpl, vars);
      best = Math.min(best, Number(process.hrtime.bigint() - start) / n / 1000);
    }
    return best;
  };
  const flat = measure('uid {{hostvars.ctl1.nova_uid}} on {{inventory_hostname}}');
  const lone = measure('{{packages}}');
  const jinja = measure("{{ hostvars['ctl1'].nova_uid | int }} on {{ inventory_hostname }}");
  const block = measure('{{#each packages}}{{this}} {{/each}}');
  t.log(`µs per render: flat ${flat.toFixed(2)}, lone ${lone.toFixed(2)}, jinja ${jinja.toFixed(2)}, block ${block.toFixed(2)}`);
  // Generous bounds (the machine is shared; typical figures are 0.3-10 µs), but
  // far below a compile per render (0.4-2 ms), so a broken cache fails here.
  t.true(flat < 100, `flat ${flat}`);
  t.true(lone < 100, `lone ${lone}`);
  t.true(jinja < 100, `jinja ${jinja}`);
  t.true(block < 300, `block ${block}`);
});
