import { expandPathSetting, type PluginDefinition } from '@loompa/core';
import { ClaudeAgent } from './claude-agent.js';
import {
  type ClaudeWorkflowSettings,
  claudeAgentSettingsFromWorkflow,
  claudeSettingsSchema,
} from './claude-settings.js';

/** The Claude Code backend as a plugin, configured from the `claude:` section of WORKFLOW.md. */
export const claudeAgent: PluginDefinition<ClaudeAgent, ClaudeWorkflowSettings> = {
  settingsSchema: claudeSettingsSchema,
  create(settings, context) {
    const agentSettings = claudeAgentSettingsFromWorkflow(settings);
    if (settings.binary_path) {
      agentSettings.binaryPath = expandPathSetting(settings.binary_path, context.workflowDirectory);
    }
    return new ClaudeAgent(agentSettings);
  },
};
