/**
 * @loompa/runner-bullmq: agent runs spread over worker machines through BullMQ on Redis.
 * The orchestrator gets `createBullmqRunner` as its runner; `loompa worker` processes run
 * `createRunnerWorker` on any machine that reaches the same Redis and repository.
 */
export { type BullmqRunner, type BullmqRunnerOptions, createBullmqRunner } from './bullmq-runner.js';
export {
  type AttemptJobData,
  defaultQueueName,
  jobPriorityFor,
  queueNameFor,
  queueNamesServedBy,
  type ReactionJobData,
  type RunJobData,
  type RunJobResult,
  type RunJobTimings,
  type RunProgress,
  reactionJobId,
  runJobId,
} from './run-job.js';
export { createRunnerWorker, type RunnerWorker, type RunnerWorkerOptions } from './worker/runner-worker.js';
