/** A pull request (GitHub), merge request (GitLab) or local review branch (scm-local). */
export interface ChangeRequest {
  /** The provider's stable id, used in every later call. */
  id: string;
  /** The number people see (`#12`, `!12`), when the provider has one. */
  number: number | null;
  url: string | null;
  /** The branch that carries the change. */
  branch: string;
  /** The branch it would merge into. */
  baseBranch: string;
  title: string;
  state: ChangeRequestState;
  /**
   * Babysitting (change requests Loompa did not open) reads these; providers fill them when
   * they know them. `author` is the login or username that opened it.
   */
  author?: string | null;
  /** The head commit when the change request was read. */
  headSha?: string | null;
  /**
   * The remote URL of the repository holding `branch` when it is not the base repository
   * (a fork); null or absent when the branch lives next to its base.
   */
  headRepositoryUrl?: string | null;
  /**
   * Whether Loompa may push to `branch`: false for a fork whose owner did not allow
   * maintainers to edit it (GitHub `maintainer_can_modify`, GitLab
   * `allow_collaboration`). Absent means true.
   */
  pushable?: boolean;
}

export type ChangeRequestState = 'open' | 'merged' | 'closed';

/** One CI check (GitHub check run or status, GitLab job, scm-local check command). */
export interface CheckResult {
  id: string;
  name: string;
  state: 'pending' | 'success' | 'failure' | 'skipped';
  url: string | null;
  /**
   * The forge's own word for how a failed check ended, when it says more than "failed"
   * (GitHub `cancelled`, `timed_out`, `startup_failure`; GitLab `failure_reason` such as
   * `runner_system_failure`). Failure classification reads it.
   */
  conclusion?: string | null;
}

/** One comment inside a review thread. */
export interface ReviewComment {
  id: string;
  author: string;
  body: string;
  createdAt: Date;
}

/**
 * Review feedback: an inline thread on a file and line, or a general review comment (no
 * path). `comments` is ordered oldest first and is never empty.
 */
export interface ReviewThread {
  id: string;
  path: string | null;
  line: number | null;
  resolved: boolean;
  comments: ReviewComment[];
}

export type ContinuousIntegrationState = 'none' | 'pending' | 'success' | 'failure';
export type ReviewState = 'approved' | 'changes_requested' | 'none';
export type Mergeability = 'computing' | 'clean' | 'conflict' | 'behind' | 'blocked' | 'unknown';

/** Everything the reaction loop needs to know about a change request, normalized. */
export interface ChangeRequestStatus {
  state: ChangeRequestState;
  /** The commit at the tip of the change request's branch, as the provider sees it. */
  headSha: string | null;
  continuousIntegration: {
    state: ContinuousIntegrationState;
    checks: CheckResult[];
  };
  review: {
    state: ReviewState;
    threads: ReviewThread[];
    /** Approving reviews of the current head, when the provider counts them. */
    approvals?: number;
  };
  mergeability: Mergeability;
}
