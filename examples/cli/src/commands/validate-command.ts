import { LoompaError, WorkflowError } from '@loompa/core/schema';
import { type ExitCode, exitCodes } from '../exit-codes.js';
import { loadCliWorkflow } from '../loompa-plugin-schemas.js';
import { describeStartFailure, describeWorkflowProblem, resolveWorkflowPath } from '../workflow-file.js';

export interface ValidateCommandOptions {
  json?: boolean;
}

/**
 * `loompa validate`: loads the workflow as `loompa run` would (core sections, every plugin's
 * section, the prompt template) and prints every problem with file, line, column, YAML path
 * and what was expected. Exit 0 when valid, 1 when not.
 */
export async function validateCommand(
  workflowArgument: string | undefined,
  options: ValidateCommandOptions,
): Promise<ExitCode> {
  const workflowPath = resolveWorkflowPath(workflowArgument);
  try {
    const workflow = await loadCliWorkflow(workflowPath);
    const { config } = workflow;
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ valid: true, file: workflow.filePath, problems: [] })}\n`);
    } else {
      process.stdout.write(
        `${workflow.filePath} is valid: tracker ${config.tracker.kind}, scm ${config.scm.kind}, agent ${config.agent.kind}.\n`,
      );
    }
    return exitCodes.success;
  } catch (error) {
    if (!(error instanceof WorkflowError || LoompaError.hasCode(error, 'workflow_invalid'))) {
      for (const line of describeStartFailure(error)) process.stderr.write(`${line}\n`);
      return exitCodes.failure;
    }
    const workflowError = error as WorkflowError;
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ valid: false, file: workflowError.file, problems: workflowError.problems })}\n`,
      );
    } else {
      for (const problem of workflowError.problems) {
        process.stdout.write(`${describeWorkflowProblem(workflowError.file, problem)}\n`);
      }
      const count = workflowError.problems.length;
      process.stdout.write(`${count} ${count === 1 ? 'problem' : 'problems'} in ${workflowError.file}\n`);
    }
    return exitCodes.failure;
  }
}
