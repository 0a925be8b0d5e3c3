import { mkdir } from 'node:fs/promises';
import type { WorkflowError } from '../errors/error-classes.js';
import { describeError } from '../errors/loompa-error.js';
import { type OrchestratorEventMap, OrchestratorEvents } from '../events/orchestrator-events.js';
import { createDefaultFocusMatcher } from '../focus/default-focus-matcher.js';
import { createSilentLogger, type Logger } from '../logging/logger.js';
import { registerSecret } from '../secrets/redact-secrets.js';
import type { AgentBackendV1 } from '../specifications/agent-backend.js';
import type { BudgetStatus } from '../specifications/budget.js';
import type { FocusMatcherV1 } from '../specifications/focus-matcher.js';
import type { OrchestratorStore } from '../store/orchestrator-store.js';
import { loadWorkflow, type Workflow } from '../workflow/load-workflow.js';
import { watchWorkflow } from '../workflow/watch-workflow.js';
import { WorkspaceManager } from '../workspaces/workspace-manager.js';
import {
  agentEnvironmentFor,
  agentOwnerFor,
  agentStateDirectoryFor,
  type EnvironmentSources,
  environmentSourcesOf,
  restrictedEnvironmentFor,
} from './agent-environment.js';
import { buildSnapshot } from './build-snapshot.js';
import {
  type ApproveOptions,
  OrchestratorControl,
  type PauseOptions,
} from './control/orchestrator-control.js';
import { WorkItemDriver } from './driver/work-item-driver.js';
import { Leadership } from './leadership/leadership.js';
import { assertWorkflowSource, type OrchestratorOptions } from './orchestrator-options.js';
import { OrchestratorPlugins } from './orchestrator-plugins.js';
import type { OrchestratorSnapshot } from './orchestrator-snapshot.js';
import { claimOwnerFor } from './scheduler/issue-claims.js';
import { cleanUpAfterEarlierInstance } from './workspace-cleanup.js';

export type { OrchestratorOptions } from './orchestrator-options.js';

/**
 * The public face of the orchestrator: options, plugins, the workflow in force, the
 * lifecycle (`start`, `stop`, `tick`, `runOnce`), the snapshot and the events. Work items are
 * moved through their phases by the `WorkItemDriver`; see the map in the package README and
 * DESIGN.md §4 for an item's life.
 */
export class Orchestrator {
  readonly events = new OrchestratorEvents();

  private workflow: Workflow | null;
  private workflowError: WorkflowError | null = null;
  private readonly logger: Logger;
  private readonly dryRun: boolean;
  private readonly plugins: OrchestratorPlugins;
  private readonly focusMatcher: FocusMatcherV1;
  private store: OrchestratorStore | null;
  private workspaces: WorkspaceManager | null = null;
  private readonly driver: WorkItemDriver;
  private readonly control: OrchestratorControl;
  /** Whether this instance decides (always, unless the store is shared through a leader lease). */
  private readonly leadership: Leadership;

  private initialized: Promise<void> | null = null;
  /** Read by the driver, which starts nothing new once stopping or draining. */
  private readonly lifecycle = { started: false, stopping: false, draining: false };
  private readonly lifecycleAbort = new AbortController();
  private stopWatchingWorkflow: (() => void) | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private nextPollAt: Date | null = null;
  private currentTick: Promise<void> | null = null;
  private queuedTick: Promise<void> | null = null;

