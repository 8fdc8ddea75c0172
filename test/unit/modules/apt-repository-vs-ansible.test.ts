// apt_repository's decisions against Ansible 2.14's own code: each case's
// sources files go through Ansible's SourcesList (add_source/remove_source,
// dump; test/helpers/ansible-sources-list.py, in a temporary directory) and
// through tsplay's plan; compared: changed, the error, and every sources file
// after the change (Ansible's save: each file rewritten as its entries render,
// a file without entries removed). The module's commands (apt-get update) and
// the whole run are checked on the lab, not here: this machine's apt sources
// are never touched.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planAptRepository, targetFile, SOURCES_LIST } from '../../../modules/apt_repository.js';
import type { FileState } from '../../../engine/module-api.js';

const helper = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'helpers', 'ansible-sources-list.py');
const PY = '/usr/bin/python3';

interface Case { name: string; files: Record<string, string>; repo: string; state?: 'present' | 'absent'; filename?: string }

const DEBIAN = 'deb http://deb.debian.org/debian bookworm main\ndeb http://deb.debian.org/debian-security bookworm-security main\n';
const D = '/etc/apt/sources.list.d';
const DOCKER = 'deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable';
const cases: Case[] = [
  { name: 'new line, new file', files: { [SOURCES_LIST]: DEBIAN }, repo: 'deb http://nginx.org/packages/mainline/debian/ bookworm nginx' },
  { name: 'signed-by options: file named without them', files: { [SOURCES_LIST]: DEBIAN }, repo: DOCKER },
  { name: 'already in its file', files: { [SOURCES_LIST]: DEBIAN, [`${D}/download_docker_com_linux_debian.list`]: `${DOCKER}\n` }, repo: DOCKER },
  { name: 'already in sources.list', files: { [SOURCES_LIST]: DEBIAN }, repo: 'deb http://deb.debian.org/debian bookworm main' },
  { name: 'blanks differ: same source', files: { [SOURCES_LIST]: 'deb  http://deb.debian.org/debian   bookworm main\n' }, repo: 'deb http://deb.debian.org/debian bookworm main' },
  { name: 'commented out: enabled again, file normalised', files: { [SOURCES_LIST]: '#deb http://a.example/debian bookworm main\n#  comment\n\ndeb http://deb.debian.org/debian bookworm main # trailing\n' }, repo: 'deb http://a.example/debian bookworm main' },
  { name: 'change rewrites other files normalised, removes empty ones', files: { [SOURCES_LIST]: '#deb cdrom:[Debian]/ bookworm main\n', [`${D}/empty.list`]: '', [`${D}/x.list`]: 'deb   http://x.example/d  b  c\n' }, repo: 'deb http://new.example/debian bookworm main' },
  { name: 'filename option', files: { [SOURCES_LIST]: DEBIAN }, repo: 'deb http://nginx.org/packages/debian/ bookworm nginx', filename: 'nginx' },
  { name: 'user:password stripped from the name', files: {}, repo: 'deb http://user:pw@repo.example.org/debian bookworm main' },
  { name: 'deb-src', files: {}, repo: 'deb-src http://deb.debian.org/debian bookworm-backports main contrib' },
  { name: 'comment in repo dropped', files: {}, repo: 'deb http://r.example/debian bookworm main # mine' },
  { name: 'no line ending at the end of a file', files: { [`${D}/r.list`]: 'deb http://o.example/d b c' }, repo: 'deb http://r.example/d b c', filename: 'r' },
  { name: 'CRLF file', files: { [`${D}/r.list`]: 'deb http://o.example/d b c\r\n' }, repo: 'deb http://r.example/d b c', filename: 'r' },
  { name: 'existing file gets the line appended', files: { [`${D}/r.list`]: 'deb http://o.example/d b c\n' }, repo: 'deb http://r.example/d b c', filename: 'r' },
  { name: 'invalid: not deb', files: {}, repo: 'http://r.example/d b c' },
  { name: 'invalid: commented', files: {}, repo: '# deb http://r.example/d b c' },
  { name: 'absent: removed, empty file removed', files: { [SOURCES_LIST]: DEBIAN, [`${D}/r.list`]: 'deb http://r.example/d b c\n' }, repo: 'deb http://r.example/d b c', state: 'absent' },
  { name: 'absent: not there', files: { [SOURCES_LIST]: DEBIAN }, repo: 'deb http://r.example/d b c', state: 'absent' },
  { name: 'absent: a commented copy stays', files: { [SOURCES_LIST]: '# deb http://r.example/d b c\n' }, repo: 'deb http://r.example/d b c', state: 'absent' },
  { name: 'absent: from sources.list, the rest kept', files: { [SOURCES_LIST]: `${DEBIAN}deb http://r.example/d b c\n#x\n` }, repo: 'deb http://r.example/d b c', state: 'absent' },
  { name: 'absent: two copies, Ansible removes one per run', files: { [`${D}/r.list`]: 'deb http://r.example/d b c\ndeb http://r.example/d b c\ndeb http://o.example/d b c\n' }, repo: 'deb http://r.example/d b c', state: 'absent' },
  { name: 'absent: copies in two files', files: { [SOURCES_LIST]: 'deb http://r.example/d b c\n', [`${D}/r.list`]: 'deb http://r.example/d b c\n' }, repo: 'deb http://r.example/d b c', state: 'absent' },
];

