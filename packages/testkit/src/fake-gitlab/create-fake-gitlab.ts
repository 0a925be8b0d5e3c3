import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runGit } from '@loompa/core';
import { serveGitRequest, tokenOfGitRequest } from './fake-gitlab-git-http.js';
import { issueRoutes } from './fake-gitlab-issue-routes.js';
import { findMergeRequest, mergeRequestRoutes } from './fake-gitlab-merge-request-routes.js';
import {
  FakeGitLabIds,
  type FakeGitLabIssue,
  type FakeGitLabMergeRequest,
  type FakeGitLabPipeline,
  type FakeGitLabPipelineSchedule,
  type FakeGitLabPipelineStatus,
  type FakeGitLabProject,
  type FakeGitLabState,
  type FakeGitLabUser,
  findProject,
} from './fake-gitlab-model.js';
import { pipelineRoutes } from './fake-gitlab-pipeline-routes.js';
import type { FakeGitLabContinuousIntegration } from './fake-gitlab-pipelines.js';
import { createBareRepository } from './fake-gitlab-repository.js';
import {
  FakeGitLabHttpError,
  matchRoute,
  paginate,
  queryObject,
  readBody,
  sendJson,
} from './fake-gitlab-router.js';
import { FakeGitLabService, type FakeGitLabWebhookDelivery } from './fake-gitlab-service.js';

export interface FakeGitLabOptions {
  /** Decides the pipeline each pushed commit gets; no pipelines when absent. */
  continuousIntegration?: FakeGitLabContinuousIntegration;
  /** Username of the user the default token authenticates (`loompa-bot`). */
  username?: string;
}

export interface FakeGitLabProjectOptions {
  /** `group/project`. */
  path: string;
  defaultBranch?: string;
  mergeMethod?: FakeGitLabProject['mergeMethod'];
  onlyAllowMergeIfPipelineSucceeds?: boolean;
  onlyAllowMergeIfAllDiscussionsAreResolved?: boolean;
  approvalsRequired?: number;
}

export interface FakeGitLabSeedIssue {
  title: string;
  description?: string | null;
  labels?: string[];
  state?: 'opened' | 'closed';
  assignees?: string[];
  milestone?: string | null;
  author?: string;
  createdAt?: Date;
}

/** A fault the next matching API requests get instead of an answer. */
export interface FakeGitLabFault {
  status: number;
  /** How many requests get it (1 by default). */
  count?: number;
  /** Sent as `Retry-After` (seconds). */
  retryAfterSeconds?: number;
  /** Sent as `RateLimit-Reset`, this many seconds from now (epoch seconds on the wire). */
  rateLimitResetSeconds?: number;
  method?: string;
  /** Only requests whose path below `/api/v4/` contains this. */
  pathIncludes?: string;
}

/** Requests the fake carries out but never answers (`holdAnswers`). */
export interface FakeGitLabHeldAnswers {
  method?: string;
  /** Only requests whose path below `/api/v4/` contains this. */
  pathIncludes?: string;
  /** How many requests are held (1 by default). */
  count?: number;
}

export interface FakeGitLabRequestRecord {
  method: string;
  /** The raw path below `/api/v4/`, e.g. `projects/group%2Fproject/issues`. */
  path: string;
  query: string;
  status: number;
}

