// Jump hosts (bastions): where OpenSSH would go through one, as it reads
// `-J`, `-o ProxyJump=` and the common `-o ProxyCommand="ssh -W %h:%p ..."`
// in ansible_ssh_*_args, or ProxyJump / ProxyCommand in the OpenSSH client
// configuration. tsplay opens the bastion's own connection (one per bastion,
// shared by every host behind it) and tunnels the host's connection through it
// (engine/connection/ssh-connection.ts). Pure: parsing and the hops' settings.

import { LoadError } from '../errors.js';

export interface JumpSpec {
  /** As written: user@host:port (user and port optional). */
  host: string;
  user?: string;
  port?: number;
  /** -i KEY in a ProxyCommand. */
  keyFile?: string;
}

/** ProxyJump's value: comma-separated [user@]host[:port] (or ssh://[user@]host[:port]), first hop first; "none": none. */
export function parseProxyJump(value: string, where: string): JumpSpec[] {
  if (value.trim().toLowerCase() === 'none') return [];
  return value.split(',').map((raw) => {
    const m = /^(?:ssh:\/\/)?(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s/]+)(?::(\d+))?\/?$/.exec(raw.trim());
    if (!m) throw new LoadError(`${where}: jump host ${JSON.stringify(raw)} is not [user@]host[:port]`);
    const spec: JumpSpec = { host: m[2].replace(/^\[(.*)\]$/, '$1') };
    if (m[1] !== undefined) spec.user = m[1];
    if (m[3] !== undefined) spec.port = checkedPort(m[3], where);
    return spec;
  });
}

function checkedPort(text: string, where: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new LoadError(`${where}: ${text} is not a port number`);
  return n;
}

/**
 * The ProxyCommand sites write for a bastion: `ssh [-q] [-l USER] [-p PORT] [-i KEY] -W %h:%p [USER@]HOST`
 * (also `-W [%h]:%p`, and -A, -T, -x, -4, -6, which change nothing here). Anything else (netcat, other
 * options) is refused: tsplay cannot run a command to carry its connection. "none": none.
 */
export function parseProxyCommand(value: string, where: string, words: (text: string) => string[]): JumpSpec[] {
  if (value.trim().toLowerCase() === 'none') return [];
  const w = words(value);
  const refuse = (why: string): never => {
    throw new LoadError(`${where}: ProxyCommand ${JSON.stringify(value)} is not supported (${why}; tsplay reads only "ssh -W %h:%p [-l USER] [-p PORT] [-i KEY] [USER@]HOST"; docs/inventory.md "Jump hosts")`);
  };
  if (!w.length || !/(^|\/)ssh$/.test(w[0])) return refuse('not an ssh command');
  const spec: Partial<JumpSpec> = {};
  let forward = false;
  let dest: string | undefined;
  for (let i = 1; i < w.length; i++) {
    const a = w[i];
    const next = () => w[++i] ?? refuse(`${a} needs a value`);
    if (a === '-W') {
      const target = next();
      if (target !== '%h:%p' && target !== '[%h]:%p') refuse(`-W ${target} is not -W %h:%p`);
      forward = true;
    } else if (a === '-l') spec.user = next();
    else if (a === '-p') spec.port = checkedPort(next(), where);
    else if (a === '-i') spec.keyFile = next();
    else if (['-q', '-A', '-T', '-x', '-4', '-6', '-a', '-N'].includes(a)) continue;
    else if (a.startsWith('-')) refuse(`option ${a}`);
    else if (dest === undefined) dest = a;
    else refuse(`a command after the host (${a})`);
  }
  if (!forward) refuse('no -W %h:%p');
  if (dest === undefined) return refuse('no host');
  const [hop] = parseProxyJump(dest, where);
  return [{ ...spec, ...hop }];
}
