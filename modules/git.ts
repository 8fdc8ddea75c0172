// git: ansible.builtin.git: clone a repository to dest, update it, and check
// out a version (branch, tag, commit SHA or HEAD), as Ansible 2.14's git module
// does (docs/modules/git.md). Gather reads the checkout (the git_checkout fact)
// and the remote's refs (`git ls-remote --symref`, a read that no prediction
// alters); plan decides from them, before anything runs, the commit the task
// leaves checked out (`after`) and so whether it changes: clone, a fetch that
// moves HEAD, a version change, force discarding local modifications, or a new
// remote URL, exactly as Ansible reports it. The steps are Ansible's commands
// in Ansible's order (clone, reset, remote set-url, fetch, checkout), so the
// end state is Ansible's; when nothing changes they still run as housekeeping
// (Ansible always fetches), which moves no HEAD.

import { defineModule, ModuleError } from '../engine/module-api.js';
import type { Plan, Prediction, RunStep, Step } from '../engine/module-api.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import { quote } from '../engine/host/shell.js';
import { gitCheckout, repoDir } from '../engine/facts/git-checkout.js';
import type { GitCheckout } from '../engine/facts/git-checkout.js';

const refused = (what: string) => S.enum([false], { default: false, description: `${what}: not available in tsplay; true is refused at load` });

const schema = S.object({
  repo: S.string({ minLength: 1, pattern: '^[^-]', description: 'the repository: a path, a file://, ssh://, git:// or https:// URL, or user@host:path' }),
  name: S.string({ minLength: 1, pattern: '^[^-]', description: 'alias of repo' }),
  dest: S.string({ minLength: 1, pattern: '^/', description: 'the absolute path of the checkout (of the repository itself when bare)' }),
  version: S.string({ minLength: 1, pattern: '^[^-]', default: 'HEAD', description: "what to check out: a branch, a tag, a commit SHA (full or abbreviated), or HEAD (the remote's default branch on clone, the current branch on update)" }),
  remote: S.string({ minLength: 1, pattern: '^[^-]', default: 'origin', description: 'the name of the remote' }),
  clone: S.boolean({ default: true, description: 'false: never clone; with no repository at dest the task only reads the remote (and reports changed, as Ansible does)' }),
  update: S.boolean({ default: true, description: 'false: an existing repository is left as it is (before and after are its HEAD)' }),
  force: S.boolean({ default: false, description: 'discard local modifications of tracked files (git reset --hard) instead of failing' }),
  depth: S.integer({ minimum: 1, description: 'a shallow clone or fetch of this many commits (HEAD, branches and tags; ignored with a warning for a SHA)' }),
  bare: S.boolean({ default: false, description: 'a bare repository at dest (no work tree, nothing checked out)' }),
  single_branch: S.boolean({ default: false, description: 'clone only the history of the version (a branch or tag) or of HEAD' }),
  reference: S.string({ minLength: 1, pattern: '^[^-]', description: 'clone with --reference REPOSITORY (objects borrowed from a local repository)' }),
  recursive: S.boolean({ default: true, description: 'on clone, init and update the submodules (git submodule update --init --recursive); an update of a repository that has submodules is refused' }),
  track_submodules: refused('follow the submodules\' remote branches'),
  accept_hostkey: S.boolean({ default: false, description: 'ssh: accept an unknown host key (-o StrictHostKeyChecking=no)' }),
  accept_newhostkey: S.boolean({ default: false, description: 'ssh: accept a new host key, never a changed one (-o StrictHostKeyChecking=accept-new)' }),
  key_file: S.string({ minLength: 1, pattern: '^[/~]', description: 'ssh: the private key (-i KEY -o IdentitiesOnly=yes)' }),
  ssh_opts: S.string({ description: 'ssh: more options for the ssh command git runs (GIT_SSH_COMMAND), e.g. "-o Port=2222"' }),
  executable: S.string({ minLength: 1, pattern: '^/', description: 'the git program (absolute path); default: git in PATH' }),
  umask: S.string({ pattern: '^(0o)?[0-7]{1,4}$', description: 'the umask git runs with, as a quoted octal string ("0022")' }),
  verify_commit: refused('GPG-verify the checked-out commit'),
  gpg_whitelist: S.array(S.string(), { maxItems: 0, description: 'GPG fingerprints for verify_commit: not available in tsplay; a non-empty list is refused at load' }),
}, { additionalProperties: false, anyOf: [{ required: ['repo'] }, { required: ['name'] }] });

