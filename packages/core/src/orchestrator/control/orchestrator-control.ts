import { ControlError } from '../../errors/error-classes.js';
import { describeError } from '../../errors/loompa-error.js';
import type { Issue } from '../../specifications/issue.js';
import type { DriverContext } from '../driver/driver-context.js';
import { placeholderIssue } from '../work-item-record.js';

export interface PauseOptions {
  /** Also pause the change-request loop (no reactions, no merges) and stop running agents. */
  all?: boolean;
  /** Why, shown in the snapshot and the event (e.g. who paused from the dashboard). */
  reason?: string;
}

export interface ApproveOptions {
  /** The person approving, as the review records them. */
  reviewer: string;
}

export interface ControlEnvironment {
  context: DriverContext;
  /** Resolves once the orchestrator has opened its store (controls may come before a tick). */
  ready(): Promise<void>;
  /** Asks for a tick soon, so a control's effect shows without waiting for the poll. */
  requestTick(): void;
}

const cancelledReason = 'cancelled by a person; the workspace is kept';

/**
 * What a person can do to a running orchestrator: pause and resume dispatch, put a blocked
 * issue back in the queue, cancel an issue's run, approve its change request. Each action is
 * an event and shows in the snapshot; the pause is kept in the store across restarts.
 */
export class OrchestratorControl {
  constructor(private readonly environment: ControlEnvironment) {}

  private get context(): DriverContext {
    return this.environment.context;
  }

  /**
   * No new issue starts; running agents and the change-request loop go on. With `all`, the
   * change-request loop waits too and running agents are stopped (their workspaces kept;
   * they run again after `resume`).
   */
  async pause(options: PauseOptions = {}): Promise<void> {
    await this.environment.ready();
    const all = options.all ?? false;
    const reason = options.reason ?? null;
    await this.context.pause.pause(all, reason, new Date(this.context.now()));
    this.context.events.publish('orchestrator-paused', { all, reason });
    if (!all) return;
    for (const item of [...this.context.agentRuns.items()]) {
      this.context.agentRuns.requestStop(item, {
        kind: 'person',
        reason: 'a person paused the orchestrator',
        removeWorkspace: false,
      });
    }
  }

  /** Dispatch (and the change-request loop) go on; retries that fell due meanwhile run now. */
  async resume(): Promise<void> {
    await this.environment.ready();
    const wasAll = this.context.pause.allPaused;
    if (!this.context.pause.dispatchPaused) return;
    for (const issueId of await this.context.pause.resume()) {
      const retry = this.context.retries.get(issueId);
      if (!retry) continue;
      this.context.retries.schedule({
        issue: { id: retry.issueId, identifier: retry.identifier },
        attempt: retry.attempt,
        delayMs: 0,
        reason: retry.reason,
        continuation: retry.continuation,
      });
    }
    this.context.events.publish('orchestrator-resumed', { wasAll });
    this.environment.requestTick();
  }

  /**
   * A blocked issue goes back to the queue with its failures and reaction rounds reset; an
   * issue waiting to retry runs now. Anything else is a `ControlError`.
   */
  async retry(issueId: string): Promise<void> {
    await this.environment.ready();
    const { store, retries, queue, events } = this.context;
    const blocked = await store.unblock(issueId);
    if (blocked) {
      const issue = await this.refreshIssue(issueId, blocked.identifier);
      await this.removeNeedsHumanLabel(issue);
      queue.add(issue, new Date(this.context.now()));
      events.publish('issue-requeued', {
        issueId,
        issueIdentifier: blocked.identifier,
        previousReason: blocked.reason,
      });
      this.environment.requestTick();
      return;
    }
    const waiting = retries.get(issueId);
    if (waiting) {
      retries.schedule({
        issue: { id: issueId, identifier: waiting.identifier },
        attempt: waiting.attempt,
        delayMs: 0,
        reason: `retried now by a person (was: ${waiting.reason})`,
        continuation: waiting.continuation,
      });
      return;
    }
    throw new ControlError(
      `Issue ${issueId} is neither blocked nor waiting to retry; only those can be retried`,
      this.isKnown(issueId) ? 'conflict' : 'not_found',
      { details: { issueId } },
    );
  }

