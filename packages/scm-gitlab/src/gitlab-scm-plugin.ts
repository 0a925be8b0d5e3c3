import type { PluginDefinition, ScmProviderV1 } from '@loompa/core';
import { clientSettingsOf, credentialVariablesOf, webhookSettingsOf } from '@loompa/gitlab-client';
import { createGitLabScm } from './gitlab-scm-provider.js';
import { type GitLabScmSection, gitLabScmSettingsSchema } from './gitlab-scm-schema.js';

/** The `scm: { kind: gitlab }` plugin. */
export const gitLabScm: PluginDefinition<ScmProviderV1, GitLabScmSection> = {
  settingsSchema: gitLabScmSettingsSchema,
  create(section, context) {
    return createGitLabScm({
      client: { ...clientSettingsOf(section), logger: context.logger },
      project: section.project,
      removeSourceBranch: section.remove_source_branch,
      mergeWhenPipelineSucceeds: section.merge_when_pipeline_succeeds,
      rebasePollIntervalMs: section.rebase_poll_interval_ms,
      rebaseTimeoutMs: section.rebase_timeout_ms,
      webhook: webhookSettingsOf(section),
      secretEnvironmentVariables: credentialVariablesOf(section),
      logger: context.logger,
    });
  },
};
