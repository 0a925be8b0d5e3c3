import { publishWork } from '../../change-requests/publish-work.js';
import { describeError, LoompaError } from '../../errors/loompa-error.js';
import type { Issue } from '../../specifications/issue.js';
import type { ScmProviderV1 } from '../../specifications/scm-provider.js';
import type { Workflow } from '../../workflow/load-workflow.js';
import type { WorkspaceManager } from '../../workspaces/workspace-manager.js';
import type { AttemptResult } from '../agent-runs/run-attempt.js';
import type { SpendingAgent } from '../budget-gate.js';
import type { WorkItemStore } from '../work-item-store.js';

export interface PublishingContext {
  workflow: Workflow;
  scm: ScmProviderV1;
  workspaces: WorkspaceManager;
  store: WorkItemStore;
}

/** The attempt being published: its issue, the agent that did the work, and its stop state. */
export interface PublishedAttempt extends SpendingAgent {
  issue: Issue;
  /** True once the run was asked to stop: a stopped attempt is never published. */
  isStopping(): boolean;
  /** Called as publishing begins, so the snapshot shows it. */
  reportPublishing(): void;
}

/**
 * A finished attempt becomes a pushed branch and an open change request (the orchestrator,
 * never the agent, commits). Returns the attempt's result with `published` set, or turned
 * into a failure that says why publishing failed. Anything but a clean, unstopped attempt
 * with a workspace passes through unchanged.
 */
export async function publishAttempt(
  context: PublishingContext,
  attempt: PublishedAttempt,
  result: AttemptResult,
): Promise<AttemptResult> {
  if (result.outcome.kind !== 'completed' || !result.workspace || attempt.isStopping()) return result;
  const { issue } = attempt;
  const record = await context.store.markPublishPending(issue, result.sessionId);
  attempt.reportPublishing();
  try {
    const published = await publishWork({
      workflow: context.workflow,
      scm: context.scm,
      issue,
      worktree: result.workspace.path,
      branch: result.workspace.branch,
      baseBranch: await context.workspaces.baseBranch(),
      focus: attempt.focus,
      profile: attempt.profile,
      agentKind: attempt.agentKind,
      model: attempt.model,
      lastPushedHead: record.changeRequest ? record.lastPushedHead : null,
      followUpSubject: null,
      historyRewritten: false,
      knownChangeRequest: record.changeRequest,
    });
    await context.store.clearPublishPending(issue);
    return { ...result, published };
  } catch (error) {
    // Nothing to publish is final; any other failure leaves the work pending for a retry.
    if (LoompaError.hasCode(error, 'nothing_to_publish')) await context.store.clearPublishPending(issue);
    return { ...result, outcome: { kind: 'failed', reason: `publishing failed: ${describeError(error)}` } };
  }
}

/**
 * The agent's result survived a restart unpublished: it is published from the kept worktree
 * instead of running the agent again.
 */
export async function publishLeftoverWork(
  context: PublishingContext,
  attempt: PublishedAttempt,
  sessionId: string | null,
): Promise<AttemptResult> {
  const workspace = await context.workspaces.prepare(attempt.issue.identifier);
  return publishAttempt(context, attempt, {
    outcome: { kind: 'completed' },
    sessionId,
    workspace,
    lastRun: null,
  });
}
