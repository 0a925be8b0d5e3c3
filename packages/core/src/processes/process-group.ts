import { readdirSync } from 'node:fs';
import { readProcessStatus } from './process-state.js';
/**
 * Children started by Loompa (hooks, command agents) run in their own process group, so a
 * stop reaches everything they started (a shell's children, a test runner's workers), not
 * only the direct child. Without this, killing `sh -lc` leaves its grandchildren running.
 */

/** Sends `signal` to the whole group led by `pid`; ignores a group that is already gone. */
export function signalProcessGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** True while any process of the group led by `pid` exists. */
export function processGroupExists(pid: number): boolean {
  try {
    process.kill(-pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return hasLiveGroupMember(pid);
}

/**
 * Where PID 1 does not reap orphans (many containers), a killed group leaves zombies that
 * `kill(-pgid, 0)` still counts. On Linux, look for a member that is not a zombie; elsewhere
 * trust the signal check.
 */
function hasLiveGroupMember(groupId: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  return entries.some((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    const status = readProcessStatus(Number(entry));
    return status !== null && status.groupId === groupId && status.state !== 'Z';
  });
}

/** How long to wait, after SIGKILL, for the group to be gone: delivery is not death on a busy machine. */
const disappearanceTimeoutMs = 5_000;

/**
 * SIGTERM to the group, then SIGKILL after `graceMs` if anything is left. Resolves when the
 * group is gone (SIGKILL cannot be refused; waiting for it is bounded all the same).
 */
export async function terminateProcessGroup(pid: number, graceMs = 2_000): Promise<void> {
  signalProcessGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (processGroupExists(pid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const killDeadline = Date.now() + disappearanceTimeoutMs;
  while (processGroupExists(pid) && Date.now() < killDeadline) {
    signalProcessGroup(pid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
