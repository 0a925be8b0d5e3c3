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

  it('runs the CI fix and the review reply on a worker, not in the orchestrator, then merges', async () => {
    setup = await createWorkerSetup({
      redisUrl: redis.url,
      taskCount: 1,
      waitForGo: false,
      work: [
        'case "$what" in',
        '  ci-fix) echo 42 > answer.txt ;;',
        '  review-reply) echo "The answer is 42." > NOTES.md ;;',
        '  *) echo 41 > answer.txt ;;',
        'esac',
      ].join('\n'),
      reviewerScript: [
        'case "$prompt" in',
        '  *NOTES.md*) echo APPROVED ;;',
        '  *) printf "NEEDS_CHANGES\\n- answer.txt:1: explain the answer in NOTES.md\\n" ;;',
        'esac',
      ].join('\n'),
      scm: {
        auto_merge: true,
        checks: [
          { name: 'answer', command: 'echo "answer is $(cat answer.txt)"; test "$(cat answer.txt)" = 42' },
        ],
        reviewer: { agent: 'reviewer' },
      },
    });
    const worker = await setup.startWorker('w1');
    const { eventsOf } = await setup.startOrchestrator();
    await vi.waitFor(() => expect(eventsOf('issue-done')).toHaveLength(1), workerWait);

    expect(eventsOf('reaction-started').map((event) => event.reaction)).toEqual(['ci-failure', 'review']);
    // Every agent run, the reactions included, ran in the worker process (the agent logs the
    // worker it ran in; a run in the orchestrator's process would log "orchestrator").
    expect(setup.runs()).toEqual([
      { what: 'start', task: 'TASK-1', worker: 'w1' },
      { what: 'end', task: 'TASK-1', worker: 'w1' },
      { what: 'ci-fix', task: 'TASK-1', worker: 'w1' },
      { what: 'ci-fix-end', task: 'TASK-1', worker: 'w1' },
      { what: 'review-reply', task: 'TASK-1', worker: 'w1' },
      { what: 'review-reply-end', task: 'TASK-1', worker: 'w1' },
    ]);
    // The worker's own log says it ran both reactions.
    const reactionsLogged = worker
      .stderr()
      .split('\n')
      .filter((line) => line.includes('"reaction run started"'))
      .map((line) => JSON.parse(line).reaction);
    expect(reactionsLogged).toEqual(['ci-failure', 'review']);
    // Their runs streamed back into the orchestrator's events like an attempt's.
    expect(eventsOf('agent-run-finished')).toHaveLength(3);
    expect(setup.git('show', 'main:answer.txt')).toBe('42');
    expect(setup.git('show', 'main:NOTES.md')).toBe('The answer is 42.');
    const subjects = setup.git('log', '--format=%s', 'main').split('\n');
    expect(subjects.filter((subject) => subject === 'TASK-1: fix failing checks')).toHaveLength(1);
    expect(subjects.filter((subject) => subject === 'TASK-1: address review feedback')).toHaveLength(1);
    expect(eventsOf('change-request-opened')).toHaveLength(1);
    // The start and result refs of the runs were removed once their work was taken.
    expect(setup.git('for-each-ref', 'refs/loompa')).toBe('');
  }, 300_000);

  it('puts a reaction of a worker killed mid-run back in the queue: another worker completes it, one fix pushed', async () => {
    setup = await createWorkerSetup({
      redisUrl: redis.url,
      taskCount: 1,
      waitForGo: false,
      waitForReactionGo: true,
      work: 'if [ "$what" = ci-fix ]; then echo 42 > answer.txt; else echo 41 > answer.txt; fi',
      scm: {
        auto_merge: true,
        checks: [{ name: 'answer', command: 'test "$(cat answer.txt)" = 42' }],
      },
    });
    const first = await setup.startWorker('w1', { concurrency: 1 });
    const { eventsOf } = await setup.startOrchestrator();
    await vi.waitFor(
      () => expect(setup!.runs()).toContainEqual({ what: 'ci-fix', task: 'TASK-1', worker: 'w1' }),
      workerWait,
    );
    await setup.startWorker('w2', { concurrency: 1 });
    await first.kill();
    await setup.goReactions();
    await vi.waitFor(() => expect(eventsOf('issue-done')).toHaveLength(1), workerWait);

    expect(setup.runs()).toEqual([
      { what: 'start', task: 'TASK-1', worker: 'w1' },
      { what: 'end', task: 'TASK-1', worker: 'w1' },
      { what: 'ci-fix', task: 'TASK-1', worker: 'w1' },
      { what: 'ci-fix', task: 'TASK-1', worker: 'w2' },
      { what: 'ci-fix-end', task: 'TASK-1', worker: 'w2' },
    ]);
    // The orchestrator started the reaction once; the queue, not the orchestrator, ran it again.
    expect(eventsOf('reaction-started')).toHaveLength(1);
    const subjects = setup.git('log', '--format=%s', 'main').split('\n');
    expect(subjects.filter((subject) => subject === 'TASK-1: fix failing checks')).toHaveLength(1);
    expect(setup.git('show', 'main:answer.txt')).toBe('42');
    expect(eventsOf('change-request-opened')).toHaveLength(1);
    expect(setup.git('for-each-ref', 'refs/loompa')).toBe('');
  }, 300_000);

  it('resolves a rebase conflict on a worker from the worktree the orchestrator left mid-rebase', async () => {
    setup = await createWorkerSetup({
      redisUrl: redis.url,
      taskCount: 2,
      waitForGo: false,
      // Both tasks add shared.txt; whichever merges second conflicts with the first.
      work: [
        'case "$what" in',
        '  conflict) grep -q "^<<<<<<<" shared.txt && printf "one\\ntwo\\n" > shared.txt ;;',
        '  *) if [ "$task" = TASK-1 ]; then echo one > shared.txt; else echo two > shared.txt; fi ;;',
        'esac',
      ].join('\n'),
      scm: { auto_merge: true, allow_merge_without_checks: true },
    });
    await setup.startWorker('w1');
    const { eventsOf } = await setup.startOrchestrator();
    await vi.waitFor(() => expect(eventsOf('issue-done')).toHaveLength(2), workerWait);

    expect(eventsOf('reaction-started').map((event) => event.reaction)).toEqual(['conflict']);
    const conflictRuns = setup.runs().filter((run) => run.what.startsWith('conflict'));
    // The agent found the conflict markers in its worktree on the worker, and resolved them there.
    expect(conflictRuns.map((run) => [run.what, run.worker])).toEqual([
      ['conflict', 'w1'],
      ['conflict-end', 'w1'],
    ]);
    expect(setup.git('show', 'main:shared.txt')).toBe('one\ntwo');
    expect(setup.git('for-each-ref', 'refs/loompa')).toBe('');
  }, 300_000);
});
