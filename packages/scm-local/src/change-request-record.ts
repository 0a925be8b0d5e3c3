import type { ChangeRequest, ChangeRequestState, ReviewThread } from '@loompa/core';

/** A comment Loompa keeps up to date under a key (the status comment, say). */
export interface KeyedCommentRecord {
  key: string;
  id: string;
  author: string;
  body: string;
  createdAt: string;
  updatedAt: string;
}

export interface ThreadCommentRecord {
  id: string;
  author: string;
  body: string;
  createdAt: string;
}

export interface ThreadRecord {
  id: string;
  path: string | null;
  line: number | null;
  resolved: boolean;
  /** The head commit the thread was opened on. */
  headSha: string | null;
  comments: ThreadCommentRecord[];
}

export type ReviewVerdict = 'approved' | 'changes_requested';

/** One review decision, by the reviewer agent or a person, on one head commit. */
export interface VerdictRecord {
  id: string;
  reviewer: string;
  verdict: ReviewVerdict;
  headSha: string;
  source: 'agent' | 'person';
  createdAt: string;
}

/** The reviewer agent's work on one head: it reviews each head once (retrying a failed run once). */
export interface AgentReviewRecord {
  headSha: string;
  attempts: number;
  state: 'running' | 'done' | 'failed';
  /** The process running the review, so a restart can tell an abandoned run from a live one. */
  processId: number | null;
  error: string | null;
  updatedAt: string;
}

/** Everything scm-local knows about one change request; one JSON file per record. */
export interface ChangeRequestRecord {
  formatVersion: 1;
  id: string;
  number: number;
  branch: string;
  baseBranch: string;
  title: string;
  body: string;
  state: ChangeRequestState;
  createdAt: string;
  updatedAt: string;
  /** The branch head when the request was merged or closed; later status reads report it. */
  finalHeadSha: string | null;
  /** The base-branch commit a merge produced. */
  mergedSha: string | null;
  /** Whether the branch was ever seen ahead of its base, so a manual merge can be recognized. */
  seenAhead: boolean;
  comments: KeyedCommentRecord[];
  threads: ThreadRecord[];
  verdicts: VerdictRecord[];
  agentReviews: AgentReviewRecord[];
  /** Review record files already folded in, so none is applied twice (also after a restart). */
  ingestedReviewFiles: string[];
  /** Counter behind thread, comment and verdict ids, unique within the record. */
  lastItemNumber: number;
}

/** Hands out the next id inside a record (`t3`, `c4`, …). */
export function nextItemId(record: ChangeRequestRecord, prefix: string): string {
  record.lastItemNumber += 1;
  return `${prefix}${record.lastItemNumber}`;
}

export function toChangeRequest(record: ChangeRequestRecord): ChangeRequest {
  return {
    id: record.id,
    number: record.number,
    url: null,
    branch: record.branch,
    baseBranch: record.baseBranch,
    title: record.title,
    state: record.state,
  };
}

export function toReviewThread(thread: ThreadRecord): ReviewThread {
  return {
    id: thread.id,
    path: thread.path,
    line: thread.line,
    resolved: thread.resolved,
    comments: thread.comments.map((comment) => ({
      id: comment.id,
      author: comment.author,
      body: comment.body,
      createdAt: new Date(comment.createdAt),
    })),
  };
}