export interface FakeGitLab {
  /** `http://127.0.0.1:<port>`: the `host` a GitLab client is given. */
  readonly url: string;
  /** The token of the default user. */
  readonly token: string;
  readonly user: FakeGitLabUser;
  readonly state: FakeGitLabState;
  /** Every API request, in order (git traffic is not listed). */
  readonly requests: readonly FakeGitLabRequestRecord[];
  /** API requests that matched no route or failed validation; `close()` fails while any exist. */
  readonly problems: readonly string[];
  readonly deliveries: readonly FakeGitLabWebhookDelivery[];
  createUser(options: { username: string; name?: string }): FakeGitLabUser;
  createProject(options: FakeGitLabProjectOptions): Promise<FakeGitLabProject>;
  /**
   * Forks `project` as `path` (a copy of its repository at this moment), as a contributor's
   * fork: merge requests from it into `project` are POSTed to it with `target_project_id`.
   */
  forkProject(project: string | number, options: { path: string }): Promise<FakeGitLabProject>;
  project(idOrPath: string | number): FakeGitLabProject;
  /** The smart-HTTP URL of a project's repository (no credentials in it). */
  repositoryUrl(idOrPath: string | number): string;
  /**
   * Environment variables that make git send `token` as an `Authorization` header
   * (`GIT_CONFIG_COUNT`/`KEY`/`VALUE`), so tokens stay out of URLs and argv.
   */
  gitEnvironment(token?: string): Record<string, string>;
  /** Creates an issue directly in storage, as someone else would. */
  seedIssue(project: string | number, issue: FakeGitLabSeedIssue): FakeGitLabIssue;
  /** A reviewer opens a resolvable thread, optionally on a file and line. */
  addDiscussion(
    project: string | number,
    mergeRequestIid: number,
    thread: { author: string; body: string; path?: string; line?: number },
  ): string;
  approve(project: string | number, mergeRequestIid: number, username: string): void;
  requestChanges(project: string | number, mergeRequestIid: number, username: string): void;
  setCommitStatus(
    project: string | number,
    sha: string,
    status: { name: string; status: FakeGitLabPipelineStatus; targetUrl?: string },
  ): void;
  mergeRequest(project: string | number, iid: number): FakeGitLabMergeRequest;
  /** A pipeline schedule owned by the default user (`ref` a branch name), as a maintainer sets one up. */
  createPipelineSchedule(
    project: string | number,
    schedule: { description: string; ref: string; cron?: string; active?: boolean },
  ): FakeGitLabPipelineSchedule;
  /**
   * Runs a schedule now, as its cron would: a `schedule` pipeline on the head of its branch,
   * with the jobs the CI definition gives (its commit context says `source: 'schedule'`).
   * Resolves once the pipeline started; `settle()` waits for it to finish.
   */
  runPipelineSchedule(project: string | number, scheduleId: number): Promise<FakeGitLabPipeline | null>;
  addWebhook(options: { project: string | number; url: string; token?: string | null }): void;
  /** The next matching API requests fail with `fault`. */
  injectFault(fault: FakeGitLabFault): void;
  /**
   * The next matching API requests are carried out but never answered: the connection stays
   * open until the fake closes, as for a client that dies before GitLab's answer reaches it.
   */
  holdAnswers(match: FakeGitLabHeldAnswers): void;
  /** Pipelines stay `running` until `releasePipelines()`. */
  holdPipelines(): void;
  releasePipelines(): void;
  /** Notices pushes made straight to the repositories (pipelines start, merge requests follow). */
  sync(): Promise<void>;
  /** Waits for background work: mergeability checks, pipelines, rebases, webhook deliveries. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

function gitConfigEnvironment(token: string): Record<string, string> {
  const basic = Buffer.from(`oauth2:${token}`).toString('base64');
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    GIT_TERMINAL_PROMPT: '0',
  };
}

/**
 * A fake GitLab on 127.0.0.1: the REST v4 routes Loompa's GitLab plugins use, over an
 * in-memory model, plus git smart HTTP through `git http-backend` for real pushes. Unknown
 * routes and invalid request bodies are answered with an error and listed in `problems`,
 * and `close()` fails while any were seen, so a test cannot pass on a call the fake ignored.
 */
export async function createFakeGitLab(options: FakeGitLabOptions = {}): Promise<FakeGitLab> {
  const projectRoot = await mkdtemp(path.join(os.tmpdir(), 'fake-gitlab-'));
  const state: FakeGitLabState = { ids: new FakeGitLabIds(), users: [], projects: [] };
  const wire = { state, baseUrl: '' };
  const service = new FakeGitLabService(state, wire, options.continuousIntegration ?? null);
  const routes = [...issueRoutes(service), ...mergeRequestRoutes(service), ...pipelineRoutes(service)];
  const requests: FakeGitLabRequestRecord[] = [];
  const problems: string[] = [];
  const faults: Array<Required<Pick<FakeGitLabFault, 'status' | 'count'>> & FakeGitLabFault> = [];
  const heldAnswers: Array<FakeGitLabHeldAnswers & { count: number }> = [];

  const createUser = (userOptions: { username: string; name?: string }): FakeGitLabUser => {
    const user: FakeGitLabUser = {
      id: state.ids.take(),
      username: userOptions.username,
      name: userOptions.name ?? userOptions.username,
      token: `glpat-fake-${userOptions.username}-${state.ids.take()}`,
    };
    state.users.push(user);
    return user;
  };
  const defaultUser = createUser({ username: options.username ?? 'loompa-bot', name: 'Loompa Bot' });
  const userByName = (username: string) => {
    const user = state.users.find((candidate) => candidate.username === username);
    return user ?? createUser({ username });
  };
  const projectOf = (idOrPath: string | number) => {
    const project = findProject(state, String(idOrPath));
    if (!project) throw new Error(`fake GitLab: no project ${idOrPath}`);
    return project;
  };

  /** The first entry matching the request, used up once (faults and held answers alike). */
  const takeMatching = <Entry extends { method?: string; pathIncludes?: string; count: number }>(
    entries: Entry[],
    method: string,
    apiPath: string,
  ): Entry | null => {
    const index = entries.findIndex(
      (entry) =>
        (entry.method === undefined || entry.method === method) &&
        (entry.pathIncludes === undefined || apiPath.includes(entry.pathIncludes)),
    );
    if (index === -1) return null;
    const entry = entries[index]!;
    entry.count -= 1;
    if (entry.count <= 0) entries.splice(index, 1);
    return entry;
  };

  const handleApi = async (request: IncomingMessage, response: ServerResponse, url: URL, apiPath: string) => {
    const method = request.method ?? 'GET';
    const record: FakeGitLabRequestRecord = { method, path: apiPath, query: url.search, status: 0 };
    requests.push(record);
    const held = takeMatching(heldAnswers, method, apiPath) !== null;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      if (held) return;
      sendJson(response, status, body, {
        'ratelimit-limit': '2000',
        'ratelimit-remaining': '1999',
        ...headers,
      });
    };
    const fault = takeMatching(faults, method, apiPath);
    if (fault) {
      const headers: Record<string, string> = {};
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      if (fault.rateLimitResetSeconds !== undefined) {
        const reset = new Date(Date.now() + fault.rateLimitResetSeconds * 1000);
        headers['ratelimit-reset'] = String(Math.ceil(reset.getTime() / 1000));
        headers['ratelimit-resettime'] = reset.toUTCString();
        headers['ratelimit-remaining'] = '0';
      }
      await readBody(request);
      send(
        fault.status,
        { message: fault.status === 429 ? 'Retry later' : `${fault.status} injected fault` },
        headers,
      );
      return;
    }
    const token =
      (request.headers['private-token'] as string | undefined) ??
      request.headers.authorization?.replace(/^Bearer /i, '') ??
      null;
    const user = state.users.find((candidate) => candidate.token === token);
    if (!user) {
      await readBody(request);
      send(401, { message: '401 Unauthorized' });
      return;
    }
    const matched = matchRoute(routes, method, apiPath);
    if (!matched) {
      await readBody(request);
      const problem = `no route for ${method} /api/v4/${apiPath}`;
      problems.push(problem);
      send(404, { error: `fake GitLab: ${problem}` });
      return;
    }
    try {
      const project =
        matched.params.project === undefined ? undefined : findProject(state, matched.params.project);
      if (matched.params.project !== undefined && !project) {
        throw new FakeGitLabHttpError(404, '404 Project Not Found');
      }
      const raw = await readBody(request);
      let body: Record<string, unknown> = {};
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
        } catch {
          throw new FakeGitLabHttpError(400, 'the fake GitLab accepts JSON request bodies only');
        }
      }
      const parsed = matched.route.schema.safeParse({ ...queryObject(url), ...body });
      if (!parsed.success) {
        const details = parsed.error.issues
          .map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`)
          .join('; ');
        const problem = `invalid input for ${method} /api/v4/${apiPath}: ${details}`;
        problems.push(problem);
        send(400, { error: `fake GitLab: ${problem}` });
        return;
      }
      const result = await matched.route.handle({
        method,
        params: matched.params,
        input: parsed.data,
        user,
        project: project as FakeGitLabProject,
        url,
        headers: request.headers,
      });
      if ('list' in result) {
        const page = paginate(url, result.list);
        send(result.status, page.body, page.headers);
      } else if ('text' in result) {
        record.status = result.status;
        if (held) return;
        response.writeHead(result.status, { 'content-type': 'text/plain; charset=utf-8', ...result.headers });
        response.end(result.text);
      } else {
        send(result.status, result.json, result.headers);
      }
    } catch (error) {
      if (error instanceof FakeGitLabHttpError) {
        send(error.status, error.body, error.headers);
        return;
      }
      const problem = `fake GitLab failed on ${method} /api/v4/${apiPath}: ${error instanceof Error ? error.stack : String(error)}`;
      problems.push(problem);
      send(500, { message: problem });
    }
  };

  const handleGit = async (request: IncomingMessage, response: ServerResponse, url: URL) => {
    const token = tokenOfGitRequest(request);
    const user = state.users.find((candidate) => candidate.token === token);
    if (!user) {
      await readBody(request);
      response.writeHead(401, { 'www-authenticate': 'Basic realm="GitLab"', 'content-type': 'text/plain' });
      response.end('HTTP Basic: Access denied');
      return;
    }
    const projectPath = decodeURIComponent(url.pathname.slice(1, url.pathname.indexOf('.git/')));
    const project = findProject(state, projectPath);
    if (!project) {
      await readBody(request);
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('The project you were looking for could not be found.');
      return;
    }
    await serveGitRequest(request, response, {
      projectRoot,
      pathInfo: `/${project.id}.git${url.pathname.slice(url.pathname.indexOf('.git/') + 4)}`,
      query: url.search.replace(/^\?/, ''),
      remoteUser: user.username,
      // A push changes branches: start pipelines and move merge requests before the pusher
      // hears back, as GitLab's post-receive hook does.
      ...(url.pathname.endsWith('/git-receive-pack')
        ? { beforeEnd: () => service.syncProject(project) }
        : {}),
    });
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', wire.baseUrl);
    const rawPath = (request.url ?? '/').split('?')[0]!;
    const handled = rawPath.startsWith('/api/v4/')
      ? handleApi(request, response, url, rawPath.slice('/api/v4/'.length))
      : rawPath.includes('.git/')
        ? handleGit(request, response, url)
        : (async () => {
            problems.push(`no route for ${request.method} ${rawPath}`);
            sendJson(response, 404, { error: `fake GitLab: no route for ${request.method} ${rawPath}` });
          })();
    handled.catch((error: unknown) => {
      problems.push(`fake GitLab crashed on ${request.method} ${rawPath}: ${String(error)}`);
      if (!response.headersSent) sendJson(response, 500, { message: String(error) });
      else response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  wire.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fake: FakeGitLab = {
    get url() {
      return wire.baseUrl;
    },
    token: defaultUser.token,
    user: defaultUser,
    state,
    requests,
    problems,
    deliveries: service.deliveries,
    createUser,
    async createProject(projectOptions) {
      const id = state.ids.take();
      const project: FakeGitLabProject = {
        id,
        pathWithNamespace: projectOptions.path,
        forkedFromProjectId: null,
        defaultBranch: projectOptions.defaultBranch ?? 'main',
        repositoryPath: path.join(projectRoot, `${id}.git`),
        mergeMethod: projectOptions.mergeMethod ?? 'ff',
        onlyAllowMergeIfPipelineSucceeds: projectOptions.onlyAllowMergeIfPipelineSucceeds ?? false,
        onlyAllowMergeIfAllDiscussionsAreResolved:
          projectOptions.onlyAllowMergeIfAllDiscussionsAreResolved ?? false,
        approvalsRequired: projectOptions.approvalsRequired ?? 0,
        labels: [],
        issues: [],
        mergeRequests: [],
        pipelines: [],
        pipelineSchedules: [],
        commitStatuses: [],
        knownBranchHeads: new Map(),
        nextIssueIid: 1,
        nextMergeRequestIid: 1,
        nextPipelineIid: 1,
      };
      await createBareRepository(project.repositoryPath, project.defaultBranch);
      state.projects.push(project);
      return project;
    },
    async forkProject(idOrPath, forkOptions) {
      const parent = projectOf(idOrPath);
      const fork = await fake.createProject({ path: forkOptions.path, defaultBranch: parent.defaultBranch });
      fork.forkedFromProjectId = parent.id;
      await runGit(['fetch', '--quiet', parent.repositoryPath, '+refs/heads/*:refs/heads/*'], {
        cwd: fork.repositoryPath,
      });
      await service.syncProject(fork);
      return fork;
    },
    project: projectOf,
    repositoryUrl: (idOrPath) => `${wire.baseUrl}/${projectOf(idOrPath).pathWithNamespace}.git`,
    gitEnvironment: (token = defaultUser.token) => gitConfigEnvironment(token),
    seedIssue(idOrPath, seed) {
      const project = projectOf(idOrPath);
      const now = seed.createdAt ?? new Date();
      const issue: FakeGitLabIssue = {
        id: state.ids.take(),
        iid: project.nextIssueIid++,
        projectId: project.id,
        title: seed.title,
        description: seed.description ?? null,
        state: seed.state ?? 'opened',
        labels: service.applyLabels(project, [], { add: seed.labels ?? [] }),
        assigneeIds: (seed.assignees ?? []).map((username) => userByName(username).id),
        milestone: seed.milestone ?? null,
        authorId: userByName(seed.author ?? 'reporter').id,
        createdAt: now,
        updatedAt: now,
        closedAt: seed.state === 'closed' ? now : null,
        discussions: [],
      };
      project.issues.push(issue);
      service.emit(project, 'Issue Hook', {
        object_kind: 'issue',
        object_attributes: { id: issue.id, iid: issue.iid, state: issue.state, action: 'open' },
      });
      return issue;
    },
    addDiscussion(idOrPath, iid, thread) {
      const mergeRequest = findMergeRequest(projectOf(idOrPath), String(iid));
      const note = service.newNote(userByName(thread.author).id, thread.body, {
        resolvable: true,
        position: thread.path === undefined ? null : { newPath: thread.path, newLine: thread.line ?? 1 },
      });
      const discussion = service.newDiscussion([note], false);
      mergeRequest.discussions.push(discussion);
      mergeRequest.updatedAt = new Date();
      service.emitMergeRequestNote(projectOf(idOrPath), mergeRequest, note);
      return discussion.id;
    },
    approve(idOrPath, iid, username) {
      const mergeRequest = findMergeRequest(projectOf(idOrPath), String(iid));
      const user = userByName(username);
      if (!mergeRequest.approvedByIds.includes(user.id)) mergeRequest.approvedByIds.push(user.id);
      mergeRequest.reviewers.set(user.id, 'reviewed');
    },
    requestChanges(idOrPath, iid, username) {
      const mergeRequest = findMergeRequest(projectOf(idOrPath), String(iid));
      const user = userByName(username);
      mergeRequest.approvedByIds = mergeRequest.approvedByIds.filter((id) => id !== user.id);
      mergeRequest.reviewers.set(user.id, 'requested_changes');
    },
    setCommitStatus(idOrPath, sha, status) {
      const project = projectOf(idOrPath);
      project.commitStatuses = project.commitStatuses.filter(
        (existing) => !(existing.sha === sha && existing.name === status.name),
      );
      project.commitStatuses.push({
        id: state.ids.take(),
        sha,
        name: status.name,
        status: status.status,
        targetUrl: status.targetUrl ?? null,
        description: null,
        createdAt: new Date(),
      });
    },
    mergeRequest: (idOrPath, iid) => findMergeRequest(projectOf(idOrPath), String(iid)),
    createPipelineSchedule(idOrPath, scheduleOptions) {
      const now = new Date();
      const schedule: FakeGitLabPipelineSchedule = {
        id: state.ids.take(),
        description: scheduleOptions.description,
        ref: scheduleOptions.ref,
        cron: scheduleOptions.cron ?? '0 2 * * *',
        active: scheduleOptions.active ?? true,
        ownerId: defaultUser.id,
        createdAt: now,
        updatedAt: now,
        pipelineIds: [],
      };
      projectOf(idOrPath).pipelineSchedules.push(schedule);
      return schedule;
    },
    async runPipelineSchedule(idOrPath, scheduleId) {
      const project = projectOf(idOrPath);
      const schedule = project.pipelineSchedules.find((candidate) => candidate.id === scheduleId);
      if (!schedule) throw new Error(`fake GitLab: no pipeline schedule ${scheduleId} in ${idOrPath}`);
      // Pushes made straight to the repository are noticed first, as GitLab would have.
      await service.syncProject(project);
      return service.runSchedule(project, schedule);
    },
    addWebhook({ project, url, token = null }) {
      service.webhooks.push({ projectId: projectOf(project).id, url, token });
    },
    injectFault(fault) {
      faults.push({ ...fault, count: fault.count ?? 1 });
    },
    holdAnswers(match) {
      heldAnswers.push({ ...match, count: match.count ?? 1 });
    },
    holdPipelines() {
      service.holdPipelines = true;
    },
    releasePipelines: () => service.releasePipelines(),
    async sync() {
      await Promise.all(state.projects.map((project) => service.syncProject(project)));
    },
    async settle() {
      await Promise.all(state.projects.map((project) => service.syncProject(project)));
      await service.settle();
    },
    async close() {
      await service.settle();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(projectRoot, { recursive: true, force: true });
      const failures = [
        ...problems,
        ...service.backgroundErrors.map((error) => `background work failed: ${String(error)}`),
      ];
      if (failures.length > 0) {
        throw new Error(`The fake GitLab saw requests it could not serve:\n${failures.join('\n')}`);
      }
    },
  };
  return fake;
}
