import { describeError } from '../../errors/loompa-error.js';
import type { OrchestratorEvents } from '../../events/orchestrator-events.js';
import type { Logger } from '../../logging/logger.js';
import type { ChangeRequest } from '../../specifications/change-request.js';
import type { Issue } from '../../specifications/issue.js';
import type { ScmProviderV1 } from '../../specifications/scm-provider.js';
import type { OrchestratorStore } from '../../store/orchestrator-store.js';
import type { Workflow } from '../../workflow/load-workflow.js';
import type { ChangeRequestSupervisor } from '../change-request-supervisor/change-request-supervisor.js';
import type { BabysitItemSnapshot } from '../orchestrator-snapshot.js';
import type { WorkItemStore } from '../work-item-store.js';
import { babysitIssueFor, changeRequestKeyOf, isBabysitItemId } from './babysit-item.js';
import {
  assertChangeRequestNumber,
  forgetBabysitRequest,
  listBabysitRequests,
  requestBabysit,
} from './babysit-requests.js';

export interface BabysitIntakeContext {
  workflow(): Workflow;
  scm(): ScmProviderV1 | null;
  store: WorkItemStore;
  supervisor: ChangeRequestSupervisor;
  /** Resolves once the orchestrator has initialized (and opened the store). */
  ready(): Promise<void>;
  /** True while an agent run (a reaction) works the item. */
  isRunning(issueId: string): boolean;
  /** The item stopped being babysat while its change request is still open. */
  onStopped(issue: Pick<Issue, 'id' | 'identifier'>, reason: string): void;
  events: OrchestratorEvents;
  logger: Logger;
}

/** Why a change request is babysat: the workflow names it, it carries the label, or someone asked. */
type BabysitReason = 'workflow' | 'label' | 'request';

interface ListedChangeRequest {
  changeRequest: ChangeRequest;
  reason: BabysitReason;
}

/**
 * Brings change requests Loompa did not open under the loop its own ones live in: every
 * cycle it lists the candidates (`scm.babysit`, `scm.babysit_label`, and numbers asked for at
 * runtime, kept in the store), adopts each new one as a work item keyed by the change request
 * (`change-request:<number>`) straight into awaiting, refreshes the ones it watches, unblocks
 * blocked ones a person changed (pushed, allowed edits), and lets go of those no longer listed.
 * Merged and closed ones end in the supervisor, like every other item.
 */
export class BabysitIntake {
  private backend: OrchestratorStore | null = null;
  /** The candidates of the last successful listing, for the snapshot. */
  private listed = new Map<string, ListedChangeRequest>();
  private warnedUnsupported = false;

  constructor(private readonly context: BabysitIntakeContext) {}

  /** The store runtime requests live in; the orchestrator opens it at start. */
  open(backend: OrchestratorStore): void {
    this.backend = backend;
  }

  /** Babysits change request `number` from now on, across restarts (until it is merged or closed). */
  async request(number: number): Promise<void> {
    assertChangeRequestNumber(number);
    await this.context.ready();
    await requestBabysit(this.requireBackend(), number);
    this.context.logger.info('babysitting requested', { changeRequest: number });
  }

  /** One cycle: list, adopt, refresh, unblock, let go. A failure is logged; the next cycle tries again. */
  async sync(): Promise<void> {
    try {
      await this.syncNow();
    } catch (error) {
      this.context.logger.warn('babysitting change requests failed this cycle', {
        message: describeError(error),
      });
    }
  }

  private async syncNow(): Promise<void> {
    const scm = this.context.scm();
    if (!scm) return;
    const settings = this.context.workflow().config.scm;
    const requested = await listBabysitRequests(this.requireBackend());
    const numbers = [...new Set([...settings.babysit, ...requested])].sort((left, right) => left - right);
    const label = settings.babysit_label;
    const watched = [...this.context.supervisor.ids()].filter(isBabysitItemId);
    if (numbers.length === 0 && label === null && watched.length === 0 && this.listed.size === 0) return;
    if (!scm.listBabysitCandidates) {
      if (!this.warnedUnsupported) {
        this.warnedUnsupported = true;
        this.context.logger.warn(`the SCM provider ${scm.name} cannot list change requests to babysit`, {
          numbers,
          label,
        });
      }
      return;
    }
    let candidates: ChangeRequest[];
    try {
      candidates =
        numbers.length === 0 && label === null ? [] : await scm.listBabysitCandidates({ numbers, label });
    } catch (error) {
      const message = describeError(error);
      this.context.logger.warn('listing change requests to babysit failed; trying again next cycle', {
        message,
      });
      this.context.events.publish('tick-failed', { at: new Date(), stage: 'babysit', message });
      return;
    }
    const listed = new Map<string, ListedChangeRequest>();
    for (const changeRequest of candidates) {
      if (changeRequest.state !== 'open') continue;
      if (this.isLoompaBranch(changeRequest.branch)) {
        this.context.logger.debug('not babysitting a change request on a Loompa branch', {
          changeRequest: changeRequest.url ?? changeRequest.id,
        });
        continue;
      }
      const number = changeRequest.number;
      const reason: BabysitReason =
        number !== null && settings.babysit.includes(number)
          ? 'workflow'
          : number !== null && requested.includes(number)
            ? 'request'
            : 'label';
      const issue = babysitIssueFor(changeRequest);
      listed.set(issue.id, { changeRequest, reason });
      await this.take(issue, changeRequest, reason);
    }
    this.listed = listed;
    const listedNumbers = new Set(candidates.map((changeRequest) => changeRequest.number));
    for (const number of requested) {
      // Merged, closed or unknown: the request has served its purpose.
      if (!listedNumbers.has(number)) await forgetBabysitRequest(this.requireBackend(), number);
    }
    for (const issueId of watched) {
      if (!listed.has(issueId)) await this.letGoIfStillOpen(issueId);
    }
  }

