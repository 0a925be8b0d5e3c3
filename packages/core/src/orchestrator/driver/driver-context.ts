import type { OrchestratorEvents } from '../../events/orchestrator-events.js';
import type { Logger } from '../../logging/logger.js';
import type { AgentBackendV1 } from '../../specifications/agent-backend.js';
import type { BudgetV1 } from '../../specifications/budget.js';
import type { FocusMatcherV1 } from '../../specifications/focus-matcher.js';
import type { Issue } from '../../specifications/issue.js';
import type { RunnerV1 } from '../../specifications/runner.js';
import type { ScmProviderV1 } from '../../specifications/scm-provider.js';
import type { TrackerV1 } from '../../specifications/tracker.js';
import type { Workflow } from '../../workflow/load-workflow.js';
import type { WorkspaceManager } from '../../workspaces/workspace-manager.js';
import type { AgentAvailability } from '../agent-runs/agent-availability.js';
import type { AgentRuns } from '../agent-runs/agent-runs.js';
import type { BabysitIntake } from '../babysitting/babysit-intake.js';
import type { BudgetGate } from '../budget-gate.js';
import type { ChangeRequestSupervisor } from '../change-request-supervisor/change-request-supervisor.js';
import type { ContinuousIntegration } from '../continuous-integration.js';
import type { DispatchPause } from '../control/dispatch-pause.js';
import type { DispatchQueue } from '../scheduler/dispatch-queue.js';
import type { RetryTimers } from '../scheduler/retry-timers.js';
import type { SharedAgentSlots } from '../scheduler/shared-slots.js';
import type { ThreadReplies } from '../thread-replies/thread-replies.js';
import type { WorkItemStore } from '../work-item-store.js';
import { removeWorkspace } from '../workspace-cleanup.js';

/** Whether the orchestrator is winding down; owned by the facade, read by the driver. */
export interface Lifecycle {
  readonly started: boolean;
  readonly stopping: boolean;
  readonly draining: boolean;
}

/**
 * What the facade gives the driver: the current workflow and plugins (both change on a
 * reload, so they are read through functions), the agent's environment computed in one
 * place, and the orchestrator's lifecycle.
 */
export interface DriverEnvironment {
  workflow(): Workflow;
  tracker(): TrackerV1;
  scm(): ScmProviderV1 | null;
  agentFor(kind: string): AgentBackendV1;
  /** An agent limit shared with other orchestrators (a fleet); none when absent. */
  sharedSlots?: SharedAgentSlots;
  /** Where attempts run: in this process unless the caller gave another runner. */
  runner(): RunnerV1;
  budget(): BudgetV1 | null;
  /** True when a budget plugin is registered at all. */
  hasBudget: boolean;
  /** True when SCM providers are registered, so restored change requests are watched again. */
  hasScm: boolean;
  /** Everything an agent process may see: see `agentEnvironmentFor`. */
  agentEnvironment(agent: AgentBackendV1): Record<string, string>;
  /** The agent's home and session files for an issue, kept for the issue's whole life. */
  agentStateDirectory(issue: Issue): Promise<string>;
  workspaces(): WorkspaceManager;
  focusMatcher: FocusMatcherV1;
  events: OrchestratorEvents;
  logger: Logger;
  dryRun: boolean;
  lifecycle: Lifecycle;
  now(): number;
  /** Resolves once the orchestrator has initialized (a due retry may fire before a tick did). */
  ready(): Promise<void>;
  /** This instance's owner name on issue claims (`claimOwnerFor`); a per-process one when absent. */
  claimOwner?(): string;
  /** False while another orchestrator leads the shared store: nothing new starts here. True when absent. */
  leading?(): boolean;
}

/** The phases the driver moves items between, each holding only its own state. */
export interface DriverPhases {
  /** Change requests Loompa did not open, brought under the same loop each tick. */
  babysitting: BabysitIntake;
  store: WorkItemStore;
  budgetGate: BudgetGate;
  agentRuns: AgentRuns;
  retries: RetryTimers;
  supervisor: ChangeRequestSupervisor;
  agentAvailability: AgentAvailability;
  /** A person's pause of dispatch (and of the change-request loop). */
  pause: DispatchPause;
  /** Eligible issues not running yet, for the snapshot. */
  queue: DispatchQueue;
  /** Classified check failures, flaky tests and scheduled-run triage. */
  continuousIntegration: ContinuousIntegration;
  /** Replies and resolutions review reactions still owe their threads. */
  threadReplies: ThreadReplies;
}

export type DriverContext = DriverEnvironment & DriverPhases;

/** True while new work may start: not stopping, not draining. */
export function acceptsNewWork(context: DriverContext): boolean {
  return !context.lifecycle.stopping && !context.lifecycle.draining && (context.leading?.() ?? true);
}

/** Removes an issue's workspace with the current workflow's hooks. */
export function removeWorkspaceOf(context: DriverContext, issue: Pick<Issue, 'id' | 'identifier'>) {
  return removeWorkspace(
    {
      workspaces: context.workspaces(),
      workflow: context.workflow(),
      events: context.events,
      logger: context.logger,
    },
    issue,
  );
}
