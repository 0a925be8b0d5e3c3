import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startRedisServer, type TestRedisServer } from '@loompa/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkerSetup, type WorkerSetup, workerWait } from './fixtures/worker-fixture.js';

/**
 * Agent runs on real `loompa worker` processes through a real Redis (installed and started by
 * the testkit when missing), with the markdown tracker, scm-local and a command agent.
 */

let redis: TestRedisServer;
let setup: WorkerSetup | null = null;
beforeAll(async () => {
  redis = await startRedisServer();
}, 600_000);
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  await setup?.cleanup();
  setup = null;
});

const tasks = (count: number) => Array.from({ length: count }, (_, index) => `TASK-${index + 1}`);

describe('agent runs on worker processes', () => {
  it('runs forty tasks over three workers, each exactly once, and publishes each once', async () => {
    setup = await createWorkerSetup({ redisUrl: redis.url, taskCount: 40 });
    const workers = await Promise.all(['w1', 'w2', 'w3'].map((name) => setup!.startWorker(name)));
    const { eventsOf } = await setup.startOrchestrator();
    // Six slots over three workers of two: every worker holds runs before any finishes.
    await vi.waitFor(() => {
      const started = new Set(setup!.runs().map((run) => run.worker));
      expect([...started].sort()).toEqual(['w1', 'w2', 'w3']);
    }, workerWait);
    await setup.go();
    await vi.waitFor(() => expect(eventsOf('change-request-opened')).toHaveLength(40), workerWait);

    const starts = setup.runs().filter((run) => run.what === 'start');
    // Why a task ran again, if one did: the retries the orchestrator scheduled and the workers' warnings.
    const explanation = JSON.stringify({
      retries: eventsOf('retry-scheduled'),
      warnings: workers.map((worker) =>
        worker
          .stderr()
          .split('\n')
          .filter((line) => line.includes('"warn"')),
      ),
    });
    expect(starts.map((run) => run.task).sort(), explanation).toEqual(tasks(40).sort());
    expect(
      eventsOf('issue-dispatched')
        .map((event) => event.issueIdentifier)
        .sort(),
    ).toEqual(tasks(40).sort());
    const opened = eventsOf('change-request-opened').map((event) => event.issueIdentifier);
    expect(new Set(opened).size).toBe(40);
    // Each branch holds exactly its task's work, made on a worker and committed by the orchestrator.
    for (const task of ['TASK-1', 'TASK-17', 'TASK-40']) {
      expect(setup.git('show', `loompa/${task}:result-${task}.txt`)).toBe(task);
      expect(setup.git('diff', '--name-only', `main...loompa/${task}`)).toBe(`result-${task}.txt`);
      expect(setup.git('log', '-1', '--format=%an', `loompa/${task}`)).not.toBe('');
    }
    // The workers' result refs were removed once their work was taken.
    expect(setup.git('for-each-ref', 'refs/loompa/runs')).toBe('');
    for (const worker of workers) expect(worker.child.exitCode).toBeNull();
  }, 600_000);

  it('puts the run of a worker killed mid-run back in the queue: another worker completes it, one change request', async () => {
    setup = await createWorkerSetup({ redisUrl: redis.url, taskCount: 1 });
    const first = await setup.startWorker('w1', { concurrency: 1 });
    const { eventsOf } = await setup.startOrchestrator();
    await vi.waitFor(
      () => expect(setup!.runs()).toEqual([{ what: 'start', task: 'TASK-1', worker: 'w1' }]),
      workerWait,
    );
    await setup.startWorker('w2', { concurrency: 1 });
    await first.kill();
    await setup.go();
    await vi.waitFor(() => expect(eventsOf('change-request-opened')).toHaveLength(1), workerWait);
    expect(setup.runs()).toEqual([
      { what: 'start', task: 'TASK-1', worker: 'w1' },
      { what: 'start', task: 'TASK-1', worker: 'w2' },
      { what: 'end', task: 'TASK-1', worker: 'w2' },
    ]);
    // The orchestrator dispatched once; the queue, not the orchestrator, ran it again.
    expect(eventsOf('issue-dispatched')).toHaveLength(1);
    expect(setup.git('show', 'loompa/TASK-1:result-TASK-1.txt')).toBe('TASK-1');
    const records = setup.git('for-each-ref', '--format=%(refname)', 'refs/heads/loompa');
    expect(records.split('\n')).toEqual(['refs/heads/loompa/TASK-1']);
  }, 300_000);

  it('closes the loop with workers: agent → change request → checks → merge → task done', async () => {
    setup = await createWorkerSetup({
      redisUrl: redis.url,
      taskCount: 3,
      waitForGo: false,
      scm: {
        auto_merge: true,
        checks: [{ name: 'result', command: 'ls result-*.txt && test "$(cat result-*.txt | wc -l)" -ge 1' }],
      },
    });
    await setup.startWorker('w1');
    const { eventsOf } = await setup.startOrchestrator();
    await vi.waitFor(() => expect(eventsOf('issue-done')).toHaveLength(3), workerWait);
    for (const task of tasks(3)) {
      expect(setup.git('show', `main:result-${task}.txt`)).toBe(task);
      const taskFile = readFileSync(path.join(setup.repository, '.loompa', 'tasks', `${task}.md`), 'utf8');
      expect(taskFile).toMatch(/^status: done$/m);
    }
    expect(setup.runs().filter((run) => run.what === 'start')).toHaveLength(3);
    expect(eventsOf('change-request-opened')).toHaveLength(3);
  }, 300_000);
});
