import { randomUUID } from 'node:crypto';
import type { ReactionOutcome } from '../change-requests/run-reaction.js';
import type { ReactionKind } from '../events/orchestrator-events.js';
import type { ChangeRequest } from '../specifications/change-request.js';
import type { Issue } from '../specifications/issue.js';
import type { OrchestratorStore } from '../store/orchestrator-store.js';
import { type AttemptOutcome, attemptCounts, summaryAfterContextOverflow } from './decisions.js';
import {
  fingerprintOf,
  freshChangeRequestHistory,
  type RunInFlight,
  recordKeyPrefix,
  storeKeyFor,
  type WorkItemRecord,
} from './work-item-record.js';

/** A blocked issue as the scheduler and the snapshot see it. */
export interface BlockedEntry {
  identifier: string;
  /** The issue's title when it was blocked (its identifier for issues restored after a restart). */
  title: string;
  reason: string;
  since: Date;
  fingerprint: string;
}

type IssueKey = Pick<Issue, 'id' | 'identifier'>;

/**
 * Every change to a work item's durable record, in one place: phases ask for a transition
 * by name instead of editing records themselves, so what survives a restart is decided here.
 * Blocked issues are also kept in memory, because every tick asks about them.
 */
export class WorkItemStore {
  private backend: OrchestratorStore | null = null;
  private readonly blocked = new Map<string, BlockedEntry>();

  /** Connects the store the records live in; the orchestrator picks it at initialization. */
  open(backend: OrchestratorStore): void {
    this.backend = backend;
  }

  /**
   * Reads every record once at start: blocked issues are remembered here, and the records
   * with an open change request are returned so the supervisor can watch them again.
   */
  async restore(): Promise<WorkItemRecord[]> {
    const withChangeRequest: WorkItemRecord[] = [];
    // Restored again when this instance leads again: the store is the truth, not what it last saw.
    this.blocked.clear();
    for (const { value } of await this.requireBackend().list<WorkItemRecord>(recordKeyPrefix)) {
      if (value.blocked) {
        this.blocked.set(value.issueId, {
          identifier: value.identifier,
          title: value.identifier,
          reason: value.blocked.reason,
          since: new Date(value.blocked.since),
          fingerprint: value.blocked.fingerprint,
        });
      } else if (value.changeRequest) {
        withChangeRequest.push(value);
      }
    }
    return withChangeRequest;
  }

  /** The store itself, for records that belong to no one item (flaky tests, triage runs). */
  keyValueStore(): OrchestratorStore {
    return this.requireBackend();
  }

  async read(issue: IssueKey): Promise<WorkItemRecord> {
    const stored = await this.requireBackend().get<WorkItemRecord>(storeKeyFor(issue.id));
    return {
      issueId: issue.id,
      identifier: issue.identifier,
      failures: 0,
      sessionId: null,
      blocked: null,
      ...freshChangeRequestHistory,
      ...stored,
    };
  }

  async write(record: WorkItemRecord): Promise<void> {
    await this.requireBackend().set(storeKeyFor(record.issueId), record);
  }

  // ---------------------------------------------------------------- blocked

  isBlocked(issueId: string): boolean {
    return this.blocked.has(issueId);
  }

  blockedIds(): IterableIterator<string> {
    return this.blocked.keys();
  }

  blockedEntries(): IterableIterator<[string, BlockedEntry]> {
    return this.blocked.entries();
  }

  /** Needs a person: remembered with the issue's fingerprint, so a change by a person unblocks it. */
  async block(record: WorkItemRecord, issue: Issue, reason: string, since: Date): Promise<void> {
    const fingerprint = fingerprintOf(issue);
    this.blocked.set(issue.id, {
      identifier: issue.identifier,
      title: issue.title,
      reason,
      since,
      fingerprint,
    });
    await this.write({ ...record, blocked: { reason, fingerprint, since: since.toISOString() } });
  }

