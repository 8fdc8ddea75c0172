// pip: ansible.builtin.pip: install, upgrade or remove Python distributions
// with pip, in a virtualenv (created when missing) or with a given pip
// (docs/modules/pip.md). Decided as Ansible 2.14 decides: `pip list
// --format=freeze` answers whether a named requirement is already met
// (present) or installed (absent); where only pip can tell (latest,
// forcereinstall, requirements files, URLs, editable installs, or a
// requirement not yet met), gather asks pip itself with `pip install
// --dry-run` and the task changes exactly when pip would install something,
// which is when Ansible's run prints "Successfully installed". A pip that
// refuses (Debian 12's externally-managed system Python, PEP 668) fails the
// task with pip's own message, in --check too.

import { defineModule, ModuleError } from '../engine/module-api.js';
import type { Prediction, Step } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import { splitCommand, SplitError } from '../engine/host/shell.js';
import { pipEnvKey, pipPackages } from '../engine/facts/pip.js';
import type { PipState, PipWhere } from '../engine/facts/pip.js';
import { pyStr } from '../engine/template/py-text.js';
import { isPresent, parseRequirement, recoverNames, wouldInstall } from './lib/pip-req.js';
import type { Requirement } from './lib/pip-req.js';

const STATE_ARGS = {
  present: ['install'],
  absent: ['uninstall', '-y'],
  latest: ['install', '-U'],
  forcereinstall: ['install', '-U', '--force-reinstall'],
} as const;

const schema = S.object({
  name: S.anyOf([S.string({ minLength: 1 }), S.array(S.string({ minLength: 1 }))], {
    description: 'requirement(s): a name with optional extras and version specifiers (tinya>=1.0,<2), a list, a URL or a path',
  }),
  version: S.types(['string', 'number'], { description: 'the version to install (==VERSION, or a specifier); one name only, not with state latest' }),
  state: S.enum(['present', 'absent', 'latest', 'forcereinstall'], { default: 'present', description: 'latest: pip install -U; forcereinstall: -U --force-reinstall' }),
  requirements: S.string({ minLength: 1, pattern: '^[^-]', description: 'a pip requirements file on the host (pip install -r), relative to chdir' }),
  virtualenv: S.string({ minLength: 1, pattern: '^[^-]', description: 'a virtualenv directory: created with virtualenv_command when it has no bin/activate; its bin/pip3 is used' }),
  virtualenv_command: S.string({ minLength: 1, default: 'virtualenv', description: "the command that creates the virtualenv, e.g. 'python3 -m venv'" }),
  virtualenv_python: S.string({ minLength: 1, description: 'the Python of a new virtualenv (virtualenv -p); refused with venv' }),
  virtualenv_site_packages: S.boolean({ default: false, description: 'create the virtualenv with --system-site-packages' }),
  executable: S.string({ minLength: 1, description: 'the pip to run (a path, or a name looked up in PATH); not with virtualenv' }),
  extra_args: S.string({ description: 'more pip arguments, split as a shell would (no expansion)' }),
  chdir: S.string({ minLength: 1, pattern: '^[^-]', description: 'directory pip (and virtualenv_command) run in; a relative virtualenv is under it (default /tmp)' }),
  umask: S.types(['string', 'integer'], { description: 'octal umask pip runs with, e.g. "0022"' }),
  editable: S.boolean({ default: false, description: 'pass -e (an editable install of a path or VCS URL)' }),
}, { additionalProperties: false });

export type PipArgs = Static<typeof schema>;

interface Resolved {
  state: keyof typeof STATE_ARGS;
  where: PipWhere;
  env?: string;
  chdir: string;
  umask?: string;
  names?: string[];
  reqs: Requirement[];
  version?: string;
  requirements?: string;
  extra: string[];
  hasVcs: boolean;
}

const joinPath = (dir: string, p: string): string => (p.startsWith('/') ? p : `${dir.replace(/\/+$/, '')}/${p}`);

