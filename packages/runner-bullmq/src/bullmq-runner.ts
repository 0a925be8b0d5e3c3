import { readFile } from 'node:fs/promises';
import {
  createSilentLogger,
  describeError,
  type Logger,
  type RunnerAttemptContext,
  type RunnerAttemptResult,
  type RunnerReactionContext,
  type RunnerV1,
  runGit,
} from '@loompa/core';
import type { Redis } from 'ioredis';
import { applyRunPatch, applyRunResult, resultUntaken } from './apply-run-result.js';
import { type JobRoundTripSettings, sendJobAndWait } from './job-round-trip.js';
import { runReactionOnWorkers } from './reaction-jobs.js';
import { assertRedisReachable, redisConnection } from './redis-connection.js';
import {
  type AttemptJobData,
  defaultQueueName,
  jobPriorityFor,
  queueNameFor,
  type RunJobResult,
  type RunProgress,
  runJobId,
  runKeys,
  serializeIssue,
  type TurnAnswer,
} from './run-job.js';
import { RunQueues } from './run-queues.js';

export interface BullmqRunnerOptions {
  /** `redis://host:port/db`, or an ioredis client to copy the settings of. */
  redis: string | Redis;
  /** The queue's base name; workers must use the same. */
  queueName?: string;
  /** BullMQ key prefix, to share one Redis between installations. */
  prefix?: string;
  /** Labels a worker must have to take a run (`gpu`, `docker`), fixed or per attempt. */
  labels?: readonly string[] | ((context: RunnerAttemptContext | RunnerReactionContext) => readonly string[]);
  /** What workers fetch and push the work to; `repository.url`, else the source checkout's path. */
  repositoryUrl?: string;
  /** How long a stopped run may take to end on its worker before the orchestrator stops waiting. */
  stopGraceMs?: number;
  /** How often a run's job is looked up directly, in case an event was missed (a Redis reconnect). */
  pollIntervalMs?: number;
  logger?: Logger;
}

export interface BullmqRunner extends RunnerV1 {
  /** Resolves once Redis answers; rejects saying where it could not be reached. */
  ready(): Promise<void>;
  /** Jobs per state, per queue this runner used. */
  jobCounts(): Promise<Record<string, Record<string, number>>>;
  close(): Promise<void>;
}

/**
 * The orchestrator's side of `@loompa/runner-bullmq`: each attempt becomes one BullMQ job
 * (its id derived from repository, issue and core's run id, so it is never enqueued twice; its
 * priority from the issue's), workers stream progress back as job progress, a stop request
 * becomes a cancel message (or removes a job no worker took yet), and the worker's pushed
 * work is brought into this orchestrator's worktree, where core publishes it as usual.
 */
