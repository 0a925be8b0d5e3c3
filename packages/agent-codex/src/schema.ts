import type { PluginSchema } from '@loompa/core/schema';
import { type CodexWorkflowSettings, codexSettingsSchema } from './codex-settings.js';

/**
 * The `codex:` section of the Codex backend, as `@loompa/agent-codex/schema`: the settings schema and kind without the
 * implementation, so checking a WORKFLOW.md (`loompa validate`) loads none of it.
 */
export const codexAgentSchema = {
  slot: 'agent',
  kind: 'codex',
  settingsSchema: codexSettingsSchema,
} satisfies PluginSchema<CodexWorkflowSettings>;