/** The arguments checked and resolved as Ansible's pip module does before it runs anything. Throws ModuleError. */
export function resolve(args: PipArgs): Resolved {
  if (args.name !== undefined && args.requirements !== undefined) throw new ModuleError('parameters are mutually exclusive: name|requirements');
  if (args.executable !== undefined && args.virtualenv !== undefined) throw new ModuleError('parameters are mutually exclusive: executable|virtualenv');
  if (args.name === undefined && args.requirements === undefined) throw new ModuleError('one of the following is required: name, requirements');
  const version = args.version === undefined ? undefined : pyStr(args.version);
  if (args.state === 'latest' && version !== undefined) throw new ModuleError('version is incompatible with state=latest');
  let umask: string | undefined;
  if (args.umask !== undefined) {
    const u = typeof args.umask === 'number' ? args.umask.toString(8) : args.umask.replace(/^0o/i, '');
    if (!/^[0-7]+$/.test(u)) throw new ModuleError('umask must be an octal integer');
    umask = u.padStart(4, '0');
  }
  const env = args.virtualenv === undefined ? undefined : args.chdir !== undefined ? joinPath(args.chdir, args.virtualenv) : args.virtualenv;
  const names = args.name === undefined ? undefined : Array.isArray(args.name) ? args.name : [args.name];
  const hasVcs = (names ?? []).some((n) => /^(svn|git|hg|bzr)\+/.test(n));
  let reqs: Requirement[] = [];
  if (names) {
    // pip would read a name starting with - as one of its options: refused (extra_args is where options go).
    const option = names.find((n) => n.trimStart().startsWith('-'));
    if (option !== undefined) throw new ModuleError(`name: ${JSON.stringify(option)} would be read by pip as an option; put options in extra_args`);
    reqs = recoverNames(names).map((n) => parseRequirement(n));
    if (version !== undefined) {
      if (reqs.length > 1) {
        throw new ModuleError("'version' argument is ambiguous when installing multiple package distributions. Please specify version restrictions next to each package in 'name' argument.");
      }
      if (reqs[0].specs.length > 0) {
        throw new ModuleError("The 'version' argument conflicts with any version specifier provided along with a package name. Please keep the version specifier, but remove the 'version' argument.");
      }
      reqs[0] = parseRequirement(reqs[0].text, version);
    }
  }
  let extraText = args.extra_args;
  if (args.editable) {
    const list = extraText ? extraText.split(' ') : [];
    if (!list.includes('-e')) extraText = [...list, '-e'].join(' ');
  }
  let extra: string[] = [];
  try {
    extra = extraText ? splitCommand(extraText) : [];
  } catch (e) {
    if (e instanceof SplitError) throw new ModuleError(`extra_args: ${e.message}`);
    throw e;
  }
  const where: PipWhere = env !== undefined ? { venv: env } : args.executable !== undefined ? { executable: args.executable } : { default: true };
  return { state: args.state, where, env, chdir: args.chdir ?? '/tmp', umask, names, reqs, version, requirements: args.requirements, extra, hasVcs };
}

/** The pip command line of the task after the pip program. */
function pipArgs(r: Resolved, dryRun: boolean): string[] {
  const verb = STATE_ARGS[r.state];
  return [verb[0], ...(dryRun ? ['--dry-run'] : []), ...verb.slice(1), ...r.extra, ...(r.names ? r.reqs.map((q) => q.text) : ['-r', r.requirements!])];
}

/** Is the request met by the list alone (Ansible's check-mode rule), with nothing only pip can tell? */
function metByList(r: Resolved, installed: ReadonlyMap<string, string | undefined>, editable: boolean): boolean {
  return r.state === 'present' && r.names !== undefined && !r.hasVcs && !editable && r.reqs.every((q) => isPresent(q, installed));
}

