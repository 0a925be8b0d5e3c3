import type { TokenUsage } from '../../specifications/common.js';
import type { WorkflowRun } from '../../specifications/workflow-run.js';
import type { OrchestratorStore } from '../../store/orchestrator-store.js';
import type { FiledIssueSnapshot, TriageRunSnapshot, TriageSnapshot } from '../orchestrator-snapshot.js';

/** What is kept under `triage/run/<id>` once a run was triaged (it is never triaged again). */
export interface TriagedRunRecord {
  fingerprint: string;
  at: string;
  /** Absent in records written before the snapshot showed triage runs. */
  workflow?: string;
  headSha?: string;
  runUrl?: string | null;
  startedAt?: string;
  trackerIssue?: FiledIssueSnapshot | null;
  outcome?: 'filed' | 'commented';
  costUsd?: number | null;
  usage?: TokenUsage | null;
}

/** Finished triages the snapshot lists. */
const finishedShown = 20;
/** Run ids remembered for the "runs seen" count. */
const seenRemembered = 10_000;

export const triagedRunKey = (run: Pick<WorkflowRun, 'id'>) => `triage/run/${run.id}`;

/**
 * The triage runs in progress and the latest finished ones, for the snapshot (which cannot
 * await the store): finished ones are read back from the store at start.
 */
export class TriageRunLog {
  private readonly seen = new Set<string>();
  private readonly failedSeen = new Set<string>();
  private readonly inProgress = new Map<string, TriageRunSnapshot>();
  private finished: TriageRunSnapshot[] = [];
  private lastLookAt: Date | null = null;
  private budgetDenied: string | null = null;

  /** The finished triages kept in the store, newest first. */
  async restore(store: OrchestratorStore): Promise<void> {
    const records = await store.list<TriagedRunRecord>('triage/run/');
    this.finished = records
      .map(({ key, value }) => finishedFromRecord(key.slice('triage/run/'.length), value))
      .sort((left, right) => (right.finishedAt?.getTime() ?? 0) - (left.finishedAt?.getTime() ?? 0))
      .slice(0, finishedShown);
  }

  looked(runs: readonly WorkflowRun[], at: Date): void {
    this.lastLookAt = at;
    for (const run of runs) {
      if (this.seen.size < seenRemembered) this.seen.add(run.id);
      if (run.state === 'failure' && this.failedSeen.size < seenRemembered) this.failedSeen.add(run.id);
    }
  }

  started(run: WorkflowRun): TriageRunSnapshot {
    const entry: TriageRunSnapshot = {
      runId: run.id,
      workflow: run.workflow,
      headSha: run.headSha,
      runUrl: run.url,
      startedAt: new Date(),
      finishedAt: null,
      stage: 'reading-logs',
      fingerprint: null,
      trackerIssue: null,
      failed: null,
      costUsd: null,
      usage: null,
    };
    this.inProgress.set(run.id, entry);
    return entry;
  }

  /** The run's triage ended (filed, commented or failed): it moves to the finished list. */
  finish(
    entry: TriageRunSnapshot,
    outcome: Pick<TriageRunSnapshot, 'stage' | 'trackerIssue' | 'failed'>,
  ): void {
    this.inProgress.delete(entry.runId);
    Object.assign(entry, outcome, { finishedAt: new Date() });
    this.finished = [entry, ...this.finished.filter((other) => other.runId !== entry.runId)].slice(
      0,
      finishedShown,
    );
  }

  /** Dropped without an outcome (stopped, or waiting for the budget): tried again later. */
  drop(entry: TriageRunSnapshot): void {
    this.inProgress.delete(entry.runId);
  }

  denyBudget(reason: string | null): void {
    this.budgetDenied = reason;
  }

  snapshot(workflows: readonly string[]): TriageSnapshot {
    const copy = (entry: TriageRunSnapshot): TriageRunSnapshot => ({
      ...entry,
      trackerIssue: entry.trackerIssue && { ...entry.trackerIssue },
      usage: entry.usage && { ...entry.usage },
    });
    return {
      workflows: [...workflows],
      runsSeen: this.seen.size,
      failedRunsSeen: this.failedSeen.size,
      lastLookAt: this.lastLookAt,
      budgetDenied: this.budgetDenied,
      inProgress: [...this.inProgress.values()].map(copy),
      finished: this.finished.map(copy),
    };
  }
}

function finishedFromRecord(runId: string, record: TriagedRunRecord): TriageRunSnapshot {
  return {
    runId,
    workflow: record.workflow ?? '',
    headSha: record.headSha ?? '',
    runUrl: record.runUrl ?? null,
    startedAt: new Date(record.startedAt ?? record.at),
    finishedAt: new Date(record.at),
    stage: record.outcome ?? 'filed',
    fingerprint: record.fingerprint,
    trackerIssue: record.trackerIssue ?? null,
    failed: null,
    costUsd: record.costUsd ?? null,
    usage: record.usage ?? null,
  };
}
