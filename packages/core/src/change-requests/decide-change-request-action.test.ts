import { describe, expect, it } from 'vitest';
import type {
  ChangeRequestStatus,
  CheckResult,
  ContinuousIntegrationState,
  Mergeability,
  ReviewState,
  ReviewThread,
} from '../specifications/change-request.js';
import {
  type ChangeRequestAction,
  type ChangeRequestHistory,
  decideChangeRequestAction,
  type MergePolicy,
  type ReactionPolicy,
} from './decide-change-request-action.js';

const failedCheck: CheckResult = { id: 'check-1', name: 'test', state: 'failure', url: null };
const passedCheck: CheckResult = { id: 'check-2', name: 'lint', state: 'success', url: null };

function thread(id: string, author: string, options: Partial<ReviewThread> = {}): ReviewThread {
  return {
    id: `thread-${id}`,
    path: 'src/a.ts',
    line: 3,
    resolved: false,
    comments: [{ id, author, body: 'please change', createdAt: new Date(0) }],
    ...options,
  };
}

function status(
  overrides: {
    state?: ChangeRequestStatus['state'];
    headSha?: string | null;
    ci?: ContinuousIntegrationState;
    review?: ReviewState;
    threads?: ReviewThread[];
    mergeability?: Mergeability;
  } = {},
): ChangeRequestStatus {
  const ci = overrides.ci ?? 'success';
  return {
    state: overrides.state ?? 'open',
    headSha: overrides.headSha === undefined ? 'head-1' : overrides.headSha,
    continuousIntegration: {
      state: ci,
      checks: ci === 'failure' ? [failedCheck, passedCheck] : [passedCheck],
    },
    review: { state: overrides.review ?? 'none', threads: overrides.threads ?? [] },
    mergeability: overrides.mergeability ?? 'clean',
  };
}

const history: ChangeRequestHistory = {
  lastPushedHead: 'head-1',
  ciAttempts: 0,
  reviewAttempts: 0,
  conflictAttempts: 0,
  failedConflictHeads: [],
  handledCommentIds: [],
};

const policy: ReactionPolicy = {
  ci: { enabled: true, max_attempts: 3 },
  review: { enabled: true, max_attempts: 3, reviewers: [] },
  conflict: { enabled: true, max_attempts: 2 },
  autoMerge: true,
  botName: 'loompa',
};

type Row = [
  string,
  ChangeRequestStatus,
  Partial<ChangeRequestHistory>,
  Partial<ReactionPolicy>,
  Partial<ChangeRequestAction>,
];

