// Reading archives on the controller: tar (GNU, ustar, pax) and Debian
// packages (ar members, compressed tars). Pure apart from decompression.
//
// Why (issue 14): --check reads what a predicted install would put in /etc
// and the unit directories from the packages' .debs. Extracting them on the
// host cost about seven processes per package (dpkg-deb twice, tar twice,
// mkdir, rm, a subshell): 1.0 s of a lab host's CPU for nfs-kernel-server's
// 14 packages, most of a --check's work on that host. The host now sends the
// .deb files as they are and the controller reads them here, once per .deb
// file for the whole run (package-files.ts keeps them by file name and
// size, and tells later hosts not to send those again).
//
// What is kept of a package is exactly what the host-side extraction kept
// (package-files.ts, extractDeb): the data members GNU tar selects with the
// patterns ./etc/*, ./usr/share/*/conffiles/*, ./lib/systemd/system/* and
// ./usr/lib/systemd/system/* (its `*` matches `/` too, and a matched
// directory brings what is under it), and the lines of the postinst that
// mention ucf. One difference: a hard link in /etc is read as the file it
// links to (the extraction re-read it as a link and dropped it).
//
// Compression: none, gzip and xz (Debian's default; xz-decompress, a
// WebAssembly build of xz-embedded: Node has no xz), and zstd where Node's
// zlib has it (Node 22.15 and later; Ubuntu's packages). A member in another
// compression (bzip2, lzma) makes the package unreadable here: the caller
// then extracts it on the host as before.

import { gunzipSync } from 'node:zlib';
import * as zlib from 'node:zlib';
import xz from 'xz-decompress';
import type { PkgEntry, PkgFiles } from './package-files.js';

export interface TarEntry {
  name: string;
  type: 'file' | 'directory' | 'link' | 'hardlink' | 'other';
  mode: string;
  data: Buffer;
  /** A symbolic or hard link's target. */
  target: string;
}

function tarString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.subarray(0, nul === -1 ? b.length : nul).toString('utf8');
}

