import type { WorkflowError } from '../errors/error-classes.js';
import type { Workflow } from '../workflow/load-workflow.js';
import type { DriverPhases } from './driver/driver-context.js';
import type { LeadershipSnapshot } from './leadership/leadership.js';
import type { OrchestratorSnapshot } from './orchestrator-snapshot.js';

/** What the facade knows besides the phases: the workflow in force, its last error, the lifecycle. */
export interface SnapshotSources {
  phases: DriverPhases;
  workflow: Workflow | null;
  workflowError: WorkflowError | null;
  workflowPath: string | null;
  nextPollAt: Date | null;
  dryRun: boolean;
  draining: boolean;
}

/** Everything the orchestrator is doing at `now`, gathered from every phase. */
export function buildSnapshot(
  sources: SnapshotSources,
  leadership: LeadershipSnapshot,
  now: number,
): OrchestratorSnapshot {
  const { agentRuns, retries, supervisor, store, budgetGate, pause, queue } = sources.phases;
  const { running, totals } = agentRuns.snapshot(now);
  const awaiting = supervisor.snapshot();
  const living = new Set([...running, ...awaiting].map((item) => item.issueId));
  return {
    at: new Date(now),
    queued: queue.snapshot(),
    running,
    retrying: retries.snapshot(),
    awaiting,
    blocked: [...store.blockedEntries()].map(([issueId, entry]) => ({
      issueId,
      identifier: entry.identifier,
      title: entry.title,
      reason: entry.reason,
      since: entry.since,
    })),
    babysitting: sources.phases.babysitting.snapshot(),
    totals,
    workflow: {
      filePath: sources.workflow?.filePath ?? sources.workflowPath,
      valid: sources.workflowError === null && sources.workflow !== null,
      error: sources.workflowError?.message ?? null,
    },
    budget: {
      paused: budgetGate.paused,
      reason: budgetGate.pauseReason,
      remainingUsd: budgetGate.remainingUsd,
    },
    pause: pause.snapshot(),
    continuousIntegration: sources.phases.continuousIntegration.snapshot(living),
    nextPollAt: sources.nextPollAt,
    dryRun: sources.dryRun,
    draining: sources.draining,
    leadership,
  };
}