const table: Row[] = [
  ['merged → done', status({ state: 'merged' }), {}, {}, { action: 'done' }],
  ['closed → release', status({ state: 'closed' }), {}, {}, { action: 'release' }],
  ['unknown head → wait', status({ headSha: null }), {}, {}, { action: 'wait' }],
  [
    'CI failure → react with the failing checks only',
    status({ ci: 'failure' }),
    {},
    {},
    { action: 'react-to-ci', failedChecks: [failedCheck] },
  ],
  [
    'CI failure at the limit on our own head → block',
    status({ ci: 'failure' }),
    { ciAttempts: 3 },
    {},
    { action: 'block', reason: 'checks still fail after 3 fix attempts (reactions.ci.max_attempts is 3)' },
  ],
  [
    'CI failure on a head someone else pushed resets the count',
    status({ ci: 'failure', headSha: 'theirs' }),
    { ciAttempts: 3 },
    {},
    { action: 'react-to-ci' },
  ],
  [
    'CI failure with CI reactions disabled → wait',
    status({ ci: 'failure' }),
    {},
    { ci: { enabled: false, max_attempts: 3 } },
    { action: 'wait' },
  ],
  [
    'CI failure wins over review feedback and conflicts',
    status({ ci: 'failure', threads: [thread('c1', 'alice')], mergeability: 'conflict' }),
    {},
    {},
    { action: 'react-to-ci' },
  ],
  [
    'new review comment → react',
    status({ review: 'changes_requested', threads: [thread('c1', 'alice')] }),
    {},
    {},
    { action: 'react-to-review', commentIds: ['c1'] },
  ],
  [
    'review comment already handled → wait for re-review',
    status({ review: 'changes_requested', threads: [thread('c1', 'alice')] }),
    { handledCommentIds: ['c1'] },
    {},
    { action: 'wait', reason: 'changes were requested; waiting for the reviewer to look again' },
  ],
  [
    "Loompa's own comment is never acted on",
    status({ threads: [thread('c1', 'Loompa')] }),
    {},
    {},
    { action: 'merge' },
  ],
  [
    'a resolved thread is not feedback',
    status({ threads: [thread('c1', 'alice', { resolved: true })] }),
    {},
    {},
    { action: 'merge' },
  ],
  [
    'a reviewer outside the allowed list is ignored',
    status({ threads: [thread('c1', 'mallory')] }),
    {},
    { review: { enabled: true, max_attempts: 3, reviewers: ['alice'] } },
    { action: 'merge' },
  ],
  [
    'an allowed reviewer is acted on (case-insensitive)',
    status({ threads: [thread('c1', 'Alice')] }),
    {},
    { review: { enabled: true, max_attempts: 3, reviewers: ['alice'] } },
    { action: 'react-to-review' },
  ],
  [
    'review rounds exhausted → block',
    status({ threads: [thread('c1', 'alice')] }),
    { reviewAttempts: 3 },
    {},
    { action: 'block' },
  ],
  [
    'conflict → rebase',
    status({ mergeability: 'conflict' }),
    {},
    {},
    { action: 'rebase', reason: 'conflict' },
  ],
  ['behind → rebase', status({ mergeability: 'behind' }), {}, {}, { action: 'rebase', reason: 'behind' }],
  [
    'conflict on a head whose resolution failed → block',
    status({ mergeability: 'conflict' }),
    { failedConflictHeads: ['head-1'] },
    {},
    { action: 'block' },
  ],
  [
    'conflict rounds exhausted → block',
    status({ mergeability: 'conflict' }),
    { conflictAttempts: 2 },
    {},
    { action: 'block' },
  ],
  [
    'conflict reactions disabled → wait',
    status({ mergeability: 'conflict' }),
    {},
    { conflict: { enabled: false, max_attempts: 2 } },
    { action: 'wait' },
  ],
  [
    'checks pending → wait',
    status({ ci: 'pending' }),
    {},
    {},
    { action: 'wait', reason: 'checks are running' },
  ],
  ['mergeability computing → wait', status({ mergeability: 'computing' }), {}, {}, { action: 'wait' }],
  [
    'mergeability unknown → wait (fail closed)',
    status({ mergeability: 'unknown' }),
    {},
    {},
    { action: 'wait' },
  ],
  [
    'blocked (approval missing) → wait',
    status({ mergeability: 'blocked' }),
    {},
    {},
    { action: 'wait', reason: 'waiting for an approving review' },
  ],
  [
    'all green, approved → merge',
    status({ review: 'approved' }),
    {},
    {},
    { action: 'merge', headSha: 'head-1' },
  ],
  ['all green, no checks, no review → merge', status({ ci: 'none' }), {}, {}, { action: 'merge' }],
  [
    'all green but auto_merge off → wait for a person',
    status({ review: 'approved' }),
    {},
    { autoMerge: false },
    { action: 'wait', reason: 'ready to merge; waiting for a person (scm.auto_merge is off)' },
  ],
];

const strict: MergePolicy = {
  requiredChecks: null,
  requiredApprovals: 0,
  checksSettleMs: 60_000,
  allowWithoutChecks: false,
};
const pushedAt = 1_000_000;
const afterSettling = pushedAt + 60_000;

