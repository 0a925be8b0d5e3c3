import type { PluginDefinition, TrackerV1 } from '@loompa/core';
import { clientSettingsOf, credentialVariablesOf, webhookSettingsOf } from '@loompa/gitlab-client';
import { createGitLabTracker } from './gitlab-tracker.js';
import { type GitLabTrackerSection, gitLabTrackerSettingsSchema } from './gitlab-tracker-schema.js';

/** The `tracker: { kind: gitlab }` plugin. */
export const gitLabTracker: PluginDefinition<TrackerV1, GitLabTrackerSection> = {
  settingsSchema: gitLabTrackerSettingsSchema,
  create(section, context) {
    return createGitLabTracker({
      client: { ...clientSettingsOf(section), logger: context.logger },
      project: section.project,
      activeStates: section.active_states,
      terminalStates: section.terminal_states,
      ...(section.open_state === null ? {} : { openState: section.open_state }),
      ...(section.closed_state === null ? {} : { closedState: section.closed_state }),
      stateLabelPrefix: section.state_label_prefix,
      priorityLabelPrefix: section.priority_label_prefix,
      typeLabelPrefix: section.type_label_prefix,
      requiredLabels: section.required_labels,
      assignee: section.assignee,
      milestone: section.milestone,
      leaseLabel: section.lease_label,
      pollIntervalMs: section.poll_interval_ms,
      webhook: webhookSettingsOf(section),
      secretEnvironmentVariables: credentialVariablesOf(section),
      logger: context.logger,
    });
  },
};
