import { readFileSync } from 'node:fs';
import {
  expandPathSetting,
  type Logger,
  optionalString,
  positiveInteger,
  registerSecret,
} from '@loompa/core/schema';
import { z } from 'zod';
import type { GitHubClientOptions } from './github-client.js';
import { defaultGitHubApiUrl } from './github-defaults.js';

const variableNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
const variableName = z
  .string()
  .regex(variableNamePattern, 'the name of an environment variable (letters, digits, underscores)');

/** `owner/name` as GitHub spells repositories. */
export const repositoryNamePattern = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

const webhookSettingsSchema = z.object({
  secret_variable: variableName
    .default('GITHUB_WEBHOOK_SECRET')
    .describe('Environment variable holding the webhook secret.'),
  host: z.string().min(1).default('127.0.0.1').describe('Address the webhook receiver listens on.'),
  port: z
    .preprocess(
      (value) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value),
      z.number().int().min(0).max(65_535),
    )
    .default(8787)
    .describe('Port of the webhook receiver; 0 picks a free one.'),
  path: z
    .string()
    .startsWith('/')
    .default('/github/webhooks')
    .describe('Path GitHub (or a relay) posts deliveries to.'),
});

/**
 * The connection keys every GitHub plugin reads from its WORKFLOW.md section. Credentials
 * are named by environment variable, never written in the file, so `loompa validate` can
 * check that they are set without printing them and agents never inherit them.
 */
export const gitHubConnectionSettingsShape = {
  repository: z
    .string({ error: 'a repository written owner/name, e.g. octo/widgets' })
    .regex(repositoryNamePattern, 'a repository written owner/name, e.g. octo/widgets')
    .describe('The repository, written owner/name.'),
  api_url: z
    .url({ protocol: /^https?$/, error: 'an http(s) URL such as https://github.example.com/api/v3' })
    .default(defaultGitHubApiUrl)
    .describe('REST API root; https://<host>/api/v3 for GitHub Enterprise Server.'),
  token_variable: variableName
    .default('GITHUB_TOKEN')
    .describe('Environment variable holding the token (used unless app_id is set).'),
  app_id: positiveInteger
    .nullable()
    .default(null)
    .describe('GitHub App id; authenticates as the App instead of a token.'),
  app_private_key_path: optionalString.describe(
    "File with the App's private key (PEM), relative to WORKFLOW.md.",
  ),
  app_private_key_variable: optionalString.describe(
    "Environment variable holding the App's private key (PEM).",
  ),
  app_installation_id: positiveInteger
    .nullable()
    .default(null)
    .describe("The App's installation id; looked up from the repository when unset."),
  webhook: webhookSettingsSchema
    .optional()
    .describe('Receive webhooks to react at once (off when absent); polling continues as the baseline.'),
};

export const gitHubConnectionSettingsSchema = z.looseObject(gitHubConnectionSettingsShape);
export type GitHubConnectionSettings = z.output<typeof gitHubConnectionSettingsSchema>;

interface IssueSink {
  addIssue(issue: { code: 'custom'; path: PropertyKey[]; message: string }): void;
}

function isUnset(environment: NodeJS.ProcessEnv, variable: string): boolean {
  const value = environment[variable];
  return value === undefined || value.trim() === '';
}

