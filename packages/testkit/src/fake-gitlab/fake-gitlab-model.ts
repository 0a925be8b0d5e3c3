/**
 * The in-memory state behind the fake GitLab: plain records, keyed the way GitLab keys them
 * (projects by numeric id and path, issues and merge requests by per-project `iid`, global
 * numeric ids for notes, pipelines and jobs, 40-hex ids for discussions).
 */

export interface FakeGitLabUser {
  id: number;
  username: string;
  name: string;
  /** The personal access token that authenticates as this user. */
  token: string;
}

export interface FakeGitLabLabel {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface FakeGitLabNote {
  id: number;
  body: string;
  authorId: number;
  createdAt: Date;
  updatedAt: Date;
  system: boolean;
  resolvable: boolean;
  resolved: boolean;
  resolvedById: number | null;
  /** Set on diff notes: where in the change the note sits. */
  position: { newPath: string; newLine: number } | null;
}

export interface FakeGitLabDiscussion {
  id: string;
  /** A plain note that is not part of a thread (GitLab still wraps it in a discussion). */
  individualNote: boolean;
  notes: FakeGitLabNote[];
}

export interface FakeGitLabIssue {
  id: number;
  iid: number;
  projectId: number;
  title: string;
  description: string | null;
  state: 'opened' | 'closed';
  labels: string[];
  assigneeIds: number[];
  milestone: string | null;
  authorId: number;
  createdAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
  discussions: FakeGitLabDiscussion[];
}

export type FakeGitLabPipelineStatus =
  | 'created'
  | 'pending'
  | 'running'
  | 'success'
  | 'failed'
  | 'canceled'
  | 'skipped';

/**
 * Why a job failed, as GitLab's `failure_reason` says (`CommitStatus` failure reasons; GitLab
 * shows it on failed jobs only). `script_failure` is the job's own script exiting non-zero;
 * most others are the CI machinery failing.
 */
export const fakeGitLabFailureReasons = [
  'unknown_failure',
  'script_failure',
  'api_failure',
  'stuck_or_timeout_failure',
  'runner_system_failure',
  'missing_dependency_failure',
  'runner_unsupported',
  'stale_schedule',
  'job_execution_timeout',
  'archived_failure',
  'unmet_prerequisites',
  'scheduler_failure',
  'data_integrity_failure',
  'no_matching_runner',
  'trace_size_exceeded',
  'ci_quota_exceeded',
] as const;

export type FakeGitLabFailureReason = (typeof fakeGitLabFailureReasons)[number];

/** How one run of a job ends: its first run, or one of its retries. */
export interface FakeGitLabJobOutcome {
  status: 'success' | 'failed' | 'canceled';
  /** The job log served as text/plain by `GET …/jobs/:id/trace`. */
  trace: string;
  /** For a failed job; `script_failure` when absent. */
  failureReason?: FakeGitLabFailureReason;
}

export interface FakeGitLabJob {
  id: number;
  pipelineId: number;
  name: string;
  stage: string;
  status: FakeGitLabPipelineStatus;
  trace: string;
  /** Set once the job failed (GitLab's `failure_reason`), null otherwise. */
  failureReason: FakeGitLabFailureReason | null;
  allowFailure: boolean;
  /** Replaced by a retry: GitLab lists it only with `include_retried`. */
  retried: boolean;
  /** How the next retries end, in order; once used up, a retry ends like the job's first run. */
  retryOutcomes: FakeGitLabJobOutcome[];
  /** How the first run of this job ended (what an unscripted retry repeats). */
  firstOutcome: FakeGitLabJobOutcome;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface FakeGitLabBridge {
  id: number;
  pipelineId: number;
  name: string;
  stage: string;
  downstreamPipelineId: number;
}

export interface FakeGitLabPipeline {
  id: number;
  iid: number;
  projectId: number;
  sha: string;
  /** The branch or tag name it ran on (short, as GitLab answers). */
  ref: string;
  /** It ran on a tag (`ref` is the tag's name); GitLab says so on a single pipeline only. */
  tag: boolean;
  source: FakeGitLabPipelineSource;
  /** The pipeline's name (`workflow:name` in .gitlab-ci.yml), or null. */
  name: string | null;
  status: FakeGitLabPipelineStatus;
  jobs: FakeGitLabJob[];
  bridges: FakeGitLabBridge[];
  createdAt: Date;
  updatedAt: Date;
}

/** What started a pipeline (GitLab's `source`). */
export type FakeGitLabPipelineSource =
  | 'push'
  | 'web'
  | 'trigger'
  | 'schedule'
  | 'api'
  | 'pipeline'
  | 'parent_pipeline'
  | 'merge_request_event';

/** A pipeline schedule: `description` is what people name it by. */
export interface FakeGitLabPipelineSchedule {
  id: number;
  description: string;
  /**
   * The branch or tag it runs on: `main` or `v1.0` (a branch when one has the name), or written
   * out as `refs/heads/main` / `refs/tags/v1.0` (as GitLab answers for newer schedules).
   */
  ref: string;
  cron: string;
  active: boolean;
  ownerId: number;
  createdAt: Date;
  updatedAt: Date;
  /** Pipelines it started, oldest first. */
  pipelineIds: number[];
}

export interface FakeGitLabCommitStatus {
  id: number;
  sha: string;
  name: string;
  status: FakeGitLabPipelineStatus;
  targetUrl: string | null;
  description: string | null;
  createdAt: Date;
}

export type FakeGitLabReviewerState = 'unreviewed' | 'reviewed' | 'requested_changes';

export interface FakeGitLabMergeRequest {
  id: number;
  iid: number;
  projectId: number;
  title: string;
  description: string;
  state: 'opened' | 'closed' | 'merged' | 'locked';
  sourceBranch: string;
  /** The project holding `sourceBranch`: a fork's id for a merge request from a fork. */
  sourceProjectId: number;
  /** A fork's owner lets members of the target project push to `sourceBranch` (GitLab's "Allow commits from members who can merge"). */
  allowCollaboration: boolean;
  targetBranch: string;
  authorId: number;
  draft: boolean;
  createdAt: Date;
  updatedAt: Date;
  mergedAt: Date | null;
  closedAt: Date | null;
  /** The head commit as last seen on the source branch (kept after merge or branch deletion). */
  sha: string;
  mergeCommitSha: string | null;
  squashCommitSha: string | null;
  removeSourceBranch: boolean;
  labels: string[];
  discussions: FakeGitLabDiscussion[];
  approvedByIds: number[];
  reviewers: Map<number, FakeGitLabReviewerState>;
  /**
   * The asynchronously computed mergeability: which (head, target) pair it was computed for,
   * and the git part of the answer. `null` value while GitLab would say `checking`.
   */
  mergeCheck: {
    key: string;
    gitResult: 'conflict' | 'need_rebase' | 'clean' | null;
  } | null;
  rebaseInProgress: boolean;
  mergeError: string | null;
  mergeWhenPipelineSucceeds: boolean;
  /** What `merge_when_pipeline_succeeds` asked for, applied once the head pipeline succeeds. */
  pendingAutoMerge: { sha: string | null; squash: boolean } | null;
}

export interface FakeGitLabProject {
  id: number;
  /** `group/project`, as in URLs. */
  pathWithNamespace: string;
  /** The project this one is a fork of, or null. */
  forkedFromProjectId: number | null;
  defaultBranch: string;
  /** The bare repository served over smart HTTP. */
  repositoryPath: string;
  /** `ff` keeps history linear and needs a rebase when the target moved (GitLab's "Fast-forward merge"). */
  mergeMethod: 'merge' | 'rebase_merge' | 'ff';
  onlyAllowMergeIfPipelineSucceeds: boolean;
  onlyAllowMergeIfAllDiscussionsAreResolved: boolean;
  approvalsRequired: number;
  labels: FakeGitLabLabel[];
  issues: FakeGitLabIssue[];
  mergeRequests: FakeGitLabMergeRequest[];
  pipelines: FakeGitLabPipeline[];
  pipelineSchedules: FakeGitLabPipelineSchedule[];
  commitStatuses: FakeGitLabCommitStatus[];
  /** Branch heads as last synchronized from the repository, to notice pushes. */
  knownBranchHeads: Map<string, string>;
  nextIssueIid: number;
  nextMergeRequestIid: number;
  nextPipelineIid: number;
}

/** Numbers every record kind shares, as GitLab's global ids do. */
export class FakeGitLabIds {
  private next = 1000;
  take(): number {
    this.next += 1;
    return this.next;
  }
  /** A 40-hex discussion id, like GitLab's. */
  discussionId(): string {
    return this.take().toString(16).padStart(40, '0');
  }
}

export interface FakeGitLabState {
  ids: FakeGitLabIds;
  users: FakeGitLabUser[];
  projects: FakeGitLabProject[];
}

/** Finds a project by numeric id or by `group/project` path (already decoded). */
export function findProject(state: FakeGitLabState, idOrPath: string): FakeGitLabProject | undefined {
  if (/^\d+$/.test(idOrPath)) return state.projects.find((project) => project.id === Number(idOrPath));
  return state.projects.find((project) => project.pathWithNamespace === idOrPath);
}

export function allNotes(discussions: readonly FakeGitLabDiscussion[]): FakeGitLabNote[] {
  return discussions.flatMap((discussion) => discussion.notes);
}
