// hostname: the host's name, as ansible.builtin.hostname sets it on Debian.
// When systemd runs (/run/systemd/system exists, Ansible's test) or with
// `use: systemd`/`use: debian` (Ansible maps debian to its systemd strategy):
// `hostnamectl --pretty --static set-hostname NAME` when the static name differs,
// then `hostnamectl --transient set-hostname NAME` when the running one does.
// Without systemd (Ansible's Debian file strategy): /etc/hostname is written as
// "NAME\n" and the running name is left as it is, as Ansible leaves it.
//
// The names are read as files through the fileContent fact (the static one from
// /etc/hostname as systemd-hostnamed reads it, the running one from
// /proc/sys/kernel/hostname), and this module predicts both files, so --check
// sees what an earlier hostname task would have set. Other strategies of
// Ansible's (redhat, alpine, openrc, ...) are refused at load.

import { defineModule, ModuleError } from '../engine/module-api.js';
import type { FileState, Prediction, Step } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import { fileContent } from '../engine/facts/file.js';
import { writeExpectation } from './lib/file-content.js';

const schema = S.object({
  name: S.string({ minLength: 1, pattern: '^[^-\\s]\\S*$', description: 'the host name (no spaces; not starting with -)' }),
  use: S.enum(['systemd', 'debian'], { description: 'the strategy: systemd (hostnamectl) or debian (the same, as in Ansible); default: systemd when it runs, else /etc/hostname only. Ansible\'s other strategies are for other systems and are refused' }),
}, { additionalProperties: false, required: ['name'] });

export interface HostnameState {
  /** /run/systemd/system: systemd is the running init (Ansible's is_systemd_managed). */
  systemdDir: FileState;
  /** /etc/hostname, the static (permanent) name. */
  etcHostname: FileState;
  /** /proc/sys/kernel/hostname, the running (transient) name. */
  kernel: FileState;
}

export const ETC_HOSTNAME = '/etc/hostname';
export const KERNEL_HOSTNAME = '/proc/sys/kernel/hostname';

const text = (f: FileState): string => (f.exists && f.content ? f.content.toString('utf8') : '');

/** The static name as systemd-hostnamed reads /etc/hostname: its first line that is neither blank nor a comment. */
export function staticName(content: string): string {
  return content.split('\n').map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#')) ?? '';
}

export default defineModule<typeof schema, HostnameState>({
  name: 'hostname',
  description: 'Set the host\'s name (static and running), as Ansible does on Debian',
  schema,
  async gather(_args, host) {
    const [systemdDir, etcHostname, kernel] = await host.getAll(fileContent, ['/run/systemd/system', ETC_HOSTNAME, KERNEL_HOSTNAME]);
    return { systemdDir, etcHostname, kernel };
  },
  plan(args, state) {
    const name = args.name;
    const systemd = args.use !== undefined || (state.systemdDir.exists && state.systemdDir.type === 'directory');
    const current = text(state.kernel).trim();
    const facts = { ansible_hostname: name.split('.')[0], ansible_nodename: name };
    const steps: Step[] = [];
    const predicts: Prediction[] = [];
    let before: string;
    if (systemd) {
      if (name.length > 64) throw new ModuleError('name cannot be longer than 64 characters on systemd servers, try a shorter name');
      const permanent = staticName(text(state.etcHostname));
      if (permanent !== name) {
        steps.push({ kind: 'run', argv: ['hostnamectl', '--pretty', '--static', 'set-hostname', name] });
        predicts.push({ kind: 'file', path: ETC_HOSTNAME, state: 'file', content: Buffer.from(`${name}\n`) });
      }
      if (current !== name || permanent !== name) {
        // hostnamed also gives the kernel a new static name; the transient call is Ansible's second step.
        if (current !== name) steps.push({ kind: 'run', argv: ['hostnamectl', '--transient', 'set-hostname', name] });
        predicts.push({ kind: 'file', path: KERNEL_HOSTNAME, state: 'file', content: Buffer.from(`${name}\n`) });
      }
      before = current !== name ? current : permanent;
    } else {
      // Ansible's FileStrategy: the running name is the file's (never set), the file stripped whole.
      const permanent = text(state.etcHostname).trim();
      if (permanent !== name) {
        const expect = writeExpectation(state.etcHostname);
        steps.push({ kind: 'write', path: ETC_HOSTNAME, content: `${name}\n`, ...(expect ? { expect } : {}) });
        predicts.push({ kind: 'file', path: ETC_HOSTNAME, state: 'file', content: Buffer.from(`${name}\n`) });
      }
      before = permanent;
    }
    if (!steps.length) return { changed: false, reason: `hostname already ${name}`, result: { name, ansible_facts: facts } };
    return {
      changed: true,
      summary: `set hostname ${before || '(none)'} -> ${name}`,
      steps,
      predicts,
      diff: [{ path: 'hostname', before: `hostname = ${before}\n`, after: `hostname = ${name}\n`, beforeHeader: 'before', afterHeader: 'after' }],
      result: { name, ansible_facts: facts },
    };
  },
});
