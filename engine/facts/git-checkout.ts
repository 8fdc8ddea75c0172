// `git_checkout`: what the git module (modules/git.ts) reads about a
// destination before it decides, as Ansible 2.14's git module reads it: the git
// program (the `executable`, else `git` looked up in PATH, and PATH itself for
// Ansible's "not found" message), whether dest exists and is empty, whether it
// holds a repository (its config: DEST/.git/config, or DEST/config when bare),
// and then, inside it, under the C locale: `git rev-parse HEAD` (before),
// `git status --porcelain` without untracked files (local modifications),
// `git ls-remote --get-url REMOTE`, the first line of HEAD and of
// refs/remotes/REMOTE/HEAD, `git branch --no-color -a`, the version resolved
// locally (`git rev-parse --verify -q VERSION^{commit}`) and .gitmodules.
// Overlay rule: a checkout an earlier git task would make (its predicted HEAD
// file, and the loose ref it names) is a repository at that commit, without
// local modifications, its remote URL unknown.

import { quoteArgv } from '../host/shell.js';
import type { Overlay } from '../host/overlay.js';
import { perArg } from './fact.js';

export interface GitCheckoutArg {
  /** The executable option, or 'git'. */
  git: string;
  dest: string;
  bare: boolean;
  remote: string;
  version: string;
}

export interface GitCheckout {
  /** The git program found ('' : none). */
  git: string;
  /** The host's PATH (for Ansible's "Failed to find required executable" message). */
  path: string;
  destExists: boolean;
  /** dest is a directory with entries (git clone refuses it). */
  destNonEmpty: boolean;
  /** DEST/.git is a file (a separate git dir): tsplay refuses it. */
  gitFile: boolean;
  /** A repository is there (its config file exists). */
  repo: boolean;
  /** `git rev-parse HEAD` output, as Ansible's get_version takes it. */
  before?: string;
  /** Tracked files modified (status --porcelain lines other than `??`). */
  localMods?: boolean;
  /** `git ls-remote --get-url REMOTE` (null: the command failed). */
  remoteUrl?: string | null;
  /** First line of HEAD ("ref: refs/heads/main" or a SHA). */
  head?: string;
  /** First line of refs/remotes/REMOTE/HEAD, when present. */
  remoteHead?: string;
  /** `git branch --no-color -a` lines, trimmed. */
  branches?: string[];
  /** The version as a commit this repository already has (full SHA), when it has it. */
  versionLocal?: string;
  /** .gitmodules exists in the work tree. */
  gitmodules?: boolean;
  predicted?: boolean;
}

// $1 git, $2 dest, $3 bare (0|1), $4 remote, $5 version. Prints key=value lines (br= once per branch line).
const SCRIPT = [
  'g=$1; d=$2',
  'case $g in */*) [ -f "$g" ] && [ -x "$g" ] || g= ;; *) g=$(command -v -- "$g" 2>/dev/null) || g= ;; esac',
  'printf "git=%s\\npath=%s\\n" "$g" "$PATH"',
  '[ -e "$d" ] || [ -L "$d" ] || exit 0',
  'echo exists=1',
  '[ -d "$d" ] && [ -n "$(ls -A -- "$d" 2>/dev/null | head -n 1)" ] && echo nonempty=1',
  'if [ "$3" = 1 ]; then r=$d; else r=$d/.git; fi',
  '[ -f "$r" ] && { echo gitfile=1; exit 0; }',
  '[ -f "$r/config" ] || exit 0',
  'echo repo=1',
  '[ -n "$g" ] || exit 0',
  'cd -- "$d" || exit 0',
  'export LC_ALL=C LANG=C LC_MESSAGES=C LC_CTYPE=C',
  'printf "before=%s\\n" "$("$g" rev-parse HEAD 2>/dev/null)"',
  'if [ "$3" != 1 ]; then n=$("$g" status --porcelain 2>/dev/null | grep -vc "^??"); [ "$n" -gt 0 ] && echo mods=1; [ -f .gitmodules ] && echo gitmodules=1; fi',
  'if u=$("$g" ls-remote --get-url "$4" 2>/dev/null); then printf "url=%s\\n" "$u"; else echo url_failed=1; fi',
  'printf "head=%s\\n" "$(head -n 1 -- "$r/HEAD" 2>/dev/null)"',
  '[ -f "$r/refs/remotes/$4/HEAD" ] && printf "rhead=%s\\n" "$(head -n 1 -- "$r/refs/remotes/$4/HEAD")"',
  '"$g" branch --no-color -a 2>/dev/null | sed "s/^[[:space:]]*//; s/[[:space:]]*\\$//; s/^/br=/"',
  'v=$("$g" rev-parse --verify -q "$5^{commit}" 2>/dev/null) && printf "vlocal=%s\\n" "$v"',
  'exit 0',
].join('\n');

