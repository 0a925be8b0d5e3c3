import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { describeError } from '../../errors/loompa-error.js';
import type { Issue } from '../../specifications/issue.js';
import type { OrchestratorStore } from '../../store/orchestrator-store.js';
import { AgentAvailability } from '../agent-runs/agent-availability.js';
import { AgentRuns } from '../agent-runs/agent-runs.js';
import { chooseAgent } from '../agent-runs/choose-agent.js';
import { BabysitIntake } from '../babysitting/babysit-intake.js';
import { isBabysitItemId } from '../babysitting/babysit-item.js';
import { BudgetGate } from '../budget-gate.js';
import { ChangeRequestSupervisor } from '../change-request-supervisor/change-request-supervisor.js';
import { ContinuousIntegration } from '../continuous-integration.js';
import { DispatchPause } from '../control/dispatch-pause.js';
import { hasFreeSlot, type SlotUsage, selectDispatches } from '../decisions.js';
import { DispatchQueue } from '../scheduler/dispatch-queue.js';
import { stepForDueRetry } from '../scheduler/due-retry.js';
import { IssueClaims } from '../scheduler/issue-claims.js';
import { findStalledRuns, refreshRunningIssues } from '../scheduler/reconcile-running.js';
import { RetryTimers } from '../scheduler/retry-timers.js';
import { dispatchRulesOf, slotUsageOf } from '../scheduler/scheduling-rules.js';
import { withinSharedSlots } from '../scheduler/shared-slots.js';
import { ThreadReplies } from '../thread-replies/thread-replies.js';
import { placeholderIssue } from '../work-item-record.js';
import { WorkItemStore } from '../work-item-store.js';
import { dispatchIssue } from './attempt-driver.js';
import { reactToBabysatChangeRequest } from './babysit-steps.js';
import { blockIssue } from './block-issue.js';
import {
  acceptsNewWork,
  type DriverContext,
  type DriverEnvironment,
  type DriverPhases,
  removeWorkspaceOf,
} from './driver-context.js';
import { startReaction } from './reaction-driver.js';
import { releaseIssue } from './release-issue.js';

/**
 * Moves work items from phase to phase (DESIGN.md §4). The phases hold their own state and
 * return what happens next; only the driver (here, `attempt-driver` and `reaction-driver`)
 * calls from one phase's result into the next phase, so data flows one way.
 */
export class WorkItemDriver {
  readonly phases: DriverPhases;
  /** Shared with the control actions (`control/orchestrator-control.ts`), which act on the same phases. */
  readonly context: DriverContext;
  /** Claims on the issues this instance works, so no other instance works them too. */
  private readonly claims: IssueClaims;

  constructor(environment: DriverEnvironment) {
    const store = new WorkItemStore();
    const budgetGate = new BudgetGate({ budget: environment.budget, events: environment.events });
    const agentRuns = new AgentRuns({
      events: environment.events,
      logger: environment.logger,
      budget: environment.budget,
      budgetGate,
      hasBudget: environment.hasBudget,
      now: environment.now,
    });
    const retries = new RetryTimers({
      events: environment.events,
      now: environment.now,
      onDue: (issueId) => this.onRetryDue(issueId),
    });
    const continuousIntegration = new ContinuousIntegration({
      ...environment,
      agentStateDirectory: (key) =>
        environment.agentStateDirectory(placeholderIssue({ issueId: key, identifier: key })),
      store: () => store.keyValueStore(),
    });
    const supervisor = new ChangeRequestSupervisor({
      workflow: environment.workflow,
      tracker: environment.tracker,
      scm: environment.scm,
      store,
      events: environment.events,
      logger: environment.logger,
      dryRun: environment.dryRun,
      removeWorkspace: (issue) => removeWorkspaceOf(this.context, issue),
      flakyTests: continuousIntegration.flakyTests,
      checkReports: continuousIntegration.checkReports,
    });
    const agentAvailability = new AgentAvailability();
    const pause = new DispatchPause();
    const queue = new DispatchQueue();
    const babysitting = new BabysitIntake({
      workflow: environment.workflow,
      scm: environment.scm,
      store,
      supervisor,
      ready: environment.ready,
      isRunning: (issueId) => agentRuns.get(issueId) !== undefined,
      onStopped: (issue, reason) => releaseIssue(this.context, issue, reason, true),
      events: environment.events,
      logger: environment.logger,
    });
    const threadReplies = new ThreadReplies({ ...environment, store });
    this.phases = {
      ...{ store, budgetGate, agentRuns, retries, supervisor, agentAvailability, pause, queue },
      ...{ babysitting, continuousIntegration, threadReplies },
    };
    this.context = { ...environment, ...this.phases };
    const processOwner = `${os.hostname()}/${process.pid}/${randomUUID()}`;
    this.claims = new IssueClaims({
      tracker: environment.tracker,
      owner: () => environment.claimOwner?.() ?? processOwner,
      leaseMs: () => environment.workflow().config.tracker.claim_lease_ms,
      // Babysat change requests have no issue to claim.
      livingIssueIds: () =>
        [...agentRuns.ids(), ...retries.ids(), ...supervisor.ids()].filter((id) => !isBabysitItemId(id)),
      onClaimLost: (issueId) => this.letGoOf(issueId),
      logger: environment.logger,
      now: environment.now,
      dryRun: environment.dryRun,
    });
    // Every end of an item passes through one of these events (done, release, block).
    const releaseClaim = ({ issueId }: { issueId: string }) => void this.claims.release(issueId);
    environment.events.on('issue-done', releaseClaim);
    environment.events.on('issue-released', releaseClaim);
    environment.events.on('issue-blocked', releaseClaim);
  }

