import type { FakeIssue, FakeRepository } from './fake-github-model.js';
import {
  actingLogin,
  FakeGitHubHttpError,
  issueFor,
  type RouteContext,
  type RouteHandler,
  repositoryFor,
} from './route-context.js';
import { issueJson, labelJson, milestoneJson } from './wire-shapes.js';

/** Label names from any of the body shapes add-labels accepts. */
function labelNamesFrom(body: unknown): string[] {
  const items: unknown[] =
    typeof body === 'string'
      ? [body]
      : Array.isArray(body)
        ? body
        : body !== null && typeof body === 'object' && 'labels' in body
          ? ((body as { labels: unknown[] }).labels ?? [])
          : [];
  return items
    .map((item) => (typeof item === 'string' ? item : (item as { name?: string }).name))
    .filter((name): name is string => typeof name === 'string' && name !== '');
}

function hasLabel(issue: FakeIssue, name: string): boolean {
  return issue.labels.some((label) => label.toLowerCase() === name.toLowerCase());
}

function resolveMilestone(context: RouteContext, repository: FakeRepository, value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const number = Number(value);
  if (!repository.milestones.has(number)) {
    throw new FakeGitHubHttpError(422, 'Validation Failed', [
      { value, resource: 'Issue', field: 'milestone', code: 'invalid' },
    ]);
  }
  void context;
  return number;
}

function json(context: RouteContext, repository: FakeRepository, issue: FakeIssue) {
  return issueJson(context.baseUrl, context.model, repository, issue);
}

function filterIssues(context: RouteContext, repository: FakeRepository): FakeIssue[] {
  const query = context.query;
  const state = query.state ?? 'open';
  const labels = (query.labels ?? '')
    .split(',')
    .map((label) => label.trim())
    .filter((label) => label !== '');
  const since = query.since ? Date.parse(query.since) : null;
  if (query.since && Number.isNaN(since)) {
    throw new FakeGitHubHttpError(422, 'Validation Failed', [
      { resource: 'Issue', field: 'since', code: 'invalid' },
    ]);
  }
  const matches = [...repository.issues.values()].filter((issue) => {
    if (state !== 'all' && issue.state !== state) return false;
    if (!labels.every((label) => hasLabel(issue, label))) return false;
    if (query.assignee === 'none' && issue.assignees.length > 0) return false;
    if (query.assignee === '*' && issue.assignees.length === 0) return false;
    if (
      query.assignee &&
      query.assignee !== '*' &&
      query.assignee !== 'none' &&
      !issue.assignees.some((login) => login.toLowerCase() === query.assignee!.toLowerCase())
    ) {
      return false;
    }
    if (query.milestone === 'none' && issue.milestoneNumber !== null) return false;
    if (query.milestone === '*' && issue.milestoneNumber === null) return false;
    if (
      query.milestone &&
      /^\d+$/.test(query.milestone) &&
      issue.milestoneNumber !== Number(query.milestone)
    ) {
      return false;
    }
    if (query.creator && issue.author.toLowerCase() !== query.creator.toLowerCase()) return false;
    if (query.type === 'none' && issue.typeName !== null) return false;
    if (query.type === '*' && issue.typeName === null) return false;
    if (
      query.type &&
      query.type !== '*' &&
      query.type !== 'none' &&
      issue.typeName?.toLowerCase() !== query.type.toLowerCase()
    ) {
      return false;
    }
    if (since !== null && issue.updatedAt < since) return false;
    return true;
  });
  const sort = query.sort ?? 'created';
  const direction = query.direction === 'asc' ? 1 : -1;
  const keyOf = (issue: FakeIssue) =>
    sort === 'updated'
      ? issue.updatedAt
      : sort === 'comments'
        ? context.model.commentsOf(repository, issue.number).length
        : issue.createdAt;
  return matches.sort(
    (left, right) => direction * (keyOf(left) - keyOf(right) || left.number - right.number),
  );
}

const listForRepository: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: false });
  return {
    status: 200,
    items: filterIssues(context, repository).map((issue) => json(context, repository, issue)),
  };
};

const getIssue: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: false });
  return { status: 200, body: json(context, repository, issueFor(context, repository)) };
};

const createIssue: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: true });
  const body = context.body as {
    title: string | number;
    body?: string;
    assignee?: string | null;
    assignees?: string[];
    labels?: unknown[];
    milestone?: string | number | null;
    type?: string | null;
  };
  const issue = context.model.createIssue(repository, {
    title: String(body.title),
    body: body.body ?? null,
    author: actingLogin(context.identity),
    labels: labelNamesFrom({ labels: body.labels ?? [] }),
    assignees: [...(body.assignees ?? []), ...(body.assignee ? [body.assignee] : [])],
    milestoneNumber: resolveMilestone(context, repository, body.milestone),
    typeName: body.type ?? null,
  });
  return { status: 201, body: json(context, repository, issue) };
};

