import { decideChangeRequestAction } from '../../change-requests/decide-change-request-action.js';
import type { ReactionDecision, ReactionOutcome } from '../../change-requests/run-reaction.js';
import { describeError } from '../../errors/loompa-error.js';
import type { OrchestratorEvents, ReactionKind } from '../../events/orchestrator-events.js';
import type { Logger } from '../../logging/logger.js';
import type { ChangeRequest, ChangeRequestStatus } from '../../specifications/change-request.js';
import type { Issue } from '../../specifications/issue.js';
import type { ScmProviderV1 } from '../../specifications/scm-provider.js';
import type { TrackerV1 } from '../../specifications/tracker.js';
import type { Workflow } from '../../workflow/load-workflow.js';
import { babysitIssueFor, isBabysitItemId, refreshAwaitedIssues } from '../babysitting/babysit-item.js';
import { triageCheckFailures } from '../ci-failures/check-failure-triage.js';
import type { CheckReports } from '../ci-failures/check-reports.js';
import type { FlakyTestIssues } from '../ci-failures/flaky-test-issues.js';
import type { AwaitingItemSnapshot } from '../orchestrator-snapshot.js';
import { linkChangeRequest, moveToDoneState } from '../tracker-updates.js';
import { placeholderIssue, type WorkItemRecord } from '../work-item-record.js';
import type { WorkItemStore } from '../work-item-store.js';
import type { AwaitingItem } from '../work-items.js';
import { mergePolicyFor } from './merge-policy.js';
import { upsertStatusComment } from './status-comment.js';

export interface SupervisorContext {
  workflow(): Workflow;
  tracker(): TrackerV1;
  scm(): ScmProviderV1 | null;
  store: WorkItemStore;
  events: OrchestratorEvents;
  logger: Logger;
  dryRun: boolean;
  removeWorkspace(issue: Issue): Promise<void>;
  flakyTests: FlakyTestIssues;
  /** The failed checks of each item with their classification and state, for the snapshot. */
  checkReports: CheckReports;
}

/** An awaited change request the supervisor hands back to the driver: react, block or release. */
export type SupervisorStep =
  | {
      next: 'react';
      issue: Issue;
      changeRequest: ChangeRequest;
      since: Date;
      status: ChangeRequestStatus;
      record: WorkItemRecord;
      decision: ReactionDecision;
    }
  | { next: 'block'; issue: Issue; record: WorkItemRecord; reason: string }
  /** The watch ended without a merge; the workspace is kept for a person to look at. */
  | { next: 'release'; issue: Pick<Issue, 'id' | 'identifier'>; reason: string };

/** The reaction a decision calls for. */
export function reactionKindOf(decision: ReactionDecision): ReactionKind {
  if (decision.action === 'react-to-ci') return 'ci-failure';
  if (decision.action === 'react-to-review') return 'review';
  return 'conflict';
}

/**
 * Watches every open change request Loompa published or adopted: links it on the issue,
 * reads its status, decides with `decideChangeRequestAction`, and carries out what ends or
 * pauses the watch here (wait, merge, done). What needs an agent or a person, or leaves
 * Loompa's hands (react, block, release), is handed to the driver as a step; the driver
 * hands a reacted item back.
 */
export class ChangeRequestSupervisor {
  private readonly awaiting = new Map<string, AwaitingItem>();

  constructor(private readonly context: SupervisorContext) {}

  get size(): number {
    return this.awaiting.size;
  }

  ids(): IterableIterator<string> {
    return this.awaiting.keys();
  }

  /** The awaited change request of an issue, for a person's control action. */
  get(issueId: string): Readonly<AwaitingItem> | undefined {
    return this.awaiting.get(issueId);
  }

  /** Watches a change request opened before a restart; its issue is refreshed on the next review. */
  watchRestored(record: WorkItemRecord & { changeRequest: ChangeRequest }): void {
    this.awaiting.set(record.issueId, {
      issue: isBabysitItemId(record.issueId)
        ? babysitIssueFor(record.changeRequest)
        : placeholderIssue(record),
      changeRequest: record.changeRequest,
      since: new Date(),
      waitingFor: null,
    });
  }

  /** The issue now has an open change request: link it, move the issue to review, and watch it. */
  async enter(issue: Issue, changeRequest: ChangeRequest, opened: boolean): Promise<void> {
    this.awaiting.set(issue.id, { issue, changeRequest, since: new Date(), waitingFor: null });
    const base = { issueId: issue.id, issueIdentifier: issue.identifier, changeRequest };
    if (opened) this.context.events.publish('change-request-opened', base);
    else this.context.events.publish('change-request-updated', { ...base, headSha: null });
    await this.link(issue, changeRequest, await this.context.store.read(issue));
    await this.updateStatusComment(issue, changeRequest, 'Published; waiting for checks and review.');
  }

  /** The watched entry of an item, if watched (babysitting refreshes its facts in place). */
  watched(issueId: string): AwaitingItem | undefined {
    return this.awaiting.get(issueId);
  }

