import type { PluginDefinition, ScmProviderV1 } from '@loompa/core';
import {
  createGitHubClient,
  gitHubClientOptionsFromSettings,
  gitHubSecretVariables,
  gitHubWebhookOptionsFromSettings,
} from '@loompa/github-client';
import { createGitHubScm } from './github-scm-provider.js';
import { type GitHubScmSection, gitHubScmSettingsSchema } from './github-scm-schema.js';

/** The `scm: { kind: github }` plugin. */
export const gitHubScm: PluginDefinition<ScmProviderV1, GitHubScmSection> = {
  settingsSchema: gitHubScmSettingsSchema,
  create(section, context) {
    const client = createGitHubClient(
      gitHubClientOptionsFromSettings(section, {
        workflowDirectory: context.workflowDirectory,
        logger: context.logger,
      }),
    );
    return createGitHubScm({
      client,
      repository: section.repository,
      draft: section.draft,
      closeIssuesAfterMerge: section.close_issues_after_merge,
      mergeabilityRetryDelaysMs: section.mergeability_retry_ms,
      reviewMaxAgeMs: section.review_max_age_ms,
      webhook: gitHubWebhookOptionsFromSettings(section, context.logger),
      secretEnvironmentVariables: gitHubSecretVariables(section),
      logger: context.logger,
    });
  },
};
