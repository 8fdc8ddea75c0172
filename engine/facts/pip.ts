// `pip_packages`: which pip a pip task would run and what it lists, found as
// Ansible 2.14's pip module finds them: in a virtualenv its bin/pip3 (or
// bin/pip), and whether the virtualenv exists (its bin/activate); with
// `executable`, that program (a bare name looked up in PATH); otherwise the
// pip module of the interpreter Ansible discovers on Debian (/usr/bin/python3
// -m pip.__main__) when it has one, else pip3 from PATH. Then `pip list
// --format=freeze` under the C locale: name==version lines.
// Overlay rule: a predicted virtualenv (its bin/activate) exists with its pip;
// predicted installs and removals in the same environment alter the list.

import { quoteArgv } from '../host/shell.js';
import type { Overlay } from '../host/overlay.js';
import { perArg } from './fact.js';

/** Where pip runs: a virtualenv, a named executable, or the default interpreter's pip. */
export type PipWhere = { venv: string } | { executable: string } | { default: true };

export interface PipState {
  /** The virtualenv's bin/activate exists (always false without a virtualenv). */
  venvExists: boolean;
  /** The pip command (argv prefix), or undefined when none is found. */
  pip?: string[];
  /** `pip list --format=freeze` lines as name==version, canonical name -> version (undefined: predicted, not known). */
  installed: Record<string, string | null>;
  /** The pip's interpreter is externally managed (PEP 668: Debian 12's system Python): pip refuses to change it. */
  externallyManaged?: boolean;
  /** rc and stderr of the list command when it failed. */
  listError?: { rc: number; stderr: string };
  predicted?: boolean;
}

/** The key of an environment in the prediction store. */
export function pipEnvKey(where: PipWhere): string {
  return 'venv' in where ? `venv:${where.venv.replace(/\/+$/, '')}` : 'executable' in where ? `exe:${where.executable}` : 'default';
}

// $1: venv|exe|default, $2: the path or name. Prints venv=0|1, pip=<argv, tab-separated>, a --- line, then the list.
const SCRIPT = [
  'mode=$1; v=$2; p=',
  'case $mode in',
  '  venv) if [ -e "$v/bin/activate" ]; then echo venv=1; else echo venv=0; fi',
  '    if [ -f "$v/bin/pip3" ] && [ -x "$v/bin/pip3" ]; then p="$v/bin/pip3"; elif [ -f "$v/bin/pip" ] && [ -x "$v/bin/pip" ]; then p="$v/bin/pip"; fi ;;',
  '  exe) echo venv=0; case $v in /*) p=$v ;; *) p=$(command -v -- "$v" || true) ;; esac ;;',
  "  *) echo venv=0; if /usr/bin/python3 -c 'import importlib.util,sys; sys.exit(0 if importlib.util.find_spec(\"pip\") else 1)' >/dev/null 2>&1; then p='/usr/bin/python3\tpip.__main__'; else p=$(command -v pip3 || true); fi ;;",
  'esac',
  'em=0; py=',
  '[ "$mode" = default ] && py=/usr/bin/python3',
  'if [ -n "$p" ] || [ -n "$py" ]; then',
  '  case $p in "" | /usr/bin/python3"\t"*) py=/usr/bin/python3 ;; *) py=$(head -n 1 -- "$p" 2>/dev/null | sed -n \'s/^#![[:space:]]*\\([^[:space:]]*\\).*/\\1/p\') ;; esac',
  // PEP 668: pip refuses to change an interpreter whose stdlib holds EXTERNALLY-MANAGED (outside a virtualenv).
  '  case ${py##*/} in python*) ;; *) py= ;; esac',
  "  if [ -n \"$py\" ] && \"$py\" -c 'import os,sys,sysconfig; sys.exit(0 if sys.prefix == sys.base_prefix and os.path.isfile(os.path.join(sysconfig.get_path(\"stdlib\"), \"EXTERNALLY-MANAGED\")) else 1)' >/dev/null 2>&1; then em=1; fi",
  'fi',
  'printf "em=%s\\npip=%s\\n---\\n" "$em" "$p"',
  '[ -n "$p" ] || exit 0',
  'case $p in /usr/bin/python3"\t"*) set -- /usr/bin/python3 -m pip.__main__ ;; *) set -- "$p" ;; esac',
  'LC_ALL=C LANG=C LC_MESSAGES=C "$@" list --format=freeze',
].join('\n');

export function pipSnippet(where: PipWhere): string {
  const [mode, v] = 'venv' in where ? ['venv', where.venv] : 'executable' in where ? ['exe', where.executable] : ['default', ''];
  return quoteArgv(['sh', '-c', SCRIPT, 'sh', mode, v]);
}

/** Parse the section's output. Pure. */
export function parsePip(r: { rc: number; stdout: string; stderr: string }): PipState {
  const [head, ...rest] = r.stdout.split('\n---\n');
  const lines = head.split('\n');
  const venvExists = lines.includes('venv=1');
  const p = lines.find((l) => l.startsWith('pip='))?.slice(4) ?? '';
  const pip = p === '' ? undefined : p.startsWith('/usr/bin/python3\t') ? ['/usr/bin/python3', '-m', 'pip.__main__'] : [p];
  const installed: Record<string, string | null> = {};
  for (const line of rest.join('\n---\n').split('\n')) {
    const i = line.indexOf('==');
    if (i > 0) installed[line.slice(0, i).replace(/[-_.]+/g, '-').toLowerCase()] = line.slice(i + 2).trim();
  }
  return { venvExists, ...(pip ? { pip } : {}), installed, ...(lines.includes('em=1') ? { externallyManaged: true } : {}), ...(pip && r.rc !== 0 ? { listError: { rc: r.rc, stderr: r.stderr } } : {}) };
}

/** The state once the recorded predictions apply. Pure. */
export function predictPip(overlay: Overlay, where: PipWhere, base: PipState): PipState {
  let state = base;
  if ('venv' in where) {
    const v = overlay.fileVerdict(`${where.venv.replace(/\/+$/, '')}/bin/activate`);
    if (v?.kind === 'exact' && v.p.state === 'file' && !base.venvExists) {
      // A virtualenv a planned task creates: its pip, nothing else installed that a task asks for.
      state = { venvExists: true, pip: base.pip ?? [`${where.venv.replace(/\/+$/, '')}/bin/pip3`], installed: {}, predicted: true };
    } else if (v !== undefined && (v.kind === 'absent' || (v.kind === 'exact' && v.p.state === 'absent'))) {
      state = { venvExists: false, installed: {}, predicted: true };
    }
  }
  // Debian's python3-pip that an earlier task installs: the default pip (or pip3) then exists, nothing installed with it yet.
  if (!state.pip && overlay.packagePrediction('python3-pip') === true
    && ('default' in where || ('executable' in where && ['pip3', '/usr/bin/pip3'].includes(where.executable)))) {
    state = { ...state, pip: 'default' in where ? ['/usr/bin/python3', '-m', 'pip.__main__'] : ['/usr/bin/pip3'], predicted: true };
  }
  const p = overlay.pipPrediction(pipEnvKey(where));
  if (!p || p.size === 0) return state;
  const installed = { ...state.installed };
  for (const [name, { installed: on, version }] of p) {
    if (on) installed[name] = version ?? null;
    else delete installed[name];
  }
  return { ...state, installed, predicted: true };
}

export const pipPackages = perArg<PipWhere, PipState>({
  name: 'pip_packages',
  snippet: (where) => pipSnippet(where),
  parse: (_where, r) => parsePip(r),
  predict: (where, base, p) => predictPip(p.overlay, where, base),
});
