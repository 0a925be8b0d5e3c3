import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  type AgentBackendV1,
  type Issue,
  type Logger,
  parseWorkflow,
  registerSecret,
  type Workflow,
  workspaceKeyFor,
} from '@loompa/core';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  deserializeIssue,
  type RunJobData,
  type RunJobResult,
  type RunJobTimings,
  type RunProgress,
  runKeys,
} from '../run-job.js';
import { processAttemptJob } from './process-attempt-job.js';
import { processReactionJob } from './process-reaction-job.js';
import { type WorkerAgents, workerAgentEnvironment, workerRestrictedEnvironment } from './worker-agents.js';
import type { WorkerRepositories } from './worker-repositories.js';
import type { WorkerSessions } from './worker-sessions.js';

/** What a worker gives every job it processes. */
export interface JobContext {
  name: string;
  prefix: string;
  logger: Logger;
  owner: string;
  directory: string;
  repositories: WorkerRepositories;
  agents: WorkerAgents;
  sessions: WorkerSessions;
  commands: Redis;
  running: Map<string, AbortController>;
  environment: NodeJS.ProcessEnv;
  turnAnswerTimeoutMs: number;
  /** Workflows validated here, by file and text (a few at most). */
  workflows: Map<string, Workflow>;
}

/** One job set up on this worker: the workflow validated here, the agent built here, its environment by core's policy. */
export interface PreparedJob {
  issue: Issue;
  workflow: Workflow;
  agent: AgentBackendV1;
  environment: Record<string, string>;
  restrictedEnvironment(declaredNames?: readonly string[]): Record<string, string>;
  agentStateDirectory: string;
  abortSignal: AbortSignal;
  /** Sends a progress report; reports go out in order. */
  report(progress: RunProgress): void;
  /** Resolves once every report so far was sent. */
  reported(): Promise<unknown>;
  /** Time spent in the parts of the job, filled in as it goes. */
  timings: RunJobTimings;
}

/** What a job's kind-specific part returns; the worker's name and the timings are added here. */
export type JobOutcome = Omit<RunJobResult, 'worker' | 'timings'>;

const remembered = 16;

/** The job's workflow validated on this worker; most jobs carry one this worker already validated. */
function parsedWorkflow(data: RunJobData, context: JobContext): Workflow {
  const { workflows } = context;
  const key = `${data.workflowFile}\0${data.workflowText}`;
  let workflow = workflows.get(key);
  if (!workflow) {
    workflow = parseWorkflow(data.workflowText, data.workflowFile, {
      plugins: { agents: context.agents.registry() },
      environment: context.environment,
    });
    if (workflows.size >= remembered) workflows.delete(workflows.keys().next().value!);
    workflows.set(key, workflow);
  }
  return workflow;
}

/** Milliseconds since `started`. */
export const elapsedSince = (started: number) => Math.round(performance.now() - started);

/**
 * One job on this worker: an attempt (format 1) or a reaction's agent run (format 2). The
 * shared part validates the workflow again with this machine's agents and environment, builds
 * the agent and its environment, honours a cancel sent before the job started, and remembers
 * the session the run left here, so a later reaction can resume it on this worker.
 */
export async function processJob(
  job: Job<RunJobData, RunJobResult>,
  context: JobContext,
): Promise<RunJobResult> {
  const data = job.data;
  const readable = data.format === 1 || (data.format === 2 && data.kind === 'reaction');
  if (!readable) throw new Error(`This worker cannot read run jobs of format ${String(data.format)}`);
  const jobId = job.id!;
  const abortController = new AbortController();
  context.running.set(jobId, abortController);
  // Progress is sent in order; a lost update must not fail the run.
  let reporting: Promise<unknown> = Promise.resolve();
  const report = (progress: RunProgress) => {
    reporting = reporting.then(() => job.updateProgress(progress)).catch(() => {});
  };
  try {
    if (await context.commands.exists(runKeys.cancelFlag(context.prefix, jobId))) {
      abortController.abort('cancelled by the orchestrator before it started');
    }
    const issue = deserializeIssue(data.issue);
    const workflow = parsedWorkflow(data, context);
    for (const value of Object.values(workflow.config.agent.env)) registerSecret(value);
    const sources = {
      baseEnvironment: context.environment,
      workflow,
      withheldVariables: data.withheldVariables,
    };
    const agentStateDirectory = path.join(context.directory, 'agents', workspaceKeyFor(issue.identifier));
    await mkdir(agentStateDirectory, { recursive: true });
    const environmentFor = (agent: AgentBackendV1) =>
      workerAgentEnvironment({ ...sources, agent, owner: context.owner });
    const restrictedEnvironment = (declaredNames?: readonly string[]) =>
      workerRestrictedEnvironment(sources, declaredNames);
    const agent = context.agents.create(data.agentKind, workflow, {
      stateDirectory: path.join(context.directory, 'plugins'),
      logger: context.logger,
      environment: environmentFor,
      restrictedEnvironment,
    });
    const prepared: PreparedJob = {
      issue,
      workflow,
      agent,
      environment: environmentFor(agent),
      restrictedEnvironment,
      agentStateDirectory,
      abortSignal: abortController.signal,
      report,
      reported: () => reporting,
      timings: {
        queuedMs: Math.max(0, (job.processedOn ?? Date.now()) - job.timestamp),
        prepareMs: 0,
        agentMs: 0,
        resultMs: 0,
      },
    };
    const outcome =
      data.format === 1
        ? await processAttemptJob(job, data, prepared, context)
        : await processReactionJob(jobId, data, prepared, context);
    await reporting;
    if (outcome.sessionId) {
      await context.sessions
        .remember(outcome.sessionId)
        .catch((error: unknown) =>
          context.logger.warn('remembering a session failed', { message: String(error) }),
        );
    }
    return { ...outcome, worker: context.name, timings: prepared.timings };
  } finally {
    context.running.delete(jobId);
  }
}