export function gitCheckoutSnippet(a: GitCheckoutArg): string {
  return quoteArgv(['sh', '-c', SCRIPT, 'sh', a.git, a.dest, a.bare ? '1' : '0', a.remote, a.version]);
}

/** Parse the section's output. Pure. */
export function parseGitCheckout(stdout: string): GitCheckout {
  const v: GitCheckout = { git: '', path: '', destExists: false, destNonEmpty: false, gitFile: false, repo: false };
  const branches: string[] = [];
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i < 0) continue;
    const [k, val] = [line.slice(0, i), line.slice(i + 1)];
    switch (k) {
      case 'git': v.git = val; break;
      case 'path': v.path = val; break;
      case 'exists': v.destExists = true; break;
      case 'nonempty': v.destNonEmpty = true; break;
      case 'gitfile': v.gitFile = true; break;
      case 'repo': v.repo = true; break;
      case 'before': v.before = val; break;
      case 'mods': v.localMods = true; break;
      case 'gitmodules': v.gitmodules = true; break;
      case 'url': v.remoteUrl = val; break;
      case 'url_failed': v.remoteUrl = null; break;
      case 'head': v.head = val; break;
      case 'rhead': v.remoteHead = val; break;
      case 'br': branches.push(val); break;
      case 'vlocal': v.versionLocal = val; break;
    }
  }
  if (v.repo && v.git) {
    v.branches = branches;
    v.localMods ??= false;
    v.gitmodules ??= false;
  }
  return v;
}

/** Where the repository's files are: DEST/.git, or DEST when bare. */
export const repoDir = (dest: string, bare: boolean): string => (bare ? dest.replace(/\/+$/, '') : `${dest.replace(/\/+$/, '')}/.git`);

const predictedText = (overlay: Overlay, path: string): string | undefined => {
  const v = overlay.fileVerdict(path);
  return v?.kind === 'exact' && v.p.state === 'file' && v.p.content ? v.p.content.toString('utf8').split('\n')[0] : undefined;
};

/** The state once the recorded predictions apply. Pure. */
export function predictGitCheckout(overlay: Overlay, a: GitCheckoutArg, base: GitCheckout): GitCheckout {
  const r = repoDir(a.dest, a.bare);
  const head = predictedText(overlay, `${r}/HEAD`);
  if (head === undefined) return base;
  const ref = /^ref: (refs\/heads\/.+)$/.exec(head);
  const sha = ref ? predictedText(overlay, `${r}/${ref[1]}`) ?? (base.repo ? base.before : undefined) : head;
  const branch = ref ? ref[1].slice('refs/heads/'.length) : undefined;
  return {
    ...base,
    destExists: true, destNonEmpty: true, gitFile: false, repo: true,
    before: sha ?? 'HEAD',
    localMods: false,
    // The URL an earlier task's clone or set-url leaves is not predicted: unknown, not compared.
    remoteUrl: base.repo ? base.remoteUrl : undefined,
    head,
    branches: ref ? [`* ${branch}`] : [`* (HEAD detached at ${head.slice(0, 7)})`],
    versionLocal: a.version === head || (sha !== undefined && (a.version === sha || a.version === 'HEAD')) ? sha : base.versionLocal,
    gitmodules: base.gitmodules ?? false,
    predicted: true,
  };
}

export const gitCheckout = perArg<GitCheckoutArg, GitCheckout>({
  name: 'git_checkout',
  snippet: (a) => gitCheckoutSnippet(a),
  parse: (_a, r) => parseGitCheckout(r.stdout),
  predict: (a, base, p) => predictGitCheckout(p.overlay, a, base),
});
