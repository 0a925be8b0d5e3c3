import type { PluginSchema } from '@loompa/core/schema';
import { type OpenCodeWorkflowSettings, openCodeSettingsSchema } from './opencode-settings.js';

/**
 * The `opencode:` section of the OpenCode backend, as `@loompa/agent-opencode/schema`: the settings schema and kind without the
 * implementation, so checking a WORKFLOW.md (`loompa validate`) loads none of it.
 */
export const openCodeAgentSchema = {
  slot: 'agent',
  kind: 'opencode',
  settingsSchema: openCodeSettingsSchema,
} satisfies PluginSchema<OpenCodeWorkflowSettings>;
