import { schema as githubSchema } from '@octokit/graphql-schema';
import { buildSchema, type GraphQLSchema, graphql, parse, validate } from 'graphql';
import type { FakeIdentity } from './fake-credentials.js';
import type { FakeGitHubModel, FakeIssue, FakeRepository } from './fake-github-model.js';
import type { FakePullRequests, PullRequestIssue } from './fake-pull-requests.js';
import type { FakeReviews } from './fake-reviews.js';
import { pullRequestMutations, pullRequestNode } from './graphql-pull-requests.js';
import { isoTime } from './wire-shapes.js';

let builtSchema: GraphQLSchema | null = null;

/** GitHub's GraphQL schema (@octokit/graphql-schema), built once per process on first use. */
function gitHubGraphqlSchema(): GraphQLSchema {
  builtSchema ??= buildSchema(githubSchema.idl, { assumeValidSDL: true });
  return builtSchema;
}

export interface GraphqlRequestBody {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

export interface GraphqlAnswer {
  body: { data?: unknown; errors?: Array<{ message: string }> };
  /** The query broke GitHub's schema: the test that sent it should fail. */
  problem: string | null;
}

function issueNode(repository: FakeRepository, issue: FakeIssue, baseUrl: string) {
  return {
    id: Buffer.from(`Issue:${issue.id}`).toString('base64'),
    databaseId: issue.id,
    number: issue.number,
    title: issue.title,
    body: issue.body ?? '',
    state: issue.state === 'open' ? 'OPEN' : 'CLOSED',
    stateReason: issue.stateReason?.toUpperCase() ?? null,
    url: `${baseUrl}/${repository.owner}/${repository.name}/issues/${issue.number}`,
    createdAt: new Date(issue.createdAt).toISOString(),
    updatedAt: new Date(issue.updatedAt).toISOString(),
    labels: () => ({ totalCount: issue.labels.length, nodes: issue.labels.map((name) => ({ name })) }),
    assignees: () => ({
      totalCount: issue.assignees.length,
      nodes: issue.assignees.map((login) => ({ login })),
    }),
  };
}

/**
 * `POST /graphql`: the query is validated against GitHub's published schema (an invalid one is
 * answered with `errors`, as GitHub does, and recorded as a problem), then executed against the
 * model. The fake resolves the fields Loompa reads (`rateLimit`, `viewer`, `repository { issue,
 * pullRequest }`) and the pull request mutations (thread replies and resolution, branch updates); others resolve to null until a later issue models them.
 */
export async function answerGraphql(options: {
  body: GraphqlRequestBody;
  identity: FakeIdentity;
  model: FakeGitHubModel;
  baseUrl: string;
  pullRequests: FakePullRequests;
  reviews: FakeReviews;
  rateLimit: { limit: number; remaining: number; used: number; resetAt: number };
}): Promise<GraphqlAnswer> {
  const { body } = options;
  if (typeof body.query !== 'string') {
    return {
      body: { errors: [{ message: 'A query attribute must be specified and must be a string.' }] },
      problem: 'GraphQL request without a query',
    };
  }
  const schema = gitHubGraphqlSchema();
  let document: ReturnType<typeof parse>;
  try {
    document = parse(body.query);
  } catch (error) {
    const message = (error as Error).message;
    return { body: { errors: [{ message }] }, problem: `GraphQL query does not parse: ${message}` };
  }
  const errors = validate(schema, document);
  if (errors.length > 0) {
    const messages = errors.map((error) => error.message);
    return {
      body: { errors: messages.map((message) => ({ message })) },
      problem: `GraphQL query breaks GitHub's schema: ${messages.join('; ')}`,
    };
  }
  const { model, baseUrl, identity } = options;
  const context = { model, baseUrl, identity, pullRequests: options.pullRequests, reviews: options.reviews };
  const rootValue = {
    ...pullRequestMutations(context),
    rateLimit: () => ({
      cost: 1,
      limit: options.rateLimit.limit,
      remaining: options.rateLimit.remaining,
      used: options.rateLimit.used,
      nodeCount: 1,
      resetAt: isoTime(options.rateLimit.resetAt),
    }),
    viewer: () => ({ login: identity.kind === 'app' ? `app-${identity.appId}` : identity.login }),
    repository: ({ owner, name }: { owner: string; name: string }) => {
      const repository = model.findRepository(owner, name);
      if (!repository) return null;
      return {
        name: repository.name,
        nameWithOwner: `${repository.owner}/${repository.name}`,
        owner: { login: repository.owner },
        issue: ({ number }: { number: number }) => {
          const issue = repository.issues.get(number);
          return issue && !issue.pullRequest ? issueNode(repository, issue, baseUrl) : null;
        },
        pullRequest: async ({ number }: { number: number }) => {
          const issue = repository.issues.get(number);
          if (!issue?.pullRequest) return null;
          await options.pullRequests.refresh(repository, issue as PullRequestIssue);
          return pullRequestNode(context, repository, issue as PullRequestIssue);
        },
      };
    },
  };
  const result = await graphql({
    schema,
    source: body.query,
    rootValue,
    variableValues: (body.variables ?? undefined) as Record<string, unknown> | undefined,
    operationName: typeof body.operationName === 'string' ? body.operationName : undefined,
  });
  return {
    body: {
      data: result.data,
      ...(result.errors ? { errors: result.errors.map((error) => ({ message: error.message })) } : {}),
    },
    problem: null,
  };
}