  constructor(private readonly options: OrchestratorOptions) {
    assertWorkflowSource(options);
    this.workflow = options.workflow ?? null;
    this.logger = options.logger ?? createSilentLogger();
    this.dryRun = options.dryRun ?? false;
    this.focusMatcher = options.focusMatcher ?? createDefaultFocusMatcher();
    this.store = options.store ?? null;
    this.leadership = new Leadership({
      ...{ events: this.events, logger: this.logger, now: () => Date.now() },
      leaseMs: () => this.requireWorkflow().config.store.lease_ms,
      restore: (store) => this.driver.restore(store),
      stepDown: (reason) => (this.currentTick ?? Promise.resolve()).then(() => this.driver.stepDown(reason)),
      requestTick: () => this.requestTick(),
    });
    this.plugins = new OrchestratorPlugins(options, {
      workflow: () => this.requireWorkflow(),
      stateDirectory: () => this.stateDirectory(),
      logger: this.logger,
      agentEnvironment: (agent) => this.agentEnvironment(agent),
      restrictedEnvironment: (declaredNames) =>
        restrictedEnvironmentFor(this.environmentSources(), declaredNames),
      events: this.events,
      store: () => (this.dryRun ? null : this.store),
    });
    this.driver = new WorkItemDriver({
      workflow: () => this.requireWorkflow(),
      tracker: () => this.leadership.guard(this.plugins.tracker()),
      scm: () => this.leadership.guard(this.plugins.scm()),
      agentFor: (kind) => this.plugins.agentFor(kind),
      runner: () => this.plugins.runner,
      sharedSlots: options.sharedSlots,
      budget: () => this.plugins.budget(),
      hasBudget: this.plugins.hasBudget,
      hasScm: this.plugins.hasScm,
      agentEnvironment: (agent) => this.agentEnvironment(agent),
      agentStateDirectory: (issue) => agentStateDirectoryFor(this.stateDirectory(), issue.identifier),
      workspaces: () => this.workspaces!,
      focusMatcher: this.focusMatcher,
      events: this.events,
      logger: this.logger,
      dryRun: this.dryRun,
      lifecycle: this.lifecycle,
      now: () => Date.now(),
      ready: () => this.initialize(),
      claimOwner: () => this.leadership.claimOwner(claimOwnerFor(this.stateDirectory())),
      leading: () => this.leadership.isLeading(),
    });
    this.control = new OrchestratorControl({
      context: this.driver.context,
      // A standby refuses control actions: they are the leader's to take.
      ready: () => this.initialize().then(() => this.leadership.assertLeading('take a control action')),
      requestTick: () => this.requestTick(),
    });
  }

  // ---------------------------------------------------------------- lifecycle

  /** Loads the workflow, checks every plugin, and prepares state (once). */
  private initialize(): Promise<void> {
    this.initialized ??= (async () => {
      if (this.options.workflowPath) {
        const workflow = await loadWorkflow(this.options.workflowPath, {
          plugins: this.plugins.workflowPlugins(),
        });
        this.applyWorkflow(workflow, false);
      } else {
        this.applyWorkflow(this.workflow!, false);
      }
      // Resolve every named plugin now so an unknown kind fails at start, listing known kinds.
      const tracker = this.plugins.tracker();
      this.plugins.scm();
      this.plugins.agentFor(this.requireWorkflow().config.agent.kind);
      this.plugins.budget();
      const stateDirectory = this.stateDirectory();
      if (!this.dryRun) await mkdir(stateDirectory, { recursive: true });
      this.store = await this.leadership.open(this.store ?? this.plugins.store(this.dryRun));
      if (!this.dryRun) {
        const { workspaces, events, logger } = this;
        const cleanup = { workspaces: workspaces!, workflow: this.requireWorkflow(), events, logger };
        await cleanUpAfterEarlierInstance(cleanup, tracker, agentOwnerFor(stateDirectory));
      }
    })();
    return this.initialized;
  }

