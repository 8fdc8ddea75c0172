// The connection a task runs over on a host: the host's inventory settings
// with the task's connection keywords (remote_user, port, connection,
// become_method, become_flags, become_exe) applied as Ansible 2.14 applies
// them. A variable beats a keyword (ansible_user over remote_user,
// ansible_port over port, ansible_connection over connection,
// ansible_become_method over become_method, ...), and the keyword set nearest
// the task beats the ones around it (task > block > role > play): Ansible's
// "Controlling how Ansible behaves: precedence rules". Pure.

import { userInfo } from 'node:os';
import type { ConnectionSettings } from '../connection/connection.js';
import {
  BECOME_FLAGS_REFUSED, BECOME_METHOD_REFUSED, CONNECTION_REFUSED, becomeFlagWords, becomeMethodOf, connectionPluginOf, portOf,
  type ConnectionKeywords,
} from '../load/connection-keywords.js';
import { ModuleError } from '../module-api.js';
import { renderString } from '../template/template.js';
import { toText } from '../template/expression.js';
import type { Vars } from '../template/vars.js';
import { BECOME_PASSWORD_VARS } from '../inventory/host-vars.js';
import { registerSecret } from '../vault/redact.js';

function controllerUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}

/** A variable's value when set (not undefined, null or ''), rendered as text. */
function varText(vars: Vars, names: string[]): string | undefined {
  for (const n of names) {
    const v = vars[n];
    if (v !== undefined && v !== null && v !== '') return toText(v);
  }
  return undefined;
}

/** A keyword's value for this host: a template rendered with the host's variables. */
function keywordText(v: string | number | undefined, vars: Vars): string | undefined {
  if (v === undefined) return undefined;
  const r = typeof v === 'string' ? renderString(v, vars) : v;
  if (r === undefined || r === null || r === '') return undefined;
  return toText(r);
}

/**
 * The settings for one task on one host. `base` is the host's settings from
 * its inventory variables and the extra vars (they hold the defaults: the
 * controller's user, port 22, ssh, sudo); `vars` the variables the task sees
 * on that host (for a delegated task, the delegate's); `kw` the task's
 * connection keywords (none: the variables alone, e.g. a play's `vars:
 * ansible_user`, still apply as in Ansible). `implicitLocal`: the implicit localhost, whose
 * ansible_connection=local is a variable in Ansible and so beats `connection:`.
 * Throws ModuleError for a templated keyword that renders to something tsplay
 * cannot honour.
 */
export function effectiveSettings(base: ConnectionSettings, keywords: ConnectionKeywords | undefined, vars: Vars, implicitLocal = false): ConnectionSettings {
  const kw = keywords ?? {};
  const out: ConnectionSettings = { ...base };
  const user = varText(vars, ['ansible_user', 'ansible_ssh_user']) ?? keywordText(kw.remoteUser, vars);
  if (user !== undefined) out.user = user;

  const portText = varText(vars, ['ansible_port', 'ansible_ssh_port']) ?? keywordText(kw.port, vars);
  if (portText !== undefined) {
    const port = portOf(portText);
    if (port === undefined) throw new ModuleError(`port: ${JSON.stringify(portText)} is not a port number (1 to 65535)`);
    out.port = port;
  }

  const connText = implicitLocal ? 'local' : varText(vars, ['ansible_connection']) ?? keywordText(kw.connection, vars);
  if (connText !== undefined) {
    const c = connectionPluginOf(connText);
    if (c === undefined) throw new ModuleError(`connection "${connText}" is not supported: ${CONNECTION_REFUSED}`);
    out.connection = c;
  }

  const methodText = varText(vars, ['ansible_become_method']) ?? keywordText(kw.becomeMethod, vars);
  if (methodText !== undefined) {
    const m = becomeMethodOf(methodText);
    if (m === undefined) throw new ModuleError(`become_method "${methodText}" is not supported by tsplay: ${BECOME_METHOD_REFUSED}`);
    out.becomeMethod = m;
  }

  const flagsText = varText(vars, ['ansible_become_flags']) ?? keywordText(kw.becomeFlags, vars);
  if (flagsText !== undefined) {
    const words = becomeFlagWords(flagsText);
    if (words === undefined) throw new ModuleError(`become_flags "${flagsText}": ${BECOME_FLAGS_REFUSED}`);
    out.becomeFlags = words;
  }

  const exe = varText(vars, ['ansible_become_exe']) ?? keywordText(kw.becomeExe, vars);
  if (exe !== undefined) out.becomeExe = exe;
  // A play's or task's vars (or a delegate's) may set the become password too.
  const becomePassword = varText(vars, BECOME_PASSWORD_VARS);
  if (becomePassword !== undefined) {
    out.becomePassword = becomePassword;
    registerSecret(becomePassword);
  }
  // A local connection runs as the controller's user whatever remote_user says (Ansible's local plugin ignores it).
  if (out.connection === 'local' && base.connection !== 'local') out.user = controllerUser();
  return out;
}

/**
 * What makes a connection different: one is kept per host and key
 * (connection, user, address, port) for the whole run (engine/run/runner.ts).
 */
export function connectionKey(s: ConnectionSettings): string {
  return s.connection === 'local' ? 'local' : `ssh:${s.user}@${s.address}:${s.port}`;
}
