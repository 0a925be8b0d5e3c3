import type {
  FakeCheckRun,
  FakeCommitStatus,
  FakeGitHubModel,
  FakeIssue,
  FakePullRequestPart,
  FakeRepository,
} from './fake-github-model.js';
import { isoTime, labelJson, repositoryJson, repositoryUrl, userJson } from './wire-shapes.js';

/** GitHub's pull request shapes: `pull-request-simple` in lists, `pull-request` (with mergeability) alone. */
export function pullRequestJson(
  baseUrl: string,
  model: FakeGitHubModel,
  repository: FakeRepository,
  issue: FakeIssue & { pullRequest: FakePullRequestPart },
  detail: { mergeable: boolean | null; mergeableState: string } | null,
): Record<string, unknown> {
  const pull = issue.pullRequest;
  const apiUrl = `${repositoryUrl(baseUrl, repository)}/pulls/${issue.number}`;
  const issueUrl = `${repositoryUrl(baseUrl, repository)}/issues/${issue.number}`;
  const html = `${baseUrl}/${repository.owner}/${repository.name}/pull/${issue.number}`;
  const [headOwner, headName] = (pull.headRepository ?? '').split('/');
  const headRepository = pull.headRepository
    ? (model.findRepository(headOwner ?? '', headName ?? '') ?? repository)
    : repository;
  const side = (sideRepository: FakeRepository, branch: string, sha: string) => ({
    label: `${sideRepository.owner}:${branch}`,
    ref: branch,
    sha,
    user: userJson(baseUrl, model.ensureUser(sideRepository.owner)),
    repo: { ...repositoryJson(baseUrl, model, sideRepository), has_downloads: true },
  });
  const assignees = issue.assignees.map((login) => userJson(baseUrl, model.ensureUser(login)));
  const json: Record<string, unknown> = {
    url: apiUrl,
    id: issue.id + 1_000_000,
    node_id: Buffer.from(`PullRequest:${issue.id}`).toString('base64'),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issueUrl,
    commits_url: `${apiUrl}/commits`,
    review_comments_url: `${apiUrl}/comments`,
    review_comment_url: `${repositoryUrl(baseUrl, repository)}/pulls/comments{/number}`,
    comments_url: `${issueUrl}/comments`,
    statuses_url: `${repositoryUrl(baseUrl, repository)}/statuses/${pull.headSha}`,
    number: issue.number,
    state: issue.state,
    locked: false,
    title: issue.title,
    user: userJson(baseUrl, model.ensureUser(issue.author)),
    body: issue.body,
    // The pull request shapes declare a label's description a string, never null.
    labels: issue.labels.map((name) => ({
      ...labelJson(baseUrl, repository, model.ensureLabel(repository, name)),
      description: model.ensureLabel(repository, name).description ?? '',
    })),
    milestone: null,
    active_lock_reason: null,
    created_at: isoTime(issue.createdAt),
    updated_at: isoTime(issue.updatedAt),
    closed_at: issue.closedAt === null ? null : isoTime(issue.closedAt),
    merged_at: pull.mergedAt === null ? null : isoTime(pull.mergedAt),
    merge_commit_sha: pull.mergeCommitSha,
    assignee: assignees[0] ?? null,
    assignees,
    requested_reviewers: [],
    requested_teams: [],
    head: side(headRepository, pull.head, pull.headSha),
    base: side(repository, pull.base, pull.baseSha),
    _links: {
      self: { href: apiUrl },
      html: { href: html },
      issue: { href: issueUrl },
      comments: { href: `${issueUrl}/comments` },
      review_comments: { href: `${apiUrl}/comments` },
      review_comment: { href: `${repositoryUrl(baseUrl, repository)}/pulls/comments{/number}` },
      commits: { href: `${apiUrl}/commits` },
      statuses: { href: `${repositoryUrl(baseUrl, repository)}/statuses/${pull.headSha}` },
    },
    author_association: issue.author.toLowerCase() === repository.owner.toLowerCase() ? 'OWNER' : 'NONE',
    auto_merge: null,
    draft: pull.draft,
  };
  if (detail) {
    Object.assign(json, {
      merged: pull.mergedAt !== null,
      mergeable: detail.mergeable,
      rebaseable: detail.mergeable,
      mergeable_state: detail.mergeableState,
      merged_by: pull.mergedBy === null ? null : userJson(baseUrl, model.ensureUser(pull.mergedBy)),
      comments: model.commentsOf(repository, issue.number).length,
      review_comments: [...repository.reviewComments.values()].filter(
        (comment) => comment.pullNumber === issue.number,
      ).length,
      maintainer_can_modify: pull.maintainerCanModify,
      commits: 1,
      additions: 0,
      deletions: 0,
      changed_files: 0,
    });
  }
  return json;
}

