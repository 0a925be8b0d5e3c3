import { describeError } from '../../errors/loompa-error.js';
import type { AgentBackendV1 } from '../../specifications/agent-backend.js';
import type { Issue } from '../../specifications/issue.js';
import { type AgentChoice, chooseAgent } from '../agent-runs/choose-agent.js';
import type { AttemptResult } from '../agent-runs/run-attempt.js';
import { type AttemptOutcome, decideAfterAttempt, isActiveState } from '../decisions.js';
import { findOpenChangeRequest } from '../publishing/find-open-change-request.js';
import {
  type PublishedAttempt,
  type PublishingContext,
  publishAttempt,
  publishLeftoverWork,
} from '../publishing/publish-attempt.js';
import { dispatchRulesOf } from '../scheduler/scheduling-rules.js';
import type { RunInFlight, WorkItemRecord } from '../work-item-record.js';
import type { RunningItem } from '../work-items.js';
import { blockIssue } from './block-issue.js';
import { acceptsNewWork, type DriverContext, removeWorkspaceOf } from './driver-context.js';
import { releaseIssue } from './release-issue.js';

/**
 * queued → preparing → running → publishing → awaiting, or → retry-wait / blocked / released:
 * one attempt at an issue, driven through the phases. Each phase returns its result here and
 * this file alone decides where the item goes next. False when the issue was not taken on (the
 * forge could not be read, the lead or the store was lost meanwhile): picking it again in the
 * same tick would only spin.
 */
export async function dispatchIssue(
  context: DriverContext,
  issue: Issue,
  attempt: number | null,
  options: { continuation: boolean; choice?: AgentChoice },
): Promise<boolean> {
  const workflow = context.workflow();
  const record = await context.store.read(issue);
  // The escalation profile depends on the failures on record, which the caller may not have read.
  const choice =
    options.choice && record.failures === 0
      ? options.choice
      : await chooseAgent(workflow, context.focusMatcher, issue, record.failures);
  context.events.publish('issue-dispatched', {
    issueId: issue.id,
    issueIdentifier: issue.identifier,
    attempt,
    focus: choice.focus.name,
    profile: choice.profile?.name ?? null,
    agentKind: choice.agentKind,
    model: choice.model,
  });
  context.logger.info('dispatching', {
    issue: issue.identifier,
    attempt,
    focus: choice.focus.name,
    reasons: choice.focusReasons,
    profile: choice.profile?.name ?? null,
    agent: choice.agentKind,
    model: choice.model,
  });
  if (context.dryRun) return true;
  const adopted = await adoptOpenChangeRequest(context, issue, record);
  if (adopted !== null) return adopted === 'adopted';

  // Stopping may have begun while this dispatch awaited the store or the forge.
  if (!acceptsNewWork(context)) return false;
  const item = context.agentRuns.begin(issue, attempt, choice, 'attempt');

  let agent: AgentBackendV1;
  try {
    agent = context.agentFor(choice.agentKind);
  } catch (error) {
    item.worker = finishAttempt(context, item, {
      outcome: { kind: 'failed', reason: describeError(error) },
      sessionId: null,
      workspace: null,
      lastRun: null,
    });
    return true;
  }
  const publishingAtDispatch = publishingContext(context);
  const environment = context.agentEnvironment(agent);
  const agentStateDirectory = await context.agentStateDirectory(issue);
  const workspaces = context.workspaces();

  if (publishingAtDispatch && record.publishPending && (await workspaces.has(issue.identifier))) {
    // The agent's result survived a restart unpublished: publish it instead of running again.
    item.worker = publishLeftoverWork(publishingAtDispatch, publishedAttemptOf(item), record.sessionId).then(
      (result) => finishAttempt(context, item, result),
    );
    return true;
  }
  // The run is in the store before any runner hears of it: refused there once this instance no
  // longer leads, and found there by the next leader, which hands the runner the same run.
  let run: RunInFlight;
  try {
    run = await context.store.beginAttempt(issue, attempt);
  } catch (error) {
    item.worker = finishAttempt(context, item, {
      outcome: {
        kind: 'stopped',
        reason: `the attempt was not recorded in the store: ${describeError(error)}`,
      },
      sessionId: null,
      workspace: null,
      lastRun: null,
    });
    return false;
  }
  item.attempt = run.attempt;
  item.worker = context
    .runner()
    .runAttempt({
      issue,
      attempt: run.attempt,
      runId: run.id,
      workflow,
      focus: choice.focus,
      profile: choice.profile,
      agentKind: choice.agentKind,
      agent,
      model: choice.model,
      environment,
      agentStateDirectory,
      resumeSessionId: options.continuation ? record.sessionId : null,
      previousSessionSummary: record.previousSessionSummary ?? null,
      workspaces,
      publishesAfterRun: publishingAtDispatch !== null,
      abortSignal: item.abortController.signal,
      handedOver: () => isHandedOver(context, item),
      logger: context.logger,
      refreshIssue: async () => (await context.tracker().getIssues({ ids: [issue.id] }))[0] ?? null,
      isActive: (refreshed) => isActiveState(dispatchRulesOf(context.workflow()), refreshed.state),
      reasonToStopBeforeTurn: async () => {
        const decision = await context.budgetGate.check(issue, item);
        return decision.allowed ? null : decision.reason;
      },
      reportWorkspace: (workspace) =>
        context.events.publish('workspace-prepared', {
          issueId: issue.id,
          issueIdentifier: issue.identifier,
          path: workspace.path,
          branch: workspace.branch,
          created: workspace.created,
        }),
      reportHookFailure: (hook, message, fatal) =>
        context.events.publish('hook-failed', {
          issueId: issue.id,
          issueIdentifier: issue.identifier,
          hook,
          message,
          fatal,
        }),
      ...context.agentRuns.attemptReporters(item),
    })
    .then((result) => {
      // The SCM provider of the workflow in force when the attempt ends publishes it.
      const publishing = publishingContext(context);
      return publishing ? publishAttempt(publishing, publishedAttemptOf(item), result) : result;
    })
    .then((result) => finishAttempt(context, item, result));
  return true;
}

