import type { PluginSchema } from '@loompa/core/schema';
import { type GitLabScmSection, gitLabScmSettingsSchema } from './gitlab-scm-schema.js';

/**
 * The `scm: { kind: gitlab }` section, as `@loompa/scm-gitlab/schema`: the settings schema and kind without the
 * implementation, so checking a WORKFLOW.md (`loompa validate`) loads none of it.
 */
export const gitLabScmSchema = {
  slot: 'scm',
  kind: 'gitlab',
  settingsSchema: gitLabScmSettingsSchema,
} satisfies PluginSchema<GitLabScmSection>;
