import { nameList, optionalString, type PluginDefinition, type TrackerV1 } from '@loompa/core';
import {
  createGitHubClient,
  gitHubClientOptionsFromSettings,
  gitHubSecretVariables,
  gitHubWebhookOptionsFromSettings,
} from '@loompa/github-client';
import { createGitHubTracker } from './github-tracker.js';
import { type GitHubTrackerSection, gitHubTrackerSettingsSchema } from './github-tracker-schema.js';

/**
 * Builds the tracker from WORKFLOW.md. Core's `required_labels` and `assignee` narrow the
 * GitHub query itself, so issues Loompa would never dispatch are not even fetched.
 */
export const gitHubTrackerPlugin: PluginDefinition<TrackerV1, GitHubTrackerSection> = {
  settingsSchema: gitHubTrackerSettingsSchema,
  create(section, context) {
    const requiredLabels = nameList.safeParse(section.required_labels ?? []);
    const assignee = optionalString.safeParse(section.assignee ?? null);
    const client = createGitHubClient(
      gitHubClientOptionsFromSettings(section, {
        workflowDirectory: context.workflowDirectory,
        logger: context.logger,
      }),
    );
    return createGitHubTracker({
      client,
      repository: section.repository,
      labels: [...section.labels, ...(requiredLabels.success ? requiredLabels.data : [])],
      assignee: assignee.success ? assignee.data : null,
      milestone: section.milestone,
      fieldRules: {
        openState: section.open_state,
        closedState: section.closed_state,
        notPlannedState: section.not_planned_state,
        stateLabels: Object.entries(section.state_labels),
        priorityLabels: Object.entries(section.priority_labels),
        typeLabels: Object.entries(section.type_labels),
        leaseLabel: section.lease_label,
      },
      webhook: gitHubWebhookOptionsFromSettings(section, context.logger),
      secretEnvironmentVariables: gitHubSecretVariables(section),
      logger: context.logger,
    });
  },
};
