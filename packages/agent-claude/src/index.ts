/**
 * @loompa/agent-claude: the Claude Code CLI as a Loompa agent backend, driven headless through
 * `claude -p --output-format stream-json`.
 */

export {
  ClaudeAgent,
  claudeEnvironmentVariables,
  claudeSecretEnvironmentVariables,
  createClaudeAgent,
} from './claude-agent.js';
export { claudeAgent } from './claude-plugin.js';
export { buildClaudeRunResult } from './claude-run-result.js';
export {
  type ClaudeAgentSettings,
  type ClaudePermissionMode,
  type ClaudeWorkflowSettings,
  claudeAgentSettingsFromWorkflow,
  claudePermissionModes,
  claudeSettingsSchema,
} from './claude-settings.js';
export {
  type ClaudeResultMessage,
  ClaudeStreamParser,
  type ClaudeStreamState,
} from './claude-stream-parser.js';
