// get_url: Ansible's get_url: download a URL to a file on the host, replacing
// it only when the content differs (docs/modules/get_url.md). The HOST
// downloads, with curl (or wget when curl is missing); a host with neither
// fails with a message saying so. gather only reads: the remote content's
// SHA-1 is computed from a stream (nothing written), so --check predicts what
// the real run does; the download step writes a temp file beside dest,
// verifies `checksum`, and renames it over dest.

import { defineModule, ModuleError } from '../engine/module-api.js';
import { requireKnownAccounts } from './lib/account-names.js';
import { S } from '../engine/schema.js';
import type { Static } from '../engine/schema.js';
import type { FileState, Prediction, Step } from '../engine/module-api.js';
import { file as fileFact } from '../engine/facts/file.js';
import { attrSchema, planAttributes, wantedAttrs } from './lib/file-attrs.js';

const schema = S.object({
  url: S.string({ pattern: '^(https?|ftp)://[^\\s]+$', description: 'http, https or ftp URL' }),
  dest: S.string({ pattern: '^/', description: 'absolute path of the file (or of a directory: the file is named after the URL)' }),
  force: S.boolean({ default: false, description: 'with a checksum: download even when dest already has it' }),
  checksum: S.string({ pattern: '^(md5|sha1|sha224|sha256|sha384|sha512):[0-9A-Fa-f]+$', description: 'ALGORITHM:HEX (e.g. sha256:...); dest with this digest is not downloaded again; a download without it fails' }),
  headers: S.with(S.record(), { description: 'HTTP request headers (name: value)' }),
  timeout: S.integer({ minimum: 1, default: 10, description: 'seconds for the whole request' }),
  validate_certs: S.boolean({ default: true, description: 'false: do not verify the TLS certificate' }),
  backup: S.boolean({ default: false, description: 'not available in tsplay: true is refused' }),
  ...attrSchema,
}, { additionalProperties: false, required: ['url', 'dest'] });

export type GetUrlArgs = Static<typeof schema>;

export interface GetUrlState {
  /** dest as given (a directory when the file is named after the URL). */
  dest: FileState;
  /** The file the download lands in, when dest is a directory. */
  target?: FileState;
  /** Hex digest of the existing target: sha1, and the checksum's algorithm when given (null: not read). */
  destSha1?: string | null;
  destDigest?: string | null;
  /** SHA-1 of what the URL serves now (only when the target exists and no checksum decides). */
  remoteSha1?: string | null;
  /** Why the remote read failed (rc, stderr). */
  remoteError?: string;
}

