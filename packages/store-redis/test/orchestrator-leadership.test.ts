import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createInProcessRunner,
  createOrchestrator,
  FencedOutError,
  type Orchestrator,
  type OrchestratorEvent,
  type OrchestratorEventMap,
  type RunnerAttemptContext,
  type RunnerV1,
} from '@loompa/core';
import { createTestIssue, MockTracker, startRedisServer, type TestRedisServer } from '@loompa/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { redisStore } from '../src/index.js';

/**
 * Orchestrators in this process sharing one real Redis through `store: { kind: redis }`: one
 * leads and decides, the other stands by; a clean stop hands the lead over at once, and a
 * leader whose lease another instance took has its next write refused by Redis and steps down.
 */

const waitOptions = { timeout: 30_000, interval: 25 };
let redis: TestRedisServer;
let root: string;
const orchestrators: Orchestrator[] = [];
let tests = 0;
beforeAll(async () => {
  redis = await startRedisServer();
  // The workflows read the URL from the environment, as `$LOOMPA_REDIS_URL`.
  process.env.LOOMPA_REDIS_URL = redis.url;
}, 600_000);
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  for (const orchestrator of orchestrators.splice(0)) await orchestrator.stop();
  await rm(root, { recursive: true, force: true });
});

/** Another instance takes the leader lease, with the next fencing token, behind the leader's back. */
async function takeLeaseAsIntruder(prefix: string, token: number): Promise<void> {
  const intruder = new Redis(redis.url);
  try {
    await intruder.del(`${prefix}:leader`);
    await intruder.set(`${prefix}:leader`, `${token + 1}:intruder`, 'PX', 600_000);
    await intruder.incr(`${prefix}:leader-token`);
  } finally {
    intruder.disconnect();
  }
}

/** The in-process runner, keeping what each attempt was handed (issue, attempt, run id). */
function recordingRunner() {
  const inProcess = createInProcessRunner();
  const attempts: Array<Pick<RunnerAttemptContext, 'attempt' | 'runId'> & { issue: string }> = [];
  const runner: RunnerV1 = {
    specificationVersion: 'runner-v1',
    name: 'recording',
    runAttempt(context) {
      attempts.push({ issue: context.issue.identifier, attempt: context.attempt, runId: context.runId });
      return inProcess.runAttempt(context);
    },
  };
  return { runner, attempts };
}

async function createProject(leaseMs: number, agentCommand = 'cat > /dev/null') {
  root = await mkdtemp(path.join(os.tmpdir(), 'loompa-store-leadership-'));
  const repository = path.join(root, 'repository');
  await mkdir(repository);
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', ...args], {
      cwd: repository,
    });
  git('init', '--quiet', '--initial-branch=main');
  await writeFile(path.join(repository, 'README.md'), '# sample\n');
  git('add', '.');
  git('commit', '--quiet', '-m', 'initial');
  const prefix = `loompa-leadership-${process.pid}-${++tests}`;
  const tracker = new MockTracker({
    issues: [createTestIssue({ id: 'one', identifier: 'LEAD-1' })],
    claimable: true,
  });
  const start = async (name: string, runner?: RunnerV1) => {
    const workflowPath = path.join(root, `${name}.md`);
    await writeFile(
      workflowPath,
      [
        '---',
        'tracker: { kind: mock }',
        `repository: { path: ${JSON.stringify(repository)} }`,
        `workspace: { root: ${JSON.stringify(path.join(root, name, 'workspaces'))} }`,
        'polling: { interval_ms: 100 }',
        'agent: { kind: command, continuation_delay_ms: 3600000 }',
        `command: { command: ${JSON.stringify(agentCommand)} }`,
        `store: { kind: redis, url: $LOOMPA_REDIS_URL, prefix: ${prefix}, lease_ms: ${leaseMs} }`,
        '---',
        'Work on {{ issue.identifier }}',
        '',
      ].join('\n'),
    );
    const orchestrator = createOrchestrator({
      workflowPath,
      stateDirectory: path.join(root, name, 'state'),
      trackers: { mock: tracker },
      stores: { redis: redisStore },
      ...(runner ? { runner } : {}),
    });
    orchestrators.push(orchestrator);
    const events: OrchestratorEvent[] = [];
    orchestrator.events.on('event', (event) => events.push(event));
    await orchestrator.start();
    const eventsOf = <Name extends OrchestratorEvent['type']>(type: Name) =>
      events
        .filter((event) => event.type === type)
        .map((event) => event.payload as OrchestratorEventMap[Name]);
    return { orchestrator, eventsOf };
  };
  return { prefix, tracker, start };
}

