import path from 'node:path';
import {
  createSilentLogger,
  formatWorkflowProblem,
  InvalidArgumentError,
  LoompaError,
  type PluginContext,
  type Workflow,
  WorkflowError,
  type WorkflowProblem,
} from '@loompa/core/schema';

/** The workflow a command uses when none is named: `./WORKFLOW.md`. */
export const defaultWorkflowFile = 'WORKFLOW.md';

/** The absolute path of the workflow a command was given, or of `./WORKFLOW.md`. */
export function resolveWorkflowPath(given: string | undefined): string {
  return path.resolve(given ?? defaultWorkflowFile);
}

/** One line per problem: `file:line:column: yaml.path: message`, plus what was expected when the message does not say. */
export function describeWorkflowProblem(file: string, problem: WorkflowProblem): string {
  const line = formatWorkflowProblem(file, problem);
  if (problem.expected === null || problem.message.includes(problem.expected)) return line;
  return `${line} (expected ${problem.expected})`;
}

/** Lines describing a failure to start from a workflow: every problem of an invalid one, or the error. */
export function describeStartFailure(error: unknown): string[] {
  if (error instanceof WorkflowError || LoompaError.hasCode(error, 'workflow_invalid')) {
    const workflowError = error as WorkflowError;
    const count = workflowError.problems.length;
    return [
      `${workflowError.file} is invalid (${count} ${count === 1 ? 'problem' : 'problems'}):`,
      ...workflowError.problems.map((problem) => `  ${describeWorkflowProblem(workflowError.file, problem)}`),
    ];
  }
  if (LoompaError.isInstance(error)) return [`${error.message} [${error.code}]`];
  return [error instanceof Error ? error.message : String(error)];
}

/** The state directory a command reads: `--state-dir` when given, else the workflow's. */
export function stateDirectoryOf(workflow: Workflow, given: string | undefined): string {
  return path.resolve(given ?? workflow.config.workspace.state_directory);
}

/** The context a plugin gets from the orchestrator, for commands that build one plugin on their own. */
export function standalonePluginContext(workflow: Workflow, stateDirectory: string): PluginContext {
  return {
    workflowDirectory: workflow.directory,
    repositoryPath: workflow.repositoryPath,
    stateDirectory,
    logger: createSilentLogger(),
    resolveAgent: (kind) => {
      throw new InvalidArgumentError(`this command runs no agent (asked for "${kind}")`);
    },
  };
}
