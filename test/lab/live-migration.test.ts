// End to end on systemd hosts with NFSv4 and libvirt over TCP (issues 5 and
// 10): the whole test is test/helpers/live-migration-e2e.ts.

import { liveMigrationE2E } from '../helpers/live-migration-e2e.js';

liveMigrationE2E({
  lab: 'lmtest',
  init: 'systemd',
  nfsVersion: 4,
});
