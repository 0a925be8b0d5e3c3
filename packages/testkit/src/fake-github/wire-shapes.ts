import type {
  FakeComment,
  FakeGitHubModel,
  FakeIssue,
  FakeLabel,
  FakeMilestone,
  FakeRepository,
  FakeUser,
} from './fake-github-model.js';

/**
 * GitHub's JSON shapes for the model's records, with every field the OpenAPI description
 * marks required, so response validation holds the fake to the real thing.
 */

export function isoTime(milliseconds: number): string {
  return new Date(milliseconds).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function nodeId(kind: string, id: number): string {
  return Buffer.from(`${kind}:${id}`).toString('base64');
}

export function userJson(baseUrl: string, user: FakeUser): Record<string, unknown> {
  // Bot logins carry `[bot]`, which a URL must encode.
  const pathLogin = encodeURIComponent(user.login);
  const url = `${baseUrl}/users/${pathLogin}`;
  return {
    login: user.login,
    id: user.id,
    node_id: nodeId('User', user.id),
    avatar_url: `${baseUrl}/avatars/${pathLogin}`,
    gravatar_id: '',
    url,
    html_url: `${baseUrl}/${pathLogin}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: user.type,
    site_admin: false,
    user_view_type: 'public',
  };
}

/** `GET /user` answers with the public-user shape (the fake has no private profile data). */
export function publicUserJson(baseUrl: string, user: FakeUser, createdAt: number): Record<string, unknown> {
  return {
    ...userJson(baseUrl, user),
    name: user.login,
    company: null,
    blog: null,
    location: null,
    email: null,
    hireable: null,
    bio: null,
    public_repos: 1,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: isoTime(createdAt),
    updated_at: isoTime(createdAt),
  };
}

export function repositoryUrl(baseUrl: string, repository: FakeRepository): string {
  return `${baseUrl}/repos/${repository.owner}/${repository.name}`;
}

export function labelJson(
  baseUrl: string,
  repository: FakeRepository,
  label: FakeLabel,
): Record<string, unknown> {
  return {
    id: label.id,
    node_id: nodeId('Label', label.id),
    url: `${repositoryUrl(baseUrl, repository)}/labels/${encodeURIComponent(label.name)}`,
    name: label.name,
    description: label.description,
    color: label.color,
    default: false,
  };
}

export function milestoneJson(
  baseUrl: string,
  model: FakeGitHubModel,
  repository: FakeRepository,
  milestone: FakeMilestone,
): Record<string, unknown> {
  const issues = [...repository.issues.values()].filter(
    (issue) => issue.milestoneNumber === milestone.number,
  );
  const url = `${repositoryUrl(baseUrl, repository)}/milestones/${milestone.number}`;
  return {
    url,
    html_url: `${baseUrl}/${repository.owner}/${repository.name}/milestone/${milestone.number}`,
    labels_url: `${url}/labels`,
    id: milestone.id,
    node_id: nodeId('Milestone', milestone.id),
    number: milestone.number,
    state: milestone.state,
    title: milestone.title,
    description: null,
    creator: userJson(baseUrl, model.ensureUser(repository.owner)),
    open_issues: issues.filter((issue) => issue.state === 'open').length,
    closed_issues: issues.filter((issue) => issue.state === 'closed').length,
    created_at: isoTime(milestone.createdAt),
    updated_at: isoTime(milestone.updatedAt),
    closed_at: null,
    due_on: null,
  };
}

export function issueJson(
  baseUrl: string,
  model: FakeGitHubModel,
  repository: FakeRepository,
  issue: FakeIssue,
): Record<string, unknown> {
  const url = `${repositoryUrl(baseUrl, repository)}/issues/${issue.number}`;
  const htmlBase = `${baseUrl}/${repository.owner}/${repository.name}`;
  const assignees = issue.assignees.map((login) => userJson(baseUrl, model.ensureUser(login)));
  const milestone =
    issue.milestoneNumber === null ? undefined : repository.milestones.get(issue.milestoneNumber);
  const comments = model.commentsOf(repository, issue.number).length;
  const json: Record<string, unknown> = {
    id: issue.id,
    node_id: nodeId(issue.pullRequest ? 'PullRequest' : 'Issue', issue.id),
    url,
    repository_url: repositoryUrl(baseUrl, repository),
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: `${htmlBase}/${issue.pullRequest ? 'pull' : 'issues'}/${issue.number}`,
    number: issue.number,
    state: issue.state,
    state_reason: issue.stateReason,
    title: issue.title,
    body: issue.body,
    user: userJson(baseUrl, model.ensureUser(issue.author)),
    labels: issue.labels.map((name) => labelJson(baseUrl, repository, model.ensureLabel(repository, name))),
    assignee: assignees[0] ?? null,
    assignees,
    milestone: milestone ? milestoneJson(baseUrl, model, repository, milestone) : null,
    locked: false,
    active_lock_reason: null,
    comments,
    closed_at: issue.closedAt === null ? null : isoTime(issue.closedAt),
    created_at: isoTime(issue.createdAt),
    updated_at: isoTime(issue.updatedAt),
    author_association: issue.author.toLowerCase() === repository.owner.toLowerCase() ? 'OWNER' : 'NONE',
    type:
      issue.typeName === null
        ? null
        : { id: 1, node_id: nodeId('IssueType', 1), name: issue.typeName, description: null },
    issue_dependencies_summary: {
      blocked_by: model.openBlockerCount(repository, issue),
      total_blocked_by: issue.blockedBy.length,
      blocking: 0,
      total_blocking: 0,
    },
  };
  if (issue.pullRequest) {
    json.pull_request = {
      url: `${repositoryUrl(baseUrl, repository)}/pulls/${issue.number}`,
      html_url: `${htmlBase}/pull/${issue.number}`,
      diff_url: `${htmlBase}/pull/${issue.number}.diff`,
      patch_url: `${htmlBase}/pull/${issue.number}.patch`,
      merged_at: issue.pullRequest.mergedAt === null ? null : isoTime(issue.pullRequest.mergedAt),
    };
    json.draft = false;
  }
  return json;
}

export function commentJson(
  baseUrl: string,
  model: FakeGitHubModel,
  repository: FakeRepository,
  comment: FakeComment,
): Record<string, unknown> {
  return {
    id: comment.id,
    node_id: nodeId('IssueComment', comment.id),
    url: `${repositoryUrl(baseUrl, repository)}/issues/comments/${comment.id}`,
    html_url: `${baseUrl}/${repository.owner}/${repository.name}/issues/${comment.issueNumber}#issuecomment-${comment.id}`,
    issue_url: `${repositoryUrl(baseUrl, repository)}/issues/${comment.issueNumber}`,
    body: comment.body,
    user: userJson(baseUrl, model.ensureUser(comment.author)),
    created_at: isoTime(comment.createdAt),
    updated_at: isoTime(comment.updatedAt),
    author_association: comment.author.toLowerCase() === repository.owner.toLowerCase() ? 'OWNER' : 'NONE',
  };
}

export function repositoryJson(
  baseUrl: string,
  model: FakeGitHubModel,
  repository: FakeRepository,
): Record<string, unknown> {
  const url = repositoryUrl(baseUrl, repository);
  const html = `${baseUrl}/${repository.owner}/${repository.name}`;
  const openIssues = [...repository.issues.values()].filter((issue) => issue.state === 'open').length;
  const time = isoTime(repository.createdAt);
  const templated = (suffix: string) => `${url}/${suffix}`;
  return {
    id: repository.id,
    node_id: nodeId('Repository', repository.id),
    name: repository.name,
    full_name: `${repository.owner}/${repository.name}`,
    owner: userJson(baseUrl, model.ensureUser(repository.owner)),
    private: false,
    html_url: html,
    description: null,
    fork: repository.forkOf !== null,
    url,
    archive_url: templated('{archive_format}{/ref}'),
    assignees_url: templated('assignees{/user}'),
    blobs_url: templated('git/blobs{/sha}'),
    branches_url: templated('branches{/branch}'),
    collaborators_url: templated('collaborators{/collaborator}'),
    comments_url: templated('comments{/number}'),
    commits_url: templated('commits{/sha}'),
    compare_url: templated('compare/{base}...{head}'),
    contents_url: templated('contents/{+path}'),
    contributors_url: templated('contributors'),
    deployments_url: templated('deployments'),
    downloads_url: templated('downloads'),
    events_url: templated('events'),
    forks_url: templated('forks'),
    git_commits_url: templated('git/commits{/sha}'),
    git_refs_url: templated('git/refs{/sha}'),
    git_tags_url: templated('git/tags{/sha}'),
    hooks_url: templated('hooks'),
    issue_comment_url: templated('issues/comments{/number}'),
    issue_events_url: templated('issues/events{/number}'),
    issues_url: templated('issues{/number}'),
    keys_url: templated('keys{/key_id}'),
    labels_url: templated('labels{/name}'),
    languages_url: templated('languages'),
    merges_url: templated('merges'),
    milestones_url: templated('milestones{/number}'),
    notifications_url: templated('notifications{?since,all,participating}'),
    pulls_url: templated('pulls{/number}'),
    releases_url: templated('releases{/id}'),
    stargazers_url: templated('stargazers'),
    statuses_url: templated('statuses/{sha}'),
    subscribers_url: templated('subscribers'),
    subscription_url: templated('subscription'),
    tags_url: templated('tags'),
    teams_url: templated('teams'),
    trees_url: templated('git/trees{/sha}'),
    clone_url: `${html}.git`,
    git_url: `${html}.git`,
    ssh_url: `git@127.0.0.1:${repository.owner}/${repository.name}.git`,
    svn_url: html,
    mirror_url: null,
    homepage: null,
    language: null,
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    size: 0,
    default_branch: repository.defaultBranch,
    open_issues: openIssues,
    open_issues_count: openIssues,
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_discussions: false,
    archived: false,
    disabled: false,
    license: null,
    pushed_at: time,
    created_at: time,
    updated_at: time,
    network_count: 0,
    subscribers_count: 0,
  };
}