export type GitArgs = Static<typeof schema>;

export interface GitState {
  checkout: GitCheckout;
  /** `git ls-remote --symref` of the repository: ref -> SHA, and HEAD's branch (undefined: not read). */
  remote?: { refs: Record<string, string>; headBranch?: string };
  /** ls-remote failed: git's rc and stderr. */
  remoteError?: { rc: number; stderr: string };
}

/** The repository as Ansible names it: a path becomes file://PATH. */
export function repoUrl(args: GitArgs): string {
  const r = args.repo ?? args.name;
  if (r === undefined) throw new ModuleError('missing required arguments: repo');
  return r.startsWith('/') ? `file://${r}` : r;
}

/** GIT_SSH_COMMAND as Ansible's set_git_ssh_env builds it. */
export function sshCommand(args: GitArgs): string {
  let opts = args.ssh_opts;
  for (const [on, o] of [[args.accept_hostkey, 'StrictHostKeyChecking=no'], [args.accept_newhostkey, 'StrictHostKeyChecking=accept-new']] as const) {
    if (!on) continue;
    if (opts === undefined) opts = `-o ${o}`;
    else if (!opts.includes('-o StrictHostKeyChecking=no') && !opts.includes('-o StrictHostKeyChecking=accept-new')) opts += ` -o ${o}`;
  }
  let full = opts === undefined ? '' : ` ${opts}`;
  if (args.accept_hostkey && !full.includes('StrictHostKeyChecking=no')) full += ' -o StrictHostKeyChecking=no';
  if (!full.includes('BatchMode=yes')) full += ' -o BatchMode=yes';
  if (args.key_file !== undefined) {
    const k = args.key_file;
    full += `  -i ${k.startsWith('~/') ? `~/${quote(k.slice(2))}` : quote(k)}`;
    if (!full.includes('IdentitiesOnly=yes')) full += ' -o IdentitiesOnly=yes';
  }
  return `ssh${full}`;
}

const ENV = { LANG: 'C', LC_ALL: 'C', LC_MESSAGES: 'C', LC_CTYPE: 'C' };

function checkArgs(args: GitArgs): void {
  if (args.repo !== undefined && args.name !== undefined) throw new ModuleError('repo and name are aliases; give one');
  if (args.accept_hostkey && args.accept_newhostkey) throw new ModuleError('parameters are mutually exclusive: accept_hostkey|accept_newhostkey');
  if (args.dest === undefined && args.clone) throw new ModuleError('the destination directory must be specified unless clone=no');
}

/** `git ls-remote --symref` output -> refs (ref name -> SHA) and HEAD's branch. Pure. */
export function parseLsRemote(out: string): { refs: Record<string, string>; headBranch?: string } {
  const refs: Record<string, string> = {};
  let headBranch: string | undefined;
  for (const line of out.split('\n')) {
    const m = /^ref: refs\/heads\/(\S+)\tHEAD$/.exec(line);
    if (m) headBranch = m[1];
    const t = /^([0-9a-f]{40,64})\t(\S+)$/.exec(line);
    if (t) refs[t[2]] = t[1];
  }
  return { refs, ...(headBranch !== undefined ? { headBranch } : {}) };
}

export default defineModule<typeof schema, GitState>({
  name: 'git',
  description: 'Clone a git repository, update it and check out a version',
  schema,
  async gather(args, host) {
    checkArgs(args);
    const dest = args.dest ?? '';
    const checkout = await host.get(gitCheckout, { git: args.executable ?? 'git', dest, bare: args.bare, remote: args.remote, version: args.version });
    const state: GitState = { checkout };
    // The remote is read whenever Ansible reads it: not for an existing repository left as is (update: false).
    const reads = checkout.git !== '' && !checkout.gitFile && !(checkout.repo && !args.update);
    if (reads) {
      const r = await host.run([checkout.git, 'ls-remote', '--symref', repoUrl(args)], { env: { ...ENV, GIT_SSH_COMMAND: sshCommand(args), GIT_TERMINAL_PROMPT: '0' } });
      if (r.rc === 0) state.remote = parseLsRemote(r.stdout);
      else state.remoteError = { rc: r.rc, stderr: r.stderr };
    }
    return state;
  },
  plan: (args, state) => planGit(args, state),
});

/** What version names on the remote. */
type Target = { kind: 'branch'; name: string; sha: string } | { kind: 'tag'; name: string; sha: string } | { kind: 'sha'; sha: string; full: boolean };

