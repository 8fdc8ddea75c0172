// A vars file encrypted whole with ansible-vault (group_vars, host_vars,
// vars_files, include_vars): decrypted, read as a mapping, and every value
// registered as a secret. Errors name the file and line, never show its text.

import { LoadError } from '../errors.js';
import { parseYaml } from '../load/yaml.js';
import { openVaultText, withoutSnippet } from './read.js';
import { registerSecretValues } from './redact.js';

export function loadVaultedVarsFile(source: string, file: string): Record<string, unknown> {
  const { text } = openVaultText(source, file);
  let value: unknown;
  try {
    value = parseYaml(text, file).value;
  } catch (e) {
    throw withoutSnippet(e);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new LoadError(`a vars file must be a mapping of variable names to values, found ${Array.isArray(value) ? 'a list' : typeof value}`, { file, line: 1, col: 1 });
  }
  registerSecretValues(value);
  return value as Record<string, unknown>;
}
