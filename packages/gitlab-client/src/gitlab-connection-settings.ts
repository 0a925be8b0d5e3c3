import { positiveInteger } from '@loompa/core';
import { z } from 'zod';
import { defaultGitLabHost, defaultMaxPages, type GitLabClientSettings } from './create-gitlab-client.js';

/**
 * The WORKFLOW.md keys every GitLab plugin shares (in `tracker:` and in `scm:`): where
 * GitLab is, which project, and how to authenticate. Write the token as `$GITLAB_TOKEN` so
 * it comes from the environment; core registers it for redaction.
 */
export const gitLabConnectionSettingsShape = {
  host: z
    .string()
    .url('a URL such as https://gitlab.example.com')
    .default(defaultGitLabHost)
    .describe("GitLab address; a self-managed instance's URL (without /api/v4)."),
  project: z
    .union([z.string().trim().min(1), z.number().int().positive()])
    .transform((value) => String(value))
    .describe('The project: its path (group/project) or numeric id.'),
  token: z
    .string({ error: 'a GitLab token is required; write token: $GITLAB_TOKEN' })
    .min(1)
    .describe('Personal, project, group or OAuth access token; write $GITLAB_TOKEN to read the environment.'),
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
  max_attempts: positiveInteger
    .default(5)
    .describe(
      'Attempts per request on 429 and gateway errors, waiting as long as GitLab asks (Retry-After).',
    ),
};

export interface GitLabConnectionSection {
  host: string;
  project: string;
  token: string;
  token_kind: 'private' | 'oauth' | 'job';
  max_pages: number;
  request_timeout_ms: number;
  max_attempts: number;
}

/** The client settings a parsed section describes. */
export function clientSettingsOf(section: GitLabConnectionSection): GitLabClientSettings {
  return {
    host: section.host,
    token: section.token,
    tokenKind: section.token_kind,
    maxPages: section.max_pages,
    requestTimeoutMs: section.request_timeout_ms,
    retry: { maxAttempts: section.max_attempts },
  };
}
