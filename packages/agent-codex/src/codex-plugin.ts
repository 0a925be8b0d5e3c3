import { expandPathSetting, type PluginDefinition } from '@loompa/core';
import { CodexAgent } from './codex-agent.js';
import {
  type CodexWorkflowSettings,
  codexAgentSettingsFromWorkflow,
  codexSettingsSchema,
} from './codex-settings.js';

/** The Codex backend as a plugin, configured from the `codex:` section of WORKFLOW.md. */
export const codexAgent: PluginDefinition<CodexAgent, CodexWorkflowSettings> = {
  settingsSchema: codexSettingsSchema,
  create(settings, context) {
    const agentSettings = codexAgentSettingsFromWorkflow(settings);
    if (settings.binary_path) {
      agentSettings.binaryPath = expandPathSetting(settings.binary_path, context.workflowDirectory);
    }
    return new CodexAgent(agentSettings);
  },
};
