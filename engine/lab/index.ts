// `tsplay lab ...`: the command line of the lab (argv is everything after `lab`).

import { spawn } from 'node:child_process';
import { labDown, labInfoOf, labStatus, labUp, findHost, sshArgs, sshPath } from './lab.js';
import { LabError } from './system.js';

export { labUp, labDown, labStatus, labInfoOf, labCpuMs, findHost, hostNames, LAB_ROOT, PROXY_CACHE_ROOT } from './lab.js';
export type { LabInfo, LabHost, LabStatus, HostStatus, UpOptions } from './lab.js';
export { LabError } from './system.js';
export type { InitSystem } from './base.js';

const USAGE = `usage:
  tsplay lab up [N] [--name NAME] [--init systemd|sysvinit]   start N hosts (default 3)
  tsplay lab up [N] --light [--name NAME]                    N hosts that are only an sshd (up to 1000)
  tsplay lab down [--name NAME]                              stop and remove a lab
  tsplay lab status                                          list labs, hosts, memory per host
  tsplay lab ssh HOST [COMMAND...]                           log in to a lab host as root
  tsplay lab inventory [--name NAME]                         print the lab's inventory path`;

interface Parsed {
  positional: string[];
  name?: string;
  init?: string;
  light?: boolean;
}

function parse(args: string[], allowRest = false): Parsed {
  const p: Parsed = { positional: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const take = (flag: string): string => {
      if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (allowRest && p.positional.length > 0) p.positional.push(a);
    else if (a === '--name' || a.startsWith('--name=')) p.name = take('--name');
    else if (a === '--init' || a.startsWith('--init=')) p.init = take('--init');
    else if (a === '--light' && !(allowRest && p.positional.length)) p.light = true;
    else if (a === '-h' || a === '--help') throw new UsageError('');
    else if (a.startsWith('-') && !(allowRest && p.positional.length)) throw new UsageError(`unknown option ${a}`);
    else p.positional.push(a);
  }
  return p;
}

class UsageError extends Error {}

const err = (line: string) => process.stderr.write(line + '\n');

export async function runLabCommand(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'up': {
        const p = parse(rest);
        if (p.positional.length > 1) throw new UsageError('lab up takes at most one host count');
        const n = p.positional.length ? Number(p.positional[0]) : 3;
        if (!Number.isInteger(n) || n < 1) throw new UsageError(`host count must be a positive integer, got ${p.positional[0]}`);
        if (p.init !== undefined && p.init !== 'systemd' && p.init !== 'sysvinit') throw new UsageError(`--init must be systemd or sysvinit`);
        const info = await labUp({ name: p.name, hosts: n, init: p.init, log: err, ...(p.light ? { light: true } : {}) });
        process.stdout.write(
          `lab ${info.name} is up (${info.hosts.length}${p.light ? ' light' : ''} host(s), ${p.light ? 'sshd only' : info.init}, ${((info.upMs ?? 0) / 1000).toFixed(1)} s)\n` +
            info.hosts.map((h) => `  ${h.name}\t${h.address}\n`).join('') +
            `inventory: ${info.inventoryPath}\n`,
        );
        return 0;
      }
      case 'down': {
        const p = parse(rest);
        if (p.positional.length) throw new UsageError('lab down takes no arguments besides --name');
        const t = Date.now();
        await labDown(p.name ?? 'default', err);
        process.stdout.write(`lab ${p.name ?? 'default'} is down (${((Date.now() - t) / 1000).toFixed(1)} s)\n`);
        return 0;
      }
      case 'status': {
        const p = parse(rest);
        const labs = (await labStatus()).filter((l) => !p.name || l.name === p.name);
        if (labs.length === 0) {
          process.stdout.write('no lab is up\n');
          return 0;
        }
        for (const l of labs) {
          process.stdout.write(`lab ${l.name}: ${l.state}, ${l.init}, ${l.subnet}, apt proxy ${l.proxyRunning ? 'running' : 'stopped'}\n`);
          process.stdout.write(`  inventory: ${l.inventoryPath}\n`);
          for (const h of l.hosts) {
            const mib = (b?: number) => (b !== undefined ? `${(b / 1048576).toFixed(1)} MiB` : '-');
            const mem = `${mib(h.memoryBytes)} (with page cache ${mib(h.memoryUsageBytes)})`;
            process.stdout.write(`  ${h.name}\t${h.address}\t${h.running ? 'running' : 'stopped'}\tmemory ${mem}\n`);
          }
        }
        return 0;
      }
      case 'inventory': {
        const p = parse(rest);
        process.stdout.write(labInfoOf(p.name ?? 'default').inventoryPath + '\n');
        return 0;
      }
      case 'ssh': {
        const p = parse(rest, true);
        const [host, ...command] = p.positional;
        if (!host) throw new UsageError('lab ssh needs a host name');
        const found = findHost(host, p.name);
        const final = sshArgs(found.info, found.host.address, { batch: false });
        if (process.stdin.isTTY && command.length === 0) final.unshift('-t');
        return await new Promise<number>((resolve) => {
          const child = spawn(sshPath(), [...final, ...command], { stdio: 'inherit' });
          child.on('error', (e) => {
            err(`tsplay lab ssh: ${e.message}`);
            resolve(1);
          });
          child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
        });
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE + '\n');
        return cmd === undefined ? 5 : 0;
      default:
        throw new UsageError(`unknown lab command ${cmd}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      if (e.message) err(`tsplay lab: ${e.message}`);
      err(USAGE);
      return 5;
    }
    if (e instanceof LabError) {
      err(`tsplay lab: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