  /** Starts polling (and watching, where the tracker can) with an immediate first tick. */
  async start(): Promise<void> {
    if (this.lifecycle.started) return;
    await this.initialize();
    this.lifecycle.started = true;
    if (this.options.workflowPath) {
      this.stopWatchingWorkflow = watchWorkflow(this.options.workflowPath, {
        plugins: this.plugins.workflowPlugins(),
        initialContentHash: this.requireWorkflow().contentHash,
        onChange: (workflow) => {
          this.applyWorkflow(workflow, true);
          this.requestTick();
        },
        onError: (error) => {
          this.workflowError = error;
          this.logger.error('WORKFLOW.md is invalid; keeping the last valid workflow', {
            message: error.message,
          });
          this.events.publish('workflow-invalid', { filePath: error.file, error });
        },
      });
    }
    // A forge or tracker that reports changes (checks finished, a review, an edit) ticks at once too.
    for (const [name, source] of [
      ['SCM', this.plugins.scm()],
      ['tracker', this.plugins.tracker()],
    ] as const) {
      source?.watch?.({
        abortSignal: this.lifecycleAbort.signal,
        onChange: () => this.requestTick(),
        onError: (error) =>
          this.logger.warn(`${name} watch failed; polling continues`, { message: describeError(error) }),
      });
    }
    await this.tick();
  }

  /**
   * Stops. With `drain`, nothing new is dispatched and running agents finish first;
   * otherwise running agents are cancelled (their process trees killed) and awaited.
   */
  async stop(options: { drain?: boolean } = {}): Promise<void> {
    const { retries, agentRuns } = this.driver.phases;
    if (options.drain) {
      this.lifecycle.draining = true;
      retries.clear();
      await agentRuns.waitForIdle();
    }
    this.lifecycle.stopping = true;
    this.lifecycleAbort.abort();
    this.stopWatchingWorkflow?.();
    this.stopWatchingWorkflow = null;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    this.nextPollAt = null;
    retries.clear();
    // Let a tick or a due retry that is already under way finish deciding (it dispatches
    // nothing more now), so every worker it started is running before the stop below.
    await this.currentTick?.catch(() => {});
    await retries.settle();
    await agentRuns.stopAll({
      kind: this.leadership.handsOverRuns ? 'leadership' : 'shutdown',
      reason: 'the orchestrator is stopping',
      removeWorkspace: false,
    });
    await this.driver.releaseClaims();
    await this.plugins.closeAll();
    await this.leadership.stop();
  }

  /** One tick, then waits until every dispatched item has finished its attempt or is parked. */
  async runOnce(): Promise<void> {
    await this.initialize();
    await this.tick();
    await this.driver.phases.agentRuns.waitForIdle();
  }

  /** Runs a tick now (or joins the one in progress and queues one more). */
  tick(): Promise<void> {
    if (this.currentTick) {
      // A tick under way may have read the tracker before the caller's change: the caller
      // gets the tick queued after it, which sees everything up to now.
      this.queuedTick ??= this.currentTick
        .catch(() => {})
        .then(() => {
          this.queuedTick = null;
          return this.lifecycle.stopping ? undefined : this.tick();
        });
      return this.queuedTick;
    }
    this.currentTick = (async () => {
      try {
        await this.initialize();
        await this.runTick();
      } finally {
        this.currentTick = null;
      }
    })();
    return this.currentTick;
  }

  private async runTick(): Promise<void> {
    // A standby decides nothing; it ticks once it takes the lead.
    if (!this.leadership.isLeading()) return;
    this.events.publish('tick-started', { at: new Date() });
    const { dispatched, candidates } = await this.driver.runTick();
    if (this.lifecycle.started) this.schedulePoll();
    this.events.publish('tick-finished', { at: new Date(), dispatched, candidates });
  }

  private requestTick(): void {
    if (!this.lifecycle.stopping)
      void this.tick().catch((error) => this.logger.error('tick failed', { message: describeError(error) }));
  }

  private schedulePoll(): void {
    if (!this.lifecycle.started || this.lifecycle.stopping) return;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    const interval = this.requireWorkflow().config.polling.interval_ms;
    this.nextPollAt = new Date(Date.now() + interval);
    this.pollTimer = setTimeout(() => this.requestTick(), interval);
  }

  // ---------------------------------------------------------------- workflow and environment