describe('orchestrators sharing a Redis store', () => {
  it('one leads and dispatches, the other stands by; a clean stop hands the lead over at once', async () => {
    // A lease far longer than the test: only the release at stop can let the standby in.
    const project = await createProject(600_000);
    const first = await project.start('first');
    expect(first.orchestrator.snapshot().leadership).toMatchObject({ role: 'leader', store: 'redis' });
    const firstToken = first.orchestrator.snapshot().leadership.token!;
    expect(first.eventsOf('leadership-acquired')).toEqual([
      expect.objectContaining({ token: firstToken, store: 'redis' }),
    ]);
    await vi.waitFor(() => expect(first.eventsOf('issue-dispatched')).toHaveLength(1), waitOptions);

    const second = await project.start('second');
    expect(second.orchestrator.snapshot().leadership).toMatchObject({ role: 'standby', token: null });
    expect(second.eventsOf('tick-started')).toEqual([]);
    // A standby refuses what would write: a person's pause goes to the leader.
    await expect(second.orchestrator.pause()).rejects.toThrow(FencedOutError);

    await first.orchestrator.stop();
    await vi.waitFor(() => expect(second.eventsOf('leadership-acquired')).toHaveLength(1), waitOptions);
    const secondToken = second.orchestrator.snapshot().leadership.token!;
    expect(secondToken).toBeGreaterThan(firstToken);
    expect(second.orchestrator.snapshot().leadership.role).toBe('leader');
    // The new leader holds the claim the old one made: the same owner, so it takes the issue over.
    await vi.waitFor(() => expect(second.eventsOf('issue-dispatched')).toHaveLength(1), waitOptions);
    expect(project.tracker.leases.get('one')?.owner).toBe(`leader/redis/${project.prefix}`);
  });

  it('a leader whose lease another instance took has its next write refused by Redis and steps down', async () => {
    const project = await createProject(600_000);
    const leader = await project.start('leader');
    const token = leader.orchestrator.snapshot().leadership.token!;
    // Another instance takes the lease while this one still believes it leads (a partition, a pause).
    await takeLeaseAsIntruder(project.prefix, token);
    const refused = await leader.orchestrator.pause().then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(FencedOutError);
    expect((refused as FencedOutError).details).toMatchObject({ token, currentToken: token + 1 });
    await vi.waitFor(() => expect(leader.eventsOf('leadership-lost')).toHaveLength(1), waitOptions);
    expect(leader.eventsOf('leadership-lost')[0]).toMatchObject({ token });
    expect(leader.eventsOf('leadership-lost')[0]!.reason).toContain('refused');
    expect(leader.orchestrator.snapshot().leadership).toMatchObject({ role: 'standby', token: null });
    expect(leader.orchestrator.snapshot().pause.paused).toBe(false);
  });

  it('a run left in flight by a leader that stopped is handed to the runner again under the same run id', async () => {
    const go = path.join(os.tmpdir(), `loompa-leadership-go-${process.pid}-${Date.now()}`);
    const project = await createProject(
      600_000,
      `cat > /dev/null; while [ ! -f ${go} ]; do sleep 0.05; done`,
    );
    const { runner, attempts } = recordingRunner();
    const first = await project.start('first', runner);
    await vi.waitFor(() => expect(attempts).toHaveLength(1), waitOptions);
    const second = await project.start('second', runner);
    // The leader stops mid-run: the run is handed over, not ended, so it stays in flight in the store.
    await first.orchestrator.stop();
    await vi.waitFor(() => expect(attempts).toHaveLength(2), waitOptions);
    const [handedOver, adopted] = attempts as [(typeof attempts)[number], (typeof attempts)[number]];
    expect(handedOver).toMatchObject({ issue: 'LEAD-1', attempt: null });
    expect(handedOver.runId).toMatch(/^0-[0-9a-f-]{36}$/);
    // A runner whose runs live on workers names the run by this id: the new leader finds the same run.
    expect(adopted).toEqual(handedOver);
    await writeFile(go, '');
    try {
      await vi.waitFor(
        () =>
          expect(
            second.eventsOf('issue-done').length + second.eventsOf('retry-scheduled').length,
          ).toBeGreaterThan(0),
        waitOptions,
      );
    } finally {
      await rm(go, { force: true });
    }
  });

  it('a leader whose lease another instance took hands no attempt to the runner: the store refuses the dispatch first', async () => {
    const project = await createProject(600_000);
    const { runner, attempts } = recordingRunner();
    const leader = await project.start('leader', runner);
    await vi.waitFor(() => expect(leader.eventsOf('retry-scheduled')).toHaveLength(1), waitOptions);
    expect(attempts.map((attempt) => attempt.issue)).toEqual(['LEAD-1']);
    const token = leader.orchestrator.snapshot().leadership.token!;
    // Another instance takes the lease while this one's own lease still runs (a partition, a pause).
    await takeLeaseAsIntruder(project.prefix, token);
    // New work appears; this instance still believes it leads and dispatches it.
    project.tracker.addIssue(createTestIssue({ id: 'two', identifier: 'LEAD-2' }));
    await vi.waitFor(() => expect(leader.eventsOf('leadership-lost')).toHaveLength(1), waitOptions);
    expect(leader.eventsOf('leadership-lost')[0]!.reason).toContain('refused');
    expect(leader.eventsOf('issue-dispatched').map((event) => event.issueIdentifier)).toContain('LEAD-2');
    // Refused by Redis before the runner heard of it: no run of LEAD-2 was sent anywhere.
    expect(attempts.map((attempt) => attempt.issue)).toEqual(['LEAD-1']);
  });

  it('a leader whose process stood still past its lease sees its run as handed over on waking, and the run stays in flight for the next leader', async () => {
    const leaseMs = 3_000;
    const project = await createProject(leaseMs);
    const inProcess = createInProcessRunner();
    const attempts: Array<{ runId: string | undefined; handedOverOnWaking: boolean | undefined }> = [];
    const runner: RunnerV1 = {
      specificationVersion: 'runner-v1',
      name: 'freezing',
      runAttempt(context) {
        if (attempts.length === 0) {
          // The process stands still (SIGSTOP, a swapped-out machine) past its lease: no timer
          // runs, so nothing has told the run yet; the runner asks first thing on waking.
          const frozenUntil = Date.now() + leaseMs + 500;
          while (Date.now() < frozenUntil) {}
        }
        attempts.push({ runId: context.runId, handedOverOnWaking: context.handedOver?.() });
        return inProcess.runAttempt(context);
      },
    };
    const leader = await project.start('leader', runner);
    await vi.waitFor(() => expect(leader.eventsOf('leadership-lost')).toHaveLength(1), waitOptions);
    // A runner on workers leaves a handed-over run (and its result) to the next leader.
    expect(attempts[0]).toMatchObject({ handedOverOnWaking: true, runId: expect.stringMatching(/^0-/) });
    // Nobody else leads, so this instance leads again and adopts its own run under the same id.
    await vi.waitFor(() => expect(leader.eventsOf('leadership-acquired')).toHaveLength(2), waitOptions);
    await vi.waitFor(() => expect(attempts).toHaveLength(2), waitOptions);
    expect(attempts[1]).toEqual({ runId: attempts[0]!.runId, handedOverOnWaking: false });
  });
});