function publishingContext(context: DriverContext): PublishingContext | null {
  const scm = context.scm();
  if (!scm) return null;
  return { workflow: context.workflow(), scm, workspaces: context.workspaces(), store: context.store };
}

function publishedAttemptOf(item: RunningItem): PublishedAttempt {
  return {
    issue: item.issue,
    focus: item.focus,
    profile: item.profile,
    agentKind: item.agentKind,
    model: item.model,
    isStopping: () => item.stopRequest !== null,
    reportPublishing: () => {
      item.phase = 'publishing';
    },
  };
}

/**
 * An open change request for the issue's branch (left by a crash, or by a person) is adopted,
 * not duplicated. Not null when the dispatch must not run the agent: a change request was
 * adopted, or the lookup failed.
 */
async function adoptOpenChangeRequest(
  context: DriverContext,
  issue: Issue,
  record: WorkItemRecord,
): Promise<'adopted' | 'lookup-failed' | null> {
  const scm = context.scm();
  if (!scm) return null;
  const changeRequest = await findOpenChangeRequest(
    { scm, workspaces: context.workspaces(), logger: context.logger },
    issue,
    record,
  );
  // Fail closed: with the forge unreadable, an open change request may exist; try next tick.
  if (changeRequest === 'lookup-failed') return changeRequest;
  if (!changeRequest) return null;
  await context.store.adoptChangeRequest(record, changeRequest);
  context.logger.info('adopting the open change request instead of running again', {
    issue: issue.identifier,
    changeRequest: changeRequest.url ?? changeRequest.id,
  });
  await context.supervisor.enter(issue, changeRequest, false);
  return 'adopted';
}

