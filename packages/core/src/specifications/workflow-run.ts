/**
 * A CI run outside any change request: a scheduled (nightly) or default-branch run of a
 * workflow that `triage.workflows` in WORKFLOW.md names. GitHub: a workflow run; GitLab: a
 * pipeline; scm-local: the configured checks run on the base branch.
 */
export interface WorkflowRun {
  /** The provider's stable id, used in every later call. */
  id: string;
  /** The watched workflow it belongs to, as `triage.workflows` names it. */
  workflow: string;
  /** The commit the run built; triage checks it out (fetching it when it is missing). */
  headSha: string;
  /** The branch the run ran on, or the tag's name for a run on a tag. */
  branch: string;
  /**
   * The full ref the run ran on (`refs/heads/main`, `refs/tags/v1.2.0`) when the provider
   * knows it. Optional: without it, triage tries `branch` as a branch and then as a tag when
   * the remote does not hand out the commit by its sha.
   */
  ref?: string;
  state: 'pending' | 'success' | 'failure';
  url: string | null;
  createdAt: Date;
}