  /**
   * Stops the issue's run (or its pending retry) and keeps the workspace; the issue waits as
   * blocked until a person retries it or changes it in the tracker.
   */
  async cancel(issueId: string): Promise<void> {
    await this.environment.ready();
    const { agentRuns, retries, store, events } = this.context;
    const running = agentRuns.get(issueId);
    const waiting = running ? undefined : retries.cancel(issueId);
    if (!running && !waiting) {
      throw new ControlError(
        `Issue ${issueId} has no run to cancel (only running issues and issues waiting to retry do)`,
        this.isKnown(issueId) ? 'conflict' : 'not_found',
        { details: { issueId } },
      );
    }
    const issue = running?.issue ?? (await this.refreshIssue(issueId, waiting!.identifier));
    // Blocked first, so no tick dispatches the issue again between the stop and its end.
    await store.block(await store.read(issue), issue, cancelledReason, new Date(this.context.now()));
    if (running) {
      agentRuns.requestStop(running, { kind: 'person', reason: cancelledReason, removeWorkspace: false });
    }
    events.publish('issue-cancelled', {
      issueId,
      issueIdentifier: issue.identifier,
      reason: cancelledReason,
      workspaceKept: true,
    });
  }

  /** Approves the issue's awaited change request as a person, where the SCM provider can (scm-local). */
  async approve(issueId: string, options: ApproveOptions): Promise<void> {
    await this.environment.ready();
    const awaited = this.context.supervisor.get(issueId);
    if (!awaited) {
      throw new ControlError(
        `Issue ${issueId} has no change request waiting for review`,
        this.isKnown(issueId) ? 'conflict' : 'not_found',
        { details: { issueId } },
      );
    }
    const scm = this.context.scm();
    if (!scm?.approveChangeRequest) {
      throw new ControlError(
        `The SCM provider ${scm?.name ?? '(none)'} takes approvals on the forge, not through Loompa`,
        'not_supported',
      );
    }
    await scm.approveChangeRequest({ changeRequest: awaited.changeRequest, reviewer: options.reviewer });
    this.context.events.publish('change-request-approved', {
      issueId,
      issueIdentifier: awaited.issue.identifier,
      changeRequest: awaited.changeRequest,
      reviewer: options.reviewer,
    });
    this.environment.requestTick();
  }

  private isKnown(issueId: string): boolean {
    const { agentRuns, retries, supervisor, store, queue } = this.context;
    return (
      agentRuns.get(issueId) !== undefined ||
      retries.has(issueId) ||
      supervisor.get(issueId) !== undefined ||
      store.isBlocked(issueId) ||
      queue.snapshot().some((item) => item.issueId === issueId)
    );
  }

  /** The issue as the tracker has it now; the stored identity when the tracker cannot answer. */
  private async refreshIssue(issueId: string, identifier: string): Promise<Issue> {
    try {
      const [issue] = await this.context.tracker().getIssues({ ids: [issueId] });
      if (issue) return issue;
    } catch (error) {
      this.context.logger.warn('refreshing an issue for a control action failed', {
        issue: identifier,
        message: describeError(error),
      });
    }
    return placeholderIssue(await this.context.store.read({ id: issueId, identifier }));
  }

  /** The needs-human label said a person must act; a retry is that act. */
  private async removeNeedsHumanLabel(issue: Issue): Promise<void> {
    const tracker = this.context.tracker();
    if (!tracker.updateLabels || this.context.dryRun) return;
    const label = this.context.workflow().config.tracker.needs_human_label;
    try {
      await tracker.updateLabels({ issueId: issue.id, remove: [label] });
    } catch (error) {
      this.context.logger.warn('removing the needs-human label failed', {
        issue: issue.identifier,
        message: describeError(error),
      });
    }
  }
}
