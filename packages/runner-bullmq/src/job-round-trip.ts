import { describeError, type Logger } from '@loompa/core';
import type { Redis } from 'ioredis';
import { type RunJobData, type RunJobResult, type RunProgress, runKeys } from './run-job.js';
import type { JobEnd, RunQueues } from './run-queues.js';

/** What every job's round trip shares: the queues, a command connection and the settings. */
export interface JobRoundTripSettings {
  queues: RunQueues;
  redis(): Redis;
  prefix: string;
  logger: Logger;
  /** How long a stopped job may take to end on its worker before the orchestrator stops waiting. */
  stopGraceMs: number;
  /** How often the job is looked up directly, in case an event was missed. */
  pollIntervalMs: number;
}

/** One job to send and wait for. */
export interface JobRequest {
  queueName: string;
  jobId: string;
  data: RunJobData;
  priority: number;
  abortSignal: AbortSignal;
  /** True when the abort hands the job over (this orchestrator stopped leading): it is left running for the next leader. */
  handedOver?(): boolean;
  /** Called for each progress report, in order; the end waits until all were handled. */
  onProgress(progress: RunProgress): Promise<void>;
  /** True while a finished job's work still waits in its result ref (the job is then adopted, not run again). */
  resultUntaken(result: RunJobResult): Promise<boolean>;
  /** True when the job id names this very run (core's run id): a job already under it, in any state, is adopted. */
  sameRun?: boolean;
}

/**
 * Sends a job (or adopts the one already queued, running, or finished with work nobody took)
 * and waits for its end, handling its progress on the way. A stop removes a job no worker took
 * yet, or tells the worker running it to cancel; a stop no worker confirms ends after the grace.
 */
export async function sendJobAndWait(settings: JobRoundTripSettings, request: JobRequest): Promise<JobEnd> {
  const { queues, logger, prefix } = settings;
  const { queueName, jobId, abortSignal } = request;
  const identifier = request.data.issue.identifier;
  // Progress is handled in the order it was sent; the end waits for all of it.
  let handled: Promise<unknown> = Promise.resolve();
  const onProgress = (progress: RunProgress) => {
    handled = handled
      .then(() => request.onProgress(progress))
      .catch((error: unknown) =>
        logger.warn('handling run progress failed', { message: describeError(error) }),
      );
  };
  let settle: (end: JobEnd) => void = () => {};
  const ended = new Promise<JobEnd>((resolve) => {
    settle = resolve;
  });
  const settleWhenEnded = () =>
    queues.endOf(queueName, jobId).then(
      (end) => end && settle(end),
      () => {},
    );
  const stopListening = queues.listen(jobId, {
    progress: onProgress,
    completed: (result) => settle({ ok: true, result }),
    failed: (reason) => settle({ ok: false, reason }),
  });
  const cancel = () => {
    if (request.handedOver?.()) {
      settle({ ok: false, reason: 'left running for the orchestrator that leads now' });
      return;
    }
    void (async () => {
      if (await queues.removeIfWaiting(queueName, jobId)) {
        settle({ ok: false, reason: 'stopped before a worker took the run' });
        return;
      }
      await settings.redis().set(runKeys.cancelFlag(prefix, jobId), '1', 'EX', 3600);
      await settings.redis().publish(runKeys.cancelChannel(prefix), jobId);
      // A stop must end: without a worker confirming it (all of them gone), give up waiting.
      setTimeout(
        () => settle({ ok: false, reason: 'stopped; no worker confirmed the stop' }),
        settings.stopGraceMs,
      ).unref();
    })().catch((error: unknown) => logger.warn('cancelling a run failed', { message: describeError(error) }));
  };
  let poll: NodeJS.Timeout | undefined;
  try {
    if (abortSignal.aborted) return { ok: false, reason: 'stopped before it was enqueued' };
    await settings.redis().del(runKeys.cancelFlag(prefix, jobId));
    const how = await queues.enqueue(queueName, jobId, request.data, request.priority, {
      sameRun: request.sameRun ?? false,
      resultUntaken: request.resultUntaken,
    });
    logger.info(how === 'adopted' ? 'waiting for the run already queued' : 'run enqueued', {
      issue: identifier,
      jobId,
      queue: queueName,
    });
    abortSignal.addEventListener('abort', cancel, { once: true });
    // An adopted job may have ended already.
    if (how === 'adopted') void settleWhenEnded();
    // Events can be missed (a reconnect): the job is also looked up now and then.
    poll = setInterval(settleWhenEnded, settings.pollIntervalMs);
    const end = await ended;
    logger.debug('run job ended', { issue: identifier, jobId, ok: end.ok });
    await handled;
    return end;
  } finally {
    clearInterval(poll);
    stopListening();
    abortSignal.removeEventListener('abort', cancel);
  }
}
