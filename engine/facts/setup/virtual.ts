// Ansible 2.14's Linux virtualization facts (virtual/linux.py), for the
// sources tsplay probes: containers (PID 1's cgroups and environment,
// /run/systemd/container, /.dockerenv, OpenVZ), DMI names of hypervisors,
// QEMU CPUs, loaded kvm/vboxdrv/virtio modules and /dev/kvm. Also tsplay's own
// `kvm` and `virtualization_hints`. Probe output in, facts out. Pure.

import type { FactMap, Probed } from './platform.js';
import { dmiValues } from './hardware.js';

function sections(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let cur = '';
  for (const line of text.split('\n')) {
    const m = /^@@(\w+)$/.exec(line);
    if (m) {
      cur = m[1];
      out[cur] = [];
    } else if (cur && line !== '') out[cur].push(line);
  }
  return out;
}

export function virtualFacts(p: Probed): FactMap {
  const s = sections(p.virt?.stdout ?? '');
  const flags = new Set(s.flags ?? []);
  const guest = new Set<string>();
  const host = new Set<string>();
  let type: string | undefined;
  let role: string | undefined;
  let found = false;
  const hit = (tech: string, r: string, set = guest) => {
    set.add(tech);
    if (!found) {
      type = tech;
      role = r;
      found = true;
    }
  };
  for (const line of s.cgroup ?? []) {
    if (/\/docker(\/|-[0-9a-f]+\.scope)/.test(line)) hit('docker', 'guest');
    if (/\/lxc\//.test(line) || /\/machine\.slice\/machine-lxc/.test(line)) hit('lxc', 'guest');
    if (/\/system\.slice\/containerd\.service/.test(line)) hit('containerd', 'guest');
  }
  // PID 1's container= variables, NUL-ended as grep -z gives them (newline-separated from the fallback)
  for (const line of (s.environ ?? []).flatMap((l) => l.split('\0')).filter((l) => l !== '')) {
    if (/container=lxc/.test(line)) hit('lxc', 'guest');
    if (/container=podman/.test(line)) hit('podman', 'guest');
    if (/^container=./.test(line)) hit('container', 'guest');
  }
  if (flags.has('/proc/vz') && !flags.has('/proc/lve')) {
    type = 'openvz';
    if (flags.has('/proc/bc')) {
      host.add('openvz');
      if (!found) role = 'host';
    } else {
      guest.add('openvz');
      if (!found) role = 'guest';
    }
    found = true;
  }
  const systemdContainer = (s.container ?? []).join('').trim();
  if (systemdContainer) hit(systemdContainer, 'guest');
  if (flags.has('/.dockerenv') || flags.has('/.dockerinit')) hit('docker', 'guest');
  if (['docker', 'lxc', 'podman', 'openvz', 'containerd'].some((t) => guest.has(t)) || systemdContainer) guest.add('container');
  if (!found && flags.has('/proc/xen')) hit('xen', 'guest');
  const dmi = dmiValues(p);
  const product = dmi.product_name ?? '';
  const vendor = dmi.sys_vendor ?? '';
  const family = dmi.product_family ?? '';
  const bios = dmi.bios_vendor ?? '';
  if (['KVM', 'KVM Server', 'Bochs', 'AHV'].includes(product)) hit('kvm', 'guest');
  if (vendor === 'oVirt') hit('oVirt', 'guest');
  if (vendor === 'Red Hat' && family === 'RHV') hit('RHV', 'guest');
  else if (vendor === 'Red Hat' && product === 'RHEV Hypervisor') hit('RHEV', 'guest');
  if (['VMware Virtual Platform', 'VMware7,1'].includes(product)) hit('VMware', 'guest');
  if (['OpenStack Compute', 'OpenStack Nova'].includes(product)) hit('openstack', 'guest');
  if (bios === 'Xen') hit('xen', 'guest');
  if (bios === 'innotek GmbH') hit('virtualbox', 'guest');
  if (['Amazon EC2', 'DigitalOcean', 'Hetzner'].includes(bios)) hit('kvm', 'guest');
  if (['QEMU', 'Amazon EC2', 'DigitalOcean', 'Google', 'Scaleway', 'Nutanix'].includes(vendor)) hit('kvm', 'guest');
  if (vendor === 'KubeVirt') hit('KubeVirt', 'guest');
  if (vendor === 'Microsoft Corporation') hit('VirtualPC', 'guest');
  if (vendor === 'Parallels Software International Inc.') hit('parallels', 'guest');
  if (vendor === 'OpenStack Foundation') hit('openstack', 'guest');
  for (const line of (p.cpuinfo?.stdout ?? '').split('\n')) {
    if (/^model name.*QEMU Virtual CPU/.test(line)) hit('kvm', 'guest');
    else if (/^vendor_id.*User Mode Linux/.test(line) || /^model name.*UML/.test(line)) hit('uml', 'guest');
  }
  const modules = new Set(s.modules ?? []);
  if (modules.has('kvm')) {
    host.add('kvm');
    if (!found) {
      type = 'kvm';
      role = 'host';
    }
    found = true;
  }
  if (modules.has('vboxdrv')) hit('virtualbox', 'host', host);
  if (modules.has('virtio')) hit('kvm', 'guest', host);
  if (flags.has('/dev/kvm')) hit('kvm', 'host', host);
  return {
    virtualization_type: found ? type : 'NA',
    virtualization_role: found ? role ?? 'NA' : 'NA',
    virtualization_tech_guest: [...guest],
    virtualization_tech_host: [...host],
  };
}

/** tsplay's own: /dev/kvm exists; and what hints at virtualization (systemd-detect-virt, vmx/svm CPU flags, a container). */
export function tsplayVirtFacts(p: Probed): { kvm: boolean; virtualization_hints: string[] } {
  const s = sections(p.virt?.stdout ?? '');
  const flags = new Set(s.flags ?? []);
  const hints: string[] = [];
  const dv = (s.detect ?? []).join('').trim();
  if (dv && dv !== 'none') hints.push(dv);
  const cpuFlags = /^flags\s*:(.*)$/m.exec(p.cpuinfo?.stdout ?? '')?.[1].split(/\s+/) ?? [];
  const cpu = cpuFlags.find((f) => f === 'vmx' || f === 'svm');
  if (cpu) hints.push(cpu);
  const container = flags.has('/run/systemd/container') || flags.has('/.dockerenv');
  if (container && !hints.includes('container')) hints.push('container');
  return { kvm: flags.has('/dev/kvm'), virtualization_hints: hints };
}
