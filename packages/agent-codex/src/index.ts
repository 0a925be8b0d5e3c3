/**
 * @loompa/agent-codex: OpenAI's Codex CLI as a Loompa agent backend, driven headless through
 * `codex exec --json`.
 */

export {
  CodexAgent,
  codexEnvironmentVariables,
  codexSecretEnvironmentVariables,
  createCodexAgent,
} from './codex-agent.js';
export { buildCodexConfiguration, type CodexConfigurationInput } from './codex-configuration.js';
export { codexAgent } from './codex-plugin.js';
export { findCodexModelPrice, priceCodexUsage } from './codex-pricing.js';
export { buildCodexRunResult, type CodexRunContext, classifyCodexError } from './codex-run-result.js';
export {
  type CodexAgentSettings,
  type CodexModelPrice,
  type CodexProviderSettings,
  type CodexSandboxMode,
  type CodexWorkflowSettings,
  codexAgentSettingsFromWorkflow,
  codexSandboxModes,
  codexSettingsSchema,
  defaultCodexMaxRetries,
} from './codex-settings.js';
export {
  CodexStreamParser,
  type CodexStreamState,
  type CodexUsageAccounting,
  subtractTokenUsage,
} from './codex-stream-parser.js';
export { readThreadUsage, writeThreadUsage } from './codex-thread-usage.js';