  /**
   * Opens the store and picks up what a restart left: blocked issues, open change requests.
   * Called again each time this instance takes the lead of a shared store.
   */
  async restore(backend: OrchestratorStore): Promise<void> {
    this.claims.resume();
    this.phases.store.open(backend);
    await this.phases.pause.restore(backend);
    this.phases.babysitting.open(backend);
    await this.phases.continuousIntegration.restore();
    for (const record of await this.phases.store.restore()) {
      if (record.changeRequest && this.context.hasScm) {
        this.phases.supervisor.watchRestored({ ...record, changeRequest: record.changeRequest });
        this.phases.threadReplies.watch(record);
      }
    }
    // Restored change requests are living items: claim them now, then keep every claim fresh.
    await this.claims.renew();
    this.claims.startRenewing();
  }

  /**
   * This instance stopped leading: it forgets every item (the next leader reads them from the
   * store) and lets go of its runs without cancelling them (a queue's runs are adopted by the
   * next leader), keeping the claims in the tracker, which belong to the next leader too.
   */
  async stepDown(reason: string): Promise<void> {
    const { retries, agentRuns, supervisor } = this.phases;
    this.claims.suspend();
    retries.clear();
    for (const issueId of [...supervisor.ids()]) supervisor.forget(issueId);
    await agentRuns.stopAll({ kind: 'leadership', reason, removeWorkspace: false });
  }

  /** The orchestrator stops: claims are released so another instance can take the issues. */
  async releaseClaims(): Promise<void> {
    // A triage run in flight is an agent process too: it ends with the orchestrator.
    await this.phases.continuousIntegration.triage.stop();
    await this.claims.stop();
  }

  /** Another instance holds the claim of a living item (this one's lease lapsed): stop working it. */
  private letGoOf(issueId: string): void {
    const { agentRuns, retries } = this.phases;
    const item = agentRuns.get(issueId);
    if (item && !item.stopRequest) {
      agentRuns.requestStop(item, {
        kind: 'reconcile',
        reason: 'another Loompa instance claimed the issue',
        removeWorkspace: false,
      });
    }
    if (retries.has(issueId)) retries.take(issueId);
  }

  /** One tick: reconcile running items, review change requests, then dispatch what fits. */
  async runTick(): Promise<{ dispatched: number; candidates: number }> {
    await this.reconcile();
    if (!acceptsNewWork(this.context)) return { dispatched: 0, candidates: 0 };
    // A pause of everything holds reactions and merges too; a pause of dispatch does not.
    if (!this.phases.pause.allPaused) {
      if (this.context.hasScm) await this.phases.babysitting.sync();
      await this.superviseChangeRequests();
      await this.phases.threadReplies.sendDue();
      this.phases.continuousIntegration.triage.poll();
    }
    if (!acceptsNewWork(this.context)) return { dispatched: 0, candidates: 0 };
    return this.dispatchCandidates();
  }

