/**
 * @loompa/agent-opencode: the OpenCode CLI as a Loompa agent backend, driven headless through
 * `opencode run --format json`.
 */

export {
  createOpenCodeAgent,
  OpenCodeAgent,
  openCodeEnvironmentVariables,
  openCodeSecretEnvironmentVariables,
} from './opencode-agent.js';
export { openCodeAgent } from './opencode-plugin.js';
export { buildOpenCodeRunResult, classifyOpenCodeError } from './opencode-run-result.js';
export {
  defaultOpenCodePermission,
  type OpenCodeAgentSettings,
  type OpenCodeWorkflowSettings,
  openCodeAgentSettingsFromWorkflow,
  openCodeSettingsSchema,
} from './opencode-settings.js';
export {
  type OpenCodeErrorMessage,
  OpenCodeStreamParser,
  type OpenCodeStreamState,
} from './opencode-stream-parser.js';
