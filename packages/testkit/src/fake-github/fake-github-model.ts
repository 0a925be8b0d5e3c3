/**
 * The fake GitHub's state: repositories with their issues (pull requests are issues with a
 * `pullRequest` part, as on GitHub), labels, milestones and comments, plus users. Plain data
 * and small operations; the HTTP layer turns it into GitHub's wire shapes.
 */

export interface FakeUser {
  id: number;
  login: string;
  type: 'User' | 'Bot';
}

export interface FakeLabel {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface FakeMilestone {
  id: number;
  number: number;
  title: string;
  state: 'open' | 'closed';
  createdAt: number;
  updatedAt: number;
}

export interface FakeComment {
  id: number;
  issueNumber: number;
  body: string;
  author: string;
  createdAt: number;
  updatedAt: number;
}

export interface FakePullRequestPart {
  /** The head branch, in `headRepository` (the same repository unless the head is a fork's). */
  head: string;
  base: string;
  headSha: string;
  baseSha: string;
  /** `owner/name` of the repository holding the head branch; null for the base repository itself. */
  headRepository: string | null;
  /** A fork's owner let maintainers push to the head branch. */
  maintainerCanModify: boolean;
  mergedAt: number | null;
  mergedBy: string | null;
  mergeCommitSha: string | null;
  draft: boolean;
  /** What `GET /pulls/{n}` reports once computed; `unknownReads` reads answer null/"unknown" first. */
  mergeable: boolean | null;
  mergeableState: string;
  unknownReads: number;
  /**
   * Set when mergeability is computed from the repository's git data (pull requests opened
   * through the API): `computedFor` names the base and head it was computed for, and a read
   * with other shas answers null while the fake computes it again in the background.
   */
  gitMergeability: { computedFor: string | null; conflict: boolean; behind: boolean } | null;
}

export interface FakeReview {
  id: number;
  pullNumber: number;
  author: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';
  body: string;
  commitId: string;
  submittedAt: number;
}

export interface FakeReviewComment {
  id: number;
  pullNumber: number;
  reviewId: number;
  threadId: number;
  author: string;
  body: string;
  path: string;
  line: number | null;
  commitId: string;
  inReplyToId: number | null;
  createdAt: number;
  updatedAt: number;
}

/** A review thread: the first comment on a line and its replies, resolvable as a whole. */
export interface FakeReviewThread {
  id: number;
  pullNumber: number;
  path: string;
  line: number | null;
  resolved: boolean;
  resolvedBy: string | null;
}

export interface FakeCheckRun {
  id: number;
  headSha: string;
  name: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion:
    | 'success'
    | 'failure'
    | 'neutral'
    | 'cancelled'
    | 'skipped'
    | 'timed_out'
    | 'action_required'
    | null;
  startedAt: number;
  completedAt: number | null;
  /** The branch the run was for, when known (Actions jobs know it). */
  headBranch: string | null;
  /** Set for GitHub Actions jobs: the check run id is the job id, as on GitHub. */
  actions: {
    runId: number;
    workflowName: string;
    log: string | null;
    /** The workflow file (`.github/workflows/ci.yml` when absent) and what started the run. */
    workflowPath?: string;
    event?: string;
    /** 1 for the first attempt; a re-run of failed jobs adds attempts (see workflow-run-routes.ts). */
    attempt?: number;
    /** What a re-run of this job concludes; absent: the same as this attempt. */
    rerun?: { conclusion: NonNullable<FakeCheckRun['conclusion']>; log?: string | null } | null;
  } | null;
  output: { title: string | null; summary: string | null; text: string | null };
  annotations: FakeCheckAnnotation[];
}

export interface FakeCheckAnnotation {
  path: string;
  startLine: number;
  endLine: number;
  level: 'notice' | 'warning' | 'failure';
  title: string | null;
  message: string;
}

export interface FakeCommitStatus {
  id: number;
  sha: string;
  state: 'error' | 'failure' | 'pending' | 'success';
  context: string;
  description: string | null;
  targetUrl: string | null;
  createdAt: number;
}

export interface FakeIssue {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  stateReason: 'completed' | 'reopened' | 'not_planned' | 'duplicate' | null;
  /** Label names as stored on the repository (original spelling). */
  labels: string[];
  assignees: string[];
  milestoneNumber: number | null;
  author: string;
  /** GitHub issue type name, when the repository uses issue types. */
  typeName: string | null;
  /** Numbers of issues in the same repository that block this one. */
  blockedBy: number[];
  pullRequest: FakePullRequestPart | null;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
}

export interface FakeRepository {
  id: number;
  owner: string;
  name: string;
  defaultBranch: string;
  issues: Map<number, FakeIssue>;
  /** Keyed by the lowercased name: GitHub label names are unique case-insensitively. */
  labels: Map<string, FakeLabel>;
  milestones: Map<number, FakeMilestone>;
  comments: Map<number, FakeComment>;
  checkRuns: FakeCheckRun[];
  commitStatuses: FakeCommitStatus[];
  reviews: FakeReview[];
  reviewComments: Map<number, FakeReviewComment>;
  reviewThreads: Map<number, FakeReviewThread>;
  /** Approving reviews branch protection asks for before `mergeable_state` is `clean`. */
  requiredApprovals: number;
  /** The repository this one is a fork of, as `owner/name`. */
  forkOf: string | null;
  nextNumber: number;
  /** Logins with push access; others' assignments are silently dropped, as on GitHub. */
  collaborators: Set<string>;
  /** Set when a GitHub App is installed on the repository. */
  installationId: number | null;
  createdAt: number;
}

/** What changed, for webhook deliveries. */
export type FakeChange =
  | {
      event: 'issues';
      action: string;
      repository: FakeRepository;
      issue: FakeIssue;
      sender: string;
      label?: FakeLabel;
    }
  | {
      event: 'issue_comment';
      action: 'created' | 'edited' | 'deleted';
      repository: FakeRepository;
      issue: FakeIssue;
      comment: FakeComment;
      sender: string;
    }
  | {
      /** Pull request, review, check and status events: the payload is built at delivery time from `build`. */
      event:
        | 'pull_request'
        | 'pull_request_review'
        | 'pull_request_review_comment'
        | 'pull_request_review_thread'
        | 'check_run'
        | 'check_suite'
        | 'status'
        | 'workflow_run';
      action: string | null;
      repository: FakeRepository;
      sender: string;
      build: (baseUrl: string) => Record<string, unknown>;
    };

export class FakeGitHubModel {
  readonly repositories = new Map<string, FakeRepository>();
  readonly users = new Map<string, FakeUser>();
  private nextId = 1000;
  private readonly listeners: Array<(change: FakeChange) => void> = [];

