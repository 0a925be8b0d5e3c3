import { findProcessesWithEnvironmentEntry, signalProcess } from './environment-marked-processes.js';

/**
 * Agent processes carry a marker in their environment naming the orchestrator state that
 * started them. If the orchestrator is killed outright (SIGKILL, power loss), its agents live
 * on as orphans; the next start finds them by the marker and stops them before it dispatches,
 * so two agents never work in the same worktree. Linux only (/proc); elsewhere nothing is found.
 */
export const agentOwnerVariable = 'LOOMPA_AGENT_OWNER';

/** Pids of live processes whose environment has `LOOMPA_AGENT_OWNER=<owner>`. */
export async function findMarkedProcesses(owner: string): Promise<number[]> {
  return findProcessesWithEnvironmentEntry(agentOwnerVariable, owner);
}

/** Stops every process marked with `owner`: SIGTERM, then SIGKILL for what is left. */
export async function terminateMarkedProcesses(owner: string, graceMs = 2_000): Promise<number[]> {
  const pids = await findMarkedProcesses(owner);
  for (const pid of pids) signalProcess(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  let remaining = pids;
  while (remaining.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const alive = new Set(await findMarkedProcesses(owner));
    remaining = remaining.filter((pid) => alive.has(pid));
  }
  for (const pid of remaining) signalProcess(pid, 'SIGKILL');
  return pids;
}
