import { existsSync } from 'node:fs';
import path from 'node:path';
import { createTestIssue } from '@loompa/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ControlError, createFileStore, createOrchestrator, LoompaError } from '../src/index.js';
import { createOrchestratorFixture, type Fixture } from './helpers/orchestrator-fixture.js';

/**
 * The control actions against a real orchestrator: real worktrees, the real `command` agent
 * (a shell), the file store in a temporary state directory.
 */

const waitOptions = { timeout: 20_000, interval: 25 };
let fixture: Fixture | null = null;
afterEach(async () => {
  await fixture?.cleanup();
  fixture = null;
});

const dispatchedIdentifiers = (current: Fixture) =>
  current.eventsOf('issue-dispatched').map((event) => event.issueIdentifier);

describe('pause and resume', () => {
  it('stops new dispatches while a running agent goes on; the pause survives a restart; resume dispatches', async () => {
    const first = createTestIssue({ identifier: 'PAU-1', priority: 1 });
    const second = createTestIssue({ identifier: 'PAU-2', priority: 2 });
    fixture = await createOrchestratorFixture({
      issues: [first],
      agentCommand: 'sleep 30',
      frontMatter: { agent: { max_concurrent_agents: 5 } },
    });
    const { orchestrator } = fixture;
    await orchestrator.tick();
    expect(orchestrator.snapshot().running.map((item) => item.identifier)).toEqual(['PAU-1']);

    await orchestrator.pause({ reason: 'lunch <b>break</b>' });
    fixture.tracker.issues!.set(second.id, second);
    await orchestrator.tick();
    const paused = orchestrator.snapshot();
    expect(paused.pause).toMatchObject({ paused: true, all: false, reason: 'lunch <b>break</b>' });
    expect(paused.running.map((item) => item.identifier)).toEqual(['PAU-1']);
    expect(paused.queued.map((item) => item.identifier)).toEqual(['PAU-2']);
    expect(dispatchedIdentifiers(fixture)).toEqual(['PAU-1']);
    expect(fixture.eventsOf('orchestrator-paused')).toEqual([{ all: false, reason: 'lunch <b>break</b>' }]);

    // A restart on the same state directory stays paused.
    await orchestrator.stop();
    const restarted = createOrchestrator({
      workflowPath: fixture.workflowPath,
      trackers: { mock: fixture.tracker },
    });
    try {
      await restarted.tick();
      expect(restarted.snapshot().pause.paused).toBe(true);
      expect(restarted.snapshot().running).toEqual([]);
      expect(
        restarted
          .snapshot()
          .queued.map((item) => item.identifier)
          .sort(),
      ).toEqual(['PAU-1', 'PAU-2']);

      const resumed: unknown[] = [];
      restarted.on('orchestrator-resumed', (payload) => resumed.push(payload));
      await restarted.resume();
      expect(resumed).toEqual([{ wasAll: false }]);
      await vi.waitFor(
        () =>
          expect(
            restarted
              .snapshot()
              .running.map((item) => item.identifier)
              .sort(),
          ).toEqual(['PAU-1', 'PAU-2']),
        waitOptions,
      );
      expect(restarted.snapshot().pause.paused).toBe(false);
      expect(await createFileStore(path.join(fixture.stateDirectory, 'store')).get('control/pause')).toBe(
        undefined,
      );
    } finally {
      await restarted.stop();
    }
  });

  it('with all, stops running agents (workspaces kept) and holds the change-request loop until resumed', async () => {
    fixture = await createOrchestratorFixture({
      issues: [createTestIssue({ identifier: 'ALL-1' })],
      agentCommand: 'sleep 30',
    });
    const { orchestrator } = fixture;
    await orchestrator.tick();
    expect(orchestrator.snapshot().running).toHaveLength(1);
    await orchestrator.pause({ all: true });
    await vi.waitFor(() => expect(orchestrator.snapshot().running).toEqual([]), waitOptions);
    expect(existsSync(path.join(fixture.workspaceRoot, 'ALL-1'))).toBe(true);
    await orchestrator.tick();
    expect(orchestrator.snapshot().running).toEqual([]);
    expect(orchestrator.snapshot().pause).toMatchObject({ paused: true, all: true });
    await orchestrator.resume();
    await vi.waitFor(() => expect(orchestrator.snapshot().running).toHaveLength(1), waitOptions);
    expect(dispatchedIdentifiers(fixture)).toEqual(['ALL-1', 'ALL-1']);
  });
});

