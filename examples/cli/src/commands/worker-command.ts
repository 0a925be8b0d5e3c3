import os from 'node:os';
import path from 'node:path';
import { createJsonLogger, describeError, type LogLevel } from '@loompa/core';
import { createRunnerWorker } from '@loompa/runner-bullmq';
import { type ExitCode, exitCodes } from '../exit-codes.js';
import { loompaPlugins } from '../loompa-plugins.js';
import { handleShutdownSignals, type StopRequest } from '../shutdown-signals.js';

export interface WorkerCommandOptions {
  redis?: string;
  concurrency?: number;
  labels?: string[];
  directory?: string;
  queue?: string;
  prefix?: string;
  lockDuration?: number;
  stalledInterval?: number;
  name?: string;
  logLevel?: LogLevel;
}

/**
 * `loompa worker`: takes agent runs from the Redis queue the orchestrators of
 * `loompa run --redis` fill, on this machine, until stopped. Ctrl-C lets the runs in progress
 * finish; a second Ctrl-C (or SIGTERM) cancels them. Logs are JSON lines on stderr.
 */
export async function workerCommand(options: WorkerCommandOptions): Promise<ExitCode> {
  const redis = options.redis ?? process.env.LOOMPA_REDIS_URL;
  const logger = createJsonLogger({ level: options.logLevel ?? 'info' });
  if (!redis) {
    process.stderr.write(
      'loompa worker needs --redis <url> (or LOOMPA_REDIS_URL), e.g. redis://127.0.0.1:6379\n',
    );
    return exitCodes.usage;
  }
  let worker: Awaited<ReturnType<typeof createRunnerWorker>>;
  try {
    worker = await createRunnerWorker({
      redis,
      directory: path.resolve(options.directory ?? path.join(os.homedir(), '.loompa', 'worker')),
      agents: loompaPlugins.agents,
      concurrency: options.concurrency ?? 1,
      labels: options.labels ?? [],
      logger,
      ...(options.queue ? { queueName: options.queue } : {}),
      ...(options.prefix ? { prefix: options.prefix } : {}),
      ...(options.lockDuration ? { lockDurationMs: options.lockDuration } : {}),
      ...(options.stalledInterval ? { stalledIntervalMs: options.stalledInterval } : {}),
      ...(options.name ? { name: options.name } : {}),
    });
    await worker.ready();
  } catch (error) {
    process.stderr.write(`loompa worker could not start: ${describeError(error)}\n`);
    return exitCodes.failure;
  }
  logger.info('worker ready', { worker: worker.name, queues: worker.queueNames });
  let stopping: Promise<void> | null = null;
  const stopped = new Promise<void>((resolve) => {
    const signals = handleShutdownSignals((request: StopRequest) => {
      logger.info(request === 'drain' ? 'finishing the runs in progress' : 'cancelling the runs in progress');
      stopping = worker.close({ drain: request === 'drain' }).finally(() => {
        signals.dispose();
        resolve();
      });
    });
  });
  await stopped;
  await stopping;
  return exitCodes.success;
}