  /**
   * Blocked issues that a person changed (label removed, description edited, …) may run
   * again: they are unblocked and returned. Candidates that were never blocked cost no I/O,
   * which matters because every tick passes all of them.
   */
  async unblockChanged(candidates: readonly Issue[]): Promise<Issue[]> {
    const unblocked: Issue[] = [];
    if (this.blocked.size === 0) return unblocked;
    for (const issue of candidates) {
      const blocked = this.blocked.get(issue.id);
      if (!blocked || fingerprintOf(issue) === blocked.fingerprint) continue;
      this.blocked.delete(issue.id);
      const record = await this.read(issue);
      await this.write({ ...record, blocked: null, failures: 0 });
      unblocked.push(issue);
    }
    return unblocked;
  }

  /**
   * A person puts a blocked issue back in the queue: its failures and reaction rounds start
   * again. Returns what it was blocked for, or null when it was not blocked.
   */
  async unblock(issueId: string): Promise<BlockedEntry | null> {
    const entry = this.blocked.get(issueId);
    if (!entry) return null;
    this.blocked.delete(issueId);
    const record = await this.read({ id: issueId, identifier: entry.identifier });
    await this.write({
      ...record,
      blocked: null,
      failures: 0,
      ciAttempts: 0,
      reviewAttempts: 0,
      conflictAttempts: 0,
      failedConflictHeads: [],
    });
    return entry;
  }

  // ---------------------------------------------------------------- attempts and publishing

  /**
   * An attempt is about to go to the runner: its run is written first. The write is fenced
   * with a shared store, so an instance that no longer leads is refused here, by the store,
   * before any runner hears of the attempt. A run an earlier leader left in flight is handed
   * on as it is (its id and attempt number), for the runner to adopt.
   */
  async beginAttempt(issue: IssueKey, attempt: number | null): Promise<RunInFlight> {
    const record = await this.read(issue);
    const run = record.runInFlight ?? { id: `${attempt ?? 0}-${randomUUID()}`, attempt };
    await this.write({ ...record, runInFlight: run });
    return run;
  }

  /**
   * An attempt ended: its session, the failure count, and the change request it published.
   * A run handed over to the next leader stays in flight, for that leader to adopt, unless
   * its work was published already.
   */
  async recordAttemptEnd(
    issue: IssueKey,
    sessionId: string | null,
    outcome: AttemptOutcome,
    published: { changeRequest: ChangeRequest; head: string } | null,
    handedOver = false,
  ): Promise<WorkItemRecord> {
    const record = await this.read(issue);
    if (!handedOver || published) record.runInFlight = null;
    record.sessionId = sessionId ?? record.sessionId;
    if (attemptCounts(outcome)) record.failures++;
    if (outcome.kind === 'completed') {
      record.failures = 0;
      record.previousSessionSummary = null;
    }
    const summary = summaryAfterContextOverflow(outcome);
    if (summary !== null) {
      // The session cannot take another word: the next attempt starts a fresh one.
      record.sessionId = null;
      record.previousSessionSummary = summary;
    }
    if (published) {
      Object.assign(record, freshChangeRequestHistory, {
        changeRequest: published.changeRequest,
        lastPushedHead: published.head,
        lastPushedAt: Date.now(),
      });
    }
    await this.write(record);
    return record;
  }

  /**
   * Written before publishing starts: the agent's result is safe in the worktree, so a crash
   * while publishing publishes it after the restart instead of running the agent again.
   */
  async markPublishPending(issue: IssueKey, sessionId: string | null): Promise<WorkItemRecord> {
    const record = await this.read(issue);
    await this.write({ ...record, sessionId: sessionId ?? record.sessionId, publishPending: true });
    return record;
  }

  async clearPublishPending(issue: IssueKey): Promise<void> {
    await this.write({ ...(await this.read(issue)), publishPending: false });
  }

  /** An open change request found for the branch becomes the item's, keeping handled comments. */
  async adoptChangeRequest(record: WorkItemRecord, changeRequest: ChangeRequest): Promise<void> {
    // The pushed head is only known when the record already named this very change request.
    const adoptedHead = record.changeRequest?.id === changeRequest.id ? record.lastPushedHead : null;
    await this.write({
      ...record,
      ...freshChangeRequestHistory,
      // The change request holds the work: no run of the issue is waited for any more.
      runInFlight: null,
      changeRequest,
      lastPushedHead: adoptedHead,
      handledCommentIds: record.handledCommentIds,
      pendingThreadReplies: record.changeRequest?.id === changeRequest.id ? record.pendingThreadReplies : [],
    });
  }