describe('cancel and retry', () => {
  it('cancel stops the run and keeps the workspace; the issue waits blocked until retried, then runs again', async () => {
    fixture = await createOrchestratorFixture({
      issues: [createTestIssue({ id: 'issue-can', identifier: 'CAN-1' })],
      agentCommand: 'sleep 30',
    });
    const { orchestrator } = fixture;
    await orchestrator.tick();
    await orchestrator.cancel('issue-can');
    await vi.waitFor(() => expect(orchestrator.snapshot().running).toEqual([]), waitOptions);
    expect(orchestrator.snapshot().blocked).toEqual([
      expect.objectContaining({
        identifier: 'CAN-1',
        reason: expect.stringContaining('cancelled by a person'),
      }),
    ]);
    expect(existsSync(path.join(fixture.workspaceRoot, 'CAN-1'))).toBe(true);
    expect(fixture.eventsOf('issue-cancelled')).toEqual([
      expect.objectContaining({ issueIdentifier: 'CAN-1', workspaceKept: true }),
    ]);
    // Blocked: ticks leave it alone.
    await orchestrator.tick();
    expect(dispatchedIdentifiers(fixture)).toEqual(['CAN-1']);

    await orchestrator.retry('issue-can');
    expect(fixture.eventsOf('issue-requeued')).toEqual([
      expect.objectContaining({
        issueIdentifier: 'CAN-1',
        previousReason: expect.stringContaining('cancelled'),
      }),
    ]);
    expect(orchestrator.snapshot().blocked).toEqual([]);
    await vi.waitFor(() => expect(dispatchedIdentifiers(fixture!)).toEqual(['CAN-1', 'CAN-1']), waitOptions);
  });

  it('retry resets the counters of an issue blocked after its attempts ran out, and removes the needs-human label', async () => {
    fixture = await createOrchestratorFixture({
      issues: [createTestIssue({ id: 'issue-blk', identifier: 'BLK-1' })],
      agentCommand: 'exit 3',
      frontMatter: { agent: { max_attempts: 1 }, tracker: { needs_human_label: 'needs-human' } },
    });
    const { orchestrator } = fixture;
    await orchestrator.runOnce();
    expect(orchestrator.snapshot().blocked.map((item) => item.identifier)).toEqual(['BLK-1']);
    expect(fixture.tracker.issues!.get('issue-blk')!.labels).toContain('needs-human');
    const store = createFileStore(path.join(fixture.stateDirectory, 'store'));
    expect(await store.get('item/issue-blk')).toMatchObject({ failures: 1 });

    await orchestrator.pause();
    await orchestrator.retry('issue-blk');
    expect(await store.get('item/issue-blk')).toMatchObject({ failures: 0, blocked: null });
    expect(fixture.tracker.issues!.get('issue-blk')!.labels).not.toContain('needs-human');
    // Paused, so it stays queued where a person can see it.
    await orchestrator.tick();
    expect(orchestrator.snapshot().queued.map((item) => item.identifier)).toEqual(['BLK-1']);
    expect(orchestrator.snapshot().blocked).toEqual([]);
  });

  it('refuses controls on issues it does not hold, with a ControlError saying why', async () => {
    fixture = await createOrchestratorFixture({
      issues: [createTestIssue({ id: 'issue-run', identifier: 'RUN-1' })],
      agentCommand: 'sleep 30',
    });
    const { orchestrator } = fixture;
    await orchestrator.tick();
    const refusal = async (action: Promise<void>) => {
      const error = await action.then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(LoompaError.hasCode(error, 'control_refused')).toBe(true);
      return (error as ControlError).reason;
    };
    expect(await refusal(orchestrator.retry('no-such-issue'))).toBe('not_found');
    expect(await refusal(orchestrator.cancel('no-such-issue'))).toBe('not_found');
    expect(await refusal(orchestrator.retry('issue-run'))).toBe('conflict');
    expect(await refusal(orchestrator.approve('issue-run', { reviewer: 'ada' }))).toBe('conflict');
    expect(orchestrator.snapshot().running).toHaveLength(1);
  });
});
