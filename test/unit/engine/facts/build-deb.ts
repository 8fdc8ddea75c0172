// Test helper: real .deb files built with this machine's dpkg-deb (Debian's
// own builder), from a table of members. Used to hold the controller's .deb
// reader (engine/facts/deb-archive.ts) to the host's extraction.

import { execFileSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export type DebMember =
  | { path: string; type: 'file'; mode?: number; content: string | Buffer }
  | { path: string; type: 'dir'; mode?: number }
  | { path: string; type: 'link'; target: string }
  | { path: string; type: 'hardlink'; target: string };

export interface DebSpec {
  name: string;
  version?: string;
  arch?: string;
  members: DebMember[];
  postinst?: string;
  /** dpkg-deb -Z: xz (Debian's default), gzip, none, zstd. */
  compression?: 'xz' | 'gzip' | 'none' | 'zstd';
}

/** The .deb's bytes and its file name as apt names it (NAME_VERSION_ARCH.deb, ':' as %3a). */
export function buildDeb(spec: DebSpec): { file: string; bytes: Buffer } {
  const version = spec.version ?? '1.0-1';
  const arch = spec.arch ?? 'all';
  const root = mkdtempSync(join(tmpdir(), 'tsplay-deb-'));
  try {
    const tree = join(root, 'tree');
    mkdirSync(join(tree, 'DEBIAN'), { recursive: true });
    writeFileSync(join(tree, 'DEBIAN', 'control'), `Package: ${spec.name}\nVersion: ${version}\nArchitecture: ${arch}\nMaintainer: tsplay tests <tests@invalid>\nDescription: test package\n`);
    if (spec.postinst !== undefined) {
      writeFileSync(join(tree, 'DEBIAN', 'postinst'), spec.postinst);
      chmodSync(join(tree, 'DEBIAN', 'postinst'), 0o755);
    }
    const modes: Array<[string, number]> = [];
    for (const m of spec.members) {
      const p = join(tree, m.path);
      mkdirSync(m.type === 'dir' ? p : dirname(p), { recursive: true });
      if (m.type === 'file') writeFileSync(p, m.content);
      if (m.type === 'link') symlinkSync(m.target, p);
      if (m.type === 'hardlink') linkSync(join(tree, m.target), p);
      if ((m.type === 'file' || m.type === 'dir') && m.mode !== undefined) modes.push([p, m.mode]);
    }
    // modes last: a directory's own mode may forbid writing into it
    for (const [p, mode] of modes.reverse()) chmodSync(p, mode);
    const file = `${spec.name}_${version.replace(/:/g, '%3a')}_${arch}.deb`;
    execFileSync('dpkg-deb', ['--root-owner-group', `-Z${spec.compression ?? 'xz'}`, '-b', tree, join(root, file)], { stdio: ['ignore', 'ignore', 'pipe'] });
    return { file, bytes: readFileSync(join(root, file)) };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
