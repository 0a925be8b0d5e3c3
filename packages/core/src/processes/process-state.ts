import { readFileSync } from 'node:fs';

/**
 * The state letter and process group of a process, read from `/proc/<pid>/stat`; null where
 * there is no such file (the process is gone, or this is not Linux).
 */
export function readProcessStatus(pid: number): { state: string; groupId: number } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The fields after the command name, which is in parentheses and may itself hold spaces:
  // state, parent pid, process group id, …
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', groupId: Number(fields[2]) };
}

/**
 * True while a process with this id runs (it may belong to another user). A zombie counts as
 * dead: in containers whose init does not reap orphans, a killed process lingers as one.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const status = readProcessStatus(pid);
  return status === null || (status.state !== 'Z' && status.state !== 'X');
}
