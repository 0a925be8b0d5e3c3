import { describeError, type Logger } from '@loompa/core';
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { redisConnection } from './redis-connection.js';
import type { RunJobData, RunJobResult, RunProgress } from './run-job.js';

/** What the runner hears about one job it waits for. */
export interface JobListener {
  progress(progress: RunProgress): void;
  completed(result: RunJobResult): void;
  failed(reason: string): void;
}

/** A job's end as the runner sees it. */
export type JobEnd = { ok: true; result: RunJobResult } | { ok: false; reason: string };

const pendingStates = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/**
 * The queues an orchestrator sends runs to (one per label set), each with the event stream
 * that brings back progress and results, dispatched to whoever waits for the job. Redis
 * streams keep the events in order, so a job's progress always arrives before its end.
 */
export class RunQueues {
  private readonly queues = new Map<string, { queue: Queue; events: QueueEvents; ready: Promise<unknown> }>();
  private readonly listeners = new Map<string, JobListener>();
  private readonly connectionError = (message: string) =>
    this.logger.warn('Redis connection error', { message });

  constructor(
    private readonly redis: string | Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  private entry(queueName: string) {
    let entry = this.queues.get(queueName);
    if (!entry) {
      const queue = new Queue<RunJobData, RunJobResult>(queueName, {
        connection: redisConnection(this.redis, this.connectionError),
        prefix: this.prefix,
      });
      const events = new QueueEvents(queueName, {
        connection: redisConnection(this.redis, this.connectionError),
        prefix: this.prefix,
      });
      events.on('progress', ({ jobId, data }) => this.listeners.get(jobId)?.progress(data as RunProgress));
      events.on('completed', ({ jobId, returnvalue }) => {
        // No result in the event (a worker of another format): the direct lookup settles it.
        if (returnvalue) this.listeners.get(jobId)?.completed(parseReturnValue(returnvalue));
      });
      events.on('failed', ({ jobId, failedReason }) => this.listeners.get(jobId)?.failed(failedReason));
      events.on('error', (error) =>
        this.logger.warn('queue events error', { message: describeError(error) }),
      );
      queue.on('error', (error) => this.logger.warn('queue error', { message: describeError(error) }));
      entry = { queue, events, ready: Promise.all([queue.waitUntilReady(), events.waitUntilReady()]) };
      this.queues.set(queueName, entry);
    }
    return entry;
  }

  async queue(queueName: string): Promise<Queue<RunJobData, RunJobResult>> {
    const entry = this.entry(queueName);
    await entry.ready;
    return entry.queue;
  }

  listen(jobId: string, listener: JobListener): () => void {
    this.listeners.set(jobId, listener);
    return () => {
      if (this.listeners.get(jobId) === listener) this.listeners.delete(jobId);
    };
  }

  /**
   * Enqueues the run unless it is already queued or running, or finished with work nobody took
   * (then the caller waits for, or takes, that one: a run is never enqueued twice). When the id
   * names this very run (`sameRun`), a job under it in any state is this run's and is adopted;
   * otherwise any other finished job of the same id is an earlier run's record and makes way.
   */
  async enqueue(
    queueName: string,
    jobId: string,
    data: RunJobData,
    priority: number,
    adoption: { sameRun: boolean; resultUntaken(result: RunJobResult): Promise<boolean> },
  ): Promise<'enqueued' | 'adopted'> {
    const { sameRun, resultUntaken } = adoption;
    const queue = await this.queue(queueName);
    const state = await queue.getJobState(jobId);
    if (pendingStates.has(state)) return 'adopted';
    // Finished or failed, it is still this run: its end is taken, never a second run.
    if (sameRun && state !== 'unknown') return 'adopted';
    if (state !== 'unknown') {
      const existing = await Job.fromId<RunJobData, RunJobResult>(queue, jobId);
      // A run that finished while no orchestrator took its work (its leader died): the work
      // is taken now instead of running the agent again.
      if (state === 'completed' && existing?.returnvalue) {
        if (await resultUntaken(parseReturnValue(existing.returnvalue))) return 'adopted';
      }
      await existing?.remove().catch(() => {});
    }
    await queue.add(data.issue.identifier, data, {
      jobId,
      priority,
      attempts: 1,
      removeOnComplete: { age: 24 * 3600 },
      removeOnFail: { age: 24 * 3600 },
    });
    return 'enqueued';
  }

  /** The job's end when it has ended; null while it is pending. A vanished job counts as failed. */
  async endOf(queueName: string, jobId: string): Promise<JobEnd | null> {
    const queue = await this.queue(queueName);
    // The state first, then the job: read the other way round, a job that finishes in between
    // shows the finished state with the result it did not have yet.
    const state = await queue.getJobState(jobId);
    if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return null;
    const job = await Job.fromId<RunJobData, RunJobResult>(queue, jobId);
    if (!job) return { ok: false, reason: 'the run job disappeared from the queue' };
    if (state === 'completed' && job.returnvalue)
      return { ok: true, result: parseReturnValue(job.returnvalue) };
    if (state === 'failed') return { ok: false, reason: job.failedReason || 'the run job failed' };
    return null;
  }

  /** Removes the job if no worker has taken it yet; true when it was removed. */
  async removeIfWaiting(queueName: string, jobId: string): Promise<boolean> {
    const queue = await this.queue(queueName);
    const job = await Job.fromId(queue, jobId);
    if (!job) return false;
    const state = await job.getState();
    if (state === 'active' || !pendingStates.has(state)) return false;
    return job.remove().then(
      () => true,
      () => false,
    );
  }

  /** Counts of jobs per state, per queue, for snapshots and benchmarks. */
  async counts(): Promise<Record<string, Record<string, number>>> {
    const counts: Record<string, Record<string, number>> = {};
    for (const [name, entry] of this.queues) {
      counts[name] = await entry.queue.getJobCounts(
        'waiting',
        'prioritized',
        'active',
        'completed',
        'failed',
      );
    }
    return counts;
  }

  async close(): Promise<void> {
    for (const { queue, events } of this.queues.values()) {
      await events.close().catch(() => {});
      await queue.close().catch(() => {});
    }
    this.queues.clear();
  }
}

function parseReturnValue(value: unknown): RunJobResult {
  return (typeof value === 'string' ? JSON.parse(value) : value) as RunJobResult;
}
