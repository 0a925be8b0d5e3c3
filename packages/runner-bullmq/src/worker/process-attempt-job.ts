import { randomUUID } from 'node:crypto';
import { runAttempt } from '@loompa/core';
import type { Job } from 'bullmq';
import {
  type AttemptJobData,
  deserializeIssue,
  type RunJobData,
  type RunJobResult,
  runKeys,
  type TurnAnswer,
} from '../run-job.js';
import { elapsedSince, type JobContext, type JobOutcome, type PreparedJob } from './process-job.js';

/** The largest diff sent back in the job's result; larger work goes through the result ref. */
const maximumPatchBytes = 1024 * 1024;

/**
 * An attempt on this worker, exactly as the in-process runner runs it (core's `runAttempt`)
 * in a worktree from the cache at the orchestrator's base; between turns the orchestrator is
 * asked whether another may run. The worktree as the agent left it goes back as a diff in the
 * job's result when small, else to the result ref.
 */
export async function processAttemptJob(
  job: Job<RunJobData, RunJobResult>,
  data: AttemptJobData,
  prepared: PreparedJob,
  context: JobContext,
): Promise<JobOutcome> {
  const { issue, report, timings } = prepared;
  const workspaces = await context.repositories.workspaceFor({
    repositoryUrl: data.repositoryUrl,
    baseBranch: data.baseBranch,
    baseCommit: data.baseCommit,
    identifier: issue.identifier,
  });
  let lastAnswer: TurnAnswer | null = null;
  let questionTurn = 0;
  const started = performance.now();
  const result = await runAttempt({
    issue,
    attempt: data.attempt,
    workflow: prepared.workflow,
    focus: data.focus,
    profile: data.profile,
    agentKind: data.agentKind,
    agent: prepared.agent,
    model: data.model,
    environment: prepared.environment,
    agentStateDirectory: prepared.agentStateDirectory,
    resumeSessionId: data.resumeSessionId,
    previousSessionSummary: data.previousSessionSummary,
    workspaces: {
      ...workspaces,
      prepare: async (identifier) => {
        const preparing = performance.now();
        const workspace = await workspaces.prepare(identifier);
        timings.prepareMs += elapsedSince(preparing);
        return workspace;
      },
    },
    publishesAfterRun: data.publishesAfterRun,
    abortSignal: prepared.abortSignal,
    logger: context.logger,
    // The orchestrator decides whether another turn runs: one question per turn, answered by it.
    refreshIssue: async () => {
      questionTurn++;
      lastAnswer = await askForAnotherTurn(context, job, questionTurn, prepared);
      return lastAnswer.issue ? deserializeIssue(lastAnswer.issue) : null;
    },
    isActive: () => lastAnswer?.active ?? false,
    reasonToStopBeforeTurn: async () => lastAnswer?.stopReason ?? null,
    reportPhase: (phase) => {
      if (phase === 'preparing' || phase === 'running') report({ type: 'phase', phase });
    },
    reportWorkspace: (workspace) =>
      report({
        type: 'workspace',
        branch: workspace.branch,
        created: workspace.created,
        worker: context.name,
      }),
    reportHookFailure: (hook, message, fatal) => report({ type: 'hook-failed', hook, message, fatal }),
    reportRunStarted: (turn, sessionId) => report({ type: 'run-started', turn, sessionId }),
    reportAgentEvent: (event) => report({ type: 'agent-event', event }),
    reportRunFinished: async (runResult, turn) => report({ type: 'run-finished', turn, result: runResult }),
  });
  timings.agentMs = elapsedSince(started) - timings.prepareMs;
  const pushing = performance.now();
  // A small result travels with the job's result; a large one (or one from another start) is pushed.
  const diff = result.workspace ? await workspaces.resultPatch(maximumPatchBytes) : null;
  const resultCommit =
    result.workspace && diff === null
      ? await workspaces.pushResult(
          data.resultRef,
          `Loompa run ${job.id} of ${issue.identifier} (work in progress)`,
        )
      : null;
  timings.resultMs = elapsedSince(pushing);
  return {
    outcome: result.outcome,
    sessionId: result.sessionId,
    lastRun: result.lastRun,
    resultCommit,
    resultPatch: diff === null ? null : { id: randomUUID(), diff },
  };
}

/** Asks the orchestrator whether turn `turn + 1` may run, and waits for its answer (no answer: stop). */
async function askForAnotherTurn(
  context: JobContext,
  job: Job<RunJobData, RunJobResult>,
  turn: number,
  prepared: PreparedJob,
): Promise<TurnAnswer> {
  prepared.report({ type: 'turn-question', turn });
  await prepared.reported();
  const blocking = context.commands.duplicate();
  try {
    const answer = await blocking.blpop(
      runKeys.turnAnswer(context.prefix, job.id!, turn),
      Math.max(1, Math.ceil(context.turnAnswerTimeoutMs / 1000)),
    );
    if (!answer) return { issue: null, active: false, stopReason: 'the orchestrator did not answer' };
    return JSON.parse(answer[1]) as TurnAnswer;
  } finally {
    blocking.disconnect();
  }
}