/** Python's url_filename: the URL path's last part, or index.html. */
export function urlFilename(url: string): string {
  const path = url.replace(/^[a-z]+:\/\/[^/]*/i, '').replace(/[?#].*$/, '');
  const base = decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
  return base === '' ? 'index.html' : base;
}

function targetPath(args: GetUrlArgs, dest: FileState): string {
  return dest.exists && dest.type === 'directory' ? `${args.dest.replace(/\/+$/, '')}/${urlFilename(args.url)}` : args.dest;
}

function headerList(args: GetUrlArgs): string[] {
  return Object.entries(args.headers ?? {}).map(([k, v]) => {
    if (/[\r\n:]/.test(k) || /[\r\n]/.test(String(v))) throw new ModuleError(`get_url: header ${JSON.stringify(k)} has a line break or colon in its name`);
    return `${k}: ${String(v)}`;
  });
}

/**
 * The fetch, as bash text with every value a positional parameter:
 * $1 url, $2 timeout, $3 validate (1/0), then after the caller's own
 * parameters the headers. Writes the body to stdout; rc 127: no downloader.
 */
const FETCH =
  'fetch() { local url=$1 t=$2 v=$3; shift 3; local a=(); ' +
  'if command -v curl >/dev/null 2>&1; then [ "$v" = 1 ] || a+=(-k); for h in "$@"; do a+=(-H "$h"); done; curl -fsSL --max-time "$t" "${a[@]}" -- "$url"; ' +
  'elif command -v wget >/dev/null 2>&1; then [ "$v" = 1 ] || a+=(--no-check-certificate); for h in "$@"; do a+=("--header=$h"); done; wget -q -O - --timeout="$t" "${a[@]}" -- "$url"; ' +
  'else echo "get_url: the host has neither curl nor wget (install curl)" >&2; return 127; fi; }; ';

/** Read-only: the SHA-1 of what the URL serves (streamed, nothing written). */
function remoteSha1Argv(args: GetUrlArgs): string[] {
  return ['bash', '-c', FETCH + 'set -o pipefail; fetch "$1" "$2" "$3" "${@:4}" | sha1sum', 'bash', args.url, String(args.timeout), args.validate_certs ? '1' : '0', ...headerList(args)];
}

/** The download step: temp file beside dest, checksum verified, old mode/owner kept (new: 0644), renamed over dest. */
function downloadArgv(args: GetUrlArgs, target: string, alg: string, expected: string): string[] {
  const script =
    FETCH +
    'set -e -o pipefail; url=$1 t=$2 v=$3 dest=$4 alg=$5 want=$6; shift 6; ' +
    'tmp=$(mktemp "$(dirname -- "$dest")/.tsplay-get_url.XXXXXX"); trap \'rm -f -- "$tmp"\' EXIT; ' +
    'fetch "$url" "$t" "$v" "$@" > "$tmp"; ' +
    'if [ -n "$alg" ]; then got=$("${alg}sum" -- "$tmp" | cut -d" " -f1); if [ "$got" != "$want" ]; then echo "The checksum for $dest did not match $want; it was $got." >&2; exit 1; fi; fi; ' +
    'if [ -e "$dest" ]; then chmod --reference="$dest" -- "$tmp"; chown --reference="$dest" -- "$tmp"; else chmod 0644 -- "$tmp"; fi; ' +
    'mv -f -- "$tmp" "$dest"; trap - EXIT';
  return ['bash', '-c', script, 'bash', args.url, String(args.timeout), args.validate_certs ? '1' : '0', target, alg, expected, ...headerList(args)];
}

function parseChecksum(args: GetUrlArgs): { alg: string; hex: string } | undefined {
  if (args.checksum === undefined) return undefined;
  const i = args.checksum.indexOf(':');
  return { alg: args.checksum.slice(0, i), hex: args.checksum.slice(i + 1).toLowerCase() };
}

const digestOf = (stdout: string, rc: number): string | null => (rc === 0 ? /^[0-9a-f]+/.exec(stdout)?.[0] ?? null : null);

export default defineModule<typeof schema, GetUrlState>({
  name: 'get_url',
  description: 'Download a URL to a file on the host (curl or wget on the host); replaced only when the content differs',
  schema,

  async gather(args, host) {
    const dest = await host.get(fileFact, args.dest);
    const state: GetUrlState = { dest };
    const path = targetPath(args, dest);
    const target = path === args.dest ? dest : await host.get(fileFact, path);
    if (path !== args.dest) state.target = target;
    await requireKnownAccounts(host, args, target);
    // A predicted file (an earlier task's, in --check) has no digest to read: it counts as different.
    if (!target.exists || target.type !== 'file' || target.predicted) return state;
    const sum = parseChecksum(args);
    const cmds: string[][] = [['sha1sum', '--', path]];
    if (sum) cmds.push([`${sum.alg}sum`, '--', path]);
    const needRemote = !sum || args.force;
    // Raw runAll: digests of the existing file and a streamed read of the URL (no prediction alters either).
    if (needRemote) cmds.push(remoteSha1Argv(args));
    const rs = await host.runAll(cmds);
    state.destSha1 = digestOf(rs[0].stdout, rs[0].rc);
    if (sum) state.destDigest = digestOf(rs[1].stdout, rs[1].rc);
    if (needRemote) {
      const r = rs[rs.length - 1];
      state.remoteSha1 = digestOf(r.stdout, r.rc);
      if (state.remoteSha1 === null) state.remoteError = `rc ${r.rc}: ${r.stderr.trim()}`;
    }
    return state;
  },

  plan(args, state) {
    if (args.backup) throw new ModuleError('get_url: backup is not available in tsplay');
    const path = targetPath(args, state.dest);
    const target = state.target ?? state.dest;
    if (target.exists && target.type !== 'file') throw new ModuleError(`get_url: ${path} exists and is not a regular file`);
    if (state.remoteError !== undefined) throw new ModuleError(`get_url: Request failed: ${args.url} (${state.remoteError})`, { url: args.url });
    const sum = parseChecksum(args);
    const result: Record<string, unknown> = { dest: path, url: args.url, checksum_dest: state.destSha1 ?? null, checksum_src: state.remoteSha1 ?? null, elapsed: 0 };
    let download: string | undefined;
    if (!target.exists) download = `download ${args.url} to ${path}`;
    else if (target.predicted) download = `download ${args.url} to ${path} (an earlier task writes it)`;
    else if (sum && !args.force) {
      if (state.destDigest !== sum.hex) download = `download ${args.url} to ${path} (${sum.alg} differs)`;
    } else if (state.remoteSha1 !== state.destSha1) download = `download ${args.url} to ${path} (content differs)`;

    const steps: Step[] = [];
    const changes: string[] = [];
    const predicts: Prediction[] = [];
    if (download) {
      steps.push({ kind: 'run', argv: downloadArgv(args, path, sum?.alg ?? '', sum?.hex ?? '') });
      changes.push(download);
      // The new file: root's 0644, or the old file's mode and owner.
      const after: FileState = target.exists && !target.predicted ? target : { path, exists: true, type: 'file', mode: '0644' };
      const attrs = planAttributes(path, args, after, { isDir: false });
      steps.push(...attrs.steps);
      const want = wantedAttrs(args, after, false);
      predicts.push({ kind: 'file', path, state: 'file', mode: want.mode ?? after.mode, ...(want.owner ? { owner: want.owner } : {}), ...(want.group ? { group: want.group } : {}) });
    } else {
      const attrs = planAttributes(path, args, target, { isDir: false });
      if (attrs.steps.length) {
        steps.push(...attrs.steps);
        changes.push(`${path}: ${attrs.changes.join(', ')}`);
        predicts.push({ kind: 'file', path, state: 'file', ...(attrs.mode ? { mode: attrs.mode } : {}), ...(attrs.owner ? { owner: attrs.owner } : {}), ...(attrs.group ? { group: attrs.group } : {}) });
      }
    }
    if (!steps.length) return { changed: false, reason: `${path} already has the content${sum ? ` (${sum.alg} matches)` : ' of the URL'}`, result: { ...result, msg: 'file already exists' } };
    return { changed: true, summary: changes.join('; '), steps, predicts, result: { ...result, msg: download ? 'OK' : 'file already exists but file attributes changed' } };
  },
});