function ansible(c: Case): { changed: boolean; after: Record<string, string> | null; error: string | null } {
  const out = execFileSync(PY, [helper], { input: JSON.stringify({ files: c.files, repo: c.repo, state: c.state ?? 'present', filename: c.filename ?? null }), encoding: 'utf8' });
  return JSON.parse(out) as { changed: boolean; after: Record<string, string> | null; error: string | null };
}

function tsplay(c: Case): { changed: boolean; after: Record<string, string> | null; error: string | null } {
  const args = { repo: c.repo, state: c.state ?? 'present', update_cache_retries: 5, update_cache_retry_max_delay: 12, validate_certs: true, ...(c.filename !== undefined ? { filename: c.filename } : {}) } as const;
  try {
    const paths = new Set([...Object.keys(c.files), targetFile(args)]);
    const files: FileState[] = [...paths].map((path) => (path in c.files ? { path, exists: true, type: 'file', mode: '0644', content: Buffer.from(c.files[path]) } : { path, exists: false }));
    const plan = planAptRepository(args, { files });
    if (!plan.changed) return { changed: false, after: null, error: null };
    const end = new Map(Object.entries(c.files));
    for (const s of plan.steps) {
      if (s.kind === 'write') end.set(s.path, String(s.content));
      else if (s.argv[0] === 'rm') end.delete(s.argv[3]);
    }
    return { changed: true, after: Object.fromEntries(end), error: null };
  } catch (e) {
    return { changed: false, after: null, error: (e as Error).message };
  }
}

if (!existsSync(PY) || !existsSync('/usr/lib/python3/dist-packages/ansible/modules/apt_repository.py')) {
  test('Ansible 2.14 is installed for the apt_repository comparison', (t) => t.fail('missing /usr/lib/python3/dist-packages/ansible (apt-get install ansible-core)'));
} else {
  test('apt_repository: changed, error and the sources files as Ansible 2.14 leaves them', (t) => {
    const lines: string[] = [];
    let same = 0;
    for (const c of cases) {
      const a = ansible(c);
      const s = tsplay(c);
      const sort = (o: Record<string, string> | null) => (o ? Object.fromEntries(Object.entries(o).sort()) : o);
      if (JSON.stringify([a.changed, sort(a.after), a.error]) === JSON.stringify([s.changed, sort(s.after), s.error])) same++;
      else lines.push(`  ${c.name}: ansible ${JSON.stringify(a)}; tsplay ${JSON.stringify(s)}`);
    }
    t.log([`apt_repository: ${same} of ${cases.length} cases the same outcome as Ansible`, ...lines].join('\n'));
    t.deepEqual(lines, []);
    t.true(ansible(cases[0]).changed, 'the comparison sees changes');
  });

  test('apt_repository: ppa: is refused with the reason', (t) => {
    t.throws(() => targetFile({ repo: 'ppa:nginx/stable' }), { message: /PPA repositories are not supported by tsplay \(they need Launchpad\)/ });
  });
}
