import { InvalidArgumentError, positiveInteger } from '@loompa/core/schema';
import { z } from 'zod';
import type { GitLabClientSettings } from './create-gitlab-client.js';
import { defaultGitLabHost, defaultMaxPages } from './gitlab-defaults.js';
import type { GitLabWebhookServerOptions } from './gitlab-webhook-server.js';

/**
 * The WORKFLOW.md keys every GitLab plugin shares (in `tracker:` and in `scm:`): where
 * GitLab is, which project, and how to authenticate. The token is named by its environment
 * variable, never written into the file, so it can be checked and listed for removal from
 * agent environments without ever being printed.
 */
const variableNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

const webhookSettingsSchema = z.object({
  secret_variable: z
    .string()
    .regex(variableNamePattern, 'must name an environment variable')
    .default('GITLAB_WEBHOOK_SECRET')
    .describe('Environment variable holding the secret token configured on the GitLab webhook.'),
  host: z.string().min(1).default('127.0.0.1').describe('Address the webhook receiver listens on.'),
  port: z
    .preprocess(
      (value) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value),
      z.number().int().min(0).max(65_535),
    )
    .default(8788)
    .describe('Port of the webhook receiver; 0 picks a free one.'),
  path: z.string().startsWith('/').default('/gitlab/webhooks').describe('Path GitLab posts deliveries to.'),
});

export const gitLabConnectionSettingsShape = {
  host: z
    .string()
    .url('a URL such as https://gitlab.example.com')
    .default(defaultGitLabHost)
    .describe("GitLab address; a self-managed instance's URL (without /api/v4)."),
  project: z
    .union([z.string().trim().min(1), z.number().int().positive()], {
      error: 'the project path (group/project) or its numeric id',
    })
    .transform((value) => String(value))
    .describe('The project: its path (group/project) or numeric id.'),
  token_variable: z
    .string()
    .regex(variableNamePattern, 'must name an environment variable')
    .default('GITLAB_TOKEN')
    .describe('Environment variable holding the personal, project, group or OAuth access token.'),
  token_kind: z
    .enum(['private', 'oauth', 'job'])
    .default('private')
    .describe(
      'private for personal/project/group access tokens (PRIVATE-TOKEN), oauth for OAuth tokens, job for CI job tokens.',
    ),
  max_pages: positiveInteger
    .default(defaultMaxPages)
    .describe('Pages of 100 items any list may read; longer lists are cut and logged.'),
  request_timeout_ms: positiveInteger.default(30_000).describe('Time limit of one HTTP request.'),
  webhook: webhookSettingsSchema
    .nullable()
    .default(null)
    .describe(
      'Receive GitLab webhooks to react at once (off when absent); polling continues as the baseline. Keys: secret_variable (GITLAB_WEBHOOK_SECRET), host (127.0.0.1), port (8788), path (/gitlab/webhooks).',
    ),
  max_attempts: positiveInteger
    .default(5)
    .describe(
      'Attempts per request on 429 and gateway errors, waiting as long as GitLab asks (Retry-After).',
    ),
};

export interface GitLabConnectionSection {
  host: string;
  project: string;
  token_variable: string;
  webhook: { secret_variable: string; host: string; port: number; path: string } | null;
  token_kind: 'private' | 'oauth' | 'job';
  max_pages: number;
  request_timeout_ms: number;
  max_attempts: number;
}

/** Reports an unset token (or webhook secret) variable at its key, naming the variable and never a value. */
export function checkGitLabCredentials(
  section: Pick<GitLabConnectionSection, 'token_variable' | 'webhook'>,
  context: { addIssue(issue: { code: 'custom'; path: string[]; message: string }): void },
  environment: NodeJS.ProcessEnv = process.env,
): void {
  if (!environment[section.token_variable]) {
    context.addIssue({
      code: 'custom',
      path: ['token_variable'],
      message: `environment variable ${section.token_variable} (the GitLab token) is empty or not set`,
    });
  }
  if (section.webhook && !environment[section.webhook.secret_variable]) {
    context.addIssue({
      code: 'custom',
      path: ['webhook', 'secret_variable'],
      message: `environment variable ${section.webhook.secret_variable} (the GitLab webhook secret) is empty or not set`,
    });
  }
}

/** Every environment variable a section names for credentials (removed from agent environments). */
export function credentialVariablesOf(
  section: Pick<GitLabConnectionSection, 'token_variable' | 'webhook'>,
): string[] {
  return section.webhook
    ? [section.token_variable, section.webhook.secret_variable]
    : [section.token_variable];
}

/** The webhook endpoint a section describes, the secret read from its variable; null without webhooks. */
export function webhookSettingsOf(
  section: Pick<GitLabConnectionSection, 'webhook'>,
  environment: NodeJS.ProcessEnv = process.env,
): GitLabWebhookServerOptions | null {
  if (!section.webhook) return null;
  const secret = environment[section.webhook.secret_variable];
  if (!secret) {
    throw new InvalidArgumentError(
      `environment variable ${section.webhook.secret_variable} (the GitLab webhook secret) is empty or not set`,
    );
  }
  return { secret, host: section.webhook.host, port: section.webhook.port, path: section.webhook.path };
}

/** The client settings a parsed section describes, the token read from its variable. */
export function clientSettingsOf(
  section: GitLabConnectionSection,
  environment: NodeJS.ProcessEnv = process.env,
): GitLabClientSettings {
  const token = environment[section.token_variable];
  if (!token) {
    throw new InvalidArgumentError(
      `environment variable ${section.token_variable} (the GitLab token named by token_variable) is empty or not set`,
    );
  }
  return {
    host: section.host,
    token,
    tokenKind: section.token_kind,
    maxPages: section.max_pages,
    requestTimeoutMs: section.request_timeout_ms,
    retry: { maxAttempts: section.max_attempts },
  };
}
