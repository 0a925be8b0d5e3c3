import type { RunnerV1 } from '../../specifications/runner.js';
import { runAttempt } from './run-attempt.js';

/**
 * The default runner: the attempt runs in this process, in the orchestrator's own worktree,
 * exactly as `runAttempt` does it. Nothing to connect to and nothing to close.
 */
export function createInProcessRunner(): RunnerV1 {
  return { specificationVersion: 'runner-v1', name: 'in-process', runAttempt };
}
