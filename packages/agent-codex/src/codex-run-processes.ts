import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { isProcessAlive } from '@loompa/core';

/**
 * Core kills every process of a run when it ends (SIGKILL to its group and to processes
 * carrying its marker) but does not wait for them to finish dying. A command Codex was
 * starting when the run was stopped can still be tearing down, its working directory still in
 * the worktree, when the result is returned; on a busy machine that takes long enough for the
 * next step (the orchestrator committing, a test listing processes) to see it. So the backend
 * waits until the run's processes are gone.
 */

const pollIntervalMs = 25;
const defaultTimeoutMs = 5_000;

/**
 * Processes working inside `worktree` that belong to this run: their environment names this
 * run's CODEX_HOME, or can no longer be read (a process that is exiting has released it).
 * `marked` says which of them were positively identified.
 */
function findRunProcesses(worktree: string, codexHomeEntry: string): Array<{ pid: number; marked: boolean }> {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const found: Array<{ pid: number; marked: boolean }> = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd !== worktree && !cwd.startsWith(`${worktree}/`)) continue;
    } catch {
      continue; // Gone, a zombie, or not ours to inspect.
    }
    let environment = '';
    try {
      environment = readFileSync(`/proc/${entry}/environ`, 'latin1');
    } catch {
      // Unreadable while exiting.
    }
    if (environment === '' || environment.split('\0').includes(codexHomeEntry)) {
      found.push({ pid: Number(entry), marked: environment !== '' });
    }
  }
  return found;
}

/**
 * Waits (at most `timeoutMs`) until no process of the run works in the worktree any more,
 * killing any still marked as the run's. Linux only (/proc); elsewhere it returns at once.
 */
export async function waitForCodexRunProcessesToExit(
  worktree: string,
  codexHome: string,
  timeoutMs = defaultTimeoutMs,
): Promise<void> {
  const codexHomeEntry = `CODEX_HOME=${codexHome}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const remaining = findRunProcesses(worktree, codexHomeEntry).filter(({ pid }) => isProcessAlive(pid));
    if (remaining.length === 0 || Date.now() > deadline) return;
    for (const { pid, marked } of remaining) {
      if (!marked) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }
}