const updateIssue: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: true });
  const issue = issueFor(context, repository);
  const body = context.body as {
    title?: string | number | null;
    body?: string | null;
    state?: 'open' | 'closed';
    state_reason?: FakeIssue['stateReason'];
    labels?: unknown[];
    assignees?: string[];
    milestone?: string | number | null;
    type?: string | null;
  };
  const actions: string[] = [];
  if (body.title !== undefined && body.title !== null) issue.title = String(body.title);
  if (body.body !== undefined) issue.body = body.body;
  if (body.state !== undefined && body.state !== issue.state) {
    issue.state = body.state;
    issue.stateReason = body.state === 'closed' ? (body.state_reason ?? 'completed') : 'reopened';
    issue.closedAt = body.state === 'closed' ? context.model.currentTime() : null;
    actions.push(body.state === 'closed' ? 'closed' : 'reopened');
  } else if (body.state_reason !== undefined && issue.state === 'closed') {
    issue.stateReason = body.state_reason;
  }
  if (body.labels !== undefined) {
    issue.labels = labelNamesFrom({ labels: body.labels }).map(
      (name) => context.model.ensureLabel(repository, name).name,
    );
    actions.push('labeled');
  }
  if (body.assignees !== undefined) {
    issue.assignees = body.assignees.filter((login) => context.model.canPush(repository, login));
    actions.push('assigned');
  }
  if (body.milestone !== undefined)
    issue.milestoneNumber = resolveMilestone(context, repository, body.milestone);
  if (body.type !== undefined) issue.typeName = body.type;
  context.model.touch(issue);
  for (const action of actions.length > 0 ? actions : ['edited']) {
    context.model.emit({ event: 'issues', action, repository, issue, sender: actingLogin(context.identity) });
  }
  return { status: 200, body: json(context, repository, issue) };
};

function issueLabelsJson(context: RouteContext, repository: FakeRepository, issue: FakeIssue) {
  return issue.labels.map((name) =>
    labelJson(context.baseUrl, repository, context.model.ensureLabel(repository, name)),
  );
}

const listLabelsOnIssue: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: false });
  return { status: 200, items: issueLabelsJson(context, repository, issueFor(context, repository)) };
};

const addLabels: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: true });
  const issue = issueFor(context, repository);
  for (const name of labelNamesFrom(context.body)) {
    if (hasLabel(issue, name)) continue;
    const label = context.model.ensureLabel(repository, name);
    issue.labels.push(label.name);
    context.model.touch(issue);
    context.model.emit({
      event: 'issues',
      action: 'labeled',
      repository,
      issue,
      label,
      sender: actingLogin(context.identity),
    });
  }
  return { status: 200, body: issueLabelsJson(context, repository, issue) };
};

const removeLabel: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: true });
  const issue = issueFor(context, repository);
  const name = context.parameters.name ?? '';
  if (!hasLabel(issue, name)) throw new FakeGitHubHttpError(404, 'Label does not exist');
  const label = context.model.ensureLabel(repository, name);
  issue.labels = issue.labels.filter((existing) => existing.toLowerCase() !== name.toLowerCase());
  context.model.touch(issue);
  context.model.emit({
    event: 'issues',
    action: 'unlabeled',
    repository,
    issue,
    label,
    sender: actingLogin(context.identity),
  });
  return { status: 200, body: issueLabelsJson(context, repository, issue) };
};

const addAssignees: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: true });
  const issue = issueFor(context, repository);
  const requested = ((context.body as { assignees?: unknown[] }).assignees ?? []).map((item) =>
    typeof item === 'string' ? item : String((item as { login?: string }).login ?? ''),
  );
  if (requested.length > 10) {
    throw new FakeGitHubHttpError(422, 'Validation Failed', [
      { resource: 'Issue', field: 'assignees', code: 'invalid', message: 'at most 10 assignees' },
    ]);
  }
  // GitHub drops people without push access silently: callers must read the result back.
  for (const login of requested) {
    if (!context.model.canPush(repository, login)) continue;
    if (issue.assignees.some((existing) => existing.toLowerCase() === login.toLowerCase())) continue;
    issue.assignees.push(login);
  }
  context.model.touch(issue);
  context.model.emit({
    event: 'issues',
    action: 'assigned',
    repository,
    issue,
    sender: actingLogin(context.identity),
  });
  return { status: 201, body: json(context, repository, issue) };
};

const removeAssignees: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: true });
  const issue = issueFor(context, repository);
  const removed = new Set(
    ((context.body as { assignees: string[] }).assignees ?? []).map((login) => login.toLowerCase()),
  );
  issue.assignees = issue.assignees.filter((login) => !removed.has(login.toLowerCase()));
  context.model.touch(issue);
  context.model.emit({
    event: 'issues',
    action: 'unassigned',
    repository,
    issue,
    sender: actingLogin(context.identity),
  });
  return { status: 200, body: json(context, repository, issue) };
};

const listBlockedBy: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: false });
  const issue = issueFor(context, repository);
  const blockers = issue.blockedBy
    .map((number) => repository.issues.get(number))
    .filter((blocker): blocker is FakeIssue => blocker !== undefined);
  return { status: 200, items: blockers.map((blocker) => json(context, repository, blocker)) };
};

const listLabelsForRepository: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: false });
  return {
    status: 200,
    items: [...repository.labels.values()].map((label) => labelJson(context.baseUrl, repository, label)),
  };
};

const listMilestones: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: false });
  const state = context.query.state ?? 'open';
  return {
    status: 200,
    items: [...repository.milestones.values()]
      .filter((milestone) => state === 'all' || milestone.state === state)
      .map((milestone) => milestoneJson(context.baseUrl, context.model, repository, milestone)),
  };
};

export const issueRoutes: Record<string, RouteHandler> = {
  'issues/list-for-repo': listForRepository,
  'issues/get': getIssue,
  'issues/create': createIssue,
  'issues/update': updateIssue,
  'issues/list-labels-on-issue': listLabelsOnIssue,
  'issues/add-labels': addLabels,
  'issues/remove-label': removeLabel,
  'issues/add-assignees': addAssignees,
  'issues/remove-assignees': removeAssignees,
  'issues/list-dependencies-blocked-by': listBlockedBy,
  'issues/list-labels-for-repo': listLabelsForRepository,
  'issues/list-milestones': listMilestones,
};
