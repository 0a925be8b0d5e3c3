import type { CostRecord } from '../specifications/budget.js';
import type { ChangeRequest } from '../specifications/change-request.js';
import type { TokenUsage } from '../specifications/common.js';
import type { AgentProfile, Focus } from '../specifications/focus.js';
import type { Issue } from '../specifications/issue.js';
import type { AwaitingItemSnapshot, WorkItemPhase } from './orchestrator-snapshot.js';

/** An issue whose change request is open and watched for CI, review and mergeability. */
export interface AwaitingItem {
  issue: Issue;
  changeRequest: ChangeRequest;
  since: Date;
  /** The last decision, so the snapshot can say what it waits for. */
  waitingFor: string | null;
  /** The last status read from the forge, for the snapshot. */
  status?: AwaitingItemSnapshot['status'];
}

export interface RunningItem {
  /** An attempt at the issue, or a reaction to its change request. */
  kind: 'attempt' | 'reaction';
  /** What the spend of this item is recorded as. */
  activity: CostRecord['activity'];
  issue: Issue;
  attempt: number | null;
  phase: WorkItemPhase;
  focus: Focus;
  profile: AgentProfile | null;
  agentKind: string;
  model: string | null;
  startedAt: Date;
  lastActivityAt: number;
  lastEvent: string | null;
  lastEventAt: Date | null;
  sessionId: string | null;
  turns: number;
  /** Usage and cost of finished runs of this attempt plus the live run's latest figures. */
  finishedUsage: TokenUsage;
  finishedCostUsd: number;
  liveUsage: TokenUsage;
  liveCostUsd: number;
  abortController: AbortController;
  stopRequest: {
    /**
     * `person`: a person cancelled the run or paused everything (see `control/`).
     * `leadership`: this orchestrator stopped leading; the run is the next leader's to adopt.
     */
    kind: 'stall' | 'reconcile' | 'budget' | 'shutdown' | 'person' | 'leadership';
    reason: string;
    removeWorkspace: boolean;
  } | null;
  worker: Promise<void> | null;
}

export interface RetryItem {
  issueId: string;
  identifier: string;
  attempt: number;
  dueAt: Date;
  reason: string;
  continuation: boolean;
  timer: NodeJS.Timeout;
}
