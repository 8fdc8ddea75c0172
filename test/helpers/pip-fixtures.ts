// Local Python distributions for pip tests, made in the test: hand-made
// wheels (a zip of the module, METADATA, WHEEL and RECORD) in a find-links
// directory, so pip installs with --no-index and never reaches an index; and
// a quick virtualenv command (python3 -m venv --without-pip plus a bin/pip3
// that runs the system pip against the virtualenv's python with --python),
// which creates a virtualenv in a second instead of ensurepip's ten.

import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const MAKE_WHEEL = `
import sys, zipfile, hashlib, base64
out, name, ver = sys.argv[1:4]
mod = name.replace('-', '_')
di = f'{mod}-{ver}.dist-info'
files = {
  f'{mod}/__init__.py': f'VERSION = "{ver}"\\n'.encode(),
  f'{di}/METADATA': f'Metadata-Version: 2.1\\nName: {name}\\nVersion: {ver}\\n'.encode(),
  f'{di}/WHEEL': b'Wheel-Version: 1.0\\nGenerator: tsplay-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n',
}
def rec(d):
    return 'sha256=' + base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode() + ',' + str(len(d))
lines = [p + ',' + rec(d) for p, d in files.items()] + [di + '/RECORD,,']
files[di + '/RECORD'] = ('\\n'.join(lines) + '\\n').encode()
with zipfile.ZipFile(f'{out}/{mod}-{ver}-py3-none-any.whl', 'w') as z:
    for p, d in files.items():
        z.writestr(zipfile.ZipInfo(p, (2020, 1, 1, 0, 0, 0)), d)
`;

/** Write wheels of each name and version into dir (created). */
export function makeWheels(dir: string, dists: Array<[string, string]>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, version] of dists) execFileSync('/usr/bin/python3', ['-c', MAKE_WHEEL, dir, name, version]);
}

const QUICK_VENV = `#!/bin/sh
case "$1" in --help) echo "usage: quick-venv [-pPYTHON] DIR"; exit 0 ;; esac
for a; do d=$a; done
/usr/bin/python3 -m venv --without-pip "$d" || exit 1
printf '#!/bin/sh\\nexec /usr/bin/python3 -m pip --python %s/bin/python "$@"\\n' "$d" > "$d/bin/pip3"
chmod 755 "$d/bin/pip3"
`;

/** A virtualenv_command for tests (path of an executable script in dir). */
export function quickVenvCommand(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'quick-venv');
  writeFileSync(path, QUICK_VENV);
  chmodSync(path, 0o755);
  return path;
}