  /** Stops watching an item (its caller decides what becomes of it). */
  forget(issueId: string): void {
    this.awaiting.delete(issueId);
  }

  /** Says what an awaited change request waits for (shown in the snapshot). */
  markWaiting(issueId: string, reason: string): void {
    const entry = this.awaiting.get(issueId);
    if (entry) entry.waitingFor = reason;
  }

  /**
   * Reads every awaited change request and decides; yields the ones the driver must act on,
   * one at a time, so a reaction started for one counts against the slots of the next.
   */
  async *review(): AsyncGenerator<SupervisorStep> {
    const scm = this.context.scm();
    if (!scm || this.awaiting.size === 0) return;
    // The items reviewed are the ones the tracker is asked about now. One that enters while it
    // answers (an attempt published meanwhile) waits for the next review: looked up here, it
    // would seem gone from the tracker and be released while its change request is open.
    const reviewed = [...this.awaiting.entries()];
    let refreshed: Map<string, Issue>;
    try {
      refreshed = await refreshAwaitedIssues(this.context.tracker(), new Map(reviewed));
    } catch (error) {
      this.context.logger.warn('refreshing awaited issues failed; change requests are checked next tick', {
        message: describeError(error),
      });
      return;
    }
    const workflow = this.context.workflow();
    for (const [issueId, entry] of reviewed) {
      // It left the watch (a reaction began, leadership stepped down) while an earlier one was reviewed.
      if (this.awaiting.get(issueId) !== entry) continue;
      const issue = refreshed.get(issueId) ?? null;
      if (issue === null) {
        this.awaiting.delete(issueId);
        yield {
          next: 'release',
          issue: { id: issueId, identifier: entry.issue.identifier },
          reason: 'the issue is no longer in the tracker',
        };
        continue;
      }
      entry.issue = issue;
      let record = await this.context.store.read(issue);
      if (!record.trackerLinked) {
        await this.link(issue, entry.changeRequest, record);
        record = await this.context.store.read(issue);
      }
      let status: ChangeRequestStatus;
      try {
        status = await scm.getStatus({ changeRequest: entry.changeRequest });
      } catch (error) {
        // Fail closed: an unreadable status never merges and never reacts.
        this.context.logger.warn('reading a change request failed', {
          issue: issue.identifier,
          message: describeError(error),
        });
        continue;
      }
      entry.status = {
        checks: status.continuousIntegration.state,
        review: status.review.state,
        mergeability: status.mergeability,
        headSha: status.headSha,
      };
      const triage = await triageCheckFailures(
        { ...this.context, scm },
        issue,
        entry.changeRequest,
        status,
        record,
      );
      record = triage.record;
      this.context.checkReports.update(issue, status, record.checkHistory);
      if (triage.next === 'wait') {
        entry.waitingFor = triage.reason;
        continue;
      }
      const decided = decideChangeRequestAction(status, record, {
        ci: workflow.config.reactions.ci,
        review: workflow.config.reactions.review,
        conflict: workflow.config.reactions.conflict,
        autoMerge: workflow.config.scm.auto_merge,
        botName: workflow.config.scm.author_name,
        merge: mergePolicyFor(workflow, scm),
      });
      const decision =
        decided.action === 'react-to-ci' ? { ...decided, classifications: triage.classifications } : decided;
      switch (decision.action) {
        case 'wait':
          entry.waitingFor = decision.reason;
          break;
        case 'done':
          await this.finishMerged(entry, record, decision.reason);
          break;
        case 'release':
          this.awaiting.delete(issue.id);
          await this.context.store.closeChangeRequest(record, false);
          yield { next: 'release', issue, reason: decision.reason };
          break;
        case 'block':
          this.awaiting.delete(issue.id);
          await this.updateStatusComment(
            issue,
            entry.changeRequest,
            `Blocked: ${decision.reason}. A person needs to take over.`,
          );
          yield { next: 'block', issue, record, reason: decision.reason };
          break;
        case 'merge':
          await this.merge(entry, scm, decision.headSha);
          break;
        default:
          yield {
            next: 'react',
            issue,
            changeRequest: entry.changeRequest,
            since: entry.since,
            status,
            record,
            decision,
          };
      }
    }
  }

  /**
   * The driver starts a reaction: the round is counted before it runs (so a crash mid-reaction
   * cannot loop forever) and the item leaves the watch until the reaction hands it back.
   */
  async beginReaction(
    step: Extract<SupervisorStep, { next: 'react' }>,
  ): Promise<{ reaction: ReactionKind; round: number; record: WorkItemRecord }> {
    const reaction = reactionKindOf(step.decision);
    const counted = await this.context.store.countReactionRound(step.record, reaction, step.status.headSha);
    this.awaiting.delete(step.issue.id);
    if (reaction === 'ci-failure') this.context.checkReports.markSentToAgent(step.issue.id);
    const round =
      reaction === 'ci-failure'
        ? counted.ciAttempts
        : reaction === 'review'
          ? counted.reviewAttempts
          : counted.conflictAttempts;
    return { reaction, round, record: counted };
  }

