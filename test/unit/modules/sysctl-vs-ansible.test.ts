// sysctl under Ansible 2.14 with ansible.posix (ansible-playbook, local
// connection) and under tsplay, on fresh copies of the same files
// (test/helpers/module-differential.ts): the same sysctl file afterwards, the
// same changed/failed flags, the same second run, and tsplay's --check
// predicting its own run. Nothing reaches the kernel: every case has
// `sysctl_set: false` and `reload: false` and a file in its own directory (the
// kernel's values are only read, as both modules do).

import test from 'ava';
import { differentialSummary, differentialUnavailable, runDifferential } from '../../helpers/module-differential.js';
import type { CaseFile, DiffCase } from '../../helpers/module-differential.js';

const F = 'sysctl.conf';
const conf = (content: string | Buffer, mode = 0o644): Record<string, CaseFile> => ({ [F]: { content, mode } });
const sc = (name: string, args: Record<string, unknown>, files: Record<string, CaseFile> = {}): DiffCase =>
  ({ name, files, task: { sysctl: { sysctl_file: `@DIR@/${F}`, sysctl_set: false, reload: false, ...args } } });

const debian = '#\n# /etc/sysctl.conf - Configuration file for setting system variables\n#\n\n#kernel.domainname = example.com\n\n; old style comment\nnet.ipv4.ip_forward = 0\nvm.swappiness=60\n';

const cases: DiffCase[] = [
  sc('add', { name: 'vm.dirty_ratio', value: '15' }, conf(debian)),
  sc('already-set-spaced', { name: 'net.ipv4.ip_forward', value: '0' }, conf(debian)),
  sc('change-normalises', { name: 'net.ipv4.ip_forward', value: '1' }, conf(debian)),
  sc('change-unspaced', { name: 'vm.swappiness', value: '10' }, conf(debian)),
  sc('commented-out-key', { name: 'kernel.domainname', value: 'example.org' }, conf(debian)),
  sc('duplicates-last-wins-same', { name: 'vm.swappiness', value: '10' }, conf('vm.swappiness = 60\nvm.swappiness = 10\n')),
  sc('duplicates-first-differs', { name: 'vm.swappiness', value: '60' }, conf('vm.swappiness = 60\nvm.swappiness = 10\n')),
  sc('duplicates-other-key-on-change', { name: 'vm.dirty_ratio', value: '15' }, conf('kernel.panic = 1\nkernel.panic = 5\n')),
  sc('absent', { name: 'vm.swappiness', state: 'absent' }, conf(debian)),
  sc('absent-not-there', { name: 'vm.dirty_ratio', state: 'absent' }, conf(debian)),
  sc('absent-empty-value', { name: 'vm.swappiness', state: 'absent' }, conf('vm.swappiness =\nkernel.panic = 1\n')),
  sc('absent-duplicates', { name: 'vm.swappiness', state: 'absent' }, conf('vm.swappiness = 1\nkernel.panic = 1\nvm.swappiness = 2\n')),
  sc('missing-file', { name: 'vm.swappiness', value: '10' }),
  sc('missing-file-absent', { name: 'vm.swappiness', state: 'absent' }),
  sc('empty-file', { name: 'vm.swappiness', value: '10' }, conf('')),
  sc('value-with-spaces', { name: 'net.ipv4.ip_local_port_range', value: '1024 65000' }, conf(debian)),
  sc('value-with-spaces-present', { name: 'net.ipv4.ip_local_port_range', value: '1024 65000' }, conf('net.ipv4.ip_local_port_range = 1024 65000\n')),
  sc('value-spacing-differs', { name: 'net.ipv4.ip_local_port_range', value: '1024    65000' }, conf('net.ipv4.ip_local_port_range = 1024 65000\n')),
  sc('value-tab', { name: 'net.ipv4.ip_local_port_range', value: '1024\t65000' }, conf(debian)),
  sc('value-padded', { name: 'vm.swappiness', value: '  10  ' }, conf(debian)),
  sc('value-yes', { name: 'net.ipv4.ip_forward', value: 'yes' }, conf(debian)),
  sc('value-bool-false', { name: 'net.ipv4.ip_forward', value: false }, conf('net.ipv4.ip_forward=1\n')),
  sc('value-int', { name: 'vm.swappiness', value: 60 }, conf(debian)),
  sc('value-on-off', { name: 'kernel.sysrq', value: 'off' }, conf(debian)),
  sc('aliases', { key: 'vm.swappiness', val: '5' }, conf(debian)),
  sc('name-padded', { name: '  vm.swappiness ', value: '60' }, conf(debian)),
  sc('slash-name', { name: 'net/ipv4/ip_forward', value: '1' }, conf(debian)),
  sc('unknown-key', { name: 'tsplay.no.such.key', value: '1' }, conf(debian)),
  sc('unknown-key-ignoreerrors', { name: 'tsplay.no.such.key', value: '1', ignoreerrors: true }, conf(debian)),
  sc('indented-lines', { name: 'vm.dirty_ratio', value: '15' }, conf('   vm.swappiness=60   \n\t# tabbed comment\n  \nkernel.panic=1')),
  sc('line-without-equals', { name: 'vm.dirty_ratio', value: '15' }, conf('garbage line\nvm.swappiness 60\n')),
  sc('crlf', { name: 'vm.dirty_ratio', value: '15' }, conf('vm.swappiness = 60\r\nkernel.panic = 1\r\n')),
  sc('crlf-unchanged', { name: 'vm.swappiness', value: '60' }, conf('vm.swappiness = 60\r\n')),
  sc('equals-in-value', { name: 'kernel.core_pattern', value: 'core.%e=%p' }, conf('kernel.core_pattern = core\n')),
  sc('mode-kept', { name: 'vm.dirty_ratio', value: '15' }, conf(debian, 0o600)),
  sc('value-blank', { name: 'vm.swappiness', value: '' }, conf(debian)),
  sc('value-missing', { name: 'vm.swappiness' }, conf(debian)),
  sc('utf8-bom', { name: 'vm.dirty_ratio', value: '15' }, conf('\ufeffvm.swappiness = 60\n')),
  sc('symlink-file', { name: 'vm.dirty_ratio', value: '15' }, { real: { content: debian, mode: 0o644 }, [F]: { link: 'real' } }),
];