  /** Stall check, then a refresh of every running issue; a refresh failure keeps everything running. */
  private async reconcile(): Promise<void> {
    const { agentRuns } = this.phases;
    const workflow = this.context.workflow();
    const runs = [...agentRuns.items()].map((item) => ({
      issueId: item.issue.id,
      lastActivityAt: item.lastActivityAt,
      stopping: item.stopRequest !== null,
    }));
    for (const stalled of findStalledRuns(runs, workflow.config.agent.stall_timeout_ms, this.context.now())) {
      const item = agentRuns.get(stalled.issueId);
      if (item)
        agentRuns.requestStop(item, { kind: 'stall', reason: stalled.reason, removeWorkspace: false });
    }
    // A babysat change request has no issue to refresh: the supervisor reads its state.
    const ids = [...agentRuns.items()]
      .filter((item) => !item.stopRequest && !isBabysitItemId(item.issue.id))
      .map((item) => item.issue.id);
    if (ids.length === 0) return;
    const refreshed = await refreshRunningIssues(this.context.tracker, ids, dispatchRulesOf(workflow));
    if (!refreshed.ok) {
      this.context.logger.warn('refreshing running issues failed; they keep running', {
        message: refreshed.message,
      });
      this.context.events.publish('tick-failed', {
        at: new Date(),
        stage: 'reconcile',
        message: refreshed.message,
      });
      return;
    }
    for (const { issueId, issue, decision } of refreshed.decisions) {
      // The run may have ended or been stopped while the tracker answered.
      const item = agentRuns.get(issueId);
      if (!item || item.stopRequest) continue;
      if (decision.action === 'stop') {
        agentRuns.requestStop(item, {
          kind: 'reconcile',
          reason: decision.reason,
          removeWorkspace: decision.removeWorkspace,
        });
      } else if (issue) {
        item.issue = issue;
      }
    }
  }

  /** The supervisor reviews each change request; reactions, blocks and releases come back here. */
  private async superviseChangeRequests(): Promise<void> {
    for await (const step of this.phases.supervisor.review()) {
      if (step.next === 'block') await blockIssue(this.context, step.issue, step.reason, step.record);
      else if (step.next === 'release') releaseIssue(this.context, step.issue, step.reason, true);
      else if (isBabysitItemId(step.issue.id)) await reactToBabysatChangeRequest(this.context, step);
      else await startReaction(this.context, step);
    }
  }

  private async dispatchCandidates(): Promise<{ dispatched: number; candidates: number }> {
    const { store, agentRuns, retries, supervisor, budgetGate } = this.phases;
    const workflow = this.context.workflow();
    let candidates: Issue[];
    try {
      candidates = await this.context.tracker().listIssues({ states: workflow.config.tracker.active_states });
    } catch (error) {
      const message = describeError(error);
      this.context.logger.warn('fetching candidate issues failed; no dispatch this tick', { message });
      this.context.events.publish('tick-failed', { at: new Date(), stage: 'candidates', message });
      return { dispatched: 0, candidates: 0 };
    }
    for (const issue of await store.unblockChanged(candidates)) {
      this.context.logger.info('issue changed by a person; unblocked', { issue: issue.identifier });
    }
    const rules = dispatchRulesOf(workflow);
    if (this.phases.pause.dispatchPaused) {
      this.updateQueue(candidates);
      return { dispatched: 0, candidates: candidates.length };
    }
    const denied = new Set<string>();
    let dispatched = 0;
    let budgetAllowsAll = true;
    // Rounds repeat because a chosen issue may be adopted into awaiting instead of running,
    // which leaves its slot to the next candidate.
    while (budgetAllowsAll) {
      const busy = new Set<string>([
        ...agentRuns.ids(),
        ...retries.ids(),
        ...store.blockedIds(),
        ...supervisor.ids(),
        ...denied,
      ]);
      const chosen = withinSharedSlots(
        this.context.sharedSlots,
        agentRuns.size,
        selectDispatches(candidates, rules, busy, slotUsageOf(workflow, agentRuns.states())),
      );
      if (chosen.length === 0) break;
      for (const issue of chosen) {
        const choice = await chooseAgent(workflow, this.context.focusMatcher, issue, 0);
        // A paused agent kind takes no new issue; its retries go through, one of them the probe.
        if (this.phases.agentAvailability.reasonPaused(choice.agentKind) !== null) {
          denied.add(issue.id);
          continue;
        }
        const decision = await budgetGate.check(issue, choice);
        if (!decision.allowed) {
          denied.add(issue.id);
          if (decision.scope === 'global') {
            budgetAllowsAll = false;
            break;
          }
          continue;
        }
        if (!(await this.claims.claim(issue))) {
          denied.add(issue.id);
          continue;
        }
        if (await dispatchIssue(this.context, issue, null, { continuation: false, choice })) dispatched++;
        else denied.add(issue.id);
      }
      // A dry run adds nothing to `running`, so another round would pick the same issues again.
      if (this.context.dryRun) break;
    }
    if (denied.size === 0 && budgetGate.paused) budgetGate.resume();
    this.updateQueue(candidates);
    return { dispatched, candidates: candidates.length };
  }