  constructor(private readonly now: () => number) {}

  allocateId(): number {
    this.nextId += 1;
    return this.nextId;
  }

  onChange(listener: (change: FakeChange) => void): void {
    this.listeners.push(listener);
  }

  emit(change: FakeChange): void {
    for (const listener of this.listeners) listener(change);
  }

  currentTime(): number {
    // GitHub timestamps have whole seconds; `since` comparisons depend on it.
    return Math.floor(this.now() / 1000) * 1000;
  }

  ensureUser(login: string, type: FakeUser['type'] = login.endsWith('[bot]') ? 'Bot' : 'User'): FakeUser {
    const existing = this.users.get(login.toLowerCase());
    if (existing) return existing;
    const user: FakeUser = { id: this.allocateId(), login, type };
    this.users.set(login.toLowerCase(), user);
    return user;
  }

  createRepository(fullName: string): FakeRepository {
    const [owner, name] = fullName.split('/');
    if (!owner || !name) throw new Error(`fake GitHub: repository must be "owner/name", got ${fullName}`);
    const key = fullName.toLowerCase();
    const existing = this.repositories.get(key);
    if (existing) return existing;
    this.ensureUser(owner);
    const repository: FakeRepository = {
      id: this.allocateId(),
      owner,
      name,
      defaultBranch: 'main',
      issues: new Map(),
      labels: new Map(),
      milestones: new Map(),
      comments: new Map(),
      checkRuns: [],
      commitStatuses: [],
      reviews: [],
      reviewComments: new Map(),
      reviewThreads: new Map(),
      requiredApprovals: 0,
      forkOf: null,
      nextNumber: 1,
      collaborators: new Set([owner.toLowerCase()]),
      installationId: null,
      createdAt: this.currentTime(),
    };
    this.repositories.set(key, repository);
    return repository;
  }