describe('the merge rules (fail closed)', () => {
  const decide = (
    current: ChangeRequestStatus,
    merge: Partial<MergePolicy>,
    now: number,
    extraHistory: Partial<ChangeRequestHistory> = {},
  ) =>
    decideChangeRequestAction(
      current,
      { ...history, lastPushedAt: pushedAt, ...extraHistory },
      { ...policy, merge: { ...strict, ...merge } },
      now,
    );
  const withChecks = (checks: CheckResult[], extra: Partial<ChangeRequestStatus['review']> = {}) => {
    const current = status({ ci: 'success' });
    return {
      ...current,
      continuousIntegration: { state: 'success' as const, checks },
      review: { ...current.review, ...extra },
    };
  };

  it('waits while no check has reported, however long after the push', () => {
    expect(decide(status({ ci: 'none' }), {}, afterSettling + 3_600_000)).toEqual({
      action: 'wait',
      reason:
        'no check has reported on head-1 yet; nothing merges unchecked (scm.allow_merge_without_checks is off)',
    });
  });

  it('merges without checks only when the workflow opts out, and only after the settle window', () => {
    expect(decide(status({ ci: 'none' }), { allowWithoutChecks: true }, pushedAt + 1_000)).toEqual({
      action: 'wait',
      reason: 'waiting for checks to register after the push (scm.checks_settle_ms)',
    });
    expect(decide(status({ ci: 'none' }), { allowWithoutChecks: true }, afterSettling)).toEqual({
      action: 'merge',
      headSha: 'head-1',
    });
  });

  it('does not trust an early green: more checks may register within the settle window', () => {
    expect(decide(status({ ci: 'success' }), {}, pushedAt + 5_000).action).toBe('wait');
    expect(decide(status({ ci: 'success' }), {}, afterSettling)).toEqual({
      action: 'merge',
      headSha: 'head-1',
    });
  });

  it('uses no settle window for a head someone else pushed (its push time is unknown)', () => {
    expect(decide(status({ ci: 'success', headSha: 'head-2' }), {}, pushedAt + 5_000).action).toBe('merge');
  });

  it('waits for every required check by name, and for a required check that is not a success', () => {
    const lint = { id: 'c-1', name: 'lint', state: 'success' as const, url: null };
    const build = { id: 'c-2', name: 'Build', state: 'skipped' as const, url: null };
    expect(decide(withChecks([lint]), { requiredChecks: ['lint', 'build'] }, afterSettling)).toEqual({
      action: 'wait',
      reason: 'the required check "build" has not reported on head-1 (scm.required_checks)',
    });
    expect(decide(withChecks([lint, build]), { requiredChecks: ['lint', 'build'] }, afterSettling)).toEqual({
      action: 'wait',
      reason: 'the required check "build" is skipped (scm.required_checks)',
    });
    expect(
      decide(
        withChecks([lint, { ...build, state: 'success' }]),
        { requiredChecks: ['lint', 'build'] },
        afterSettling,
      ),
    ).toEqual({ action: 'merge', headSha: 'head-1' });
  });

  it('waits for the required number of approving reviews', () => {
    const lint = { id: 'c-1', name: 'lint', state: 'success' as const, url: null };
    expect(decide(withChecks([lint]), { requiredApprovals: 1 }, afterSettling)).toEqual({
      action: 'wait',
      reason: 'waiting for 1 approving review (has 0; scm.required_approvals)',
    });
    expect(
      decide(
        withChecks([lint], { state: 'approved', approvals: 1 }),
        { requiredApprovals: 2 },
        afterSettling,
      ),
    ).toEqual({
      action: 'wait',
      reason: 'waiting for 2 approving reviews (has 1; scm.required_approvals)',
    });
    expect(
      decide(withChecks([lint], { state: 'approved' }), { requiredApprovals: 1 }, afterSettling),
    ).toEqual({
      action: 'merge',
      headSha: 'head-1',
    });
  });

  it('still never merges with auto_merge off', () => {
    const decided = decideChangeRequestAction(
      status({ ci: 'success' }),
      { ...history, lastPushedAt: pushedAt },
      { ...policy, autoMerge: false, merge: strict },
      afterSettling,
    );
    expect(decided).toEqual({
      action: 'wait',
      reason: 'ready to merge; waiting for a person (scm.auto_merge is off)',
    });
  });
});

describe('decideChangeRequestAction', () => {
  it.each(table)('%s', (_name, input, historyChanges, policyChanges, expected) => {
    expect(
      decideChangeRequestAction(input, { ...history, ...historyChanges }, { ...policy, ...policyChanges }),
    ).toMatchObject(expected);
  });

  it('covers every CI × review × mergeability combination without throwing, never merging unless all is green', () => {
    const ciStates: ContinuousIntegrationState[] = ['none', 'pending', 'success', 'failure'];
    const reviewStates: ReviewState[] = ['approved', 'changes_requested', 'none'];
    const mergeabilities: Mergeability[] = ['computing', 'clean', 'conflict', 'behind', 'blocked', 'unknown'];
    for (const ci of ciStates) {
      for (const review of reviewStates) {
        for (const mergeability of mergeabilities) {
          const decision = decideChangeRequestAction(status({ ci, review, mergeability }), history, policy);
          const green =
            (ci === 'success' || ci === 'none') && review !== 'changes_requested' && mergeability === 'clean';
          expect(decision.action === 'merge', `${ci}/${review}/${mergeability}`).toBe(green);
          if (ci === 'failure') expect(decision.action).toBe('react-to-ci');
        }
      }
    }
  });
});
