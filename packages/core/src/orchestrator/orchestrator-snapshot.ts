import type { TokenUsage } from '../specifications/common.js';

/** Where a work item is in its life (DESIGN.md §4). */
export type WorkItemPhase = 'preparing' | 'running' | 'publishing' | 'reacting' | 'stopping';

export interface RunningItemSnapshot {
  issueId: string;
  identifier: string;
  state: string;
  phase: WorkItemPhase;
  /** Null on the first run. */
  attempt: number | null;
  focus: string | null;
  profile: string | null;
  agentKind: string;
  model: string | null;
  sessionId: string | null;
  turns: number;
  lastEvent: string | null;
  lastEventAt: Date | null;
  startedAt: Date;
  usage: TokenUsage;
  costUsd: number;
}

export interface RetryingItemSnapshot {
  issueId: string;
  identifier: string;
  attempt: number;
  dueAt: Date;
  reason: string;
}

export interface BlockedItemSnapshot {
  issueId: string;
  identifier: string;
  reason: string;
  since: Date;
}

export interface AwaitingItemSnapshot {
  issueId: string;
  identifier: string;
  changeRequestUrl: string | null;
  branch: string;
  since: Date;
  /** What the change request waits for (checks, a review, a person to merge), once known. */
  waitingFor: string | null;
}

/** A point-in-time view of everything the orchestrator is doing. */
export interface OrchestratorSnapshot {
  at: Date;
  running: RunningItemSnapshot[];
  retrying: RetryingItemSnapshot[];
  awaiting: AwaitingItemSnapshot[];
  blocked: BlockedItemSnapshot[];
  totals: {
    usage: TokenUsage;
    costUsd: number;
    /** Agent runtime, including runs still going. */
    runtimeMs: number;
    runs: number;
  };
  workflow: {
    filePath: string | null;
    valid: boolean;
    /** The problem with the file on disk while the last good workflow stays in force. */
    error: string | null;
  };
  budget: {
    paused: boolean;
    reason: string | null;
    remainingUsd: number | null;
  };
  nextPollAt: Date | null;
  dryRun: boolean;
  draining: boolean;
}
