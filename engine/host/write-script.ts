// The shell script behind Host.writeFile (DESIGN.md §7, "writes are
// compare-and-swap"): all or nothing, under any fault.
//
//   1. remove stale temp files of tsplay's naming in the target's directory
//      whose writer (the pid in the name) no longer runs;
//   2. mktemp in the target's directory (0600), named .<name>.tsplay-<pid>-XXXXXX;
//   3. copy stdin into it and verify byte size and SHA-256 against what the
//      controller sent: a stream cut short (controller or sshd killed) is refused;
//   4. mode, owner and group on the temp file (so the first byte visible at the
//      target path has them), validate, fsync;
//   5. under flock on the directory (excludes concurrent tsplay writers of it),
//      check that the target still holds what the plan was made against, take
//      the backup, rename;
//   6. any failure or signal (HUP INT PIPE TERM) removes the temp file.
//
// Every user value is quoted (engine/host/shell.ts) and reaches commands after `--`;
// a relative path is given a ./ prefix, so no path can be read as an option.
// Target requirements: sh and coreutils (mktemp, cat, wc, sha256sum, sync,
// chmod, chown, chgrp, cp, mv); util-linux flock when present (without it the
// check runs unlocked and the write result carries a warning).

import { posix as pathPosix } from 'node:path';
import { ModuleError, type WriteFileOptions } from '../module-api.js';
import { quote, splitCommand, SplitError } from './shell.js';

/** Exit codes of the script, and what they mean (the host layer's messages). */
export const WRITE_EXIT = {
  noDirectory: 90,
  noTemp: 91,
  writeTemp: 92,
  mode: 93,
  validate: 94,
  owner: 95,
  backup: 96,
  rename: 97,
  incomplete: 98,
  stale: 99,
  lock: 89,
} as const;

export const WRITE_ERRORS: Record<number, string> = {
  [WRITE_EXIT.noDirectory]: 'directory does not exist',
  [WRITE_EXIT.noTemp]: 'cannot create a temporary file',
  [WRITE_EXIT.writeTemp]: 'cannot write the temporary file',
  [WRITE_EXIT.mode]: 'cannot set the mode',
  [WRITE_EXIT.owner]: 'cannot set the owner/group',
  [WRITE_EXIT.validate]: 'validation failed',
  [WRITE_EXIT.backup]: 'cannot make the backup copy',
  [WRITE_EXIT.rename]: 'cannot rename the temporary file over the target',
  [WRITE_EXIT.incomplete]: 'the content arrived incomplete or altered (the transfer was cut short?); the target is untouched',
  [WRITE_EXIT.lock]: 'cannot lock the directory against concurrent writers',
  129: 'interrupted (SIGHUP); the target is untouched',
  130: 'interrupted (SIGINT); the target is untouched',
  141: 'interrupted (SIGPIPE: the connection went away); the target is untouched',
  143: 'interrupted (SIGTERM); the target is untouched',
};

/** Marker in temp file names: `.<name>.tsplay-<pid>-XXXXXX`. */
export const TEMP_MARK = '.tsplay-';
/** Stdout line of the script when flock is missing on the host. */
export const NO_LOCK_LINE = 'TSPLAY_NO_FLOCK';
/** Seconds to wait for another tsplay writer of the same directory. */
const LOCK_WAIT_S = 60;
/** Bytes of the target's name kept in the temp name (NAME_MAX is 255). */
const NAME_IN_TEMP = 64;

export interface WriteContent {
  size: number;
  sha256: string;
}

/** A relative path gets `./` so that it can never start with `-`. */
function notAnOption(path: string): string {
  return path.startsWith('/') || path.startsWith('./') || path.startsWith('../') ? path : './' + path;
}

/** The first characters of the target's name for its temp file name (whole code points). */
function nameForTemp(base: string): string {
  return Array.from(base).slice(0, NAME_IN_TEMP).join('');
}

/** Owner and group are names or IDs: checked here too, the script passes them after `--`. */
function checkId(kind: 'owner' | 'group', value: string): string {
  if (value === '' || value.includes(':') || /\s/.test(value)) throw new ModuleError(`write: ${kind} ${JSON.stringify(value)} is not a valid ${kind === 'owner' ? 'user' : 'group'} name or ID`);
  return value;
}

/** The validate command's words (split as the command module splits), with %s as the temp file. */
function validateCommand(validate: string): string {
  let words: string[];
  try {
    words = splitCommand(validate);
  } catch (e) {
    if (e instanceof SplitError) throw new ModuleError(`validate: cannot split ${JSON.stringify(validate)}: ${e.message}`);
    throw e;
  }
  if (words.length === 0 || !words.some((w) => w.includes('%s'))) {
    throw new ModuleError(`validate must contain %s (the file to check): ${JSON.stringify(validate)}`);
  }
  // %s becomes a reference to the temp path variable; every literal part is quoted.
  return words.map((w) => (!w.includes('%s') ? quote(w) : w.split('%s').map((part) => (part === '' ? '' : quote(part))).join('"$t"'))).join(' ');
}

