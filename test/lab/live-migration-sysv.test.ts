// End to end on sysvinit hosts (the guide's hosts have no systemd) with NFSv3
// (issue 10): libvirtd listens through /etc/default/libvirtd, nova-compute's
// stand-in is an init script. The whole test is test/helpers/live-migration-e2e.ts.

import { liveMigrationE2E } from '../helpers/live-migration-e2e.js';

liveMigrationE2E({
  lab: 'lmsysv',
  init: 'sysvinit',
  nfsVersion: 3,
});
