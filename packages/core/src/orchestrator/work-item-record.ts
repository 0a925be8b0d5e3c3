import { createHash } from 'node:crypto';
import type { CheckHistory } from '../change-requests/check-history.js';
import type { PendingThreadReply } from '../change-requests/pending-thread-reply.js';
import type { ChangeRequest } from '../specifications/change-request.js';
import { type Issue, normalizeName } from '../specifications/issue.js';

/** Facts kept in the store per issue: they cannot be rebuilt from the tracker, forge or git. */
export interface WorkItemRecord {
  issueId: string;
  identifier: string;
  failures: number;
  sessionId: string | null;
  /** Set after a context overflow: the fresh session's prompt starts with it. */
  previousSessionSummary?: string | null;
  blocked: { reason: string; fingerprint: string; since: string } | null;
  /** The change request opened (or adopted) for the issue, while it is open. */
  changeRequest: ChangeRequest | null;
  /** The agent finished but publishing did not: publish without running the agent again. */
  publishPending: boolean;
  lastPushedHead: string | null;
  /** When Loompa pushed `lastPushedHead` (ms since the epoch): checks settle from then on. */
  lastPushedAt: number | null;
  ciAttempts: number;
  reviewAttempts: number;
  conflictAttempts: number;
  failedConflictHeads: string[];
  handledCommentIds: string[];
  /** Replies and resolutions still owed to review threads (sent by `thread-replies/`). */
  pendingThreadReplies: PendingThreadReply[];
  /** The issue carries the link comment (and review state) for the current change request. */
  trackerLinked: boolean;
  /** Check outcomes, classified failures and re-runs of the current change request. */
  checkHistory?: CheckHistory | null;
  /**
   * The attempt handed to the runner whose end is not recorded yet. Whoever dispatches the
   * issue next (the next leader of a shared store, or this process after a crash) hands the
   * runner this same run, so a runner whose runs live elsewhere (a queue) finds it and adopts
   * it instead of running the agent again.
   */
  runInFlight?: RunInFlight | null;
}

/** One attempt's run, named once by the leader that first dispatched it. */
export interface RunInFlight {
  /** Unique per dispatched attempt; a runner names the run (a queue's job) by it. */
  id: string;
  attempt: number | null;
}

/** Change-request history cleared when a new change request starts. */
export const freshChangeRequestHistory = {
  changeRequest: null,
  publishPending: false,
  lastPushedHead: null,
  lastPushedAt: null,
  ciAttempts: 0,
  reviewAttempts: 0,
  conflictAttempts: 0,
  failedConflictHeads: [],
  handledCommentIds: [],
  pendingThreadReplies: [],
  trackerLinked: false,
  checkHistory: null,
} satisfies Partial<WorkItemRecord>;

/** The store key of an issue's record. */
/** The store keys of every record start with this. */
export const recordKeyPrefix = 'item/';
export const storeKeyFor = (issueId: string) => `${recordKeyPrefix}${issueId}`;

/** Stands in for an adopted issue until the first refresh from the tracker. */
export function placeholderIssue(record: Pick<WorkItemRecord, 'issueId' | 'identifier'>): Issue {
  return {
    id: record.issueId,
    identifier: record.identifier,
    title: record.identifier,
    description: null,
    state: '',
    priority: null,
    labels: [],
    type: null,
    assignees: [],
    url: null,
    createdAt: null,
    updatedAt: null,
    branchName: null,
    blockedBy: [],
    dispatchable: true,
  };
}

/**
 * A stable summary of what a person can change on an issue; a change unblocks it. Assignees
 * are left out: trackers claim by assigning Loompa's own user (GitHub, GitLab), and the
 * claim's release right after a block would otherwise look like a person's change and
 * dispatch the blocked issue again at once.
 */
export function fingerprintOf(issue: Issue): string {
  const facts = {
    state: normalizeName(issue.state),
    title: issue.title,
    description: issue.description,
    labels: [...issue.labels].map(normalizeName).sort(),
    priority: issue.priority,
    type: issue.type,
  };
  return createHash('sha256').update(JSON.stringify(facts)).digest('hex');
}
