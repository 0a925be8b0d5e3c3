import { createHash } from 'node:crypto';
import type {
  AgentEvent,
  AgentProfile,
  AgentRunLimits,
  AgentRunResult,
  AttemptOutcome,
  Focus,
  Issue,
  ReactionKind,
} from '@loompa/core';

/** The queue runs go to when no labels are asked for; `<name>.<label>+<label>` for labelled runs. */
export const defaultQueueName = 'loompa-runs';

/**
 * What every job carries, decided by the orchestrator. Credentials never travel here: the
 * workflow text keeps its `$NAME` references, resolved on the worker from its own environment,
 * and withheld variables travel by name.
 */
interface JobDataBase {
  issue: SerializedIssue;
  /** WORKFLOW.md as the orchestrator read it; the worker validates it again. */
  workflowText: string;
  /** Where the file lives on the orchestrator's machine, for messages only. */
  workflowFile: string;
  focus: Focus;
  profile: AgentProfile | null;
  agentKind: string;
  model: string | null;
  resumeSessionId: string | null;
  previousSessionSummary: string | null;
  /** Fetched by the worker into its cache; the result is pushed back here. */
  repositoryUrl: string;
  /** Tracker and forge credential variables the agent must not see (names only). */
  withheldVariables: string[];
  /** The ref the worker pushes the agent's work to. */
  resultRef: string;
}

/** One attempt at an issue as a job (format 1: workers of any version take it). */
export interface AttemptJobData extends JobDataBase {
  /** Bumped when the shape changes, so an old worker refuses a job it cannot read. */
  format: 1;
  attempt: number | null;
  publishesAfterRun: boolean;
  baseBranch: string;
  /** The commit the orchestrator's worktree stands on; the worker starts there when it can fetch it. */
  baseCommit: string | null;
}

/**
 * One agent run of a reaction as a job (format 2, which workers older than reactions refuse
 * instead of mistaking it for an attempt). The worker starts exactly at `startCommit`: the
 * change request's head, or a snapshot of the orchestrator's worktree mid-rebase with the
 * conflicted files, fetched from `startRef` when its cache lacks it.
 */
export interface ReactionJobData extends JobDataBase {
  format: 2;
  kind: 'reaction';
  reaction: ReactionKind;
  round: number;
  turn: number;
  /** The change request's head the reaction answers. */
  changeRequestHead: string | null;
  startCommit: string;
  startRef: string;
  /** What a continued session is told. */
  continuedPrompt: string;
  /** What a fresh session is told; null when the prompt could not be rendered (`freshPromptError` says why). */
  freshPrompt: string | null;
  freshPromptError: string | null;
  limits: AgentRunLimits;
}

export type RunJobData = AttemptJobData | ReactionJobData;

/** How long the worker spent on each part of a job, for logs and benchmarks. */
export interface RunJobTimings {
  /** From enqueueing until a worker took the job. */
  queuedMs: number;
  /** Fetching (when needed) and adding the worktree. */
  prepareMs: number;
  agentMs: number;
  /** Committing and pushing the result. */
  resultMs: number;
}

/** What a worker returns: the run's outcome and where its work was pushed. */
export interface RunJobResult {
  outcome: AttemptOutcome;
  sessionId: string | null;
  lastRun: AgentRunResult | null;
  /** The commit holding the worktree as the agent left it, pushed to `resultRef`; null when no workspace was kept or the work came as a patch. */
  resultCommit: string | null;
  /**
   * A small result travels in the job's result instead: the agent's changes as a binary diff
   * from the base commit (empty when it changed nothing), which spares the worker's push and
   * the orchestrator's fetch and ref removal. Absent when the work went to `resultRef`.
   */
  resultPatch?: { id: string; diff: string } | null;
  /** The worker that ran it, for logs. */
  worker: string;
  timings?: RunJobTimings;
}

/** What a worker reports while it runs, as BullMQ job progress, in order. */
export type RunProgress =
  | { type: 'phase'; phase: 'preparing' | 'running' }
  | { type: 'workspace'; branch: string; created: boolean; worker: string }
  | { type: 'hook-failed'; hook: string; message: string; fatal: boolean }
  | { type: 'run-started'; turn: number; sessionId: string | null }
  | { type: 'agent-event'; event: AgentEvent }
  | { type: 'run-finished'; turn: number; result: AgentRunResult }
  /** The worker waits for the orchestrator's answer before another turn. */
  | { type: 'turn-question'; turn: number };

