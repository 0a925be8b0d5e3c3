import { readdirSync, readFileSync } from 'node:fs';

/**
 * Processes Loompa starts carry marker variables in their environment. Agents start tools in
 * new process groups and sessions (Claude Code's shell does), out of reach of a group kill,
 * and an orchestrator killed outright leaves its agents behind; the environment is inherited
 * all the same, so on Linux both are found by their marker in `/proc`. Elsewhere nothing is.
 */
export function findProcessesWithEnvironmentEntry(name: string, value: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const needle = `${name}=${value}`;
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(needle)) found.push(pid);
    } catch {
      // The process ended while we looked, or belongs to someone else: not ours.
    }
  }
  return found;
}

/** Sends `signal` to one process; ignores a process that is already gone. */
export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}
