import { type PluginDefinition, ScmError, type ScmProviderV1 } from '@loompa/core';
import { LocalScmProvider } from './local-scm-provider.js';
import {
  type LocalScmSettings,
  type LocalScmWorkflowSettings,
  localScmSettingsSchema,
} from './local-scm-settings.js';

/** Builds the local SCM provider from its programmatic settings. */
export function createLocalScm(settings: LocalScmSettings): LocalScmProvider {
  return new LocalScmProvider(settings);
}

/**
 * The `scm: { kind: local }` plugin: branches of the source checkout are the change
 * requests, state lives in the plugin's state directory, and the reviewer agent is any
 * agent kind registered with the orchestrator.
 */
export const localScm: PluginDefinition<ScmProviderV1, LocalScmWorkflowSettings> = {
  settingsSchema: localScmSettingsSchema,
  create(settings, context) {
    if (!context.repositoryPath) {
      throw new ScmError(
        'scm kind "local" needs a source checkout: set repository.path in WORKFLOW.md (or leave it unset to use the folder of WORKFLOW.md)',
      );
    }
    const reviewer = settings.reviewer;
    const reviewerAgent = reviewer ? context.resolveAgent(reviewer.agent) : null;
    return createLocalScm({
      repositoryPath: context.repositoryPath,
      stateDirectory: context.stateDirectory,
      checks: settings.checks.map((check) =>
        typeof check === 'string'
          ? { name: check, command: check }
          : {
              name: check.name,
              command: check.command,
              ...(check.timeout_ms ? { timeoutMs: check.timeout_ms } : {}),
            },
      ),
      checkTimeoutMs: settings.check_timeout_ms,
      ...(context.restrictedEnvironment ? { checkEnvironment: () => context.restrictedEnvironment!() } : {}),
      reviewer: reviewer
        ? {
            agent: reviewerAgent!,
            // The orchestrator's agent environment, so the reviewer reaches the same model provider.
            ...(context.agentEnvironment
              ? { environment: () => context.agentEnvironment!(reviewerAgent!) }
              : {}),
            model: reviewer.model,
            prompt: reviewer.prompt,
            name: reviewer.name,
            maxTurns: reviewer.max_turns,
            timeoutMs: reviewer.timeout_ms,
            maxDiffBytes: reviewer.max_diff_bytes,
          }
        : null,
      ...(settings.required_approvals === null ? {} : { requiredApprovals: settings.required_approvals }),
      authorName: settings.author_name,
      logger: context.logger,
    });
  },
};
