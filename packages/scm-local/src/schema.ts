import type { PluginSchema } from '@loompa/core/schema';
import { type LocalScmWorkflowSettings, localScmSettingsSchema } from './local-scm-settings.js';

/**
 * The `scm: { kind: local }` section, as `@loompa/scm-local/schema`: the settings schema and kind without the
 * implementation, so checking a WORKFLOW.md (`loompa validate`) loads none of it.
 */
export const localScmSchema = {
  slot: 'scm',
  kind: 'local',
  settingsSchema: localScmSettingsSchema,
} satisfies PluginSchema<LocalScmWorkflowSettings>;
