/** A reference to an issue that blocks another one. Fields the tracker does not know are null. */
export interface IssueReference {
  id: string | null;
  identifier: string | null;
  /** The blocker's state as the tracker reported it, when it did. */
  state: string | null;
}

/**
 * An issue as every tracker normalizes it. The orchestrator relies only on these fields.
 * Labels are trimmed and lowercased; states keep the tracker's spelling and are compared
 * trimmed and case-insensitively.
 */
export interface Issue {
  /** The tracker's stable internal id (used for refresh and writes). */
  id: string;
  /** The human-facing key, e.g. `TASK-12` or `#34`; also the base of the workspace name. */
  identifier: string;
  title: string;
  description: string | null;
  state: string;
  /** 1 (urgent) … 4 (low); null when unset or not a number the tracker understands. */
  priority: number | null;
  labels: string[];
  /** Issue type such as `bug` or `feature`, lowercased; null when the tracker has none. */
  type: string | null;
  assignees: string[];
  url: string | null;
  createdAt: Date | null;
  updatedAt: Date | null;
  /** A branch name the tracker suggests, if any. */
  branchName: string | null;
  blockedBy: IssueReference[];
  /**
   * False when the tracker knows the issue cannot be worked on yet (for example a blocker
   * is not finished). The orchestrator never dispatches a non-dispatchable issue.
   */
  dispatchable: boolean;
}

/** Trims and lowercases a label or a state for comparison. */
export function normalizeName(name: string): string {
  return name.trim().toLowerCase();
}
