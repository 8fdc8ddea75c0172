// systemd_service: Ansible's name for the systemd module (ansible.builtin.systemd
// is its alias since 2.14); one implementation, modules/systemd.ts.

import systemd from './systemd.js';

export default { ...systemd, name: 'systemd_service' };
