import { existsSync } from 'node:fs';
import { InvalidArgumentError, loadWorkflow } from '@loompa/core';
import { createMarkdownTracker, type MarkdownTracker, markdownTracker } from '@loompa/tracker-markdown';
import { resolveWorkflowPath, standalonePluginContext, stateDirectoryOf } from './workflow-file.js';

/**
 * The markdown tracker a workflow describes, for `loompa task`: same folder, id prefix,
 * states and commit settings as the orchestrator uses. Without a workflow (none given and no
 * `./WORKFLOW.md`), the defaults in the current folder.
 */
export async function openTaskTracker(workflowArgument: string | undefined): Promise<MarkdownTracker> {
  const workflowPath = resolveWorkflowPath(workflowArgument);
  if (workflowArgument === undefined && !existsSync(workflowPath)) {
    return createMarkdownTracker({ repositoryPath: process.cwd() });
  }
  // Only the tracker's section matters here; a task can be filed while the agent settings are being fixed.
  const workflow = await loadWorkflow(workflowPath, { plugins: { trackers: { markdown: markdownTracker } } });
  if (workflow.config.tracker.kind !== 'markdown') {
    throw new InvalidArgumentError(
      `loompa task works on markdown tasks; ${workflow.filePath} uses the "${workflow.config.tracker.kind}" tracker`,
    );
  }
  const context = standalonePluginContext(workflow, stateDirectoryOf(workflow, undefined));
  return markdownTracker.create(workflow.pluginSettings.tracker as never, context) as MarkdownTracker;
}
