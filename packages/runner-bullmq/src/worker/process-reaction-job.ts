import type { AgentRunOptions, AgentRunResult } from '@loompa/core';
import type { ReactionJobData } from '../run-job.js';
import { elapsedSince, type JobContext, type JobOutcome, type PreparedJob } from './process-job.js';

/** What a fresh session is told when the item's session stayed on another worker and nothing else was kept. */
const sessionElsewhere =
  'An earlier session on this issue ran on another machine and is not available here, so this is a fresh one. ' +
  'The work so far is in this worktree (see `git log` and `git diff`).';

/**
 * One agent run of a reaction on this worker: a worktree at exactly the commit the
 * orchestrator snapshotted (the change request's head, or its worktree mid-rebase), the item's
 * session continued when this worker still has it and the backend can resume (else a fresh
 * session with the whole prompt and what is known of the previous one), and the worktree as
 * the agent left it pushed to the result ref, from where the orchestrator takes it.
 */
export async function processReactionJob(
  jobId: string,
  data: ReactionJobData,
  prepared: PreparedJob,
  context: JobContext,
): Promise<JobOutcome> {
  const { issue, agent, report, timings } = prepared;
  const preparing = performance.now();
  const workspaces = await context.repositories.workspaceFor({
    repositoryUrl: data.repositoryUrl,
    baseBranch: null,
    baseCommit: data.startCommit,
    startRef: data.startRef,
    identifier: issue.identifier,
  });
  const workspace = await workspaces.prepare(issue.identifier);
  timings.prepareMs = elapsedSince(preparing);

  const previousSession = data.resumeSessionId;
  const canResume =
    previousSession !== null &&
    typeof agent.resume === 'function' &&
    (await context.sessions.has(previousSession));
  // A session left on another worker is replaced by a fresh one told so; a backend that never
  // resumes starts fresh anyway, as it does in the orchestrator's process.
  const sessionMoved = previousSession !== null && typeof agent.resume === 'function' && !canResume;
  const summary = data.previousSessionSummary ?? (sessionMoved ? sessionElsewhere : null);
  const prompt = canResume ? data.continuedPrompt : freshPromptOf(data, summary);
  context.logger.info('reaction run started', {
    jobId,
    issue: issue.identifier,
    reaction: data.reaction,
    round: data.round,
    turn: data.turn,
    resumed: canResume,
  });
  const options: AgentRunOptions = {
    prompt,
    cwd: workspace.path,
    env: prepared.environment,
    stateDirectory: prepared.agentStateDirectory,
    abortSignal: prepared.abortSignal,
    limits: data.limits,
    onEvent: (event) => report({ type: 'agent-event', event }),
    ...(data.model ? { model: data.model } : {}),
    ...(data.focus.instructions ? { instructions: data.focus.instructions } : {}),
  };
  const started = performance.now();
  report({ type: 'run-started', turn: data.turn, sessionId: canResume ? previousSession : null });
  const result: AgentRunResult =
    canResume && agent.resume
      ? await agent.resume({ ...options, sessionId: previousSession! })
      : await agent.run(options);
  report({ type: 'run-finished', turn: data.turn, result });
  timings.agentMs = elapsedSince(started);
  context.logger.info('reaction run finished', {
    jobId,
    issue: issue.identifier,
    reaction: data.reaction,
    status: result.status,
  });
  const pushing = performance.now();
  const resultCommit = await workspaces.pushResult(
    data.resultRef,
    `Loompa ${data.reaction} reaction ${jobId} of ${issue.identifier} (work in progress)`,
  );
  timings.resultMs = elapsedSince(pushing);
  return {
    outcome:
      result.status === 'completed'
        ? { kind: 'completed' }
        : {
            kind: 'failed',
            reason: result.error?.message ?? `the agent run ended with status ${result.status}`,
            ...(result.error ? { error: result.error } : {}),
            lastText: result.finalText,
          },
    sessionId: result.sessionId ?? (canResume ? previousSession : null),
    lastRun: result,
    resultCommit,
  };
}

/** The whole prompt for a fresh session, with what is known of the previous one. */
function freshPromptOf(data: ReactionJobData, summary: string | null): string {
  if (data.freshPrompt === null) {
    throw new Error(
      `the reaction's prompt could not be rendered: ${data.freshPromptError ?? 'unknown error'}`,
    );
  }
  return summary ? `${data.freshPrompt}\n\n${summary}` : data.freshPrompt;
}