  /** A reaction is under way: announced as an event and on the status comment. */
  async announceReaction(
    step: Extract<SupervisorStep, { next: 'react' }>,
    reaction: ReactionKind,
    round: number,
  ): Promise<void> {
    const { issue } = step;
    this.context.events.publish('reaction-started', {
      issueId: issue.id,
      issueIdentifier: issue.identifier,
      reaction,
      attempt: round,
      headSha: step.status.headSha,
    });
    await this.updateStatusComment(issue, step.changeRequest, `Reacting: ${reaction} (round ${round}).`);
  }

  /** A reaction ended without being stopped: the change request is watched again. */
  async resumeAfterReaction(
    issue: Issue,
    changeRequest: ChangeRequest,
    since: Date,
    outcome: ReactionOutcome,
  ): Promise<void> {
    this.awaiting.set(issue.id, {
      issue,
      changeRequest,
      since,
      waitingFor: outcome.ok ? 'checks on the new head' : outcome.reason,
    });
    if (!outcome.ok) return;
    this.context.events.publish('change-request-updated', {
      issueId: issue.id,
      issueIdentifier: issue.identifier,
      changeRequest,
      headSha: outcome.head,
    });
    await this.updateStatusComment(
      issue,
      changeRequest,
      `Pushed ${outcome.head.slice(0, 12)}; waiting for checks.`,
    );
  }

  snapshot(): AwaitingItemSnapshot[] {
    return [...this.awaiting.entries()].map(([issueId, entry]) => ({
      issueId,
      identifier: entry.issue.identifier,
      title: entry.issue.title,
      changeRequestUrl: entry.changeRequest.url,
      branch: entry.changeRequest.branch,
      since: entry.since,
      waitingFor: entry.waitingFor,
      status: entry.status ?? null,
      checkClassifications: (this.context.checkReports.of(issueId)?.checks ?? []).map(
        ({ checkName, classification, reason }) => ({ checkName, classification, reason }),
      ),
      checks: this.context.checkReports.of(issueId)?.checks.map((check) => ({ ...check })) ?? [],
    }));
  }

  private async finishMerged(entry: AwaitingItem, record: WorkItemRecord, reason: string): Promise<void> {
    const { issue, changeRequest } = entry;
    this.awaiting.delete(issue.id);
    await this.context.store.closeChangeRequest(record, true);
    if (!this.context.dryRun && !isBabysitItemId(issue.id)) {
      await moveToDoneState(
        { tracker: this.context.tracker(), workflow: this.context.workflow(), logger: this.context.logger },
        issue,
      );
    }
    await this.context.removeWorkspace(issue);
    this.context.events.publish('change-request-merged', {
      issueId: issue.id,
      issueIdentifier: issue.identifier,
      changeRequest: { ...changeRequest, state: 'merged' },
    });
    this.context.events.publish('issue-done', {
      issueId: issue.id,
      issueIdentifier: issue.identifier,
      issueTitle: issue.title,
      reason,
    });
  }

  /** Merges only at the head the decision saw; a refusal is retried on the next review. */
  private async merge(entry: AwaitingItem, scm: ScmProviderV1, headSha: string): Promise<void> {
    if (!scm.merge || this.context.dryRun) {
      entry.waitingFor = 'ready to merge; the provider cannot merge';
      return;
    }
    try {
      await scm.merge({
        changeRequest: entry.changeRequest,
        method: this.context.workflow().config.scm.merge_method,
        expectedHeadSha: headSha,
      });
      this.context.logger.info('merged', { issue: entry.issue.identifier, head: headSha });
    } catch (error) {
      entry.waitingFor = `merge refused: ${describeError(error)}`;
      this.context.logger.warn('merging failed; trying again next tick', {
        issue: entry.issue.identifier,
        message: entry.waitingFor,
      });
    }
  }

  /**
   * Links the change request on the issue once per change request. The record remembers it,
   * so a crash between opening and linking is mended on the next review instead of being
   * lost (or repeated).
   */
  private async link(issue: Issue, changeRequest: ChangeRequest, record: WorkItemRecord): Promise<void> {
    if (record.trackerLinked || this.context.dryRun || isBabysitItemId(issue.id)) return;
    const tracker = this.context.tracker();
    try {
      await linkChangeRequest(
        { tracker, workflow: this.context.workflow(), logger: this.context.logger },
        issue,
        changeRequest,
      );
      await this.context.store.markTrackerLinked(issue);
    } catch (error) {
      this.context.logger.warn('updating the tracker after publishing failed; trying again next tick', {
        issue: issue.identifier,
        message: describeError(error),
      });
    }
  }

  private async updateStatusComment(
    issue: Issue,
    changeRequest: ChangeRequest,
    status: string,
  ): Promise<void> {
    const scm = this.context.scm();
    if (!scm?.upsertComment || this.context.dryRun) return;
    const record = await this.context.store.read(issue);
    await upsertStatusComment({ scm, logger: this.context.logger }, issue, changeRequest, record, status);
  }
}
