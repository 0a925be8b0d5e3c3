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
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * SIGTERM to the group, then SIGKILL after `graceMs` if anything is left. Resolves when the
 * group is gone (or after the SIGKILL, which cannot be refused).
 */
export async function terminateProcessGroup(pid: number, graceMs = 2_000): Promise<void> {
  signalProcessGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (processGroupExists(pid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  if (processGroupExists(pid)) signalProcessGroup(pid, 'SIGKILL');
}
