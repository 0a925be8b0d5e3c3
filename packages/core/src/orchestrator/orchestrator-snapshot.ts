import type { CheckFailureReportEntry } from '../change-requests/check-failure-report.js';
import type { CheckFailureClass } from '../change-requests/classify-check-failure.js';
import type { TokenUsage } from '../specifications/common.js';
import type { LeadershipSnapshot } from './leadership/leadership.js';

/** Where a work item is in its life (DESIGN.md §4). */
export type WorkItemPhase = 'preparing' | 'running' | 'publishing' | 'reacting' | 'stopping';

export interface RunningItemSnapshot {
  issueId: string;
  identifier: string;
  title: string;
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
  title: string;
  reason: string;
  since: Date;
}

export interface AwaitingItemSnapshot {
  issueId: string;
  identifier: string;
  title: string;
  changeRequestUrl: string | null;
  branch: string;
  since: Date;
  /** What the change request waits for (checks, a review, a person to merge), once known. */
  waitingFor: string | null;
  /** Checks, review and mergeability as last read from the forge; null before the first read. */
  status: {
    checks: string;
    review: string;
    mergeability: string;
    headSha: string | null;
  } | null;
  /** The failing checks of the head as classified (code, flaky, infrastructure, unknown). */
  checkClassifications: Array<{ checkName: string; classification: CheckFailureClass; reason: string }>;
  /** Every check that failed on the head: its classification and where it stands, as of this tick. */
  checks: CheckFailureReportEntry[];
}

/** A tracker issue Loompa filed (for a flaky test or a triaged root cause). */
export interface FiledIssueSnapshot {
  identifier: string;
  url: string | null;
}

/** One failed scheduled or default-branch run taken up by triage. */
export interface TriageRunSnapshot {
  runId: string;
  workflow: string;
  headSha: string;
  runUrl: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  /** Under way: reading logs, the agent analysing, filing; then how it ended. */
  stage: 'reading-logs' | 'analysing' | 'filing' | 'filed' | 'commented' | 'failed';
  /** The root cause's fingerprint, once the logs were read. */
  fingerprint: string | null;
  /** The issue filed for the cause, or the one the occurrence was added to. */
  trackerIssue: FiledIssueSnapshot | null;
  /** Why the triage did not end in an issue. */
  failed: string | null;
  /** Spend of the read-only agent run; null when no agent ran (a known cause). */
  costUsd: number | null;
  usage: TokenUsage | null;
}

/** Scheduled CI triage (`triage:` in WORKFLOW.md). */
export interface TriageSnapshot {
  /** The workflows watched; empty when triage is off. */
  workflows: string[];
  /** Distinct runs of the watched workflows seen since start, and how many of them failed. */
  runsSeen: number;
  failedRunsSeen: number;
  lastLookAt: Date | null;
  /** Triage waits: the budget denied the agent run. */
  budgetDenied: string | null;
  inProgress: TriageRunSnapshot[];
  /** The latest finished triages, newest first. */
  finished: TriageRunSnapshot[];
}

/** A test (or check) seen failing and then passing on the same commit. */
export interface FlakyTestSnapshot {
  fingerprint: string;
  checkName: string;
  testName: string | null;
  occurrences: number;
  lastSeenAt: Date | null;
  trackerIssue: FiledIssueSnapshot | null;
}

/** What Loompa knows of CI beyond one decision: classified failures, triage, flaky tests. */
export interface ContinuousIntegrationSnapshot {
  /** Failed checks of every awaited or reacting item, with classification and state. */
  checks: Array<{
    issueId: string;
    identifier: string;
    headSha: string | null;
    checks: CheckFailureReportEntry[];
  }>;
  triage: TriageSnapshot;
  /** Most occurrences first. */
  flakyTests: FlakyTestSnapshot[];
}

/** An eligible issue that waits for a slot, the budget, or a paused dispatch. */
export interface QueuedItemSnapshot {
  issueId: string;
  identifier: string;
  title: string;
  state: string;
  since: Date;
}

/** Whether a person paused dispatch (see `Orchestrator.pause`). */
export interface PauseSnapshot {
  paused: boolean;
  /** The change-request loop is paused too, and running agents were stopped. */
  all: boolean;
  since: Date | null;
  reason: string | null;
}

/** A point-in-time view of everything the orchestrator is doing. */
export interface OrchestratorSnapshot {
  at: Date;
  /** Eligible issues as of the last tick that are not running yet. */
  queued: QueuedItemSnapshot[];
  running: RunningItemSnapshot[];
  retrying: RetryingItemSnapshot[];
  awaiting: AwaitingItemSnapshot[];
  blocked: BlockedItemSnapshot[];
  /** Change requests Loompa babysits; their items also appear in running, awaiting or blocked. */
  babysitting: BabysitItemSnapshot[];
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
  pause: PauseSnapshot;
  continuousIntegration: ContinuousIntegrationSnapshot;
  nextPollAt: Date | null;
  dryRun: boolean;
  draining: boolean;
  /** Whether this instance decides: `sole` (the store has no lease), `leader` or `standby`. */
  leadership: LeadershipSnapshot;
}

/** A change request Loompa babysits (it did not open it), and where its item is. */
export interface BabysitItemSnapshot {
  issueId: string;
  identifier: string;
  changeRequestNumber: number | null;
  changeRequestUrl: string | null;
  branch: string;
  author: string | null;
  headSha: string | null;
  /** False for a fork whose owner did not allow edits: Loompa comments instead of pushing. */
  pushable: boolean;
  /** Named in `scm.babysit`, labelled `scm.babysit_label`, or asked for at runtime. */
  reason: 'workflow' | 'label' | 'request';
  phase: 'awaiting' | 'reacting' | 'blocked' | 'listed';
}
