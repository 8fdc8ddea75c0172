// Ansible 2.14's playbook keywords (its Play, Block, Task and Handler
// attributes, as `ansible-doc -t keyword -l` lists them). A keyword Ansible
// has and tsplay does not implement is refused at load with its place and
// "not supported by tsplay", never taken for a module name nor ignored
// (docs/playbooks.md lists them).

const PLAY = [
  'any_errors_fatal', 'become', 'become_exe', 'become_flags', 'become_method', 'become_user', 'check_mode', 'collections',
  'connection', 'debugger', 'diff', 'environment', 'fact_path', 'force_handlers', 'gather_facts', 'gather_subset',
  'gather_timeout', 'handlers', 'hosts', 'ignore_errors', 'ignore_unreachable', 'max_fail_percentage', 'module_defaults',
  'name', 'no_log', 'order', 'port', 'post_tasks', 'pre_tasks', 'remote_user', 'roles', 'run_once', 'serial', 'strategy',
  'tags', 'tasks', 'throttle', 'timeout', 'vars', 'vars_files', 'vars_prompt',
] as const;

const BLOCK = [
  'always', 'any_errors_fatal', 'become', 'become_exe', 'become_flags', 'become_method', 'become_user', 'block', 'check_mode',
  'collections', 'connection', 'debugger', 'delegate_facts', 'delegate_to', 'diff', 'environment', 'ignore_errors',
  'ignore_unreachable', 'module_defaults', 'name', 'no_log', 'notify', 'port', 'remote_user', 'rescue', 'run_once', 'tags',
  'throttle', 'timeout', 'vars', 'when',
] as const;

const TASK = [
  'action', 'any_errors_fatal', 'args', 'async', 'become', 'become_exe', 'become_flags', 'become_method', 'become_user',
  'changed_when', 'check_mode', 'collections', 'connection', 'debugger', 'delay', 'delegate_facts', 'delegate_to', 'diff',
  'environment', 'failed_when', 'ignore_errors', 'ignore_unreachable', 'listen', 'local_action', 'loop', 'loop_control',
  'module_defaults', 'name', 'no_log', 'notify', 'poll', 'port', 'register', 'remote_user', 'retries', 'run_once', 'tags',
  'throttle', 'timeout', 'until', 'vars', 'when',
] as const;

const KEYWORDS: Record<'play' | 'block' | 'task', ReadonlySet<string>> = {
  play: new Set(PLAY),
  block: new Set(BLOCK),
  task: new Set(TASK),
};

/** Why this key is refused, when it is an Ansible keyword of that kind that tsplay does not take; else undefined. */
export function unsupportedKeyword(kind: 'play' | 'block' | 'task', key: string, supported: Iterable<string>): string | undefined {
  const ansible = KEYWORDS[kind].has(key) || (kind === 'task' && key.startsWith('with_'));
  if (!ansible || new Set(supported).has(key)) return undefined;
  return `"${key}" is an Ansible ${kind} keyword that is not supported by tsplay (docs/playbooks.md lists what is)`;
}

/** The Ansible keywords of a kind (for the docs and tests). */
export function ansibleKeywords(kind: 'play' | 'block' | 'task'): readonly string[] {
  return [...KEYWORDS[kind]];
}
