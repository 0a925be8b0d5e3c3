import { MockScmProvider } from '@loompa/testkit';
import { describe, expect, it } from 'vitest';
import { pendingRepliesFor } from '../../change-requests/pending-thread-reply.js';
import { OrchestratorEvents } from '../../events/orchestrator-events.js';
import { createSilentLogger } from '../../logging/logger.js';
import type {
  ChangeRequest,
  ChangeRequestStatus,
  ReviewThread,
} from '../../specifications/change-request.js';
import { createMemoryStore } from '../../store/orchestrator-store.js';
import { WorkItemStore } from '../work-item-store.js';
import { ThreadReplies } from './thread-replies.js';

const issue = { id: 'issue-1', identifier: 'REP-1' };
const changeRequest: ChangeRequest = {
  id: 'cr-1',
  number: 1,
  url: null,
  branch: 'loompa/REP-1',
  baseBranch: 'main',
  title: 'REP-1',
  state: 'open',
};
const head = 'c'.repeat(40);
const thread = (comments: string[]): ReviewThread => ({
  id: 'thread-1',
  path: 'a.txt',
  line: 1,
  resolved: false,
  comments: comments.map((body, index) => ({
    id: `n${index}`,
    author: 'carol',
    body,
    createdAt: new Date(0),
  })),
});
const statusWith = (reviewThread: ReviewThread): ChangeRequestStatus => ({
  state: 'open',
  headSha: head,
  continuousIntegration: { state: 'success', checks: [] },
  review: { state: 'none', threads: [reviewThread] },
  mergeability: 'clean',
});

/** A store whose record owes the reply to `thread-1`, and the replies sender over `scm`. */
async function owingReply(scm: MockScmProvider, options: { dryRun?: boolean; clock?: { now: number } } = {}) {
  const store = new WorkItemStore();
  store.open(createMemoryStore());
  const owed = pendingRepliesFor([thread(['Why?'])], head);
  await store.write({ ...(await store.read(issue)), changeRequest, pendingThreadReplies: owed });
  const events = new OrchestratorEvents();
  const clock = options.clock ?? { now: 0 };
  const replies = new ThreadReplies({
    scm: () => scm,
    store,
    events,
    logger: createSilentLogger(),
    now: () => clock.now,
    dryRun: options.dryRun ?? false,
  });
  replies.watch(await store.read(issue));
  return { store, events, replies, owed, clock };
}

describe('ThreadReplies', () => {
  it('only resolves a thread that already holds the reply (the forge took it before a crash)', async () => {
    const marker = pendingRepliesFor([thread(['Why?'])], head)[0]!.marker;
    const scm = new MockScmProvider({
      getStatus: () => statusWith(thread(['Why?', `Addressed in ccc.\n\n${marker}`])),
      replyToThread: () => undefined,
      resolveThread: () => undefined,
    });
    const { store, replies } = await owingReply(scm);
    await replies.sendDue();
    expect(scm.recorder.callsOf('replyToThread')).toEqual([]);
    expect(scm.recorder.callsOf('resolveThread')).toEqual([{ changeRequest, threadId: 'thread-1' }]);
    expect((await store.read(issue)).pendingThreadReplies).toEqual([]);
    expect(replies.size).toBe(0);
  });

  it('waits out the back-off after a refusal, then sends once', async () => {
    const scm = new MockScmProvider({
      getStatus: () => statusWith(thread(['Why?'])),
      replyToThread: [
        () => {
          throw new Error('502 Bad Gateway');
        },
        () => undefined,
      ],
      resolveThread: () => undefined,
    });
    const { store, events, replies, owed, clock } = await owingReply(scm);
    const failures: unknown[] = [];
    events.on('thread-reply-failed', (payload) => failures.push(payload));
    await replies.sendDue();
    expect(failures).toEqual([expect.objectContaining({ step: 'reply', failures: 1, retryInMs: 1_000 })]);
    clock.now = 999;
    await replies.sendDue();
    expect(scm.recorder.callsOf('replyToThread')).toHaveLength(1);
    clock.now = 1_000;
    await replies.sendDue();
    expect(scm.recorder.callsOf('replyToThread')).toEqual([
      { changeRequest, threadId: 'thread-1', body: owed[0]!.body },
      { changeRequest, threadId: 'thread-1', body: owed[0]!.body },
    ]);
    expect((await store.read(issue)).pendingThreadReplies).toEqual([]);
  });

  it('sends nothing in a dry run, and keeps what is owed', async () => {
    const scm = new MockScmProvider({
      getStatus: () => statusWith(thread(['Why?'])),
      replyToThread: () => undefined,
      resolveThread: () => undefined,
    });
    const { store, replies, owed } = await owingReply(scm, { dryRun: true });
    await replies.sendDue();
    await replies.send(issue.id);
    expect(scm.recorder.calls).toEqual([]);
    expect((await store.read(issue)).pendingThreadReplies).toEqual(owed);
  });
});
