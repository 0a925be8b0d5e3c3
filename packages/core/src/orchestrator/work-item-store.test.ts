import { createTestIssue } from '@loompa/testkit';
import { beforeEach, describe, expect, it } from 'vitest';
import { pendingRepliesFor } from '../change-requests/pending-thread-reply.js';
import type { ChangeRequest } from '../specifications/change-request.js';
import { createMemoryStore, type OrchestratorStore } from '../store/orchestrator-store.js';
import { freshChangeRequestHistory, storeKeyFor, type WorkItemRecord } from './work-item-record.js';
import { WorkItemStore } from './work-item-store.js';

const issue = createTestIssue({ id: 'issue-7', identifier: 'STO-7', labels: ['agent'] });
const changeRequest: ChangeRequest = {
  id: 'cr-1',
  number: 1,
  url: 'https://forge.example/cr/1',
  branch: 'loompa/STO-7',
  baseBranch: 'main',
  title: 'STO-7',
  state: 'open',
};

let backend: OrchestratorStore;
let store: WorkItemStore;
beforeEach(() => {
  backend = createMemoryStore();
  store = new WorkItemStore();
  store.open(backend);
});

describe('records', () => {
  it('reads a fresh record for an issue it never saw', async () => {
    expect(await store.read(issue)).toEqual({
      issueId: 'issue-7',
      identifier: 'STO-7',
      failures: 0,
      sessionId: null,
      blocked: null,
      ...freshChangeRequestHistory,
    });
  });

  it('refuses to work before the orchestrator opens it', async () => {
    await expect(new WorkItemStore().read(issue)).rejects.toThrow(/not open yet/);
  });
});

describe('attempts and publishing', () => {
  it('counts failures, clears them on a clean attempt, and leaves them alone when stopped', async () => {
    await store.recordAttemptEnd(issue, 'session-1', { kind: 'failed', reason: 'boom' }, null);
    const twice = await store.recordAttemptEnd(issue, null, { kind: 'failed', reason: 'boom' }, null);
    expect(twice).toMatchObject({ failures: 2, sessionId: 'session-1' });
    const stopped = await store.recordAttemptEnd(issue, null, { kind: 'stopped', reason: 'shutdown' }, null);
    expect(stopped.failures).toBe(2);
    const clean = await store.recordAttemptEnd(issue, 'session-2', { kind: 'completed' }, null);
    expect(clean).toMatchObject({ failures: 0, sessionId: 'session-2' });
  });

  it('starts a new change-request history when an attempt published', async () => {
    await backend.set(storeKeyFor(issue.id), {
      ...(await store.read(issue)),
      ciAttempts: 2,
      handledCommentIds: ['old'],
      publishPending: true,
    });
    const record = await store.recordAttemptEnd(
      issue,
      null,
      { kind: 'completed' },
      { changeRequest, head: 'abc123' },
    );
    expect(record).toMatchObject({
      changeRequest,
      lastPushedHead: 'abc123',
      ciAttempts: 0,
      handledCommentIds: [],
      publishPending: false,
      trackerLinked: false,
    });
  });

  it('marks work pending before publishing and clears the mark after', async () => {
    const before = await store.markPublishPending(issue, 'session-3');
    expect(before.publishPending).toBe(false);
    expect(await store.read(issue)).toMatchObject({ publishPending: true, sessionId: 'session-3' });
    await store.clearPublishPending(issue);
    expect((await store.read(issue)).publishPending).toBe(false);
  });

  it('adopts a change request, keeping the pushed head only when the record named the same one', async () => {
    const record: WorkItemRecord = {
      ...(await store.read(issue)),
      changeRequest,
      lastPushedHead: 'head-1',
      ciAttempts: 3,
      handledCommentIds: ['c1'],
    };
    await store.adoptChangeRequest(record, changeRequest);
    expect(await store.read(issue)).toMatchObject({
      changeRequest,
      lastPushedHead: 'head-1',
      ciAttempts: 0,
      handledCommentIds: ['c1'],
    });
    await store.adoptChangeRequest(record, { ...changeRequest, id: 'cr-2' });
    expect(await store.read(issue)).toMatchObject({ lastPushedHead: null, handledCommentIds: ['c1'] });
  });
});