/** Would pip refuse this externally managed interpreter (PEP 668), as it does for install and uninstall alike? */
function refused(r: Resolved, s: PipState): boolean {
  return s.externallyManaged === true && !r.extra.includes('--break-system-packages');
}

export interface PipGathered {
  pip: PipState;
  /** `pip install --dry-run ...` as gather ran it (only where the list cannot answer). */
  probe?: { rc: number; stdout: string; stderr: string };
  /** The virtualenv command's program, found in PATH (null: not found); only when the virtualenv is missing. */
  venvProgram?: string | null;
}

const installedMap = (s: PipState): Map<string, string | undefined> =>
  new Map(Object.entries(s.installed).map(([k, v]) => [k, v ?? undefined]));

const pipFailure = (out: string, err: string): string => `${out ? `stdout: ${out}` : ''}${err ? `\n:stderr: ${err}` : ''}`;

function venvArgv(args: PipArgs, env: string): string[] {
  let cmd: string[];
  try {
    cmd = splitCommand(args.virtualenv_command);
  } catch (e) {
    throw new ModuleError(`virtualenv_command: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (cmd.length === 0) throw new ModuleError('virtualenv_command is empty');
  if (args.virtualenv_site_packages) cmd.push('--system-site-packages');
  const isVenv = ['pyvenv', '-m venv'].some((x) => args.virtualenv_command.includes(x));
  if (!isVenv) cmd.push(`-p${args.virtualenv_python ?? '/usr/bin/python3'}`);
  else if (args.virtualenv_python !== undefined) {
    throw new ModuleError('virtualenv_python should not be used when using the venv module or pyvenv as virtualenv_command');
  }
  return [...cmd, env];
}

export default defineModule<typeof schema, PipGathered>({
  name: 'pip',
  description: 'Install, upgrade or remove Python packages with pip, optionally in a virtualenv',
  schema,
  async gather(args, host) {
    const r = resolve(args);
    const pip = await host.get(pipPackages, r.where);
    const out: PipGathered = { pip };
    if (r.env !== undefined && !pip.venvExists) {
      const cmd0 = splitCommand(args.virtualenv_command)[0] ?? '';
      if (cmd0 !== '' && !cmd0.includes('/')) {
        const found = await host.run(['sh', '-c', 'command -v -- "$1"', 'sh', cmd0]);
        out.venvProgram = found.rc === 0 && found.stdout.trim() !== '' ? found.stdout.trim() : null;
      }
      return out;
    }
    // Ask pip only about a real environment (never one an earlier --check task only predicted).
    if (r.state !== 'absent' && pip.pip && !pip.predicted && (refused(r, pip) || !metByList(r, installedMap(pip), args.editable))) {
      const res = await host.run([...pip.pip, ...pipArgs(r, true)], {
        cwd: r.chdir, env: { LC_ALL: 'C', LANG: 'C' },
      });
      out.probe = { rc: res.rc, stdout: res.stdout, stderr: res.stderr };
    }
    return out;
  },
  plan(args, state) {
    const r = resolve(args);
    const installed = installedMap(state.pip);
    const envKey = pipEnvKey(r.where);
    const creating = r.env !== undefined && !state.pip.venvExists;
    let pip = state.pip.pip;
    if (creating) pip = [`${r.env!.replace(/\/+$/, '')}/bin/pip3`];
    if (!pip) {
      if ('venv' in r.where) {
        throw new ModuleError(`Unable to find pip in the virtualenv, ${r.env}, under any of these names: pip3, pip. Make sure pip is present in the virtualenv.`);
      }
      throw new ModuleError(`Unable to find any of ${'executable' in r.where ? r.where.executable : 'pip3'} to use.  pip needs to be installed.`);
    }
    const cmd = [...pip, ...pipArgs(r, false)];
    const result = {
      cmd, name: r.names ?? null, version: r.version ?? null, state: r.state,
      requirements: r.requirements ?? null, virtualenv: r.env ?? null, stdout: '', stderr: '',
    };
    const wrap = (argv: string[]): string[] => (r.umask ? ['sh', '-c', 'umask "$1" && shift && exec "$@"', 'sh', r.umask, ...argv] : argv);
    const pipEnv = r.env !== undefined ? { PATH: `${r.env.replace(/\/+$/, '')}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` } : undefined;
    const pipStep: Step = { kind: 'run', argv: wrap(cmd), cwd: r.chdir, ...(pipEnv ? { env: pipEnv } : {}), taskResult: true };
    const plainNames = r.reqs.filter((q) => q.name !== undefined);

    if (creating) {
      if (state.venvProgram === null) throw new ModuleError(`Failed to find required executable "${splitCommand(args.virtualenv_command)[0]}" in PATH`);
      const venv = venvArgv(args, r.env!);
      const predicts: Prediction[] = [{ kind: 'file', path: `${r.env!.replace(/\/+$/, '')}/bin/activate`, state: 'file' }];
      if (r.state !== 'absent') {
        for (const q of plainNames) {
          const exact = q.specs.length === 1 && q.specs[0].op === '==' && !q.specs[0].version.includes('*') ? q.specs[0].version : undefined;
          predicts.push({ kind: 'pip', env: envKey, name: q.name!, installed: true, ...(exact ? { version: exact } : {}) });
        }
      }
      return {
        changed: true,
        summary: `create virtualenv ${r.env} and run ${cmd.join(' ')}`,
        // absent in a new virtualenv: pip may exit 1 saying the name is not installed, which Ansible accepts.
        steps: [{ kind: 'run', argv: wrap(venv), cwd: r.chdir }, r.state === 'absent' ? { ...pipStep, okCodes: [0, 1] } : pipStep],
        predicts,
        result,
      };
    }

    if (refused(r, state.pip)) {
      if (state.probe && state.probe.rc !== 0) throw new ModuleError(pipFailure(state.probe.stdout, state.probe.stderr), { cmd });
      throw new ModuleError('\n:stderr: error: externally-managed-environment\n\n× This environment is externally managed (PEP 668): pip refuses to change it; use a virtualenv, or pass --break-system-packages in extra_args', { cmd });
    }

    if (r.state === 'absent') {
      const gone = plainNames.filter((q) => installed.has(q.name!));
      if (gone.length === 0) return { changed: false, reason: 'none of the requested packages is installed', result };
      return {
        changed: true,
        summary: `uninstall ${gone.map((q) => q.name).join(', ')}`,
        steps: [pipStep],
        predicts: gone.map((q): Prediction => ({ kind: 'pip', env: envKey, name: q.name!, installed: false })),
        result,
      };
    }

    if (metByList(r, installed, args.editable)) return { changed: false, reason: 'all requested packages are installed', result };

    if (state.probe) {
      if (state.probe.rc !== 0) throw new ModuleError(pipFailure(state.probe.stdout, state.probe.stderr), { cmd });
      const would = wouldInstall(state.probe.stdout);
      // forcereinstall: pip reinstalls what is named on every run, and Ansible reports it changed.
      if (r.state === 'forcereinstall' && would.length === 0) {
        return { changed: true, summary: `run ${cmd.join(' ')}`, steps: [pipStep], result };
      }
      if (would.length === 0) return { changed: false, reason: 'pip would install nothing', result };
      return {
        changed: true,
        summary: `pip installs ${would.map((w) => `${w.name} ${w.version}`).join(', ')}`,
        steps: [pipStep],
        predicts: would.map((w): Prediction => ({ kind: 'pip', env: envKey, name: w.name, installed: true, version: w.version })),
        result,
      };
    }
    // Only in --check after an earlier task's predicted change to this environment: pip cannot be asked.
    return {
      changed: true,
      summary: `run ${cmd.join(' ')}`,
      steps: [pipStep],
      predicts: plainNames.map((q): Prediction => ({ kind: 'pip', env: envKey, name: q.name!, installed: true })),
      result,
    };
  },
});