const HEX = /^[0-9a-f]{4,64}$/i;

/** The version resolved against the remote's refs (and the repository's own objects). */
function target(version: string, refs: Record<string, string>, local: string | undefined, currentBranch: string | undefined, headBranch: string | undefined, cloning: boolean): Target {
  if (version === 'HEAD') {
    const b = cloning ? headBranch : currentBranch;
    const sha = b !== undefined ? refs[`refs/heads/${b}`] : undefined;
    if (b === undefined || sha === undefined) throw new ModuleError('Could not determine remote revision for HEAD');
    return { kind: 'branch', name: b, sha };
  }
  const br = refs[`refs/heads/${version}`];
  if (br !== undefined) return { kind: 'branch', name: version, sha: br };
  const tag = refs[`refs/tags/${version}^{}`] ?? refs[`refs/tags/${version}`];
  if (tag !== undefined) return { kind: 'tag', name: version, sha: tag };
  if (HEX.test(version)) {
    const v = version.toLowerCase();
    if (local !== undefined && local.startsWith(v)) return { kind: 'sha', sha: local, full: true };
    const tip = [...new Set(Object.values(refs))].filter((s) => s.startsWith(v));
    if (tip.length === 1) return { kind: 'sha', sha: tip[0], full: true };
    return { kind: 'sha', sha: v, full: v.length >= 40 };
  }
  throw new ModuleError(`version ${JSON.stringify(version)} is not a branch, a tag or a commit SHA of the repository: refused before cloning or fetching (Ansible clones first, then fails with "Failed to checkout ${version}")`);
}

/** Ansible's get_head_branch: the branch HEAD names, or (detached) the remote's HEAD branch. */
function headBranchOf(c: GitCheckout, remote: string): string | undefined {
  const detached = (c.branches ?? []).some((b) => b.startsWith('* ') && /no branch|detached from|detached at/.test(b));
  const line = detached ? c.remoteHead : c.head;
  if (line === undefined || line === '') return undefined;
  const parts = line.replace(`refs/remotes/${remote}`, '').split(' ');
  return parts[parts.length - 1].split('/').slice(2).join('/') || parts[parts.length - 1].split('/').pop();
}

const isLocalBranch = (c: GitCheckout, name: string): boolean => (c.branches ?? []).some((b) => b === name || b === `* ${name}`);

/** normpath as Python's os.path.normpath does it on a POSIX string (Ansible's unfrackgitpath, less realpath). */
export function normGitPath(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (seg !== '..' || !abs) out.push(seg);
  }
  const s = (abs ? '/' : '') + out.join('/');
  return s === '' ? '.' : s;
}

