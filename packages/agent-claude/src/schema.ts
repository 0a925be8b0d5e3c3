import type { PluginSchema } from '@loompa/core/schema';
import { type ClaudeWorkflowSettings, claudeSettingsSchema } from './claude-settings.js';

/**
 * The `claude:` section of the Claude Code backend, as `@loompa/agent-claude/schema`: the settings schema and kind without the
 * implementation, so checking a WORKFLOW.md (`loompa validate`) loads none of it.
 */
export const claudeAgentSchema = {
  slot: 'agent',
  kind: 'claude',
  settingsSchema: claudeSettingsSchema,
} satisfies PluginSchema<ClaudeWorkflowSettings>;
