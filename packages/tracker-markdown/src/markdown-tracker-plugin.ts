import { expandPathSetting, type PluginDefinition, type TrackerV1 } from '@loompa/core';
import { createMarkdownTracker } from './markdown-tracker.js';
import { type MarkdownTrackerSection, markdownTrackerSettingsSchema } from './markdown-tracker-schema.js';

/**
 * Builds the tracker from WORKFLOW.md: `directory` resolves against the source checkout (the
 * WORKFLOW.md folder when none is configured), never against an agent's worktree.
 */
export const markdownTracker: PluginDefinition<TrackerV1, MarkdownTrackerSection> = {
  settingsSchema: markdownTrackerSettingsSchema,
  create(section, context) {
    const repositoryPath = context.repositoryPath ?? context.workflowDirectory;
    const extraStates = [section.review_state, section.done_state, ...section.extra_states].filter(
      (state): state is string => state !== null,
    );
    return createMarkdownTracker({
      repositoryPath,
      directory: expandPathSetting(section.directory, repositoryPath),
      idPrefix: section.id_prefix,
      activeStates: section.active_states,
      terminalStates: section.terminal_states,
      extraStates,
      actor: section.actor,
      commit: section.commit,
      push: section.push,
      remote: section.remote,
      commitDelayMs: section.commit_delay_ms,
      commitAuthor:
        section.commit_author_name !== null && section.commit_author_email !== null
          ? { name: section.commit_author_name, email: section.commit_author_email }
          : null,
      watchDebounceMs: section.watch_debounce_ms,
      logger: context.logger,
    });
  },
};
