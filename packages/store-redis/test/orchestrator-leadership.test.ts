import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createOrchestrator,
  FencedOutError,
  type Orchestrator,
  type OrchestratorEvent,
  type OrchestratorEventMap,
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

async function createProject(leaseMs: number) {
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
  const start = async (name: string) => {
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
        "command: { command: 'cat > /dev/null' }",
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
    const intruder = new Redis(redis.url);
    try {
      await intruder.del(`${project.prefix}:leader`);
      await intruder.set(`${project.prefix}:leader`, `${token + 1}:intruder`, 'PX', 600_000);
      await intruder.incr(`${project.prefix}:leader-token`);
    } finally {
      intruder.disconnect();
    }
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
});