/** The plan. Pure. */
export function planGit(args: GitArgs, state: GitState): Plan {
  checkArgs(args);
  const c = state.checkout;
  const repo = repoUrl(args);
  if (c.git === '') {
    if (args.executable !== undefined) throw new ModuleError(`[Errno 2] No such file or directory: b'${args.executable}'`);
    const paths = c.path.split(':').filter((p) => p !== '');
    for (const s of ['/sbin', '/usr/sbin', '/usr/local/sbin']) if (!paths.includes(s)) paths.push(s);
    throw new ModuleError(`Failed to find required executable "git" in paths: ${paths.join(':')}`);
  }
  if (c.gitFile) throw new ModuleError(`${args.dest ?? ''}/.git is a file (a separate git dir): not available in tsplay`);
  const dest = (args.dest ?? '').replace(/(.)\/+$/, '$1');
  const git = c.git;
  const env = { ...ENV, GIT_SSH_COMMAND: sshCommand(args) };
  const umask = args.umask === undefined ? undefined : args.umask.replace(/^0o/, '').padStart(4, '0');
  const run = (argv: string[], cwd?: string, quiet?: boolean): RunStep => ({
    kind: 'run', env,
    argv: umask === undefined ? [git, ...argv] : ['sh', '-c', 'umask "$1" && shift && exec "$@"', 'sh', umask, git, ...argv],
    ...(cwd !== undefined ? { cwd } : {}), ...(quiet ? { quiet } : {}),
  });
  const warnings: string[] = [];

  if (c.repo && !args.update) {
    return { changed: false, reason: `${dest} holds a repository; update is false`, result: { before: c.before, after: c.before, warnings } };
  }
  if (state.remoteError !== undefined || state.remote === undefined) {
    const e = state.remoteError;
    throw new ModuleError(`git ls-remote ${repo} failed${e ? ` (rc ${e.rc}): ${e.stderr.trim()}` : ''}`, e ? { rc: e.rc, stderr: e.stderr } : {});
  }
  const { refs, headBranch } = state.remote;

  if (!c.repo) {
    const t = target(args.version, refs, undefined, undefined, headBranch, true);
    const after = t.sha;
    if (!args.clone) {
      // Ansible reads the remote and reports changed, though nothing is written (every run).
      return { changed: true, summary: `no repository at ${dest}; clone is false: nothing is cloned`, steps: [], result: { before: null, after, warnings } };
    }
    if (c.destNonEmpty) throw new ModuleError(`fatal: destination path '${dest}' already exists and is not an empty directory.`);
    const clone = ['clone'];
    if (args.bare) clone.push('--bare');
    else clone.push('--origin', args.remote);
    const named = t.kind !== 'sha';
    if (args.depth !== undefined) {
      if (args.version === 'HEAD') clone.push('--depth', String(args.depth));
      else if (named) clone.push('--depth', String(args.depth), '--branch', args.version);
      else warnings.push('Ignoring depth argument. Shallow clones are only available for HEAD, branches, tags or in combination with refspec.');
    }
    if (args.reference !== undefined) clone.push('--reference', args.reference);
    if (args.single_branch) {
      clone.push('--single-branch');
      if (named && args.version !== 'HEAD') clone.push('--branch', args.version);
    }
    clone.push('--', repo, dest);
    const steps: Step[] = [run(clone)];
    if (args.bare && args.remote !== 'origin') steps.push(run(['remote', 'add', '--', args.remote, repo], dest));
    if (!args.bare) {
      if (t.kind === 'branch') {
        // The clone's branch is the version's (HEAD: the remote's default; --branch) or the default one.
        const local = args.version === 'HEAD' || args.depth !== undefined || args.single_branch || t.name === headBranch;
        if (local) {
          steps.push(run(['checkout', '--force', t.name], dest, true), run(['reset', '--hard', `${args.remote}/${t.name}`, '--'], dest, true));
        } else {
          steps.push(run(['checkout', '--track', '-b', t.name, `${args.remote}/${t.name}`], dest));
        }
      } else {
        steps.push(run(['checkout', '--force', t.kind === 'tag' ? t.name : args.version], dest));
      }
      if (args.recursive) steps.push(...submoduleSteps(run, dest, args.force));
    }
    return {
      changed: true,
      summary: `clone ${repo} to ${dest} at ${after}`,
      steps,
      diff: [{ path: dest, before: 'None\n', after: `${after}\n`, beforeHeader: 'before', afterHeader: 'after' }],
      predicts: predictions(args, dest, t, c),
      result: { before: null, after, warnings },
    };
  }

  // An existing repository, updated.
  const before = c.before ?? '';
  if (c.localMods && !args.force) {
    throw new ModuleError(`Local modifications exist in the destination: ${dest} (force=no).`, { before, after: null, warnings });
  }
  if (!args.bare && args.recursive && c.gitmodules) {
    throw new ModuleError(`${dest} has submodules (.gitmodules): updating a checkout with submodules is not available in tsplay (set recursive: false to leave them as they are)`);
  }
  const url = c.remoteUrl;
  const urlChanged = url !== undefined && url !== null && url !== repo && normGitPath(url) !== normGitPath(repo);
  const current = headBranchOf(c, args.remote);
  const t = target(args.version, refs, c.versionLocal, current, headBranch, false);
  const after = t.sha;
  const moves = t.kind === 'sha' && !t.full ? !before.startsWith(t.sha) : before !== after;
  const discard = c.localMods === true;

  const steps: Step[] = [];
  if (discard) steps.push(run(['reset', '--hard', 'HEAD'], dest));
  if (url !== repo && (url === undefined || url === null || normGitPath(url) !== normGitPath(repo))) {
    steps.push(run(['remote', 'set-url', '--', args.remote, repo], dest));
  }
  steps.push(fetchStep(args, t, current, run, dest));
  if (!args.bare) steps.push(...switchSteps(args, t, c, run, dest));
  const result = { before, after, remote_url_changed: urlChanged, warnings };
  if (!moves && !discard && !urlChanged) {
    return { changed: false, reason: `${dest} is at ${after}`, steps, result };
  }
  const why = [moves ? `${before} -> ${after}` : '', discard ? 'local modifications discarded' : '', urlChanged ? `remote URL ${url ?? ''} -> ${repo}` : ''].filter((s) => s !== '');
  return {
    changed: true,
    summary: `update ${dest}: ${why.join('; ')}`,
    steps,
    diff: [{ path: dest, before: `${before}\n`, after: `${after}\n`, beforeHeader: 'before', afterHeader: 'after' }],
    predicts: predictions(args, dest, t, c),
    result: discard ? { ...result, msg: `Local modifications exist in the destination: ${dest}` } : result,
  };
}

