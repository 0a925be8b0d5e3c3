import type { PluginSchema } from '@loompa/core/schema';
import { type GitHubTrackerSection, gitHubTrackerSettingsSchema } from './github-tracker-schema.js';

/**
 * The `tracker: { kind: github }` section, as `@loompa/tracker-github/schema`: the settings schema and kind without the
 * implementation, so checking a WORKFLOW.md (`loompa validate`) loads none of it.
 */
export const gitHubTrackerSchema = {
  slot: 'tracker',
  kind: 'github',
  settingsSchema: gitHubTrackerSettingsSchema,
} satisfies PluginSchema<GitHubTrackerSection>;
