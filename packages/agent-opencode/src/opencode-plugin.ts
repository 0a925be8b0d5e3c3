import { expandPathSetting, type PluginDefinition } from '@loompa/core';
import { OpenCodeAgent } from './opencode-agent.js';
import {
  type OpenCodeWorkflowSettings,
  openCodeAgentSettingsFromWorkflow,
  openCodeSettingsSchema,
} from './opencode-settings.js';

/** The OpenCode backend as a plugin, configured from the `opencode:` section of WORKFLOW.md. */
export const openCodeAgent: PluginDefinition<OpenCodeAgent, OpenCodeWorkflowSettings> = {
  settingsSchema: openCodeSettingsSchema,
  create(settings, context) {
    const agentSettings = openCodeAgentSettingsFromWorkflow(settings);
    if (settings.binary_path) {
      agentSettings.binaryPath = expandPathSetting(settings.binary_path, context.workflowDirectory);
    }
    return new OpenCodeAgent(agentSettings);
  },
};