/** The PEM text at `filePath`, or a sentence saying why it cannot be used. */
function readPrivateKeyFile(filePath: string): { key: string } | { problem: string } {
  let text: string;
  try {
    text = readFileSync(filePath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    return { problem: `cannot read the App private key file ${filePath} (${code})` };
  }
  if (!text.includes('-----BEGIN') || !text.includes('PRIVATE KEY-----')) {
    return { problem: `${filePath} does not hold a PEM private key` };
  }
  return { key: text };
}

/**
 * Checks what zod cannot see alone: that the named variables are set and the key file is
 * readable. Messages name the variable or file, never a value. `workflowDirectory` resolves
 * a relative key path; checks run against `process.env` unless another environment is given.
 */
export function checkGitHubCredentials(
  section: GitHubConnectionSettings,
  context: IssueSink,
  options: { workflowDirectory?: string; environment?: NodeJS.ProcessEnv } = {},
): void {
  const environment = options.environment ?? process.env;
  if (section.app_id === null) {
    if (section.app_private_key_path !== null || section.app_private_key_variable !== null) {
      context.addIssue({
        code: 'custom',
        path: ['app_id'],
        message: 'an App private key needs app_id as well',
      });
    }
    if (isUnset(environment, section.token_variable)) {
      context.addIssue({
        code: 'custom',
        path: ['token_variable'],
        message: `environment variable ${section.token_variable} (the GitHub token) is empty or not set`,
      });
    }
  } else {
    const byPath = section.app_private_key_path !== null;
    const byVariable = section.app_private_key_variable !== null;
    if (byPath === byVariable) {
      context.addIssue({
        code: 'custom',
        path: [byPath ? 'app_private_key_variable' : 'app_private_key_path'],
        message: 'app_id needs exactly one of app_private_key_path and app_private_key_variable',
      });
    } else if (byVariable) {
      const variable = section.app_private_key_variable!;
      if (!variableNamePattern.test(variable)) {
        context.addIssue({
          code: 'custom',
          path: ['app_private_key_variable'],
          message: 'must name an environment variable',
        });
      } else if (isUnset(environment, variable)) {
        context.addIssue({
          code: 'custom',
          path: ['app_private_key_variable'],
          message: `environment variable ${variable} (the App private key) is empty or not set`,
        });
      }
    } else if (options.workflowDirectory !== undefined || /^[~/$]/.test(section.app_private_key_path!)) {
      // A relative path can only be checked once the WORKFLOW.md folder is known (at create time).
      try {
        const filePath = expandPathSetting(
          section.app_private_key_path!,
          options.workflowDirectory ?? process.cwd(),
          environment,
        );
        const read = readPrivateKeyFile(filePath);
        if ('problem' in read)
          context.addIssue({ code: 'custom', path: ['app_private_key_path'], message: read.problem });
      } catch (error) {
        context.addIssue({
          code: 'custom',
          path: ['app_private_key_path'],
          message: (error as Error).message,
        });
      }
    }
  }
  if (section.webhook && isUnset(environment, section.webhook.secret_variable)) {
    context.addIssue({
      code: 'custom',
      path: ['webhook', 'secret_variable'],
      message: `environment variable ${section.webhook.secret_variable} (the webhook secret) is empty or not set`,
    });
  }
}

/** Environment variables holding this section's credentials, for `secretEnvironmentVariables`. */
export function gitHubSecretVariables(section: GitHubConnectionSettings): string[] {
  const variables = section.app_id === null ? [section.token_variable] : [];
  if (section.app_id !== null && section.app_private_key_variable)
    variables.push(section.app_private_key_variable);
  if (section.webhook) variables.push(section.webhook.secret_variable);
  return variables;
}

/**
 * Client options for a validated section. The token is read from its variable on every
 * request, so a rotated token in the environment is picked up without a restart.
 */
export function gitHubClientOptionsFromSettings(
  section: GitHubConnectionSettings,
  options: { workflowDirectory: string; logger?: Logger; environment?: NodeJS.ProcessEnv },
): GitHubClientOptions {
  const environment = options.environment ?? process.env;
  const [owner, name] = section.repository.split('/') as [string, string];
  const common = {
    baseUrl: section.api_url,
    repository: { owner, name },
    ...(options.logger ? { logger: options.logger } : {}),
  };
  if (section.app_id === null) {
    const variable = section.token_variable;
    return {
      ...common,
      credentials: {
        kind: 'token',
        token: () => {
          const token = environment[variable]?.trim();
          if (!token)
            throw new Error(`environment variable ${variable} (the GitHub token) is empty or not set`);
          registerSecret(token);
          return token;
        },
      },
    };
  }
  let privateKey: string;
  if (section.app_private_key_variable) {
    // Keys pasted into an environment variable often carry literal "\n".
    privateKey = (environment[section.app_private_key_variable] ?? '').replaceAll('\\n', '\n');
  } else {
    const read = readPrivateKeyFile(
      expandPathSetting(section.app_private_key_path!, options.workflowDirectory, environment),
    );
    if ('problem' in read) throw new Error(read.problem);
    privateKey = read.key;
  }
  registerSecret(privateKey);
  return {
    ...common,
    credentials: {
      kind: 'app',
      appId: section.app_id,
      privateKey,
      ...(section.app_installation_id === null ? {} : { installationId: section.app_installation_id }),
    },
  };
}

/** The webhook secret a validated section names, or null without webhooks. */
export function gitHubWebhookSecret(
  section: GitHubConnectionSettings,
  environment: NodeJS.ProcessEnv = process.env,
): string | null {
  if (!section.webhook) return null;
  const secret = environment[section.webhook.secret_variable]?.trim();
  if (!secret) return null;
  registerSecret(secret);
  return secret;
}

/**
 * What a plugin's `webhook:` section asks for, as receiver options: null without the section
 * or without a secret in its variable (validation reports that case before a plugin is built).
 */
export function gitHubWebhookOptionsFromSettings(
  section: GitHubConnectionSettings,
  logger?: Logger,
  environment: NodeJS.ProcessEnv = process.env,
): { secret: string; host: string; port: number; path: string; logger?: Logger } | null {
  const secret = gitHubWebhookSecret(section, environment);
  if (!section.webhook || !secret) return null;
  return {
    secret,
    host: section.webhook.host,
    port: section.webhook.port,
    path: section.webhook.path,
    ...(logger ? { logger } : {}),
  };
}
