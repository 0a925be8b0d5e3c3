import { checkRunJson, commitStatusJson } from './pull-request-shapes.js';
import { notFound, type RouteContext, type RouteHandler, repositoryFor } from './route-context.js';
import { repositoryJson, repositoryUrl } from './wire-shapes.js';

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

export const checkRoutes: Record<string, RouteHandler> = {
  'checks/list-for-ref': listCheckRunsForReference,
  'repos/get-combined-status-for-ref': combinedStatusForReference,
};