  /** The queue after a round: every eligible candidate that is not running, waiting or blocked. */
  private updateQueue(candidates: readonly Issue[]): void {
    const { store, agentRuns, retries, supervisor, queue } = this.phases;
    const busy = new Set<string>([
      ...agentRuns.ids(),
      ...retries.ids(),
      ...store.blockedIds(),
      ...supervisor.ids(),
    ]);
    const unlimited: SlotUsage = {
      maxConcurrentAgents: Number.POSITIVE_INFINITY,
      maxConcurrentAgentsByState: {},
      runningTotal: 0,
      runningByState: {},
    };
    const rules = dispatchRulesOf(this.context.workflow());
    queue.replace(selectDispatches(candidates, rules, busy, unlimited), new Date(this.context.now()));
  }

  /** retry-wait → preparing (or another wait, or released) once the retry's timer fires. */
  private async onRetryDue(issueId: string): Promise<void> {
    const { retries, agentRuns, store, budgetGate, pause } = this.phases;
    if (!retries.has(issueId) || !acceptsNewWork(this.context)) return;
    // Paused: the retry stays where it is and runs when a person resumes.
    if (pause.dispatchPaused) return pause.holdRetry(issueId);
    const retry = retries.take(issueId)!;
    try {
      await this.context.ready();
      const workflow = this.context.workflow();
      const step = await stepForDueRetry(
        {
          tracker: this.context.tracker,
          rules: dispatchRulesOf(workflow),
          maxRetryBackoffMs: workflow.config.agent.max_retry_backoff_ms,
          hasFreeSlot: (state) =>
            hasFreeSlot(slotUsageOf(this.context.workflow(), agentRuns.states()), state) &&
            withinSharedSlots(this.context.sharedSlots, agentRuns.size, [state]).length > 0,
        },
        retry,
      );
      if (step.next === 'retry') {
        retries.schedule(step.request);
        return;
      }
      if (step.next === 'release') {
        if (step.removeWorkspace && step.issue) await removeWorkspaceOf(this.context, step.issue);
        releaseIssue(
          this.context,
          { id: issueId, identifier: retry.identifier },
          step.reason,
          !step.removeWorkspace,
        );
        return;
      }
      const record = await store.read(step.issue);
      const choice = await chooseAgent(
        this.context.workflow(),
        this.context.focusMatcher,
        step.issue,
        record.failures,
      );
      const budgetDecision = await budgetGate.check(step.issue, choice);
      // A denied retry goes back to the queue: the next tick offers it again as a candidate.
      if (!budgetDecision.allowed) return;
      // Another instance took the issue while it waited: it is theirs now.
      if (!(await this.claims.claim(step.issue))) return;
      await dispatchIssue(this.context, step.issue, retry.attempt, {
        continuation: retry.continuation,
        choice,
      });
      this.context.sharedSlots?.settled?.();
    } catch (error) {
      this.context.logger.error('a due retry failed', {
        issue: retry.identifier,
        message: describeError(error),
      });
    }
  }
}
