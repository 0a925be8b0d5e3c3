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
  headSha: string;
  branch: string;
  state: 'pending' | 'success' | 'failure';
  url: string | null;
  createdAt: Date;
}