/** The script for one write of `content` (its size and hash) to `path`; the bytes come on stdin. */
export function writeFileScript(path: string, content: WriteContent, opts: WriteFileOptions = {}): string {
  if (path === '' || path.endsWith('/')) throw new ModuleError(`write: not a file path: ${JSON.stringify(path)}`);
  if (!Number.isSafeInteger(content.size) || content.size < 0 || !/^[0-9a-f]{64}$/.test(content.sha256)) {
    throw new ModuleError(`write ${path}: bad content size or hash`);
  }
  if (opts.mode !== undefined && !/^[0-7]{3,4}$/.test(opts.mode)) throw new ModuleError(`write ${path}: mode ${JSON.stringify(opts.mode)} is not an octal mode`);
  const owner = opts.owner !== undefined ? checkId('owner', opts.owner) : undefined;
  const group = opts.group !== undefined ? checkId('group', opts.group) : undefined;
  const expect = opts.expect;
  if (expect && 'sha256' in expect && !/^[0-9a-f]{64}$/.test(expect.sha256)) throw new ModuleError(`write ${path}: bad expected hash`);

  const target = notAnOption(path);
  const dir = pathPosix.dirname(target);
  const P = quote(target);
  const D = quote(dir);
  const X = WRITE_EXIT;
  const L: string[] = [];
  L.push(`t=; b=`);
  L.push(`trap 'if [ -n "$t" ]; then rm -f -- "$t"; fi' EXIT`);
  L.push(`trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 141' PIPE; trap 'exit 143' TERM`);
  L.push(`if [ ! -d ${D} ]; then printf '%s\\n' ${quote(pathPosix.dirname(path))} >&2; exit ${X.noDirectory}; fi`);
  // 1. stale temp files: a writer killed with SIGKILL could not remove its own.
  L.push(
    `for s in ${D}/.*${TEMP_MARK}[0-9]*-??????; do ` +
      `if [ ! -f "$s" ] || [ -L "$s" ]; then continue; fi; ` +
      `w=\${s##*${TEMP_MARK}}; w=\${w%-??????}; ` +
      `case $w in ''|*[!0-9]*) continue ;; esac; ` +
      // a running writer keeps its file (kill -0 fails for another user's process: ask /proc first)
      `if [ -d /proc/self ]; then if [ -d "/proc/$w" ]; then continue; fi; elif kill -0 "$w" 2>/dev/null; then continue; fi; ` +
      `rm -f -- "$s"; done`,
  );
  // 2. the temp file, created 0600 by mktemp.
  const template = quote(pathPosix.join(dir, `.${nameForTemp(pathPosix.basename(path))}${TEMP_MARK}`)) + '"$$"-XXXXXX';
  L.push(`t=$(mktemp -- ${template}) || { t=; exit ${X.noTemp}; }`);
  // 3. the content, verified: a short or altered stream never reaches the target.
  L.push(`cat > "$t" || exit ${X.writeTemp}`);
  L.push(`set -- $(wc -c < "$t")`);
  L.push(`if [ "$1" != ${content.size} ]; then printf 'received %s of ${content.size} bytes\\n' "\${1:-?}" >&2; exit ${X.incomplete}; fi`);
  L.push(`set -- $(sha256sum < "$t")`);
  L.push(`if [ "$1" != ${content.sha256} ]; then printf 'SHA-256 %s, expected ${content.sha256}\\n' "\${1:-?}" >&2; exit ${X.incomplete}; fi`);
  // 4. attributes before anything can see the file at the target path.
  const modeRef = `chmod ${quote('--reference=' + target)} -- "$t" || exit ${X.mode}; `;
  const ownerRef = `chown ${quote('--reference=' + target)} -- "$t" || exit ${X.owner}; `;
  const keep = (opts.mode === undefined ? modeRef : '') + (owner === undefined || group === undefined ? ownerRef : '');
  const fresh = opts.mode === undefined ? `chmod 0644 -- "$t" || exit ${X.mode}; ` : '';
  if (keep || fresh) L.push(`if [ -e ${P} ]; then ${keep || ': ; '}else ${fresh || ': ; '}fi`);
  if (opts.mode !== undefined) L.push(`chmod ${opts.mode} -- "$t" || exit ${X.mode}`);
  if (owner !== undefined) L.push(`chown -- ${quote(owner)} "$t" || exit ${X.owner}`);
  if (group !== undefined) L.push(`chgrp -- ${quote(group)} "$t" || exit ${X.owner}`);
  if (opts.validate !== undefined) L.push(`( ${validateCommand(opts.validate)} ) </dev/null >&2 || { printf 'VALIDATE_RC %s\\n' "$?"; exit ${X.validate}; }`);
  L.push(`sync -- "$t" || exit ${X.writeTemp}`);
  // 5. check and rename under the directory lock (held until the script exits).
  if (expect) {
    // `command exec`: a directory that cannot be opened is an error here, not the shell's exit
    L.push(`if command -v flock >/dev/null 2>&1; then command exec 9< ${D} || exit ${X.lock}; flock -w ${LOCK_WAIT_S} 9 || exit ${X.lock}; else echo ${NO_LOCK_LINE}; fi`);
    if ('sha256' in expect) {
      L.push(`if [ ! -f ${P} ]; then echo 'it no longer exists' >&2; exit ${X.stale}; fi`);
      L.push(`set -- $(sha256sum < ${P})`);
      L.push(`if [ "$1" != ${expect.sha256} ]; then echo 'its content differs' >&2; exit ${X.stale}; fi`);
    } else {
      L.push(`if [ -e ${P} ] || [ -L ${P} ]; then echo 'it exists now' >&2; exit ${X.stale}; fi`);
    }
  }
  if (opts.backup) {
    L.push(
      `if [ -e ${P} ]; then b=${P}.$(date +%Y-%m-%d@%H:%M:%S)~; ` +
        `if [ -e "$b" ]; then b=${P}.$(date +%Y-%m-%d@%H:%M:%S.%N)~; fi; cp -p -- ${P} "$b" || { b=; exit ${X.backup}; }; fi`,
    );
  }
  L.push(`mv -fT -- "$t" ${P} || exit ${X.rename}`);
  L.push(`t=`);
  L.push(`if [ -n "$b" ]; then printf 'BACKUP %s\\n' "$b"; fi`);
  L.push(`exit 0`);
  return L.join('\n') + '\n';
}
