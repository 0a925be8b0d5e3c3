import type { ReviewState, ReviewThread } from '@loompa/core';

/** GitLab discussions, approvals and reviewer states as Loompa's review snapshot. */

interface NoteFields {
  id: number;
  body: string;
  system?: boolean;
  resolvable?: boolean;
  resolved?: boolean;
  author?: { username?: string } | null;
  created_at?: string;
  position?: {
    new_path?: string | null;
    new_line?: number | null;
    old_path?: string | null;
    old_line?: number | null;
  } | null;
}

export interface DiscussionFields {
  id: string;
  individual_note?: boolean;
  notes?: NoteFields[];
}

/**
 * Resolvable discussions are review threads (diff notes carry a file and line; others are
 * general). Plain comments, such as Loompa's own status note, and system notes are not.
 */
export function discussionsToThreads(discussions: readonly DiscussionFields[]): ReviewThread[] {
  const threads: ReviewThread[] = [];
  for (const discussion of discussions) {
    const notes = (discussion.notes ?? []).filter((note) => !note.system);
    const resolvable = notes.filter((note) => note.resolvable);
    if (notes.length === 0 || resolvable.length === 0) continue;
    const position = notes[0]!.position ?? null;
    threads.push({
      id: discussion.id,
      path: position?.new_path ?? position?.old_path ?? null,
      line: position?.new_line ?? position?.old_line ?? null,
      resolved: resolvable.every((note) => note.resolved === true),
      comments: notes.map((note) => ({
        id: String(note.id),
        author: note.author?.username ?? 'unknown',
        body: note.body,
        createdAt: new Date(note.created_at ?? 0),
      })),
    });
  }
  return threads;
}

export interface ApprovalFields {
  approved?: boolean;
  approvals_left?: number;
  approved_by?: Array<{ user?: { username?: string } }>;
}

export interface ReviewerFields {
  state?: string;
  user?: { username?: string };
}

/**
 * `changes_requested` when any reviewer asked for changes, `approved` when the approvals
 * GitLab requires are given (and at least one is), `none` otherwise.
 */
export function reviewState(approvals: ApprovalFields, reviewers: readonly ReviewerFields[]): ReviewState {
  if (reviewers.some((reviewer) => reviewer.state === 'requested_changes')) return 'changes_requested';
  const approvedBy = approvals.approved_by?.length ?? 0;
  if (approvedBy > 0 && (approvals.approvals_left ?? 0) === 0) return 'approved';
  return 'none';
}
