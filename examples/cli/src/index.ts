/**
 * @loompa/cli: the `loompa` command. Its pieces are exported for tools that want the same
 * plugin registry, event lines or terminal rendering. This file is the package's public face.
 */

export { type ExitCode, exitCodes } from './exit-codes.js';
export { formatDuration, formatTokens, formatUsd } from './format-values.js';
export { loadCliWorkflow, loompaPluginSchemas } from './loompa-plugin-schemas.js';
export { loompaPlugins } from './loompa-plugins.js';
export { createLoompaProgram } from './loompa-program.js';
export { main } from './main.js';
export { ProgressView, renderRunSummary, renderSnapshot } from './progress-view.js';
export { renderTable } from './render-table.js';
export { type IssueOutcome, type IssueSummary, RunSummary } from './run-summary.js';
export { handleShutdownSignals, type StopRequest } from './shutdown-signals.js';
export { describeWorkflowProblem, resolveWorkflowPath } from './workflow-file.js';
