import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  type AgentBackendV1,
  agentOwnerFor,
  createSilentLogger,
  describeError,
  type Logger,
  type PluginEntry,
  terminateMarkedProcesses,
  type Workflow,
} from '@loompa/core';
import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { assertRedisReachable, redisConnection } from '../redis-connection.js';
import {
  defaultQueueName,
  queueNamesServedBy,
  type RunJobData,
  type RunJobResult,
  runKeys,
} from '../run-job.js';
import { processJob } from './process-job.js';
import { WorkerAgents } from './worker-agents.js';
import { WorkerRepositories } from './worker-repositories.js';
import { WorkerSessions } from './worker-sessions.js';

export interface RunnerWorkerOptions {
  /** `redis://host:port/db`, or an ioredis client to copy the settings of. */
  redis: string | Redis;
  /** The queue's base name; the orchestrators' runner must use the same. */
  queueName?: string;
  /** BullMQ key prefix; the same as the orchestrators'. */
  prefix?: string;
  /** What this machine offers (`gpu`, `docker`): it also takes the runs that ask for any subset of them. */
  labels?: readonly string[];
  /** Runs at once on this worker (per queue it serves). */
  concurrency?: number;
  /** The worker's own folder: repository cache, worktrees, agent homes. */
  directory: string;
  /** Agent backends by kind; `command` is built in. */
  agents?: Record<string, PluginEntry<AgentBackendV1>>;
  /** The environment agents inherit (by core's policy); `process.env` by default. */
  environment?: NodeJS.ProcessEnv;
  /** The worker's own git credentials for fetching and pushing, as environment (`GIT_CONFIG_*`). */
  gitEnvironment?: Record<string, string>;
  /** How long a job's lock lasts without renewal; a worker silent this long is taken for dead. */
  lockDurationMs?: number;
  /** How often workers look for stalled jobs (those whose lock lapsed) and put them back. */
  stalledIntervalMs?: number;
  /** How long to wait for the orchestrator's answer before another turn. */
  turnAnswerTimeoutMs?: number;
  logger?: Logger;
  /** Shown in logs and results; host and pid by default. */
  name?: string;
}

export interface RunnerWorker {
  readonly name: string;
  readonly queueNames: readonly string[];
  /** Waits until the worker listens for jobs. */
  ready(): Promise<void>;
  /** Stops taking jobs; running ones are cancelled unless `drain`, then waited for. */
  close(options?: { drain?: boolean }): Promise<void>;
}

/**
 * A `loompa worker` process's engine: takes run jobs from the queues its labels cover,
 * prepares a worktree from its repository cache at the base the job names, runs the attempt
 * exactly as the in-process runner does (core's `runAttempt`, with core's environment policy
 * over this machine's environment), streams progress back, pushes the worktree to the job's
 * result ref with its own credentials, and returns the result. A killed worker's jobs are
 * found by BullMQ's stalled-job check and run again elsewhere.
 */
export async function createRunnerWorker(options: RunnerWorkerOptions): Promise<RunnerWorker> {
  const name = options.name ?? `${os.hostname()}/${process.pid}`;
  const logger = options.logger ?? createSilentLogger();
  const prefix = options.prefix ?? 'bull';
  const directory = path.resolve(options.directory);
  const owner = agentOwnerFor(directory);
  await mkdir(directory, { recursive: true });
  // Agents a killed predecessor in this folder left running would still write to its worktrees.
  const leftovers = await terminateMarkedProcesses(owner);
  if (leftovers.length > 0)
    logger.warn('stopped agent processes an earlier worker left running', { pids: leftovers });

  const repositories = new WorkerRepositories({
    cacheDirectory: path.join(directory, 'cache'),
    workspaceRoot: path.join(directory, 'workspaces'),
    gitEnvironment: options.gitEnvironment ?? {},
  });
  const agents = new WorkerAgents(options.agents);
  await assertRedisReachable(options.redis);
  const connectionError = (message: string) => logger.warn('Redis connection error', { message });
  const commands = redisConnection(options.redis, connectionError);
  const subscriber = commands.duplicate();
  const running = new Map<string, AbortController>();
  subscriber.on('message', (_channel: string, jobId: string) =>
    running.get(jobId)?.abort('cancelled by the orchestrator'),
  );
  await subscriber.subscribe(runKeys.cancelChannel(prefix));

  const sessions = new WorkerSessions(path.join(directory, 'sessions'));
  const workflows = new Map<string, Workflow>();
  const process_ = (job: Job<RunJobData, RunJobResult>) =>
    processJob(job, {
      sessions,
      workflows,
      name,
      prefix,
      logger,
      owner,
      directory,
      repositories,
      agents,
      commands,
      running,
      environment: options.environment ?? process.env,
      turnAnswerTimeoutMs: options.turnAnswerTimeoutMs ?? 120_000,
    });
  const queueNames = queueNamesServedBy(options.queueName ?? defaultQueueName, options.labels ?? []);
  const workers = queueNames.map(
    (queueName) =>
      new Worker<RunJobData, RunJobResult>(queueName, process_, {
        connection: redisConnection(options.redis, connectionError),
        prefix,
        concurrency: options.concurrency ?? 1,
        lockDuration: options.lockDurationMs ?? 30_000,
        stalledInterval: options.stalledIntervalMs ?? 30_000,
        // A worker that died mid-run puts its job back once; a job that kills workers fails.
        maxStalledCount: 2,
        name,
      }),
  );
  for (const worker of workers) {
    worker.on('error', (error) => logger.warn('worker connection error', { message: describeError(error) }));
    // A job whose lock could not be renewed may already run on another worker: stop ours.
    worker.on('lockRenewalFailed', (jobIds) => {
      for (const jobId of jobIds) {
        logger.warn('lost the lock of a run; stopping it here', { jobId });
        running.get(jobId)?.abort('this worker lost the run’s lock');
      }
    });
  }
  return {
    name,
    queueNames,
    ready: async () => {
      await Promise.all(workers.map((worker) => worker.waitUntilReady()));
    },
    close: async ({ drain = false } = {}) => {
      if (!drain) for (const controller of running.values()) controller.abort('the worker is stopping');
      await Promise.all(workers.map((worker) => worker.close()));
      await subscriber.quit().catch(() => {});
      await commands.quit().catch(() => {});
    },
  };
}