/** The orchestrator's answer to a turn question. */
export interface TurnAnswer {
  issue: SerializedIssue | null;
  active: boolean;
  stopReason: string | null;
}

export type SerializedIssue = Omit<Issue, 'createdAt' | 'updatedAt'> & {
  createdAt: string | null;
  updatedAt: string | null;
};

export function serializeIssue(issue: Issue): SerializedIssue {
  return {
    ...issue,
    createdAt: issue.createdAt?.toISOString() ?? null,
    updatedAt: issue.updatedAt?.toISOString() ?? null,
  };
}

export function deserializeIssue(issue: SerializedIssue): Issue {
  return {
    ...issue,
    createdAt: issue.createdAt === null ? null : new Date(issue.createdAt),
    updatedAt: issue.updatedAt === null ? null : new Date(issue.updatedAt),
  };
}

const hash = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16);

/**
 * The job id of a run: one per repository, issue and run (the run id core keeps in its store,
 * the same for every leader that dispatches the run; the attempt number from a core without
 * run ids), so enqueuing the same run twice (a standby orchestrator taking over, a woken
 * leader) finds the job already there. BullMQ ids may not contain `:`; hashing keeps any
 * tracker id, and any run id that is not plain, safe.
 */
export function runJobId(repositoryUrl: string, issueId: string, run: string | number | null): string {
  const name = String(run ?? 0);
  return `run-${hash(repositoryUrl, issueId)}-${/^[A-Za-z0-9-]{1,64}$/.test(name) ? name : hash(name)}`;
}

/**
 * The job id of one agent run of a reaction: one per item, reaction kind, the head it answers,
 * round and agent run within it, so the same reaction is never enqueued twice.
 */
export function reactionJobId(
  repositoryUrl: string,
  issueId: string,
  answering: { reaction: ReactionKind; head: string | null; round: number; turn: number },
): string {
  return `reaction-${hash(repositoryUrl, issueId, answering.reaction, answering.head ?? '')}-${answering.round}-${answering.turn}`;
}

/** The queue for runs that need `labels` (a worker takes from every queue its labels cover). */
export function queueNameFor(baseName: string, labels: readonly string[]): string {
  const normalized = [...new Set(labels.map((label) => label.trim().toLowerCase()).filter(Boolean))].sort();
  return normalized.length === 0 ? baseName : `${baseName}.${normalized.join('+')}`;
}

/** Every queue a worker with `labels` serves: one per subset of its labels. */
export function queueNamesServedBy(baseName: string, labels: readonly string[]): string[] {
  const normalized = [...new Set(labels.map((label) => label.trim().toLowerCase()).filter(Boolean))].sort();
  if (normalized.length > 8) throw new Error('A worker takes at most 8 labels');
  const names: string[] = [];
  for (let mask = 0; mask < 1 << normalized.length; mask++) {
    names.push(
      queueNameFor(
        baseName,
        normalized.filter((_, index) => mask & (1 << index)),
      ),
    );
  }
  return names;
}

/** Redis keys beside BullMQ's own: the cancel flag and the turn answers of one job. */
export const runKeys = {
  cancelChannel: (prefix: string) => `${prefix}:loompa:cancel`,
  cancelFlag: (prefix: string, jobId: string) => `${prefix}:loompa:cancelled:${jobId}`,
  turnAnswer: (prefix: string, jobId: string, turn: number) => `${prefix}:loompa:turn:${jobId}:${turn}`,
  /** Set once the orchestrator took a patch result into its worktree (a standby must not take it again). */
  patchTaken: (prefix: string, patchId: string) => `${prefix}:loompa:taken:${patchId}`,
};

/** BullMQ priority: 1 is served first; an issue without a priority comes after priority 4. */
export function jobPriorityFor(issue: Pick<Issue, 'priority'>): number {
  return issue.priority !== null && issue.priority >= 1 ? Math.min(issue.priority, 1000) : 5;
}