  /** What babysitting covers now: every listed change request and where its item is. */
  snapshot(): BabysitItemSnapshot[] {
    const { supervisor, store } = this.context;
    const watched = new Set(supervisor.ids());
    return [...this.listed.entries()].map(([issueId, { changeRequest, reason }]) => ({
      issueId,
      identifier: babysitIssueFor(changeRequest).identifier,
      changeRequestNumber: changeRequest.number,
      changeRequestUrl: changeRequest.url,
      branch: changeRequest.branch,
      author: changeRequest.author ?? null,
      headSha: changeRequest.headSha ?? null,
      pushable: changeRequest.pushable !== false,
      reason,
      phase: this.context.isRunning(issueId)
        ? 'reacting'
        : store.isBlocked(issueId)
          ? 'blocked'
          : watched.has(issueId)
            ? 'awaiting'
            : 'listed',
    }));
  }

  private async take(issue: Issue, changeRequest: ChangeRequest, reason: BabysitReason): Promise<void> {
    const { supervisor, store } = this.context;
    // A reaction under way carries its own copy; the next cycle refreshes the watch.
    if (this.context.isRunning(issue.id)) return;
    const watched = supervisor.watched(issue.id);
    if (watched) {
      // The newest facts (head, fork, pushable) for the next review.
      watched.issue = issue;
      watched.changeRequest = changeRequest;
      return;
    }
    if (store.isBlocked(issue.id)) {
      const unblocked = await store.unblockChanged([issue]);
      if (unblocked.length === 0) return;
      this.context.logger.info('a babysat change request changed; unblocked', { issue: issue.identifier });
    }
    const record = await store.read(issue);
    await store.adoptBabysatChangeRequest(record, changeRequest);
    this.context.logger.info('babysitting a change request', {
      changeRequest: changeRequest.url ?? changeRequestKeyOf(changeRequest),
      branch: changeRequest.branch,
      reason,
    });
    this.context.events.publish('change-request-babysat', {
      issueId: issue.id,
      issueIdentifier: issue.identifier,
      changeRequest,
      reason,
    });
    await supervisor.enter(issue, changeRequest, false);
  }

  /**
   * A watched change request is no longer listed: merged or closed ones are left to the
   * supervisor, which ends them this very cycle; an open one lost its label or number, so
   * Loompa stops babysitting it.
   */
  private async letGoIfStillOpen(issueId: string): Promise<void> {
    const { supervisor, store } = this.context;
    const watched = supervisor.watched(issueId);
    const scm = this.context.scm();
    if (!watched || !scm) return;
    let state: ChangeRequest['state'];
    try {
      state = (await scm.getStatus({ changeRequest: watched.changeRequest })).state;
    } catch (error) {
      this.context.logger.warn('reading a change request no longer babysat failed; trying again next cycle', {
        issue: watched.issue.identifier,
        message: describeError(error),
      });
      return;
    }
    if (state !== 'open') return;
    supervisor.forget(issueId);
    await store.closeChangeRequest(await store.read(watched.issue), false);
    this.context.onStopped(
      watched.issue,
      'the change request is no longer babysat (its number or label was removed)',
    );
  }

  /** Change requests on Loompa's own branches belong to the issue items that opened them. */
  private isLoompaBranch(branch: string): boolean {
    const prefix = this.context.workflow().config.workspace.branch_prefix;
    return prefix !== '' && branch.startsWith(prefix);
  }

  private requireBackend(): OrchestratorStore {
    if (!this.backend) throw new Error('Babysitting is not open yet; the orchestrator opens it at start');
    return this.backend;
  }
}