export function checkRunJson(
  baseUrl: string,
  repository: FakeRepository,
  checkRun: FakeCheckRun,
): Record<string, unknown> {
  const url = `${repositoryUrl(baseUrl, repository)}/check-runs/${checkRun.id}`;
  const html = `${baseUrl}/${repository.owner}/${repository.name}/runs/${checkRun.id}`;
  return {
    id: checkRun.id,
    head_sha: checkRun.headSha,
    node_id: Buffer.from(`CheckRun:${checkRun.id}`).toString('base64'),
    external_id: String(checkRun.id),
    url,
    html_url: html,
    details_url: html,
    status: checkRun.status,
    conclusion: checkRun.conclusion,
    started_at: isoTime(checkRun.startedAt),
    completed_at: checkRun.completedAt === null ? null : isoTime(checkRun.completedAt),
    output: {
      title: checkRun.output.title,
      summary: checkRun.output.summary,
      text: checkRun.output.text,
      annotations_count: checkRun.annotations.length,
      annotations_url: `${url}/annotations`,
    },
    name: checkRun.name,
    check_suite: { id: (checkRun.actions?.runId ?? checkRun.id) + 1 },
    app: checkRun.actions ? gitHubActionsApp(baseUrl) : null,
    pull_requests: [],
  };
}

export function commitStatusJson(
  baseUrl: string,
  repository: FakeRepository,
  status: FakeCommitStatus,
): Record<string, unknown> {
  return {
    id: status.id,
    node_id: Buffer.from(`StatusContext:${status.id}`).toString('base64'),
    url: `${repositoryUrl(baseUrl, repository)}/statuses/${status.sha}`,
    avatar_url: null,
    state: status.state,
    description: status.description,
    target_url: status.targetUrl,
    context: status.context,
    created_at: isoTime(status.createdAt),
    updated_at: isoTime(status.createdAt),
  };
}

/** The GitHub Actions App, as check runs of Actions jobs name it. */
function gitHubActionsApp(baseUrl: string): Record<string, unknown> {
  const time = isoTime(Date.UTC(2018, 6, 30, 9, 30, 17));
  return {
    id: 15368,
    slug: 'github-actions',
    node_id: 'MDM6QXBwMTUzNjg=',
    client_id: 'Iv1.05c79e9ad1f6bdfa',
    owner: {
      login: 'github',
      id: 9919,
      node_id: 'MDEyOk9yZ2FuaXphdGlvbjk5MTk=',
      avatar_url: `${baseUrl}/avatars/github`,
      gravatar_id: '',
      url: `${baseUrl}/users/github`,
      html_url: `${baseUrl}/github`,
      followers_url: `${baseUrl}/users/github/followers`,
      following_url: `${baseUrl}/users/github/following{/other_user}`,
      gists_url: `${baseUrl}/users/github/gists{/gist_id}`,
      starred_url: `${baseUrl}/users/github/starred{/owner}{/repo}`,
      subscriptions_url: `${baseUrl}/users/github/subscriptions`,
      organizations_url: `${baseUrl}/users/github/orgs`,
      repos_url: `${baseUrl}/users/github/repos`,
      events_url: `${baseUrl}/users/github/events{/privacy}`,
      received_events_url: `${baseUrl}/users/github/received_events`,
      type: 'Organization',
      site_admin: false,
    },
    name: 'GitHub Actions',
    description: 'Automate your workflow from idea to production',
    external_url: 'https://help.github.com/en/actions',
    html_url: `${baseUrl}/apps/github-actions`,
    created_at: time,
    updated_at: time,
    permissions: { actions: 'write', checks: 'write', contents: 'write', pull_requests: 'write' },
    events: ['check_run', 'check_suite', 'pull_request', 'push', 'workflow_run'],
  };
}
