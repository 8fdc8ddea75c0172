// The upstart branch of playbooks/tasks/libvirt.yml cannot run in the lab (no
// upstart hosts can be built from Debian packages), so it is covered at plan
// level: the fixture tables test/modules/lineinfile/upstart-*.json and
// test/modules/service/upstart-guide-*.json plan against the guide's own files
// and initctl states. This test keeps those fixtures' arguments equal to the
// playbook's tasks, so the plans tested are the ones the playbook makes.

import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';

const root = join(import.meta.dirname ?? '', '..', '..', '..');
const tasks = load(readFileSync(join(root, 'playbooks/tasks/libvirt.yml'), 'utf8')) as Array<Record<string, unknown>>;
const fixtureArgs = (file: string) => (JSON.parse(readFileSync(join(root, 'test/modules', file), 'utf8')) as { args: unknown }).args;
const task = (name: string) => {
  const found = tasks.find((x) => x.name === name);
  if (!found) throw new Error(`no task "${name}" in playbooks/tasks/libvirt.yml`);
  return found;
};

test('upstart job file: the fixture plans with the playbook task arguments', (t) => {
  const x = task('upstart job runs libvirtd with -d -l');
  t.is(x.when, "libvirt_mode == 'upstart'");
  t.deepEqual(x.lineinfile, fixtureArgs('lineinfile/upstart-guide-libvirt-bin-conf.json'));
  t.deepEqual(x.lineinfile, fixtureArgs('lineinfile/upstart-guide-libvirt-bin-conf-done.json'));
  t.deepEqual(x.notify, ['stop libvirt-bin', 'start libvirt-bin'], 'upstart re-reads a job only on start: stop, then start');
});

test('upstart defaults file: the fixtures plan with the playbook task arguments', (t) => {
  const x = task('/etc/default/libvirt-bin passes -d -l');
  t.is(x.when, "libvirt_mode == 'upstart'");
  t.deepEqual(x.lineinfile, fixtureArgs('lineinfile/upstart-guide-default-libvirt-bin-spaces.json'));
  t.deepEqual(x.lineinfile, fixtureArgs('lineinfile/upstart-trusty-default-libvirt-bin.json'));
});

test('upstart mode is chosen from the service manager', (t) => {
  const x = task('libvirt mode: upstart job');
  t.is(x.when, "ansible_service_mgr == 'upstart'");
  t.deepEqual(x.set_fact, { libvirt_mode: 'upstart', libvirt_service_name: 'libvirt-bin' });
});
