import { readFile } from 'node:fs/promises';
import {
  type AgentRunResult,
  describeError,
  emptyTokenUsage,
  type RunnerReactionContext,
  runGit,
} from '@loompa/core';
import { applyRunResult, resultUntaken } from './apply-run-result.js';
import { type JobRoundTripSettings, sendJobAndWait } from './job-round-trip.js';
import { retried } from './retried.js';
import { jobPriorityFor, type ReactionJobData, reactionJobId, serializeIssue } from './run-job.js';
import { snapshotWorktree } from './snapshot-worktree.js';

/**
 * The orchestrator's side of a reaction's agent run on a worker: the worktree core prepared
 * (at the change request's head, or mid-rebase with conflict markers) is snapshotted and
 * pushed to a start ref, one job (its id from item, reaction kind, the head it answers,
 * round and agent run, so it is never enqueued twice) carries the prompts and policy, the
 * worker's progress streams into the orchestrator's reporters, and the worker's work is
 * brought back into this worktree, where core continues the rebase or publishes with its lease.
 */
export async function runReactionOnWorkers(
  settings: JobRoundTripSettings,
  context: RunnerReactionContext,
  where: { repositoryUrl: string | null; queueName: string },
): Promise<AgentRunResult> {
  const { issue, workflow, worktree } = context;
  const repositoryUrl = where.repositoryUrl ?? workflow.config.repository.url ?? workflow.repositoryPath;
  if (!repositoryUrl)
    return failedRun(
      context,
      'runner-bullmq needs repository.url (or a source checkout) for workers to fetch',
    );
  const jobId = reactionJobId(repositoryUrl, issue.id, {
    reaction: context.reaction,
    head: context.changeRequestHead,
    round: context.round,
    turn: context.turn,
  });
  const startRef = `refs/loompa/starts/${jobId}`;
  const dropStartRef = () =>
    retried(
      () => runGit(['push', '--quiet', repositoryUrl, '--delete', startRef], { cwd: worktree }),
      2,
    ).catch(() => {});
  try {
    const startCommit = await snapshotWorktree(worktree);
    await retried(() =>
      runGit(['push', '--quiet', '--force', repositoryUrl, `${startCommit}:${startRef}`], { cwd: worktree }),
    );
    let freshPrompt: string | null = null;
    let freshPromptError: string | null = null;
    try {
      freshPrompt = context.prompts.fresh();
    } catch (error) {
      freshPromptError = describeError(error);
    }
    const data: ReactionJobData = {
      format: 2,
      kind: 'reaction',
      issue: serializeIssue(issue),
      workflowText: await readFile(workflow.filePath, 'utf8'),
      workflowFile: workflow.filePath,
      focus: context.focus,
      profile: context.profile,
      agentKind: context.agentKind,
      model: context.model,
      resumeSessionId: context.resumeSessionId,
      previousSessionSummary: context.previousSessionSummary,
      repositoryUrl,
      // Names only: what core's policy withheld here is withheld on the worker too.
      withheldVariables: Object.keys(process.env).filter((name) => !(name in context.environment)),
      resultRef: `refs/loompa/runs/${jobId}`,
      reaction: context.reaction,
      round: context.round,
      turn: context.turn,
      changeRequestHead: context.changeRequestHead,
      startCommit,
      startRef,
      continuedPrompt: context.prompts.continued,
      freshPrompt,
      freshPromptError,
      limits: context.limits,
    };
    const end = await sendJobAndWait(settings, {
      queueName: where.queueName,
      jobId,
      data,
      priority: jobPriorityFor(issue),
      abortSignal: context.abortSignal,
      onProgress: async (progress) => {
        if (progress.type === 'run-started') context.reportRunStarted(progress.turn, progress.sessionId);
        else if (progress.type === 'agent-event') context.reportAgentEvent(progress.event);
        else if (progress.type === 'run-finished')
          await context.reportRunFinished(progress.result, progress.turn);
      },
      resultUntaken: (result) => resultUntaken(worktree, repositoryUrl, data.resultRef, result),
    });
    if (!end.ok) {
      await dropStartRef();
      return failedRun(
        context,
        `the reaction failed on a worker: ${end.reason}`,
        context.abortSignal.aborted ? 'cancelled' : 'failed',
      );
    }
    const { result } = end;
    if (result.resultCommit) {
      await applyRunResult({ worktree, repositoryUrl, ref: data.resultRef, commit: result.resultCommit });
    }
    await dropStartRef();
    settings.logger.info('reaction run finished on a worker', {
      issue: issue.identifier,
      reaction: context.reaction,
      worker: result.worker,
      ...result.timings,
    });
    return result.lastRun ?? failedRun(context, 'the worker ran no agent');
  } catch (error) {
    return failedRun(context, `runner-bullmq: ${describeError(error)}`);
  }
}

function failedRun(
  context: RunnerReactionContext,
  message: string,
  status: 'failed' | 'cancelled' = 'failed',
): AgentRunResult {
  return {
    status,
    sessionId: context.resumeSessionId,
    usage: emptyTokenUsage(),
    costUsd: null,
    turns: 0,
    finalText: null,
    error: { kind: status === 'cancelled' ? 'cancelled' : 'unknown', message },
  };
}
