// Where vault passwords come from, as ansible-playbook 2.14 gathers them:
// ansible.cfg's vault_identity_list, then each --vault-id label@source, then
// each --vault-password-file (and ansible.cfg's vault_password_file) under
// the default identity, then --ask-vault-pass. A source is a file (its text,
// stripped), an executable (its standard output, stripped of line ends; a
// name ending in "-client" is asked with --vault-id LABEL, as Ansible's
// client scripts are), or "prompt" (asked on the terminal, echo off).

import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { UsageError } from '../errors.js';
import { isVaultText } from './format.js';
import { decryptVault, type VaultSecret } from './secrets.js';

export interface VaultSources {
  /** label@source (or a bare source: the default identity), in order. */
  ids: string[];
  passwordFiles: string[];
  ask: boolean;
  /** Ansible's DEFAULT_VAULT_IDENTITY: the label of unlabelled sources ("default"). */
  defaultId: string;
}

/** Asks for a password with echo off; undefined when there is no terminal. */
export type Prompt = (question: string) => Promise<string>;

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** One file or script source: the password bytes. Errors are UsageErrors naming the source. */
export function readPasswordSource(file: string, id: string, known: VaultSecret[] = []): Buffer {
  let pass: Buffer;
  if (isExecutable(file)) {
    const client = basename(file, extname(file)).endsWith('-client');
    const r = spawnSync(file, client ? ['--vault-id', id] : [], { stdio: ['inherit', 'pipe', 'pipe'], maxBuffer: 1 << 20 });
    if (r.error) throw new UsageError(`vault password script ${file} could not be run: ${r.error.message}`);
    if (r.status !== 0) {
      const stderr = r.stderr.toString().trim();
      throw new UsageError(`vault password script ${file} returned non-zero (${r.status ?? `signal ${r.signal ?? '?'}`})${stderr ? `: ${stderr}` : ''}`);
    }
    pass = stripLineEnds(r.stdout);
    if (!pass.length) throw new UsageError(`Invalid vault password was provided from script (${file}): it printed nothing`);
    return pass;
  }
  try {
    pass = Buffer.from(readFileSync(file, 'latin1').trim(), 'latin1');
  } catch (e) {
    throw new UsageError(`Could not read vault password file ${file}: ${(e as Error).message}`);
  }
  // As Ansible: a password file may itself be vaulted with a secret given before it.
  if (isVaultText(pass)) pass = stripLineEnds(decryptVault(pass.toString('latin1'), { file, line: 1, col: 1 }, known));
  if (!pass.length) throw new UsageError(`Invalid vault password was provided from file (${file}): it is empty`);
  return pass;
}

function stripLineEnds(b: Buffer): Buffer {
  let start = 0;
  let end = b.length;
  while (start < end && (b[start] === 10 || b[start] === 13)) start++;
  while (end > start && (b[end - 1] === 10 || b[end - 1] === 13)) end--;
  return b.subarray(start, end);
}

/** The secrets, in Ansible's order (engine/vault/secrets.ts tries a 1.2 label's first). */
export async function gatherVaultSecrets(src: VaultSources, prompt?: Prompt): Promise<VaultSecret[]> {
  const slugs: Array<{ id: string; source: string; ask?: boolean }> = [];
  for (const v of src.ids) {
    const at = v.indexOf('@');
    const id = at >= 0 ? v.slice(0, at) : src.defaultId;
    const source = at >= 0 ? v.slice(at + 1) : v;
    if (!id || !source) throw new UsageError(`--vault-id ${JSON.stringify(v)}: expected LABEL@SOURCE (a file, a script, or "prompt")`);
    slugs.push({ id, source });
  }
  for (const f of src.passwordFiles) slugs.push({ id: src.defaultId, source: f });
  if (src.ask) slugs.push({ id: src.defaultId, source: 'prompt', ask: true });
  const out: VaultSecret[] = [];
  for (const s of slugs) {
    if (s.source === 'prompt') {
      if (!prompt) {
        throw new UsageError(`${s.ask ? '--ask-vault-pass' : `--vault-id ${s.id}@prompt`} asks for the vault password on a terminal, and standard input is not one (give --vault-password-file or --vault-id LABEL@FILE)`);
      }
      const answer = await prompt(s.ask ? 'Vault password: ' : `Vault password (${s.id}): `);
      const pass = Buffer.from(answer.trim(), 'utf8');
      if (!pass.length) throw new UsageError('Invalid vault password was provided from prompt: it is empty');
      out.push({ id: s.id, password: pass, source: 'prompt' });
    } else {
      out.push({ id: s.id, password: readPasswordSource(s.source, s.id, out), source: s.source });
    }
  }
  return out;
}

/** Read a line from the terminal with echo off (the standard input must be a TTY). */
export function terminalPrompt(): Prompt | undefined {
  const input = process.stdin;
  if (!input.isTTY) return undefined;
  return (question) =>
    new Promise<string>((resolvePromise, reject) => {
      let answer = '';
      // Echo off before the question shows: an answer typed as soon as it appears must not be echoed.
      input.setRawMode(true);
      process.stderr.write(question);
      input.resume();
      input.setEncoding('utf8');
      const done = (err?: Error) => {
        input.setRawMode(false);
        input.pause();
        input.off('data', onData);
        process.stderr.write('\n');
        if (err) reject(err);
        else resolvePromise(answer);
      };
      const onData = (chunk: string) => {
        for (const ch of chunk) {
          if (ch === '\r' || ch === '\n') return done();
          if (ch === '\u0003') return done(new UsageError('password prompt interrupted'));
          if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1);
          else answer += ch;
        }
      };
      input.on('data', onData);
    });
}