/** Cases where tsplay keeps its own outcome on purpose (docs/modules/sysctl.md); the value: how each difference starts. */
const DELIBERATE: Record<string, string[]> = {};

const missing = differentialUnavailable();
if (missing !== undefined) {
  test('ansible-playbook is installed for the sysctl differential', (t) => t.fail(`missing ${missing}`));
} else {
  test('sysctl: the same outcome as ansible.posix under Ansible 2.14 (file only)', async (t) => {
    t.timeout(10 * 60_000);
    const outcomes = await runDifferential(cases);
    t.log(differentialSummary('sysctl', outcomes));
    const by = Object.fromEntries(outcomes.map((o) => [o.name, o]));
    for (const o of outcomes) {
      const expected = DELIBERATE[o.name];
      if (expected === undefined) t.deepEqual(o.differences, [], o.name);
      else t.true(o.differences.length > 0 && o.differences.every((d) => expected.some((e) => d.startsWith(e))), `${o.name}: ${o.differences.join('; ')}`);
    }
    // The comparison is real: what Ansible did, as observed.
    t.true(by.add.ansible.changed);
    t.false(by.add.ansible.changed2);
    t.false(by['already-set-spaced'].ansible.changed);
    t.true(by['value-blank'].ansible.failed);
    t.regex(by['change-normalises'].tsplay.tree[F], /\\nnet\.ipv4\.ip_forward=1\\nvm\.swappiness=60\\n"$/);
  });
}