describe('reactions', () => {
  it('counts a CI round per head: a head Loompa did not push starts the count again', async () => {
    const record = { ...(await store.read(issue)), lastPushedHead: 'mine', ciAttempts: 2 };
    expect((await store.countReactionRound(record, 'ci-failure', 'mine')).ciAttempts).toBe(3);
    expect((await store.countReactionRound(record, 'ci-failure', 'someone-else')).ciAttempts).toBe(1);
    const review = await store.countReactionRound(record, 'review', 'mine');
    expect(review).toMatchObject({ ciAttempts: 2, reviewAttempts: 1, conflictAttempts: 0 });
    expect(await store.read(issue)).toEqual(review);
  });

  it('gives a conflict round back when the rebase needed no agent', async () => {
    const counted = await store.countReactionRound(await store.read(issue), 'conflict', 'head-1');
    expect(counted.conflictAttempts).toBe(1);
    const record = await store.recordReactionEnd(issue, 'session-4', {
      ok: true,
      head: 'head-2',
      rebasedWithoutAgent: true,
    });
    expect(record).toMatchObject({ conflictAttempts: 0, lastPushedHead: 'head-2', sessionId: 'session-4' });
  });

  it('keeps the round of a rebase the agent resolved, and remembers handled comments', async () => {
    await store.countReactionRound(await store.read(issue), 'conflict', 'head-1');
    const record = await store.recordReactionEnd(issue, null, {
      ok: true,
      head: 'head-2',
      handledCommentIds: ['c1', 'c2'],
    });
    expect(record).toMatchObject({ conflictAttempts: 1, handledCommentIds: ['c1', 'c2'] });
  });

  it('keeps the replies a review reaction owes with its handled comments, until each is settled', async () => {
    const threads = ['t1', 't2'].map((id) => ({
      id,
      path: null,
      line: null,
      resolved: false,
      comments: [{ id: `${id}-c`, author: 'carol', body: 'Why?', createdAt: new Date(0) }],
    }));
    const owed = pendingRepliesFor(threads, 'a'.repeat(40));
    expect(owed[0]!.body).toBe(`Addressed in aaaaaaaaaaaa.\n\n${owed[0]!.marker}`);
    // Another head answers the same thread under another marker.
    expect(pendingRepliesFor(threads, 'b'.repeat(40))[0]!.marker).not.toBe(owed[0]!.marker);
    await store.recordReactionEnd(issue, null, {
      ok: true,
      head: 'a'.repeat(40),
      handledCommentIds: ['t1-c', 't2-c'],
      threadReplies: owed,
    });
    await store.updatePendingThreadReplies(issue, { replied: [owed[0]!.marker], settled: [] });
    await store.updatePendingThreadReplies(issue, { replied: [], settled: [owed[1]!.marker] });
    const record = await store.read(issue);
    expect(record.handledCommentIds).toEqual(['t1-c', 't2-c']);
    expect(record.pendingThreadReplies).toEqual([{ ...owed[0]!, replied: true }]);
    // A new change request starts without replies owed to the old one.
    await store.closeChangeRequest(record, true);
    expect((await store.read(issue)).pendingThreadReplies).toEqual([]);
  });

  it('remembers the head whose conflict the agent could not resolve', async () => {
    const record = await store.recordReactionEnd(issue, null, {
      ok: false,
      reason: 'the agent could not resolve the rebase conflict',
      failedConflictHead: 'head-9',
    });
    expect(record.failedConflictHeads).toEqual(['head-9']);
  });

  it('clears the history when the change request closes, and the failures too when it merged', async () => {
    const record = { ...(await store.read(issue)), changeRequest, failures: 2, reviewAttempts: 1 };
    await store.closeChangeRequest(record, false);
    expect(await store.read(issue)).toMatchObject({ changeRequest: null, reviewAttempts: 0, failures: 2 });
    await store.closeChangeRequest(record, true);
    expect((await store.read(issue)).failures).toBe(0);
  });
});

describe('blocked issues', () => {
  it('blocks, survives a restart, and unblocks only once a person changed the issue', async () => {
    const since = new Date('2026-01-02T03:04:05Z');
    await store.block({ ...(await store.read(issue)), failures: 3 }, issue, 'three failures', since);
    expect(store.isBlocked(issue.id)).toBe(true);

    const restarted = new WorkItemStore();
    restarted.open(backend);
    expect(await restarted.restore()).toEqual([]);
    expect([...restarted.blockedEntries()]).toEqual([
      [
        issue.id,
        {
          identifier: 'STO-7',
          title: 'STO-7',
          reason: 'three failures',
          since,
          fingerprint: expect.any(String),
        },
      ],
    ]);

    expect(await restarted.unblockChanged([issue])).toEqual([]);
    // Releasing the claim unassigns Loompa's own user: not a person's change.
    expect(await restarted.unblockChanged([{ ...issue, assignees: ['loompa-bot'] }])).toEqual([]);
    expect(await restarted.unblockChanged([{ ...issue, assignees: [] }])).toEqual([]);
    const changed = { ...issue, labels: [] };
    expect(await restarted.unblockChanged([changed])).toEqual([changed]);
    expect(restarted.isBlocked(issue.id)).toBe(false);
    expect(await restarted.read(issue)).toMatchObject({ blocked: null, failures: 0 });
  });

  it('returns the records with an open change request at restore', async () => {
    await backend.set(storeKeyFor(issue.id), { ...(await store.read(issue)), changeRequest });
    expect((await store.restore()).map((record) => record.changeRequest)).toEqual([changeRequest]);
  });
});
