// End to end on systemd hosts with NFSv4 and libvirt over TLS (issue 10,
// "Beyond the guide: TLS"): a site CA made on the controller, certificates on
// the computes, libvirtd-tls.socket only, the canary over qemu+tls:// both
// ways. The whole test is test/helpers/live-migration-e2e.ts.

import { liveMigrationE2E } from '../helpers/live-migration-e2e.js';

liveMigrationE2E({
  lab: 'lmtls',
  init: 'systemd',
  nfsVersion: 4,
  transport: 'tls',
});
