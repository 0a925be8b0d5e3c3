import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedisServer, type TestRedisServer } from '@loompa/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createWorkerSetup, type WorkerSetup, workerWait } from './fixtures/worker-fixture.js';

/**
 * Two orchestrator processes over one task folder, one forge (scm-local's change requests in a
 * shared folder) and one Redis, which holds both their store (`store: { kind: redis }`) and
 * the BullMQ queue. One leads (the leader lease) and sends the runs to a worker; the other
 * stands by. When the leader dies, or is frozen past its lease, the standby takes the lease
 * with a newer fencing token, reads the state from the shared store, adopts the runs still on
 * the worker, and publishes each once; a frozen leader that wakes up has its writes refused
 * and steps down.
 */

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const script = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'fixtures',
  'run-orchestrator-with-workers.ts',
);
const tasks = ['TASK-1', 'TASK-2', 'TASK-3'];
const leaseMs = 3_000;

interface OrchestratorLine {
  type: string;
  issue?: string;
  token?: number;
  role?: string;
  reason?: string;
  at: number;
}

interface OrchestratorProcess {
  name: string;
  child: ChildProcess;
  events: OrchestratorLine[];
  stderr(): string;
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
      // A frozen process must be woken to hear the SIGTERM.
      child.kill('SIGCONT');
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
      path.join(setup.root, 'forge'),
    ],
    {
      cwd: repositoryRoot,
      // The store's URL comes from the environment ($LOOMPA_REDIS_URL in the workflow).
      env: { ...process.env, LOOMPA_REDIS_URL: redis.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const running: OrchestratorProcess = {
    name,
    child,
    events: [],
    stderr: () => stderr,
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
const eventsOf = (running: OrchestratorProcess, type: string) =>
  running.events.filter((event) => event.type === type);

/** The change requests in the shared forge, with their keyed comments. */
function changeRequests(setup: WorkerSetup): Array<{ branch: string; comments: Array<{ key: string }> }> {
  const directory = path.join(setup.root, 'forge', 'change-requests');
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(path.join(directory, name), 'utf8')));
}

function workflowWithRedisStore(setup: WorkerSetup | null) {
  return {
    kind: 'redis',
    url: '$LOOMPA_REDIS_URL',
    prefix: `${setup?.prefix ?? 'loompa-test'}:store`,
    lease_ms: leaseMs,
  };
}

async function startLeaderAndStandby(): Promise<{
  leader: OrchestratorProcess;
  standby: OrchestratorProcess;
}> {
  setup = await createWorkerSetup({
    redisUrl: redis.url,
    taskCount: tasks.length,
    agent: { max_concurrent_agents: 3 },
    // Left at the default (10 minutes): the leaders share one claim owner, so no takeover waits for claims.
    store: { ...workflowWithRedisStore(null), prefix: `loompa-test-${process.pid}-${Date.now()}:store` },
  });
  await setup.startWorker('w1', { concurrency: 3 });
  const leader = startOrchestrator(setup, 'leader');
  await vi.waitFor(() => expect(eventsOf(leader, 'started')).toHaveLength(1), workerWait);
  expect(eventsOf(leader, 'started')[0]!.role).toBe('leader');
  await vi.waitFor(
    () => expect(setup!.runs().filter((run) => run.what === 'start')).toHaveLength(3),
    workerWait,
  );
  const standby = startOrchestrator(setup, 'standby');
  await vi.waitFor(() => expect(eventsOf(standby, 'started')).toHaveLength(1), workerWait);
  // The standby runs, but decides nothing while the leader holds the lease.
  expect(eventsOf(standby, 'started')[0]!.role).toBe('standby');
  expect(eventsOf(standby, 'tick-started')).toEqual([]);
  return { leader, standby };
}

/** What must hold however the leader went: each task ran once, one change request and one status comment each. */
async function expectEachTaskPublishedOnce(publisher: OrchestratorProcess, others: OrchestratorProcess[]) {
  await setup!.go();
  await vi.waitFor(
    () => expect(issuesWith(publisher, 'change-request-opened').sort()).toEqual(tasks),
    workerWait,
  );
  await vi.waitFor(() => {
    const requests = changeRequests(setup!);
    expect(requests.map((request) => request.branch).sort()).toEqual(tasks.map((task) => `loompa/${task}`));
    for (const request of requests) {
      expect(request.comments.filter((comment) => comment.key === 'loompa-status')).toHaveLength(1);
    }
  }, workerWait);
  await vi.waitFor(
    () => expect(setup!.runs().filter((run) => run.what === 'end')).toHaveLength(3),
    workerWait,
  );
  // Each task's agent ran once, on the worker, though two orchestrators dispatched it.
  const starts = setup!
    .runs()
    .filter((run) => run.what === 'start')
    .map((run) => run.task);
  expect(starts.sort()).toEqual(tasks);
  for (const other of others) expect(issuesWith(other, 'change-request-opened')).toEqual([]);
  for (const task of tasks) expect(setup!.git('show', `loompa/${task}:result-${task}.txt`)).toBe(task);
}

describe('two orchestrators sharing a Redis store: one leads, the other stands by', () => {
  it('the leader is SIGKILLed mid-run: the standby takes the lease, adopts the runs on the worker, and nothing runs twice', async () => {
    const { leader, standby } = await startLeaderAndStandby();
    const leaderToken = eventsOf(leader, 'leadership-acquired')[0]!.token!;

    const killedAt = Date.now();
    leader.child.kill('SIGKILL');
    await leader.exited;
    await vi.waitFor(() => expect(eventsOf(standby, 'leadership-acquired')).toHaveLength(1), workerWait);
    const acquired = eventsOf(standby, 'leadership-acquired')[0]!;
    expect(acquired.token).toBeGreaterThan(leaderToken);
    // Reported, not asserted: the lease is 3 s and the standby tries every second.
    process.stdout.write(
      `leader-failover: takeover ${acquired.at - killedAt} ms after SIGKILL (lease ${leaseMs} ms)\n`,
    );
    await vi.waitFor(() => expect(issuesWith(standby, 'issue-dispatched').sort()).toEqual(tasks), workerWait);

    await expectEachTaskPublishedOnce(standby, [leader]);
    expect(eventsOf(standby, 'leadership-lost')).toEqual([]);
  }, 300_000);

  it('the leader stops cleanly (SIGTERM): it releases the lease and leaves its runs to the standby, which adopts them', async () => {
    const { leader, standby } = await startLeaderAndStandby();
    const leaderToken = eventsOf(leader, 'leadership-acquired')[0]!.token!;
    leader.child.kill('SIGTERM');
    await leader.exited;
    await vi.waitFor(() => expect(eventsOf(standby, 'leadership-acquired')).toHaveLength(1), workerWait);
    expect(eventsOf(standby, 'leadership-acquired')[0]!.token).toBeGreaterThan(leaderToken);
    await vi.waitFor(() => expect(issuesWith(standby, 'issue-dispatched').sort()).toEqual(tasks), workerWait);
    // Nothing was cancelled on the worker: the runs the leader started finish there, once.
    await expectEachTaskPublishedOnce(standby, [leader]);
  }, 300_000);

  it('the leader is frozen past its lease: the standby takes over, and the woken leader has its writes refused and steps down', async () => {
    const { leader, standby } = await startLeaderAndStandby();
    const leaderToken = eventsOf(leader, 'leadership-acquired')[0]!.token!;

    const frozenAt = Date.now();
    leader.child.kill('SIGSTOP');
    await vi.waitFor(() => expect(eventsOf(standby, 'leadership-acquired')).toHaveLength(1), workerWait);
    const acquired = eventsOf(standby, 'leadership-acquired')[0]!;
    expect(acquired.token).toBeGreaterThan(leaderToken);
    process.stdout.write(
      `leader-failover: takeover ${acquired.at - frozenAt} ms after SIGSTOP (lease ${leaseMs} ms)\n`,
    );
    await vi.waitFor(() => expect(issuesWith(standby, 'issue-dispatched').sort()).toEqual(tasks), workerWait);

    // The runs finish while the old leader sleeps; it wakes up to runs it still thinks are its own.
    await setup!.go();
    await vi.waitFor(
      () => expect(setup!.runs().filter((run) => run.what === 'end')).toHaveLength(3),
      workerWait,
    );
    leader.child.kill('SIGCONT');
    await vi.waitFor(() => expect(eventsOf(leader, 'leadership-lost')).toHaveLength(1), workerWait);
    const lost = eventsOf(leader, 'leadership-lost')[0]!;
    expect(lost.token).toBe(leaderToken);
    process.stdout.write(`leader-failover: the woken leader stepped down: ${lost.reason}\n`);

    await expectEachTaskPublishedOnce(standby, [leader]);
    // The old leader's steps under way ended at their writes, refused: none was applied.
    await vi.waitFor(
      () => expect(leader.stderr()).toContain('a store write was refused: this orchestrator does not lead'),
      workerWait,
    );
    expect(eventsOf(leader, 'leadership-acquired')).toHaveLength(1);
    expect(eventsOf(standby, 'leadership-lost')).toEqual([]);
    expect(leader.child.exitCode).toBeNull();
  }, 300_000);
});
