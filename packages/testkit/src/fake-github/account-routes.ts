import type { FakeApp } from './fake-credentials.js';
import {
  FakeGitHubHttpError,
  notFound,
  type RouteContext,
  type RouteHandler,
  repositoryFor,
} from './route-context.js';
import { isoTime, publicUserJson, repositoryJson, userJson } from './wire-shapes.js';

function appFor(context: RouteContext): FakeApp {
  if (context.identity.kind !== 'app') {
    throw new FakeGitHubHttpError(401, 'A JSON web token could not be decoded');
  }
  const app = context.credentials.apps.get(context.identity.appId);
  if (!app) throw notFound();
  return app;
}

function installationJson(context: RouteContext, app: FakeApp, installationId: number, accountLogin: string) {
  const time = isoTime(context.model.currentTime());
  return {
    id: installationId,
    account: userJson(context.baseUrl, context.model.ensureUser(accountLogin)),
    repository_selection: 'selected',
    access_tokens_url: `${context.baseUrl}/app/installations/${installationId}/access_tokens`,
    repositories_url: `${context.baseUrl}/installation/repositories`,
    html_url: `${context.baseUrl}/settings/installations/${installationId}`,
    app_id: app.appId,
    app_slug: app.slug,
    target_id: context.model.ensureUser(accountLogin).id,
    target_type: 'User',
    permissions: { issues: 'write', metadata: 'read', contents: 'write', pull_requests: 'write' },
    events: ['issues', 'issue_comment'],
    created_at: time,
    updated_at: time,
    single_file_name: null,
    suspended_by: null,
    suspended_at: null,
  };
}

const getAuthenticatedUser: RouteHandler = (context) => {
  if (context.identity.kind !== 'user')
    throw new FakeGitHubHttpError(403, 'Resource not accessible by integration');
  const user = context.model.ensureUser(context.identity.login);
  return { status: 200, body: publicUserJson(context.baseUrl, user, context.model.currentTime()) };
};

const getAuthenticatedApp: RouteHandler = (context) => {
  const app = appFor(context);
  const time = isoTime(context.model.currentTime());
  return {
    status: 200,
    body: {
      id: app.appId,
      slug: app.slug,
      node_id: Buffer.from(`App:${app.appId}`).toString('base64'),
      owner: userJson(context.baseUrl, context.model.ensureUser('app-owner')),
      name: app.slug,
      description: null,
      external_url: context.baseUrl,
      html_url: `${context.baseUrl}/apps/${app.slug}`,
      created_at: time,
      updated_at: time,
      permissions: { issues: 'write', metadata: 'read' },
      events: ['issues', 'issue_comment'],
    },
  };
};

const getRepositoryInstallation: RouteHandler = (context) => {
  const app = appFor(context);
  const fullName = `${context.parameters.owner}/${context.parameters.repo}`.toLowerCase();
  const installationId = app.installations.get(fullName);
  if (installationId === undefined) throw notFound();
  return {
    status: 200,
    body: installationJson(context, app, installationId, context.parameters.owner ?? ''),
  };
};

const createInstallationAccessToken: RouteHandler = (context) => {
  const app = appFor(context);
  const installationId = Number(context.parameters.installation_id);
  if (![...app.installations.values()].includes(installationId)) throw notFound();
  const { token, expiresAt } = context.credentials.issueInstallationToken(
    app,
    installationId,
    context.installationTokenLifetimeMs,
  );
  return {
    status: 201,
    body: {
      token,
      expires_at: isoTime(expiresAt),
      permissions: { issues: 'write', metadata: 'read' },
      repository_selection: 'selected',
    },
  };
};

const getRepository: RouteHandler = (context) => {
  const repository = repositoryFor(context, { write: false });
  return { status: 200, body: repositoryJson(context.baseUrl, context.model, repository) };
};

export const accountRoutes: Record<string, RouteHandler> = {
  'users/get-authenticated': getAuthenticatedUser,
  'apps/get-authenticated': getAuthenticatedApp,
  'apps/get-repo-installation': getRepositoryInstallation,
  'apps/create-installation-access-token': createInstallationAccessToken,
  'repos/get': getRepository,
};
