// Fact `init_system` (the one detection: system facts, services, package units).

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { INIT_PROBE, initSystem, parseInitProbe } from '../../../../engine/facts/init-system.js';
import type { InitSystem } from '../../../../engine/module-api.js';
import { out, parseRows } from './table-reader.js';

const ROWS: Array<[string, InitSystem]> = [
  ['pid1 systemd\nrun_systemd\netc_initd\n', 'systemd'],
  ['pid1 systemd\n', 'systemd'],
  ['pid1 init\nrun_systemd\n', 'systemd'],
  ['pid1 init\ninitctl\netc_init\netc_initd\n', 'upstart'],
  ['pid1 init\ninitctl\netc_initd\n', 'sysvinit'],
  ['pid1 init\netc_init\netc_initd\n', 'sysvinit'],
  ['pid1 sh\n', 'unknown'],
  ['', 'unknown'],
];

test('init_system: probe lines -> init system', (t) => {
  for (const [stdout, expected] of ROWS) {
    t.is(parseInitProbe(stdout), expected, JSON.stringify(stdout));
    t.deepEqual(parseRows(initSystem, [undefined], [out(stdout)]), [expected]);
  }
});

test('init_system: the probe runs under sh and prints only known lines', (t) => {
  const lines = execFileSync('/bin/sh', ['-c', INIT_PROBE], { encoding: 'utf8' }).split('\n').filter(Boolean);
  t.regex(lines[0], /^pid1 /);
  for (const l of lines.slice(1)) t.true(['run_systemd', 'initctl', 'etc_init', 'etc_initd'].includes(l), l);
});
