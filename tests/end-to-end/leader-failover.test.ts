import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedisServer, type TestRedisServer } from '@loompa/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkerSetup, type WorkerSetup, workerWait } from './fixtures/worker-fixture.js';

/**
 * Two orchestrator processes over one task folder and one Redis: the first holds the tasks
 * (tracker claims) and sends their runs to a worker; it is killed mid-run; the other takes the
 * tasks over once the claims lapse, adopts the runs still on the worker instead of enqueuing
 * them again, and publishes each once.
 */

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const script = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'fixtures',
  'run-orchestrator-with-workers.ts',
);

interface OrchestratorProcess {
  child: ChildProcess;
  events: Array<{ type: string; issue?: string }>;
  exited: Promise<unknown>;
}

let redis: TestRedisServer;
let setup: WorkerSetup | null = null;
const children: ChildProcess[] = [];
beforeAll(async () => {
  redis = await startRedisServer();
}, 600_000);
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
  await setup?.cleanup();
  setup = null;
});

function startOrchestrator(setup: WorkerSetup, name: string): OrchestratorProcess {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@loompa/source',
      '--import',
      'tsx',
      script,
      setup.workflowPath,
      redis.url,
      setup.prefix,
      path.join(setup.root, name, 'state'),
    ],
    { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  const running: OrchestratorProcess = {
    child,
    events: [],
    exited: new Promise((resolve) => child.once('exit', resolve)),
  };
  let pending = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) running.events.push(JSON.parse(line));
  });
  return running;
}

const issuesWith = (running: OrchestratorProcess, type: string) =>
  running.events.flatMap((event) => (event.type === type && event.issue ? [event.issue] : []));

describe('the orchestrator holding the work dies', () => {
  // The takeover waits for the dead leader's claims to lapse (tracker.claim_lease_ms, 3 s here).
  it('the standby takes over once its claims lapse, adopts the runs on the workers, and nothing runs twice', async () => {
    setup = await createWorkerSetup({
      redisUrl: redis.url,
      taskCount: 3,
      agent: { max_concurrent_agents: 3 },
      tracker: { claim_lease_ms: 3_000 },
    });
    await setup.startWorker('w1', { concurrency: 3 });
    const leader = startOrchestrator(setup, 'leader');
    await vi.waitFor(
      () => expect(setup!.runs().filter((run) => run.what === 'start')).toHaveLength(3),
      workerWait,
    );
    const standby = startOrchestrator(setup, 'standby');
    // The standby runs, but the leader's claims keep it off the tasks.
    await vi.waitFor(
      () => expect(standby.events.some((event) => event.type === 'tick-finished')).toBe(true),
      workerWait,
    );
    expect(issuesWith(standby, 'issue-dispatched')).toEqual([]);

    leader.child.kill('SIGKILL');
    await leader.exited;
    await vi.waitFor(() => expect(issuesWith(standby, 'issue-dispatched')).toHaveLength(3), workerWait);
    await setup.go();
    await vi.waitFor(() => expect(issuesWith(standby, 'change-request-opened')).toHaveLength(3), workerWait);

    // Each task's agent ran once, on the worker, though two orchestrators dispatched it.
    const starts = setup
      .runs()
      .filter((run) => run.what === 'start')
      .map((run) => run.task);
    expect(starts.sort()).toEqual(['TASK-1', 'TASK-2', 'TASK-3']);
    expect(issuesWith(leader, 'change-request-opened')).toEqual([]);
    for (const task of ['TASK-1', 'TASK-2', 'TASK-3']) {
      expect(setup.git('show', `loompa/${task}:result-${task}.txt`)).toBe(task);
    }
  }, 300_000);
});
