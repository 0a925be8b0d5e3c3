import type { PluginSchema } from '@loompa/core/schema';
import { type GitLabTrackerSection, gitLabTrackerSettingsSchema } from './gitlab-tracker-schema.js';

/**
 * The `tracker: { kind: gitlab }` section, as `@loompa/tracker-gitlab/schema`: the settings schema and kind without the
 * implementation, so checking a WORKFLOW.md (`loompa validate`) loads none of it.
 */
export const gitLabTrackerSchema = {
  slot: 'tracker',
  kind: 'gitlab',
  settingsSchema: gitLabTrackerSettingsSchema,
} satisfies PluginSchema<GitLabTrackerSection>;