  /**
   * A change request Loompa did not open is babysat: its current head counts as the last one
   * pushed, so publishing builds on it and leases against it, and there is no tracker to link.
   */
  async adoptBabysatChangeRequest(record: WorkItemRecord, changeRequest: ChangeRequest): Promise<void> {
    await this.write({
      ...record,
      ...freshChangeRequestHistory,
      blocked: null,
      changeRequest,
      lastPushedHead: changeRequest.headSha ?? null,
      trackerLinked: true,
      // The item is the change request's own, so comments it answered stay answered.
      handledCommentIds: record.handledCommentIds,
    });
  }

  // ---------------------------------------------------------------- change requests

  async markTrackerLinked(issue: IssueKey): Promise<void> {
    await this.write({ ...(await this.read(issue)), trackerLinked: true });
  }

  /** The change request was merged or closed: its history goes, and a merge clears failures too. */
  async closeChangeRequest(record: WorkItemRecord, merged: boolean): Promise<void> {
    await this.write({ ...record, ...freshChangeRequestHistory, ...(merged ? { failures: 0 } : {}) });
  }

  /**
   * Counts a reaction round before it runs, so a crash mid-reaction cannot loop forever.
   * CI rounds count per head: a head Loompa did not push starts the count again.
   */
  async countReactionRound(
    record: WorkItemRecord,
    reaction: ReactionKind,
    headSha: string | null,
  ): Promise<WorkItemRecord> {
    const counted: WorkItemRecord = {
      ...record,
      ciAttempts:
        reaction === 'ci-failure'
          ? (headSha === record.lastPushedHead ? record.ciAttempts : 0) + 1
          : record.ciAttempts,
      reviewAttempts: record.reviewAttempts + (reaction === 'review' ? 1 : 0),
      conflictAttempts: record.conflictAttempts + (reaction === 'conflict' ? 1 : 0),
    };
    await this.write(counted);
    return counted;
  }

  /** A reaction ended: the pushed head and handled comments, or the conflict head that failed. */
  async recordReactionEnd(
    issue: IssueKey,
    sessionId: string | null,
    outcome: ReactionOutcome,
  ): Promise<WorkItemRecord> {
    const record = await this.read(issue);
    record.sessionId = sessionId ?? record.sessionId;
    if (outcome.ok) {
      record.lastPushedHead = outcome.head;
      record.lastPushedAt = Date.now();
      // Counted before it ran; a rebase the agent was not needed for gives the round back,
      // or a base that keeps moving would block a change that never conflicted.
      if (outcome.rebasedWithoutAgent) record.conflictAttempts = Math.max(0, record.conflictAttempts - 1);
      record.handledCommentIds = [...record.handledCommentIds, ...(outcome.handledCommentIds ?? [])];
      // Written with the handled comments: a crash after this sends them, never re-reacts.
      record.pendingThreadReplies = [...record.pendingThreadReplies, ...(outcome.threadReplies ?? [])];
    } else if (outcome.failedConflictHead) {
      record.failedConflictHeads = [...record.failedConflictHeads, outcome.failedConflictHead];
    }
    await this.write(record);
    return record;
  }

  /**
   * What became of owed thread replies (by marker): `replied` the forge now holds, `settled`
   * are done (resolved, or their thread is gone). Read afresh, so other changes to the record stay.
   */
  async updatePendingThreadReplies(
    issue: IssueKey,
    change: { replied: readonly string[]; settled: readonly string[] },
  ): Promise<WorkItemRecord> {
    const record = await this.read(issue);
    record.pendingThreadReplies = record.pendingThreadReplies
      .filter((reply) => !change.settled.includes(reply.marker))
      .map((reply) => (change.replied.includes(reply.marker) ? { ...reply, replied: true } : reply));
    await this.write(record);
    return record;
  }

  private requireBackend(): OrchestratorStore {
    if (!this.backend)
      throw new Error('The work item store is not open yet; the orchestrator opens it at start');
    return this.backend;
  }
}