/** The records of a pax extended header ("LEN key=value\n" ...). */
function paxRecords(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let off = 0;
  while (off < data.length) {
    const sp = data.indexOf(0x20, off);
    if (sp < 0) break;
    const len = parseInt(data.subarray(off, sp).toString('latin1'), 10);
    if (!(len > 0) || off + len > data.length) break;
    const rec = data.subarray(sp + 1, off + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    off += len;
  }
  return out;
}

/** A minimal tar reader: names (GNU long names, ustar prefixes, pax paths), modes, file data, link targets. */
export function parseTar(buf: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax = new Map<string, string>();
  for (let off = 0; off + 512 <= buf.length; ) {
    const h = buf.subarray(off, off + 512);
    if (h.every((x) => x === 0)) break;
    const size = parseInt(tarString(h.subarray(124, 136)).trim() || '0', 8);
    const flag = String.fromCharCode(h[156] || 48);
    const data = buf.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (flag === 'L') { longName = tarString(data); continue; }
    if (flag === 'K') { longLink = tarString(data); continue; }
    if (flag === 'x') { pax = paxRecords(data); continue; }
    if (flag === 'g') continue;
    const prefix = h.subarray(257, 262).toString('latin1') === 'ustar' ? tarString(h.subarray(345, 500)) : '';
    const name = pax.get('path') ?? longName ?? (prefix ? `${prefix}/${tarString(h.subarray(0, 100))}` : tarString(h.subarray(0, 100)));
    const target = pax.get('linkpath') ?? longLink ?? tarString(h.subarray(157, 257));
    longName = longLink = undefined;
    pax = new Map();
    const mode = (parseInt(tarString(h.subarray(100, 108)).trim() || '0', 8) & 0o7777).toString(8).padStart(4, '0');
    const type = flag === '0' || flag === '\0' || flag === '7' ? 'file' : flag === '5' ? 'directory' : flag === '2' ? 'link' : flag === '1' ? 'hardlink' : 'other';
    out.push({ name, type, mode, data, target });
  }
  return out;
}

/** The members of an ar archive (a .deb), in order; undefined when it is not one. */
export function arMembers(buf: Buffer): Array<{ name: string; data: Buffer }> | undefined {
  if (buf.subarray(0, 8).toString('latin1') !== '!<arch>\n') return undefined;
  const out: Array<{ name: string; data: Buffer }> = [];
  let off = 8;
  while (off + 60 <= buf.length) {
    const h = buf.subarray(off, off + 60);
    if (h.subarray(58, 60).toString('latin1') !== '`\n') return undefined;
    const size = parseInt(h.subarray(48, 58).toString('latin1').trim(), 10);
    if (!(size >= 0) || off + 60 + size > buf.length) return undefined;
    out.push({ name: h.subarray(0, 16).toString('latin1').trim().replace(/\/$/, ''), data: buf.subarray(off + 60, off + 60 + size) });
    off += 60 + size + (size & 1);
  }
  return out;
}

/**
 * The stream read chunk by chunk, not by `new Response(stream).arrayBuffer()`:
 * Response is fetch's, and its first use loads Node's bundled undici (about
 * 35 ms of CPU on the lab machine, in every --check that reads a .deb).
 */
async function xzDecompress(data: Buffer): Promise<Buffer> {
  const stream = new xz.XzReadableStream(new Blob([new Uint8Array(data)]).stream());
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream as AsyncIterable<Uint8Array>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

type ZstdZlib = { zstdDecompressSync?: (b: Buffer) => Buffer };

/** A member's tar, decompressed by its name's suffix; undefined for a compression not read here. */
export async function memberTar(name: string, data: Buffer): Promise<Buffer | undefined> {
  const suffix = /^(?:control|data)\.tar(\.[a-z0-9]+)?$/.exec(name)?.[1] ?? '';
  if (suffix === '') return data;
  if (suffix === '.gz') return gunzipSync(data);
  if (suffix === '.xz') return xzDecompress(data);
  const zstd = (zlib as ZstdZlib).zstdDecompressSync;
  if (suffix === '.zst' && zstd) return zstd(data);
  return undefined;
}

/** The data members the host-side extraction selected (GNU tar wildcards, `*` matching `/`). */
const KEPT = [/^\.\/etc\/./s, /^\.\/usr\/share\/.*\/conffiles\/./s, /^\.\/lib\/systemd\/system\/./s, /^\.\/usr\/lib\/systemd\/system\/./s];

/** A member name as installed: "./etc/x/" -> "/etc/x". */
const installedPath = (name: string): string => '/' + name.replace(/^\.?\//, '').replace(/\/+$/, '');

/**
 * What package-files.ts keeps of one .deb: its selected data members and its
 * postinst's ucf lines. Undefined when the bytes are not a .deb this reader
 * can read (the caller extracts it on the host instead).
 */
export async function readDeb(buf: Buffer): Promise<PkgFiles | undefined> {
  const members = arMembers(buf);
  if (!members || members[0]?.name !== 'debian-binary' || !/^2\./.test(members[0].data.toString('latin1'))) return undefined;
  const control = members.find((m) => m.name.startsWith('control.tar'));
  const data = members.find((m) => m.name.startsWith('data.tar'));
  if (!control || !data) return undefined;
  try {
    const [controlTar, dataTar] = await Promise.all([memberTar(control.name, control.data), memberTar(data.name, data.data)]);
    if (!controlTar || !dataTar) return undefined;
    const entries = new Map<string, PkgEntry>();
    const files = new Map<string, Buffer>();
    for (const e of parseTar(dataTar)) {
      const name = e.name.startsWith('./') ? e.name : `./${e.name.replace(/^\//, '')}`;
      if (e.type === 'file') files.set(installedPath(name), e.data);
      if (!KEPT.some((re) => re.test(name))) continue;
      const path = installedPath(name);
      if (e.type === 'file') entries.set(path, { type: 'file', mode: e.mode, content: e.data });
      else if (e.type === 'directory') entries.set(path, { type: 'directory', mode: e.mode });
      else if (e.type === 'link') entries.set(path, { type: 'link', mode: '0777', target: e.target });
      else if (e.type === 'hardlink') {
        const content = files.get(installedPath(e.target.startsWith('./') || e.target.startsWith('/') ? e.target : `./${e.target}`));
        if (content) entries.set(path, { type: 'file', mode: e.mode, content });
      }
    }
    const postinst = parseTar(controlTar).find((e) => e.type === 'file' && /^(\.\/)?postinst$/.test(e.name));
    const ucfLines = postinst ? postinst.data.toString('utf8').split('\n').filter((l) => /\bucf\b/.test(l)) : [];
    return { entries, ucfLines };
  } catch {
    return undefined; // a damaged member: the host's own extraction will say what it can
  }
}