type Run = (argv: string[], cwd?: string, quiet?: boolean) => RunStep;

/** Ansible's fetch: the minimal refspecs with depth, else everything with --tags (bare: heads and tags). */
function fetchStep(args: GitArgs, t: Target, current: string | undefined, run: Run, dest: string): RunStep {
  const cmd = ['fetch'];
  let refspecs: string[] = [];
  if (args.depth !== undefined) {
    if (args.version === 'HEAD') refspecs.push(current ?? 'HEAD');
    else if (t.kind === 'branch') {
      if (current !== args.version) refspecs.push(`+refs/heads/${args.version}:refs/heads/${args.version}`);
      refspecs.push(`+refs/heads/${args.version}:refs/remotes/${args.remote}/${args.version}`);
    } else if (t.kind === 'tag') refspecs.push(`+refs/tags/${args.version}:refs/tags/${args.version}`);
    if (refspecs.length > 0) cmd.push('--depth', String(args.depth));
  }
  if (args.depth === undefined || refspecs.length === 0) {
    if (args.bare) refspecs = ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'];
    else cmd.push('--tags');
  }
  if (args.force) cmd.push('--force');
  return run([...cmd, '--', args.remote, ...refspecs], dest);
}

/** Ansible's switch_version on an existing checkout. */
function switchSteps(args: GitArgs, t: Target, c: GitCheckout, run: Run, dest: string): Step[] {
  if (args.version === 'HEAD' && t.kind === 'branch') {
    return [run(['checkout', '--force', t.name], dest, true), run(['reset', '--hard', `${args.remote}/${t.name}`, '--'], dest, true)];
  }
  if (t.kind === 'branch') {
    if (!isLocalBranch(c, t.name)) {
      const pre = args.depth !== undefined
        ? [run(['fetch', '--depth', String(args.depth), '--', args.remote, `+refs/heads/${t.name}:refs/remotes/${args.remote}/${t.name}`], dest, true)] : [];
      return [...pre, run(['checkout', '--track', '-b', t.name, `${args.remote}/${t.name}`], dest)];
    }
    return [run(['checkout', '--force', t.name], dest, true), run(['reset', '--hard', `${args.remote}/${t.name}`], dest, true)];
  }
  return [run(['checkout', '--force', t.kind === 'tag' ? t.name : args.version], dest)];
}

/** Ansible's submodule_update after a clone (only when the clone has .gitmodules). */
function submoduleSteps(run: Run, dest: string, force: boolean): Step[] {
  const guard = (argv: string[]): RunStep => {
    const s = run(argv, dest, true);
    return { ...s, argv: ['sh', '-c', '[ -f .gitmodules ] || exit 0; exec "$@"', 'sh', ...s.argv] };
  };
  return [guard(['submodule', 'sync']), guard(['submodule', 'update', '--init', '--recursive', ...(force ? ['--force'] : [])])];
}

/** What --check shows later tasks: dest a directory, and the checkout's HEAD (and the branch's loose ref) at `after`. */
function predictions(args: GitArgs, dest: string, t: Target, c: GitCheckout): Prediction[] {
  const out: Prediction[] = [];
  if (!c.destExists) out.push({ kind: 'file', path: dest, state: 'directory' });
  const r = repoDir(dest, args.bare);
  if (!args.bare) out.push({ kind: 'file', path: r, state: 'directory' });
  if (t.kind === 'sha' && !t.full) return out;
  if (args.bare) return out;
  if (t.kind === 'branch') {
    out.push({ kind: 'file', path: `${r}/HEAD`, state: 'file', content: Buffer.from(`ref: refs/heads/${t.name}\n`) });
    out.push({ kind: 'file', path: `${r}/refs/heads/${t.name}`, state: 'file', content: Buffer.from(`${t.sha}\n`) });
  } else {
    out.push({ kind: 'file', path: `${r}/HEAD`, state: 'file', content: Buffer.from(`${t.sha}\n`) });
  }
  return out;
}
