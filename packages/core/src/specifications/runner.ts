import type { ReactionKind } from '../events/orchestrator-events.js';
import type { Logger } from '../logging/logger.js';
import type { AttemptOutcome } from '../orchestrator/decisions.js';
import type { WorkItemPhase } from '../orchestrator/orchestrator-snapshot.js';
import type { Workflow } from '../workflow/load-workflow.js';
import type { HookName } from '../workspaces/run-hook.js';
import type { Workspace } from '../workspaces/workspace-manager.js';
import type { AgentBackendV1, AgentEvent, AgentRunLimits, AgentRunResult } from './agent-backend.js';
import type { AgentProfile, Focus } from './focus.js';
import type { Issue } from './issue.js';

/**
 * The orchestrator's worktrees as a runner sees them: the one for an issue (created at the
 * base branch, or reused), and its removal when a hook says the new one is unusable.
 */
export interface RunnerWorkspaces {
  prepare(identifier: string): Promise<Workspace>;
  remove(identifier: string): Promise<string>;
  /** The branch new work starts from. */
  baseBranch(): Promise<string>;
}

/**
 * One attempt at an issue as the orchestrator hands it to a runner. Everything the runner
 * may decide is already decided (focus, profile, agent, model, environment, turns); the
 * callbacks are how it asks (another turn?) and reports (phase, events, finished runs).
 */
export interface RunnerAttemptContext {
  issue: Issue;
  attempt: number | null;
  /**
   * The attempt's run, unique per dispatched attempt and kept in the orchestrator's store until
   * the attempt's end is recorded: a next leader (or a restart) hands the runner the same id for
   * the run it takes over. A runner whose runs live elsewhere names the run by it, so it finds
   * the run (queued, running or finished) instead of starting it again. Absent in cores before
   * it: the runner names the run by issue and attempt.
   */
  runId?: string;
  workflow: Workflow;
  focus: Focus;
  profile: AgentProfile | null;
  /** The kind WORKFLOW.md names the agent by: a remote runner resolves its own backend by it. */
  agentKind: string;
  /** The backend resolved here: an in-process runner runs it. */
  agent: AgentBackendV1;
  model: string | null;
  /** The agent's environment by core's policy, computed here; a remote runner recomputes it with the same policy. */
  environment: Record<string, string>;
  agentStateDirectory: string;
  /** A session to continue (a continuation after a clean exit); null starts fresh. */
  resumeSessionId: string | null;
  /** After a context overflow: what the fresh session is told about the previous one. */
  previousSessionSummary?: string | null;
  /** The orchestrator's worktrees; the result must end up in the issue's worktree here, where core publishes it. */
  workspaces: RunnerWorkspaces;
  /** True when a change request is published after the run: one turn, then publish. */
  publishesAfterRun: boolean;
  /** Aborted when the orchestrator stops the run (budget, reconciliation, stall, shutdown). */
  abortSignal: AbortSignal;
  /**
   * True once the run is the next leader's: this orchestrator stopped leading a shared store (or
   * its lease ran out). A runner whose runs live elsewhere (a queue) then leaves the run alone:
   * on an abort it stops waiting instead of cancelling, and it asks again right before it sends
   * the run and right before it takes a finished run's result, which it leaves for the next
   * leader. An in-process runner ends the run as on any abort. Absent: never.
   */
  handedOver?(): boolean;
  logger: Logger;
  refreshIssue(): Promise<Issue | null>;
  /** Asked before every turn after the first; a reason stops the attempt cleanly (a budget limit, say). */
  reasonToStopBeforeTurn(): Promise<string | null>;
  isActive(issue: Issue): boolean;
  reportPhase(phase: WorkItemPhase): void;
  reportWorkspace(workspace: Workspace): void;
  reportHookFailure(hook: HookName, message: string, fatal: boolean): void;
  reportRunStarted(turn: number, sessionId: string | null): void;
  reportAgentEvent(event: AgentEvent): void;
  reportRunFinished(result: AgentRunResult, turn: number): Promise<void>;
}

/** How an attempt ended, for the orchestrator to decide what comes next. */
export interface RunnerAttemptResult {
  outcome: AttemptOutcome;
  sessionId: string | null;
  /** The issue's worktree in the orchestrator's workspaces, holding the agent's work; null when none was kept. */
  workspace: Workspace | null;
  /** The last run's result, when an agent ran. */
  lastRun: AgentRunResult | null;
}

/**
 * One agent run of a reaction (a CI fix, a review reply, one round of conflict resolution) as
 * the orchestrator hands it to a runner. The orchestrator has prepared its worktree (at the
 * change request's head, or mid-rebase with the conflicted files) and decided everything; the
 * runner runs the agent on exactly that worktree and leaves the agent's work in it, where core
 * goes on (continues the rebase, commits, publishes with its lease).
 */
export interface RunnerReactionContext {
  issue: Issue;
  workflow: Workflow;
  focus: Focus;
  profile: AgentProfile | null;
  /** The kind WORKFLOW.md names the agent by: a remote runner resolves its own backend by it. */
  agentKind: string;
  /** The backend resolved here: an in-process runner runs it. */
  agent: AgentBackendV1;
  model: string | null;
  /** The agent's environment by core's policy, computed here; a remote runner recomputes it with the same policy. */
  environment: Record<string, string>;
  agentStateDirectory: string;
  reaction: ReactionKind;
  /** The reaction's round for this item and kind (1 for the first CI fix, …). */
  round: number;
  /** The agent run within the reaction: conflict resolution may take several. */
  turn: number;
  /** The change request's head the reaction answers (null when the forge named none). */
  changeRequestHead: string | null;
  /** The orchestrator's worktree the agent works in (or whose state a remote runner reproduces); its work must end up here. */
  worktree: string;
  /** What a continued session is told (the feedback), and what a fresh one is told (the whole prompt). */
  prompts: { continued: string; fresh: () => string };
  /** The item's session, continued when the runner still has it and the backend can resume. */
  resumeSessionId: string | null;
  /** What a fresh session is told about the previous one (after a context overflow); null when nothing was kept. */
  previousSessionSummary: string | null;
  limits: AgentRunLimits;
  /** Aborted when the orchestrator stops the reaction (budget, reconciliation, stall, shutdown). */
  abortSignal: AbortSignal;
  logger: Logger;
  reportRunStarted(turn: number, sessionId: string | null): void;
  reportAgentEvent(event: AgentEvent): void;
  reportRunFinished(result: AgentRunResult, turn: number): Promise<void>;
}

/**
 * Where an agent run executes (DESIGN.md §3): in this process by default, or on worker
 * machines behind a queue. A runner prepares the workspace, runs the hooks and the agent's
 * turns, streams what happens through the context's reporters and returns the result; the
 * orchestrator alone decides what happens next and publishes the work.
 */
export interface RunnerV1 {
  readonly specificationVersion: 'runner-v1';
  /** Shown in logs and snapshots, e.g. `in-process` or `bullmq`. */
  readonly name: string;
  runAttempt(context: RunnerAttemptContext): Promise<RunnerAttemptResult>;
  /**
   * Runs one agent run of a reaction and leaves its work in `context.worktree` (added in
   * runner-v1 as an optional capability: without it, core runs the reaction's agent in the
   * orchestrator's process, as the in-process runner does).
   */
  runReactionAgent?(context: RunnerReactionContext): Promise<AgentRunResult>;
  /** Releases connections and timers; whoever created the runner calls it (one runner may serve many orchestrators). */
  close?(): Promise<void>;
}
