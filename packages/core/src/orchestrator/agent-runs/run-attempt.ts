import type { PublishResult } from '../../change-requests/publish-work.js';
import { describeError } from '../../errors/loompa-error.js';
import type { AgentRunOptions, AgentRunResult } from '../../specifications/agent-backend.js';
import type { Issue } from '../../specifications/issue.js';
import type { RunnerAttemptContext, RunnerAttemptResult } from '../../specifications/runner.js';
import { renderWorkflowPrompt } from '../../workflow/load-workflow.js';
import { type HookName, runHook } from '../../workspaces/run-hook.js';
import type { Workspace } from '../../workspaces/workspace-manager.js';
import type { AttemptOutcome } from '../decisions.js';

/** Everything one attempt needs; the orchestrator builds it and keeps all state itself. */
export type AttemptContext = RunnerAttemptContext;

/** A runner's result, plus what core's publishing made of it. */
export interface AttemptResult extends RunnerAttemptResult {
  /** Set once the result was published as a change request. */
  published?: PublishResult;
}

/** Sent from the second turn on: the session already has the full prompt. */
export function continuationGuidance(issue: Issue, turn: number, maxTurns: number): string {
  return [
    `Continue working on ${issue.identifier}: ${issue.title}.`,
    `The issue is still active (turn ${turn} of at most ${maxTurns}).`,
    'Pick up where you left off, finish the remaining work, and run the relevant tests.',
  ].join(' ');
}

/**
 * One attempt at an issue: prepare the workspace and hooks, then run the agent for up to
 * `agent.max_turns` turns on the same session while the issue stays active (a single turn
 * when the result is published as a change request), then the `after_run` hook.
 */
export async function runAttempt(context: AttemptContext): Promise<RunnerAttemptResult> {
  const { workflow } = context;
  const hooks = workflow.config.hooks;
  let workspace: Workspace | null = null;
  let sessionId = context.resumeSessionId;
  let lastRun: AgentRunResult | null = null;

  const hook = async (name: HookName, fatal: boolean): Promise<string | null> => {
    const script = hooks[name];
    if (!script || !workspace) return null;
    try {
      await runHook({
        name,
        script,
        cwd: workspace.path,
        timeoutMs: hooks.timeout_ms,
        env: context.environment,
        abortSignal: context.abortSignal,
      });
      return null;
    } catch (error) {
      const message = describeError(error);
      context.reportHookFailure(name, message, fatal);
      if (!fatal)
        context.logger.warn(`hook ${name} failed (ignored)`, { issue: context.issue.identifier, message });
      return message;
    }
  };

  try {
    context.reportPhase('preparing');
    workspace = await context.workspaces.prepare(context.issue.identifier);
    context.reportWorkspace(workspace);
    if (workspace.created) {
      const failure = await hook('after_create', true);
      if (failure !== null) {
        await context.workspaces.remove(context.issue.identifier);
        return { outcome: { kind: 'failed', reason: failure }, sessionId, workspace: null, lastRun };
      }
    }
    const beforeRunFailure = await hook('before_run', true);
    if (beforeRunFailure !== null) {
      return { outcome: { kind: 'failed', reason: beforeRunFailure }, sessionId, workspace, lastRun };
    }

    context.reportPhase('running');
    const maxTurns = context.publishesAfterRun ? 1 : workflow.config.agent.max_turns;
    let issue = context.issue;
    let outcome: AttemptOutcome = { kind: 'completed' };
    for (let turn = 1; turn <= maxTurns; turn++) {
      if (context.abortSignal.aborted) break;
      if (turn > 1) {
        const stopReason = await context.reasonToStopBeforeTurn();
        if (stopReason !== null) {
          context.logger.info('not starting another turn', { issue: issue.identifier, reason: stopReason });
          break;
        }
      }
      const canResume = sessionId !== null && typeof context.agent.resume === 'function';
      const renderedPrompt = renderWorkflowPrompt(workflow, {
        issue,
        attempt: context.attempt,
        focus: context.focus,
        profile: context.profile,
      });
      const fullPrompt = context.previousSessionSummary
        ? `${renderedPrompt}\n\n${context.previousSessionSummary}`
        : renderedPrompt;
      // A continued session already holds the full prompt; a fresh one needs it again.
      const prompt =
        turn > 1 && canResume
          ? continuationGuidance(issue, turn, maxTurns)
          : turn > 1
            ? `${fullPrompt}\n\n${continuationGuidance(issue, turn, maxTurns)}`
            : fullPrompt;
      const options: AgentRunOptions = {
        prompt,
        cwd: workspace.path,
        env: context.environment,
        stateDirectory: context.agentStateDirectory,
        abortSignal: context.abortSignal,
        limits: {
          idleTimeoutMs: workflow.config.agent.stall_timeout_ms || undefined,
          runTimeoutMs: workflow.config.agent.turn_timeout_ms,
        },
        onEvent: (event) => context.reportAgentEvent(event),
        ...(context.model ? { model: context.model } : {}),
        ...(context.focus.instructions ? { instructions: context.focus.instructions } : {}),
      };
      context.reportRunStarted(turn, canResume ? sessionId : null);
      const result =
        canResume && context.agent.resume
          ? await context.agent.resume({ ...options, sessionId: sessionId! })
          : await context.agent.run(options);
      lastRun = result;
      sessionId = result.sessionId ?? sessionId;
      await context.reportRunFinished(result, turn);
      if (result.status !== 'completed') {
        outcome = {
          kind: 'failed',
          reason: result.error?.message ?? `the agent run ended with status ${result.status}`,
          ...(result.error ? { error: result.error } : {}),
          lastText: result.finalText,
        };
        break;
      }
      if (context.publishesAfterRun || turn === maxTurns) break;
      const refreshed = await context.refreshIssue().catch(() => issue);
      if (refreshed === null || !context.isActive(refreshed)) break;
      issue = refreshed;
    }
    await hook('after_run', false);
    return { outcome, sessionId, workspace, lastRun };
  } catch (error) {
    if (workspace) await hook('after_run', false);
    return { outcome: { kind: 'failed', reason: describeError(error) }, sessionId, workspace, lastRun };
  }
}