  private applyWorkflow(workflow: Workflow, reloaded: boolean): void {
    const previousInterval = this.workflow?.config.polling.interval_ms;
    this.workflow = workflow;
    this.workflowError = null;
    for (const value of Object.values(workflow.config.agent.env)) registerSecret(value);
    const settings = {
      repositoryPath: workflow.repositoryPath,
      repositoryUrl: workflow.config.repository.url,
      workspaceRoot: workflow.config.workspace.root,
      branchPrefix: workflow.config.workspace.branch_prefix,
      stateDirectory: this.stateDirectory(),
      baseBranch: workflow.config.scm.base_branch,
    };
    if (this.workspaces) this.workspaces.updateSettings(settings);
    else this.workspaces = new WorkspaceManager(settings);
    const event = { filePath: workflow.filePath, contentHash: workflow.contentHash };
    // A changed workflow may carry fixed credentials or settings: paused agent kinds get a try.
    this.driver.phases.agentAvailability.clear();
    this.events.publish(reloaded ? 'workflow-reloaded' : 'workflow-loaded', event);
    if (reloaded && previousInterval !== workflow.config.polling.interval_ms) this.schedulePoll();
  }

  private requireWorkflow(): Workflow {
    if (!this.workflow)
      throw new Error('The orchestrator has no workflow yet; call start() or runOnce() first');
    return this.workflow;
  }

  private stateDirectory(): string {
    return this.options.stateDirectory ?? this.requireWorkflow().config.workspace.state_directory;
  }

  private environmentSources(): EnvironmentSources {
    return environmentSourcesOf(
      this.requireWorkflow(),
      this.plugins,
      this.options.environment ?? process.env,
    );
  }

  /** The agent's environment, for attempts, reactions and plugins alike. */
  private agentEnvironment(agent: AgentBackendV1): Record<string, string> {
    return agentEnvironmentFor({
      ...this.environmentSources(),
      agent,
      owner: agentOwnerFor(this.stateDirectory()),
    });
  }

  // ---------------------------------------------------------------- observation

  /** Everything the orchestrator is doing now. */
  snapshot(): OrchestratorSnapshot {
    const { workflow, workflowError, nextPollAt, dryRun, driver, lifecycle } = this;
    const sources = { workflow, workflowError, nextPollAt, dryRun, draining: lifecycle.draining };
    return buildSnapshot(
      { ...sources, phases: driver.phases, workflowPath: this.options.workflowPath ?? null },
      this.leadership.snapshot(),
      Date.now(),
    );
  }

  /** The budget's limits with their spend, where the budget plugin reports them (for gauges). */
  async budgetStatus(): Promise<BudgetStatus | null> {
    return (await this.plugins.budget()?.status?.({})) ?? null;
  }

  // ---------------------------------------------------------------- control (see control/orchestrator-control.ts)

  /** Babysits change request `number` too (kept in the store) until it is merged or closed. */
  babysit(number: number): Promise<void> {
    return this.driver.phases.babysitting.request(number).then(() => this.requestTick());
  }

  /** Pauses dispatch (with `all`, the change-request loop and running agents too); kept across restarts. */
  pause(options?: PauseOptions): Promise<void> {
    return this.control.pause(options);
  }

  resume(): Promise<void> {
    return this.control.resume();
  }

  /** A blocked issue goes back to the queue, its counters reset (a waiting retry runs now). */
  retry(issueId: string): Promise<void> {
    return this.control.retry(issueId);
  }

  /** Stops the issue's run and keeps its workspace; the issue waits as blocked. */
  cancel(issueId: string): Promise<void> {
    return this.control.cancel(issueId);
  }

  /** Approves the issue's change request as a person (SCM providers that can, such as scm-local). */
  approve(issueId: string, options: ApproveOptions): Promise<void> {
    return this.control.approve(issueId, options);
  }

  /** Subscribes to one event; returns the unsubscribe function. */
  on<Name extends keyof OrchestratorEventMap>(
    name: Name,
    listener: (payload: OrchestratorEventMap[Name]) => void,
  ): () => void {
    return this.events.subscribe(name, listener);
  }
}

/** Creates an orchestrator; call `start()` (or `runOnce()`) to begin. */
export function createOrchestrator(options: OrchestratorOptions): Orchestrator {
  return new Orchestrator(options);
}
