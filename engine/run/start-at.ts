// --start-at-task, as ansible-playbook's: on each host, the tasks before the
// first one whose name matches are skipped (no output, not counted); from that
// task on, everything runs, in every later play too. A name matches as
// written (templates not rendered) or as "ROLE : name" (an unnamed task: its
// action), exactly or as a shell-style pattern (fnmatch). Handlers are not
// tasks here. Only tasks present at load can match: a dynamic include's tasks
// are not known before it runs (Ansible: "can only follow static includes").

import type { Item, Play, Playbook, Task } from '../load/playbook.js';
import { fnmatch } from '../template/fnmatch.js';

export function startAtMatches(task: Task, pattern: string): boolean {
  const full = task.role ? `${task.role.name} : ${task.name ?? task.action}` : task.name ?? task.action;
  if (full === pattern || fnmatch(full, pattern)) return true;
  return task.name !== undefined && (task.name === pattern || fnmatch(task.name, pattern));
}

function anyMatch(items: Item[], pattern: string): boolean {
  return items.some((i) => (i.kind === 'block' ? anyMatch([...i.block, ...i.rescue, ...i.always], pattern) : startAtMatches(i, pattern)));
}

/** Whether some task of this play, as loaded, matches (its facts are gathered only then, as Ansible skips them). */
export function playHasStartTask(play: Play, pattern: string): boolean {
  return anyMatch([...play.preTasks, ...play.tasks, ...play.postTasks], pattern);
}

/** Whether some task of these playbooks, as loaded, matches: checked before any host is touched. */
export function startAtFound(playbooks: Playbook[], pattern: string): boolean {
  return playbooks.some((pb) => pb.plays.some((p) => anyMatch([...p.preTasks, ...p.tasks, ...p.postTasks], pattern)));
}
