import { createHmac } from 'node:crypto';
import type { FakeCheckRun, FakeRepository } from './fake-github-model.js';
import { checkRunJson, commitStatusJson } from './pull-request-shapes.js';
import {
  actingLogin,
  FakeGitHubHttpError,
  notFound,
  type RouteContext,
  type RouteHandler,
  repositoryFor,
} from './route-context.js';
import { repositoryJson, repositoryUrl } from './wire-shapes.js';
import { actionsJobJson } from './workflow-run-routes.js';

/** Key signing log blob URLs: the blob host trusts the signature, not an Authorization header. */
const blobSigningKey = `fake-github-blobs-${process.pid}-${Date.now()}`;

/** Where a job's log blob is served: outside the API, like GitHub's signed blob storage URLs. */
export const jobLogBlobPattern = /^\/_blobs\/job-logs\/([^/]+)\/([^/]+)\/(\d+)$/;

export function signJobLogPath(pathname: string): string {
  return createHmac('sha256', blobSigningKey).update(pathname).digest('hex');
}

function checkRunFor(context: RouteContext, repository: FakeRepository, parameter: string): FakeCheckRun {
  const run = repository.checkRuns.find(
    (candidate) => candidate.id === Number(context.parameters[parameter]),
  );
  if (!run) throw notFound();
  return run;
}

async function shaFor(context: RouteContext): Promise<string> {
  const repository = repositoryFor(context, { write: false });
  const reference = context.parameters.ref ?? '';
  if (/^[0-9a-f]{40}$/.test(reference)) return reference;
  const sha = await context.resolveReference(repository, reference.replace(/^(refs\/)?heads\//, ''));
  if (!sha) throw notFound();
  return sha;
}

const listCheckRunsForReference: RouteHandler = async (context) => {
  const repository = repositoryFor(context, { write: false });
  const sha = await shaFor(context);
  let runs = repository.checkRuns.filter((run) => run.headSha === sha);
  if ((context.query.filter ?? 'latest') === 'latest') {
    // The most recent run per name, as `filter=latest` returns.
    const latest = new Map<string, (typeof runs)[number]>();
    for (const run of runs) latest.set(run.name, run);
    runs = [...latest.values()];
  }
  if (context.query.check_name) runs = runs.filter((run) => run.name === context.query.check_name);
  if (context.query.status) runs = runs.filter((run) => run.status === context.query.status);
  const perPage = Math.min(100, Number(context.query.per_page ?? 30) || 30);
  const page = Math.max(1, Number(context.query.page ?? 1) || 1);
  return {
    status: 200,
    body: {
      total_count: runs.length,
      check_runs: runs
        .slice((page - 1) * perPage, page * perPage)
        .map((run) => checkRunJson(context.baseUrl, repository, run)),
    },
  };
};

const combinedStatusForReference: RouteHandler = async (context) => {
  const repository = repositoryFor(context, { write: false });
  const sha = await shaFor(context);
  const latestByContext = new Map<string, (typeof repository.commitStatuses)[number]>();
  for (const status of repository.commitStatuses.filter((candidate) => candidate.sha === sha)) {
    latestByContext.set(status.context, status);
  }
  const statuses = [...latestByContext.values()];
  // GitHub says "pending" when there are no statuses at all: the trap callers must handle.
  const state = statuses.some((status) => status.state === 'error' || status.state === 'failure')
    ? 'failure'
    : statuses.length === 0 || statuses.some((status) => status.state === 'pending')
      ? 'pending'
      : 'success';
  const { has_downloads: _unused, ...minimalRepository } = {
    ...repositoryJson(context.baseUrl, context.model, repository),
    has_downloads: true,
  };
  return {
    status: 200,
    body: {
      state,
      statuses: statuses.map((status) => commitStatusJson(context.baseUrl, repository, status)),
      sha,
      total_count: statuses.length,
      repository: minimalRepository,
      commit_url: `${repositoryUrl(context.baseUrl, repository)}/commits/${sha}`,
      url: `${repositoryUrl(context.baseUrl, repository)}/commits/${sha}/status`,
    },
  };
};

const getCheckRun: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: false });
  return {
    status: 200,
    body: checkRunJson(context.baseUrl, repository, checkRunFor(context, repository, 'check_run_id')),
  };
};

const listAnnotations: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: false });
  const run = checkRunFor(context, repository, 'check_run_id');
  return {
    status: 200,
    items: run.annotations.map((annotation) => ({
      path: annotation.path,
      blob_href: `${context.baseUrl}/${repository.owner}/${repository.name}/blob/${run.headSha}/${annotation.path}`,
      start_line: annotation.startLine,
      end_line: annotation.endLine,
      start_column: null,
      end_column: null,
      annotation_level: annotation.level,
      title: annotation.title,
      message: annotation.message,
      raw_details: null,
    })),
  };
};

function actionsJobFor(context: RouteContext, repository: FakeRepository) {
  const run = checkRunFor(context, repository, 'job_id');
  if (!run.actions) throw notFound();
  return { run, actions: run.actions };
}

const getJob: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: false });
  const { run, actions } = actionsJobFor(context, repository);
  return { status: 200, body: actionsJobJson(context.baseUrl, repository, { ...run, actions }) };
};

/**
 * 302 to a signed blob URL on the same fake, as GitHub redirects to its log storage; a job
 * without a log (or not finished) leads to a blob that answers 404, as an expired log does.
 */
const downloadJobLogs: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: false });
  const { run } = actionsJobFor(context, repository);
  const pathname = `/_blobs/job-logs/${repository.owner}/${repository.name}/${run.id}`;
  return {
    status: 302,
    headers: { location: `${context.baseUrl}${pathname}?sig=${signJobLogPath(pathname)}` },
  };
};

const createCommitStatus: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: true });
  const sha = context.parameters.sha ?? '';
  const body = context.body as {
    state: 'error' | 'failure' | 'pending' | 'success';
    context?: string;
    description?: string | null;
    target_url?: string | null;
  };
  if (!/^[0-9a-f]{40}$/.test(sha)) {
    throw new FakeGitHubHttpError(422, 'No commit found for SHA: ' + sha);
  }
  const status = {
    id: context.model.allocateId(),
    sha,
    state: body.state,
    context: body.context ?? 'default',
    description: body.description ?? null,
    targetUrl: body.target_url ?? null,
    createdAt: context.model.currentTime(),
  };
  repository.commitStatuses.push(status);
  const sender = actingLogin(context.identity);
  context.model.emit({
    event: 'status',
    action: null,
    repository,
    sender,
    build: () => ({
      id: status.id,
      sha,
      name: `${repository.owner}/${repository.name}`,
      state: status.state,
      context: status.context,
      description: status.description,
      target_url: status.targetUrl,
      branches: context.pullRequests
        .pullRequestsOf(repository)
        .filter((issue) => issue.pullRequest.headSha === sha && issue.pullRequest.headRepository === null)
        .map((issue) => ({ name: issue.pullRequest.head, commit: { sha } })),
    }),
  });
  const json = commitStatusJson(context.baseUrl, repository, status);
  return { status: 201, body: { ...json, creator: null } };
};

export const checkRoutes: Record<string, RouteHandler> = {
  'checks/list-for-ref': listCheckRunsForReference,
  'checks/get': getCheckRun,
  'checks/list-annotations': listAnnotations,
  'actions/get-job-for-workflow-run': getJob,
  'actions/download-job-logs-for-workflow-run': downloadJobLogs,
  'repos/create-commit-status': createCommitStatus,
  'repos/get-combined-status-for-ref': combinedStatusForReference,
};
