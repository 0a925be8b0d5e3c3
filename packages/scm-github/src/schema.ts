import type { PluginSchema } from '@loompa/core/schema';
import { type GitHubScmSection, gitHubScmSettingsSchema } from './github-scm-schema.js';

/**
 * The `scm: { kind: github }` section, as `@loompa/scm-github/schema`: the settings schema and kind without the
 * implementation, so checking a WORKFLOW.md (`loompa validate`) loads none of it.
 */
export const gitHubScmSchema = {
  slot: 'scm',
  kind: 'github',
  settingsSchema: gitHubScmSettingsSchema,
} satisfies PluginSchema<GitHubScmSection>;
