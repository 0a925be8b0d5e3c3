import { readdir, readFile } from 'node:fs/promises';

/**
 * Agent processes carry a marker in their environment naming the orchestrator state that
 * started them. If the orchestrator is killed outright (SIGKILL, power loss), its agents live
 * on as orphans; the next start finds them by the marker and stops them before it dispatches,
 * so two agents never work in the same worktree. Linux only (/proc); elsewhere nothing is found.
 */
export const agentOwnerVariable = 'LOOMPA_AGENT_OWNER';

/** Pids of live processes whose environment has `LOOMPA_AGENT_OWNER=<owner>`. */
export async function findMarkedProcesses(owner: string): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const needle = `${agentOwnerVariable}=${owner}`;
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const environment = await readFile(`/proc/${entry}/environ`, 'latin1');
      if (environment.split('\0').includes(needle)) found.push(pid);
    } catch {
      // The process ended while we looked, or belongs to someone else: not ours.
    }
  }
  return found;
}

/** Stops every process marked with `owner`: SIGTERM, then SIGKILL for what is left. */
export async function terminateMarkedProcesses(owner: string, graceMs = 2_000): Promise<number[]> {
  const pids = await findMarkedProcesses(owner);
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  let remaining = pids;
  while (remaining.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const alive = new Set(await findMarkedProcesses(owner));
    remaining = remaining.filter((pid) => alive.has(pid));
  }
  for (const pid of remaining) signal(pid, 'SIGKILL');
  return pids;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}
