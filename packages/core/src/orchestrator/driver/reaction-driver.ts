import { type ReactionOutcome, runReaction } from '../../change-requests/run-reaction.js';
import { describeError } from '../../errors/loompa-error.js';
import type { ReactionKind } from '../../events/orchestrator-events.js';
import type { AgentRunResult } from '../../specifications/agent-backend.js';
import { renderWorkflowPrompt } from '../../workflow/load-workflow.js';
import type { PromptFeedback } from '../../workflow/prompt-template.js';
import { chooseAgent } from '../agent-runs/choose-agent.js';
import { isBabysitItemId } from '../babysitting/babysit-item.js';
import type { SupervisorStep } from '../change-request-supervisor/change-request-supervisor.js';
import { hasFreeSlot } from '../decisions.js';
import { slotUsageOf } from '../scheduler/scheduling-rules.js';
import { withinSharedSlots } from '../scheduler/shared-slots.js';
import type { RunningItem } from '../work-items.js';
import { type DriverContext, removeWorkspaceOf } from './driver-context.js';
import { releaseIssue } from './release-issue.js';

type ReactStep = Extract<SupervisorStep, { next: 'react' }>;

/**
 * awaiting → reacting → awaiting (or released): the agent resumed on failing checks, review
 * feedback or a conflict, in a worker like an attempt, under the same slots and budget.
 */
export async function startReaction(context: DriverContext, step: ReactStep): Promise<void> {
  const { issue, record } = step;
  const workflow = context.workflow();
  if (
    !hasFreeSlot(slotUsageOf(workflow, context.agentRuns.states()), issue.state) ||
    withinSharedSlots(context.sharedSlots, context.agentRuns.size, [step]).length === 0
  ) {
    context.supervisor.markWaiting(issue.id, 'no available orchestrator slots for a reaction');
    return;
  }
  const choice = await chooseAgent(workflow, context.focusMatcher, issue, record.failures);
  const budgetDecision = await context.budgetGate.check(issue, choice);
  if (!budgetDecision.allowed) {
    context.supervisor.markWaiting(issue.id, `budget: ${budgetDecision.reason}`);
    return;
  }
  if (context.dryRun) return;
  const { reaction, round, record: counted } = await context.supervisor.beginReaction(step);
  const item = context.agentRuns.begin(issue, null, choice, 'reaction');
  item.phase = 'reacting';
  item.activity = reaction;
  item.sessionId = record.sessionId;
  await context.supervisor.announceReaction(step, reaction, round);
  item.worker = runReaction({
    workflow: context.workflow(),
    scm: context.scm()!,
    workspaces: context.workspaces(),
    logger: context.logger,
    issue,
    focus: item.focus,
    profile: item.profile,
    agentKind: item.agentKind,
    model: item.model,
    changeRequest: step.changeRequest,
    status: step.status,
    decision: step.decision,
    lastPushedHead: counted.lastPushedHead,
    babysat: isBabysitItemId(issue.id),
    runAgent: (feedback, cwd, turn) =>
      runReactionAgent(context, item, { reaction, round, head: step.status.headSha }, feedback, cwd, turn),
    isStopping: () => item.stopRequest !== null,
  })
    .catch((error: unknown) => ({ ok: false as const, reason: describeError(error) }))
    .then((outcome) => finishReaction(context, item, step, outcome));
}

/**
 * One agent run of a reaction: a continued session gets the feedback, a fresh one the whole
 * prompt. It runs where the runner runs agents (a worker, with `runReactionAgent`), else here.
 */
async function runReactionAgent(
  context: DriverContext,
  item: RunningItem,
  answering: { reaction: ReactionKind; round: number; head: string | null },
  feedback: PromptFeedback,
  cwd: string,
  turn: number,
): Promise<AgentRunResult> {
  const workflow = context.workflow();
  const agent = context.agentFor(item.agentKind);
  const limits = {
    idleTimeoutMs: workflow.config.agent.stall_timeout_ms || undefined,
    runTimeoutMs: workflow.config.agent.turn_timeout_ms,
  };
  const prompts = {
    continued: feedback.text,
    fresh: () =>
      renderWorkflowPrompt(workflow, {
        issue: item.issue,
        attempt: null,
        focus: item.focus,
        profile: item.profile,
        feedback,
      }) + (workflow.promptTemplate.includes('feedback') ? '' : `\n\n${feedback.text}`),
  };
  const runner = context.runner();
  const agentStateDirectory = await context.agentStateDirectory(item.issue);
  if (runner.runReactionAgent) {
    const record = await context.store.read(item.issue);
    const { reportRunStarted, reportAgentEvent, reportRunFinished } =
      context.agentRuns.attemptReporters(item);
    return runner.runReactionAgent({
      issue: item.issue,
      workflow,
      focus: item.focus,
      profile: item.profile,
      agentKind: item.agentKind,
      agent,
      model: item.model,
      environment: context.agentEnvironment(agent),
      agentStateDirectory,
      reaction: answering.reaction,
      round: answering.round,
      turn,
      changeRequestHead: answering.head,
      worktree: cwd,
      prompts,
      resumeSessionId: item.sessionId,
      previousSessionSummary: record.previousSessionSummary ?? null,
      limits,
      abortSignal: item.abortController.signal,
      logger: context.logger,
      reportRunStarted,
      reportAgentEvent,
      reportRunFinished,
    });
  }
  return context.agentRuns.runOnce(
    item,
    agent,
    {
      cwd,
      env: context.agentEnvironment(agent),
      stateDirectory: agentStateDirectory,
      limits,
      ...(item.model ? { model: item.model } : {}),
      ...(item.focus.instructions ? { instructions: item.focus.instructions } : {}),
    },
    prompts,
    turn,
  );
}

/** The reaction's worker is done: record it, then back to awaiting, or released if it was stopped. */
async function finishReaction(
  context: DriverContext,
  item: RunningItem,
  step: ReactStep,
  outcome: ReactionOutcome,
): Promise<void> {
  const { issue } = item;
  try {
    context.agentRuns.accountRuntime(item);
    const recorded = await context.store.recordReactionEnd(issue, item.sessionId, outcome);
    // The work is published: the replies it owes its threads go out now (and later, until taken).
    context.threadReplies.watch(recorded);
    await context.threadReplies.send(issue.id);
    if (!outcome.ok)
      context.logger.warn('a reaction failed', { issue: issue.identifier, reason: outcome.reason });
    const stop = item.stopRequest;
    if (stop?.removeWorkspace) await removeWorkspaceOf(context, issue);
    // A stalled reaction goes back to awaiting, where the next review decides again.
    if (stop && stop.kind !== 'stall') {
      releaseIssue(context, issue, stop.reason, !stop.removeWorkspace);
      return;
    }
    await context.supervisor.resumeAfterReaction(issue, step.changeRequest, step.since, outcome);
  } catch (error) {
    context.logger.error('finishing a reaction failed', {
      issue: issue.identifier,
      message: describeError(error),
    });
  } finally {
    context.agentRuns.end(item);
  }
}
