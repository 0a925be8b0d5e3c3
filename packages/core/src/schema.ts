/**
 * @loompa/core/schema: WORKFLOW.md's schema and loading, the errors it reports, and the helpers
 * plugin settings schemas are built from, without the orchestrator (no agent processes, no
 * git, no store). Plugin packages' `./schema` entries and the CLI's workflow checks import
 * this, so a bundle that only checks a workflow (`loompa validate`) leaves the rest out.
 */
export {
  type CommandAgentSettings,
  commandAgentSettingsSchema,
} from './agents/command-agent-settings.js';
export {
  formatWorkflowProblem,
  InvalidArgumentError,
  WorkflowError,
  type WorkflowProblem,
} from './errors/error-classes.js';
export { describeError, LoompaError } from './errors/loompa-error.js';
export { createSilentLogger, type Logger } from './logging/logger.js';
export { registerSecret } from './secrets/redact-secrets.js';
export type { AgentBackendV1 } from './specifications/agent-backend.js';
export { normalizeName } from './specifications/issue.js';
export { isPluginSchema, type PluginContext, type PluginSchema } from './specifications/plugin.js';
export { expandPathSetting } from './workflow/environment-values.js';
export {
  type LoadWorkflowOptions,
  loadWorkflow,
  type Workflow,
  type WorkflowPlugins,
} from './workflow/load-workflow.js';
export {
  booleanSetting,
  integerSetting,
  nameList,
  nonNegativeInteger,
  nonNegativeNumber,
  optionalString,
  positiveInteger,
  stringList,
} from './workflow/schema-helpers.js';
export { type WorkflowConfig, workflowConfigSchema } from './workflow/workflow-schema.js';
