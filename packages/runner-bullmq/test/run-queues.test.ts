import { createSilentLogger } from '@loompa/core';
import { startRedisServer, type TestRedisServer } from '@loompa/testkit';
import { Job, Worker } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunJobData, RunJobResult } from '../src/run-job.js';
import { RunQueues } from '../src/run-queues.js';

/**
 * The queue side of a run against a real Redis with a real BullMQ worker: a job named by core's
 * run id (the same for every leader that dispatches the run) is adopted in whatever state it
 * is, so a run that already finished is never run again when another orchestrator (a next
 * leader, or a woken one that lost the lead) sends it once more.
 */

const waitOptions = { timeout: 30_000, interval: 25 };
let redis: TestRedisServer;
const closing: Array<() => Promise<unknown>> = [];
let tests = 0;
beforeAll(async () => {
  redis = await startRedisServer();
}, 600_000);
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

/** A job's data as far as the queue cares: the issue names the job. */
function jobData(identifier: string): RunJobData {
  return { format: 1, issue: { identifier } } as unknown as RunJobData;
}

function start(processor: (job: Job<RunJobData, RunJobResult>) => Promise<RunJobResult>) {
  const prefix = `loompa-run-queues-${process.pid}-${++tests}`;
  const queues = new RunQueues(redis.url, prefix, createSilentLogger());
  const processed: string[] = [];
  const worker = new Worker<RunJobData, RunJobResult>(
    'runs',
    async (job) => {
      processed.push(job.id!);
      return processor(job);
    },
    { connection: { url: redis.url }, prefix, concurrency: 2 },
  );
  closing.push(
    () => queues.close(),
    () => worker.close(),
  );
  return { queues, processed };
}

const finished: RunJobResult = {
  outcome: { kind: 'completed' },
  sessionId: null,
  lastRun: null,
  resultCommit: null,
  resultPatch: null,
  worker: 'test',
  timings: { queuedMs: 0, prepareMs: 0, agentMs: 0, resultMs: 0 },
};
/** The result was taken already (by the leader that sent the run), as a patch's marker says. */
const taken = { sameRun: true, resultUntaken: async () => false };

describe('run queues: a run sent twice', () => {
  it('adopts the finished job of the same run instead of running it again, even with its result taken', async () => {
    const { queues, processed } = start(async () => finished);
    expect(await queues.enqueue('runs', 'run-x-0-first', jobData('TASK-1'), 1, taken)).toBe('enqueued');
    await vi.waitFor(
      async () => expect(await queues.endOf('runs', 'run-x-0-first')).not.toBeNull(),
      waitOptions,
    );
    // Sent again by another orchestrator, one that leads now or one that woke up without the lead.
    expect(await queues.enqueue('runs', 'run-x-0-first', jobData('TASK-1'), 1, taken)).toBe('adopted');
    expect(await queues.endOf('runs', 'run-x-0-first')).toEqual({ ok: true, result: finished });
    expect(processed).toEqual(['run-x-0-first']);
    expect(await (await queues.queue('runs')).getJobCounts('waiting', 'active', 'completed')).toEqual({
      waiting: 0,
      active: 0,
      completed: 1,
    });
  });

  it('adopts a job of the same run that is waiting, running or failed; only an id that repeats across runs makes way', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { queues, processed } = start(async (job) => {
      if (job.data.issue.identifier === 'TASK-F') throw new Error('the agent could not start');
      await held;
      return finished;
    });
    // A failing test must not leave the worker waiting at its close.
    closing.push(async () => release());
    // Two runs take the worker's two slots; a third waits behind them.
    for (const id of ['run-a-0-one', 'run-b-0-one', 'run-c-0-one'])
      expect(await queues.enqueue('runs', id, jobData('TASK-A'), 1, taken)).toBe('enqueued');
    await vi.waitFor(() => expect(processed).toHaveLength(2), waitOptions);
    const queue = await queues.queue('runs');
    const waitingId = ['run-a-0-one', 'run-b-0-one', 'run-c-0-one'].find((id) => !processed.includes(id))!;
    // Not taken by a worker yet (`prioritized` is BullMQ's waiting state for jobs with a priority).
    expect(await queue.getJobState(waitingId)).toBe('prioritized');
    for (const id of ['run-a-0-one', 'run-b-0-one', 'run-c-0-one'])
      expect(await queues.enqueue('runs', id, jobData('TASK-A'), 1, taken)).toBe('adopted');
    release();
    await vi.waitFor(() => expect(processed).toHaveLength(3), waitOptions);

    expect(await queues.enqueue('runs', 'run-f-0-one', jobData('TASK-F'), 1, taken)).toBe('enqueued');
    await vi.waitFor(
      async () => expect(await queues.endOf('runs', 'run-f-0-one')).not.toBeNull(),
      waitOptions,
    );
    expect(await queues.enqueue('runs', 'run-f-0-one', jobData('TASK-F'), 1, taken)).toBe('adopted');
    expect(await queues.endOf('runs', 'run-f-0-one')).toEqual({
      ok: false,
      reason: 'the agent could not start',
    });
    expect(processed.filter((id) => id === 'run-f-0-one')).toHaveLength(1);

    // An id from a core without run ids (issue and attempt) repeats across runs: a finished
    // job under it whose result was taken is an earlier run's record and makes way.
    const repeated = { sameRun: false, resultUntaken: async () => false };
    expect(await queues.enqueue('runs', 'run-a-0-one', jobData('TASK-A'), 1, repeated)).toBe('enqueued');
    await vi.waitFor(
      () => expect(processed.filter((id) => id === 'run-a-0-one')).toHaveLength(2),
      waitOptions,
    );
    expect(await Job.fromId(queue, 'run-a-0-one')).toBeTruthy();
  });
});
