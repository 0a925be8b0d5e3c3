import { describeError } from '../errors/loompa-error.js';
import type { OrchestratorEvents } from '../events/orchestrator-events.js';
import type { Logger } from '../logging/logger.js';
import { terminateMarkedProcesses } from '../processes/leftover-agent-processes.js';
import type { Issue } from '../specifications/issue.js';
import type { TrackerV1 } from '../specifications/tracker.js';
import type { Workflow } from '../workflow/load-workflow.js';
import { runHook } from '../workspaces/run-hook.js';
import type { WorkspaceManager } from '../workspaces/workspace-manager.js';

export interface WorkspaceCleanupContext {
  workspaces: WorkspaceManager;
  workflow: Workflow;
  events: OrchestratorEvents;
  logger: Logger;
}

/**
 * Removes an issue's worktree after the `before_remove` hook (whose failure is reported and
 * ignored). Never throws: a workspace that cannot be removed is logged and left.
 */
export async function removeWorkspace(
  context: WorkspaceCleanupContext,
  issue: Pick<Issue, 'id' | 'identifier'>,
): Promise<void> {
  const { workspaces, events } = context;
  try {
    if (!(await workspaces.has(issue.identifier))) return;
    const workspacePath = await workspaces.pathFor(issue.identifier);
    const hooks = context.workflow.config.hooks;
    if (hooks.before_remove) {
      try {
        await runHook({
          name: 'before_remove',
          script: hooks.before_remove,
          cwd: workspacePath,
          timeoutMs: hooks.timeout_ms,
        });
      } catch (error) {
        events.publish('hook-failed', {
          issueId: issue.id,
          issueIdentifier: issue.identifier,
          hook: 'before_remove',
          message: describeError(error),
          fatal: false,
        });
      }
    }
    await workspaces.remove(issue.identifier);
    events.publish('workspace-removed', {
      issueId: issue.id,
      issueIdentifier: issue.identifier,
      path: workspacePath,
    });
  } catch (error) {
    context.logger.warn('removing a workspace failed', {
      issue: issue.identifier,
      message: describeError(error),
    });
  }
}

/** At start, workspaces of issues that are already terminal are removed. */
export async function removeTerminalWorkspaces(
  context: WorkspaceCleanupContext,
  tracker: TrackerV1,
): Promise<void> {
  let terminal: Issue[];
  try {
    terminal = await tracker.listIssues({ states: context.workflow.config.tracker.terminal_states });
  } catch (error) {
    context.logger.warn('listing terminal issues for cleanup failed', { message: describeError(error) });
    return;
  }
  for (const issue of terminal) await removeWorkspace(context, issue);
}

/**
 * What an earlier instance on the same state left behind: its agent processes (marked with
 * `agentOwner`) are stopped, and the worktrees of issues now terminal are removed.
 */
export async function cleanUpAfterEarlierInstance(
  context: WorkspaceCleanupContext,
  tracker: TrackerV1,
  agentOwner: string,
): Promise<void> {
  const leftovers = await terminateMarkedProcesses(agentOwner);
  if (leftovers.length > 0) {
    context.logger.warn('stopped agent processes left running by an earlier instance', { pids: leftovers });
  }
  await removeTerminalWorkspaces(context, tracker);
}