/** The run is the next leader's: this instance stopped leading, or its lease ran out unrenewed. */
function isHandedOver(context: DriverContext, item: RunningItem): boolean {
  return item.stopRequest?.kind === 'leadership' || !(context.leading?.() ?? true);
}

/** How the attempt counts: a stall is a failure, any other stop is no failure at all. */
export function effectiveOutcome(outcome: AttemptOutcome, stop: RunningItem['stopRequest']): AttemptOutcome {
  if (stop?.kind === 'stall') return { kind: 'failed', reason: stop.reason };
  if (stop) return { kind: 'stopped', reason: stop.reason };
  return outcome;
}

/** The attempt's worker is done: record it, then awaiting, retry-wait, blocked or released. */
async function finishAttempt(
  context: DriverContext,
  item: RunningItem,
  result: AttemptResult,
): Promise<void> {
  const { issue } = item;
  try {
    context.agentRuns.accountRuntime(item);
    // A run left to the next leader ends here as stopped, whatever the runner saw, and stays in
    // flight in the store for that leader to adopt (writes are refused once another leads).
    const handedOver = isHandedOver(context, item);
    const stop =
      item.stopRequest ??
      (handedOver
        ? { kind: 'leadership' as const, reason: 'this orchestrator no longer leads', removeWorkspace: false }
        : null);
    const outcome = effectiveOutcome(result.outcome, stop);
    const record = await context.store.recordAttemptEnd(
      issue,
      result.sessionId,
      outcome,
      result.published ?? null,
      handedOver,
    );
    if (result.published && !stop) {
      await context.supervisor.enter(item.issue, result.published.changeRequest, result.published.opened);
      return;
    }

    if (stop?.removeWorkspace) await removeWorkspaceOf(context, issue);
    const agent = context.workflow().config.agent;
    const decision = decideAfterAttempt(outcome, record.failures, item.attempt, {
      maxAttempts: agent.max_attempts,
      maxRetryBackoffMs: agent.max_retry_backoff_ms,
      continuationDelayMs: agent.continuation_delay_ms,
    });
    if (!acceptsNewWork(context)) {
      if (decision.action === 'block') await blockIssue(context, issue, decision.reason, record);
      return;
    }
    if (outcome.kind === 'completed') context.agentAvailability.markAvailable(item.agentKind);
    switch (decision.action) {
      case 'pause-agent':
        if (context.agentAvailability.pause(item.agentKind, decision.reason)) {
          context.events.publish('agent-unavailable', { agentKind: item.agentKind, reason: decision.reason });
        }
        context.retries.schedule({
          issue,
          attempt: item.attempt ?? 1,
          delayMs: decision.probeDelayMs,
          reason: `agent ${item.agentKind} unavailable: ${decision.reason}`,
          continuation: false,
        });
        break;
      case 'wait':
        context.retries.schedule({
          issue,
          attempt: Math.max(decision.attempt, 1),
          delayMs: decision.delayMs,
          reason: decision.reason,
          continuation: false,
        });
        break;
      case 'continue':
        context.retries.schedule({
          issue,
          attempt: decision.attempt,
          delayMs: decision.delayMs,
          reason: 'continuation after a clean exit',
          continuation: true,
        });
        break;
      case 'retry':
        context.retries.schedule({
          issue,
          attempt: decision.attempt,
          delayMs: decision.delayMs,
          reason: decision.reason,
          continuation: false,
        });
        break;
      case 'block':
        await blockIssue(context, issue, decision.reason, record);
        break;
      case 'release':
        releaseIssue(context, issue, decision.reason, !stop?.removeWorkspace);
        break;
    }
  } catch (error) {
    context.logger.error('finishing an attempt failed', {
      issue: issue.identifier,
      message: describeError(error),
    });
  } finally {
    context.agentRuns.end(item);
  }
}
