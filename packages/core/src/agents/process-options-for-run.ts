import type { AgentProcessOptions } from '../processes/run-agent-process.js';
import type { AgentRunOptions } from '../specifications/agent-backend.js';

/**
 * What an agent process takes straight from the run: the worktree, the prompt on standard
 * input (never in argv, where other users could read it), cancellation and the time limits.
 */
export function processOptionsForRun(
  options: AgentRunOptions,
): Pick<AgentProcessOptions, 'cwd' | 'input' | 'abortSignal' | 'idleTimeoutMs' | 'runTimeoutMs'> {
  return {
    cwd: options.cwd,
    input: options.prompt,
    abortSignal: options.abortSignal,
    idleTimeoutMs: options.limits?.idleTimeoutMs,
    runTimeoutMs: options.limits?.runTimeoutMs,
  };
}
