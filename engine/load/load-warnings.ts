// Warnings found while reading playbooks, roles and variable files (a
// duplicate YAML key, a deprecated form). Ansible prints them as it parses;
// tsplay hands them to whoever is loading: loadPlaybook collects them into the
// playbook (the runner emits them as warning events when the run starts), and
// the runner takes those of files read during the run (include_vars,
// vars_files, a templated include). Without a collector they go to stderr.
// Like Ansible's Display, a collector shows a given text once.

import { AsyncLocalStorage } from 'node:async_hooks';

export interface LoadWarning {
  msg: string;
  /** Ansible prints it as "[DEPRECATION WARNING]" rather than "[WARNING]". */
  deprecation?: boolean;
}

type Sink = (w: LoadWarning) => void;

const current = new AsyncLocalStorage<Sink>();

/** Report a warning to the current collector (stderr when there is none). */
export function loadWarning(w: LoadWarning): void {
  const sink = current.getStore();
  if (sink) sink(w);
  else console.error(formatLoadWarning(w));
}

/** As ansible-playbook prints it. */
export function formatLoadWarning(w: LoadWarning): string {
  return `[${w.deprecation ? 'DEPRECATION WARNING' : 'WARNING'}]: ${w.msg}`;
}

/** Run `fn` with `sink` receiving its warnings, each text once. */
export function withLoadWarnings<T>(sink: Sink, fn: () => T): T {
  const seen = new Set<string>();
  return current.run((w) => {
    const key = `${w.deprecation ? 'D' : 'W'}${w.msg}`;
    if (seen.has(key)) return;
    seen.add(key);
    sink(w);
  }, fn);
}