export function createBullmqRunner(options: BullmqRunnerOptions): BullmqRunner {
  const logger = options.logger ?? createSilentLogger();
  const prefix = options.prefix ?? 'bull';
  const queues = new RunQueues(options.redis, prefix, logger);
  let commands: Redis | null = null;
  const redis = () =>
    (commands ??= redisConnection(options.redis, (message) =>
      logger.warn('Redis connection error', { message }),
    ));

  const roundTrip: JobRoundTripSettings = {
    queues,
    redis,
    prefix,
    logger,
    stopGraceMs: options.stopGraceMs ?? 60_000,
    pollIntervalMs: options.pollIntervalMs ?? 5_000,
  };

  const runAttempt = async (context: RunnerAttemptContext): Promise<RunnerAttemptResult> => {
    const { issue, workflow } = context;
    context.reportPhase('preparing');
    const workspace = await context.workspaces.prepare(issue.identifier);
    context.reportWorkspace(workspace);
    const failed = (reason: string): RunnerAttemptResult => ({
      outcome: { kind: 'failed', reason },
      sessionId: context.resumeSessionId,
      workspace,
      lastRun: null,
    });
    const repositoryUrl = options.repositoryUrl ?? workflow.config.repository.url ?? workflow.repositoryPath;
    if (!repositoryUrl)
      return failed('runner-bullmq needs repository.url (or a source checkout) for workers to fetch');
    // Core's run id is the same for every leader that dispatches this run: they all find one job.
    const jobId = runJobId(repositoryUrl, issue.id, context.runId ?? context.attempt);
    const labels = typeof options.labels === 'function' ? options.labels(context) : (options.labels ?? []);
    const queueName = queueNameFor(options.queueName ?? defaultQueueName, labels);
    const data: AttemptJobData = {
      format: 1,
      issue: serializeIssue(issue),
      attempt: context.attempt,
      workflowText: await readFile(workflow.filePath, 'utf8'),
      workflowFile: workflow.filePath,
      focus: context.focus,
      profile: context.profile,
      agentKind: context.agentKind,
      model: context.model,
      resumeSessionId: context.resumeSessionId,
      previousSessionSummary: context.previousSessionSummary ?? null,
      publishesAfterRun: context.publishesAfterRun,
      repositoryUrl,
      baseBranch: await context.workspaces.baseBranch(),
      baseCommit: (await runGit(['rev-parse', 'HEAD'], { cwd: workspace.path })).stdout.trim(),
      // Names only: what core's policy withheld here is withheld on the worker too.
      withheldVariables: Object.keys(process.env).filter((name) => !(name in context.environment)),
      resultRef: `refs/loompa/runs/${jobId}`,
    };

    // Asked again right before sending: a run handed over is the next leader's to send or adopt.
    if (context.handedOver?.()) return failed('left to the orchestrator that leads now');
    const sent = performance.now();
    try {
      const end = await sendJobAndWait(roundTrip, {
        sameRun: context.runId !== undefined,
        queueName,
        jobId,
        data,
        priority: jobPriorityFor(issue),
        abortSignal: context.abortSignal,
        handedOver: () => context.handedOver?.() ?? false,
        onProgress: (progress) =>
          handleProgress(context, progress, (turn, answer) => answerTurn(jobId, turn, answer)),
        resultUntaken: async (result) =>
          result.resultPatch
            ? (await redis().exists(runKeys.patchTaken(prefix, result.resultPatch.id))) === 0
            : resultUntaken(workspace.path, repositoryUrl, data.resultRef, result),
      });
      if (!end.ok) return failed(`the run failed on a worker: ${end.reason}`);
      // The result is the leader's to take: one that no longer leads leaves it, and its
      // worktree alone, for the leader that adopts the run.
      if (context.handedOver?.())
        return failed('finished; its result is left to the orchestrator that leads now');
      return await finishedRun(context, workspace, end.result, repositoryUrl, data.resultRef, sent);
    } catch (error) {
      return failed(`runner-bullmq: ${describeError(error)}`);
    }
  };

  async function answerTurn(jobId: string, turn: number, answer: TurnAnswer): Promise<void> {
    const key = runKeys.turnAnswer(prefix, jobId, turn);
    await redis().multi().rpush(key, JSON.stringify(answer)).expire(key, 600).exec();
  }

  async function finishedRun(
    context: RunnerAttemptContext,
    workspace: RunnerAttemptResult['workspace'] & object,
    result: RunJobResult,
    repositoryUrl: string,
    resultRef: string,
    sent: number,
  ): Promise<RunnerAttemptResult> {
    const ended = performance.now();
    if (result.resultPatch) {
      await applyRunPatch({
        worktree: workspace.path,
        diff: result.resultPatch.diff,
        reused: !workspace.created,
      });
      // A standby orchestrator adopting this finished job must not take the work again.
      await redis().set(runKeys.patchTaken(prefix, result.resultPatch.id), '1', 'EX', 24 * 3600);
    } else if (result.resultCommit) {
      await applyRunResult({
        worktree: workspace.path,
        repositoryUrl,
        ref: resultRef,
        commit: result.resultCommit,
      });
    }
    // Where the run's time went beyond the agent's: the worker's parts, the job's round trip
    // through Redis (what the worker's parts do not explain) and taking the result here.
    const roundTripMs = Math.round(ended - sent);
    const workerMs = result.timings
      ? result.timings.queuedMs + result.timings.prepareMs + result.timings.agentMs + result.timings.resultMs
      : roundTripMs;
    logger.info('run finished on a worker', {
      issue: context.issue.identifier,
      worker: result.worker,
      ...result.timings,
      messagingMs: Math.max(0, roundTripMs - workerMs),
      applyMs: Math.round(performance.now() - ended),
    });
    return { outcome: result.outcome, sessionId: result.sessionId, workspace, lastRun: result.lastRun };
  }

  return {
    specificationVersion: 'runner-v1',
    name: 'bullmq',
    runAttempt,
    runReactionAgent: (context) =>
      runReactionOnWorkers(roundTrip, context, {
        repositoryUrl: options.repositoryUrl ?? null,
        queueName: queueNameFor(
          options.queueName ?? defaultQueueName,
          typeof options.labels === 'function' ? options.labels(context) : (options.labels ?? []),
        ),
      }),
    ready: () => assertRedisReachable(options.redis),
    jobCounts: () => queues.counts(),
    close: async () => {
      await queues.close();
      await commands?.quit().catch(() => {});
      commands = null;
    },
  };
}

/** One progress report of a worker, carried into the orchestrator's reporters. */
async function handleProgress(
  context: RunnerAttemptContext,
  progress: RunProgress,
  answer: (turn: number, answer: TurnAnswer) => Promise<void>,
): Promise<void> {
  switch (progress.type) {
    case 'phase':
      if (progress.phase === 'running') context.reportPhase('running');
      return;
    case 'workspace':
      context.logger.info('a worker prepared the workspace', {
        issue: context.issue.identifier,
        worker: progress.worker,
      });
      return;
    case 'hook-failed':
      context.reportHookFailure(progress.hook as never, progress.message, progress.fatal);
      return;
    case 'run-started':
      context.reportRunStarted(progress.turn, progress.sessionId);
      return;
    case 'agent-event':
      context.reportAgentEvent(progress.event);
      return;
    case 'run-finished':
      await context.reportRunFinished(progress.result, progress.turn);
      return;
    case 'turn-question': {
      // The same questions the in-process runner asks between turns, asked here.
      const refreshed = await context.refreshIssue().catch(() => context.issue);
      const active = refreshed !== null && context.isActive(refreshed);
      const stopReason = active ? await context.reasonToStopBeforeTurn() : null;
      await answer(progress.turn, {
        issue: refreshed ? serializeIssue(refreshed) : null,
        active,
        stopReason,
      });
      return;
    }
  }
}