  findRepository(owner: string, name: string): FakeRepository | undefined {
    return this.repositories.get(`${owner}/${name}`.toLowerCase());
  }

  /** The repository's label with this name (case-insensitive), created when missing, as add-labels does. */
  ensureLabel(repository: FakeRepository, name: string): FakeLabel {
    const key = name.toLowerCase();
    const existing = repository.labels.get(key);
    if (existing) return existing;
    const label: FakeLabel = { id: this.allocateId(), name, color: 'ededed', description: null };
    repository.labels.set(key, label);
    return label;
  }

  ensureMilestone(repository: FakeRepository, title: string): FakeMilestone {
    for (const milestone of repository.milestones.values()) if (milestone.title === title) return milestone;
    const number = repository.milestones.size + 1;
    const milestone: FakeMilestone = {
      id: this.allocateId(),
      number,
      title,
      state: 'open',
      createdAt: this.currentTime(),
      updatedAt: this.currentTime(),
    };
    repository.milestones.set(number, milestone);
    return milestone;
  }

  createIssue(
    repository: FakeRepository,
    fields: {
      title: string;
      body?: string | null;
      author: string;
      labels?: readonly string[];
      assignees?: readonly string[];
      milestoneNumber?: number | null;
      state?: 'open' | 'closed';
      stateReason?: FakeIssue['stateReason'];
      typeName?: string | null;
      blockedBy?: readonly number[];
      pullRequest?: FakePullRequestPart | null;
      createdAt?: number;
    },
  ): FakeIssue {
    const time = fields.createdAt ?? this.currentTime();
    const labels = (fields.labels ?? []).map((name) => this.ensureLabel(repository, name).name);
    const issue: FakeIssue = {
      id: this.allocateId(),
      number: repository.nextNumber++,
      title: fields.title,
      body: fields.body ?? null,
      state: fields.state ?? 'open',
      stateReason: fields.state === 'closed' ? (fields.stateReason ?? 'completed') : null,
      labels: [...new Set(labels)],
      assignees: (fields.assignees ?? []).filter((login) => this.canPush(repository, login)),
      milestoneNumber: fields.milestoneNumber ?? null,
      author: fields.author,
      typeName: fields.typeName ?? null,
      blockedBy: [...(fields.blockedBy ?? [])],
      pullRequest: fields.pullRequest ?? null,
      createdAt: time,
      updatedAt: time,
      closedAt: fields.state === 'closed' ? time : null,
    };
    this.ensureUser(fields.author);
    repository.issues.set(issue.number, issue);
    this.emit({ event: 'issues', action: 'opened', repository, issue, sender: fields.author });
    return issue;
  }

  canPush(repository: FakeRepository, login: string): boolean {
    return repository.collaborators.has(login.toLowerCase());
  }

  /** Marks an issue changed now; every write goes through here so `updated_at` and `since` stay honest. */
  touch(issue: FakeIssue): void {
    issue.updatedAt = this.currentTime();
  }

  addComment(repository: FakeRepository, issue: FakeIssue, body: string, author: string): FakeComment {
    const time = this.currentTime();
    const comment: FakeComment = {
      id: this.allocateId(),
      issueNumber: issue.number,
      body,
      author,
      createdAt: time,
      updatedAt: time,
    };
    repository.comments.set(comment.id, comment);
    this.touch(issue);
    this.emit({ event: 'issue_comment', action: 'created', repository, issue, comment, sender: author });
    return comment;
  }

  commentsOf(repository: FakeRepository, issueNumber: number): FakeComment[] {
    return [...repository.comments.values()]
      .filter((comment) => comment.issueNumber === issueNumber)
      .sort((left, right) => left.id - right.id);
  }

  /** Blockers still open: GitHub's `issue_dependencies_summary.blocked_by`. */
  openBlockerCount(repository: FakeRepository, issue: FakeIssue): number {
    return issue.blockedBy.filter((number) => repository.issues.get(number)?.state === 'open').length;
  }
}
