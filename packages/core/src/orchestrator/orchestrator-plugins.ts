import { commandAgent } from '../agents/command-agent.js';
import type { OrchestratorEvents } from '../events/orchestrator-events.js';
import type { Logger } from '../logging/logger.js';
import type { AgentBackendV1 } from '../specifications/agent-backend.js';
import type { BudgetV1 } from '../specifications/budget.js';
import type { NotifierV1 } from '../specifications/notifier.js';
import type { PluginContext, PluginEntry } from '../specifications/plugin.js';
import type { RunnerV1 } from '../specifications/runner.js';
import type { ScmProviderV1 } from '../specifications/scm-provider.js';
import type { StoreV1 } from '../specifications/store.js';
import type { TrackerV1 } from '../specifications/tracker.js';
import { builtInStores } from '../store/built-in-stores.js';
import type { OrchestratorStore } from '../store/orchestrator-store.js';
import type { Workflow, WorkflowPlugins } from '../workflow/load-workflow.js';
import { createInProcessRunner } from './agent-runs/in-process-runner.js';
import { NotificationsBridge } from './notifications-bridge.js';
import { assertSpecificationVersion, PluginInstances } from './plugin-registry.js';

/** The plugins a caller registers, by the kind WORKFLOW.md names them with. */
export interface PluginRegistrations {
  trackers: Record<string, PluginEntry<TrackerV1>>;
  scms?: Record<string, PluginEntry<ScmProviderV1>>;
  agents?: Record<string, PluginEntry<AgentBackendV1>>;
  /** Stores by `store.kind`, besides the built-in `file` and `memory`. */
  stores?: Record<string, PluginEntry<StoreV1>>;
  budget?: PluginEntry<BudgetV1>;
  runner?: RunnerV1;
  notifier?: PluginEntry<NotifierV1>;
}

export interface OrchestratorPluginsContext {
  workflow(): Workflow;
  stateDirectory(): string;
  logger: Logger;
  agentEnvironment(agent: AgentBackendV1): Record<string, string>;
  restrictedEnvironment(declaredNames?: readonly string[]): Record<string, string>;
  /** Events the notifier is handed, once `store()` gives a store (never in a dry run). */
  events: OrchestratorEvents;
  store(): OrchestratorStore | null;
}

/**
 * The registered plugins, resolved against the workflow in force: WORKFLOW.md names a kind
 * per slot, and a reload that changes a plugin's section re-creates only that plugin.
 */
export class OrchestratorPlugins {
  private readonly trackers: PluginInstances<TrackerV1>;
  private readonly scms: PluginInstances<ScmProviderV1> | null;
  private readonly agents: PluginInstances<AgentBackendV1>;
  private readonly stores: PluginInstances<StoreV1>;
  private readonly budgets: PluginInstances<BudgetV1> | null;
  private readonly notifiers: PluginInstances<NotifierV1> | null;
  /** Only with a notifier registered: without one, no listener is added to the events. */
  private readonly notifications: NotificationsBridge | null;
  /** Where attempts run; checked like every slot when it is given. */
  readonly runner: RunnerV1;

  constructor(
    private readonly registrations: PluginRegistrations,
    private readonly context: OrchestratorPluginsContext,
  ) {
    this.trackers = new PluginInstances('tracker', 'tracker-v1', registrations.trackers);
    this.scms = registrations.scms ? new PluginInstances('scm', 'scm-provider-v1', registrations.scms) : null;
    this.agents = new PluginInstances('agent', 'agent-backend-v1', {
      command: commandAgent,
      ...registrations.agents,
    });
    this.stores = new PluginInstances('store', 'store-v1', { ...builtInStores, ...registrations.stores });
    this.budgets = registrations.budget
      ? new PluginInstances('budget', 'budget-v1', { budget: registrations.budget })
      : null;
    this.notifiers = registrations.notifier
      ? new PluginInstances('notifier', 'notifier-v1', { notifications: registrations.notifier })
      : null;
    this.notifications = registrations.notifier
      ? new NotificationsBridge({
          events: context.events,
          notifier: () => this.notifier(),
          store: () => context.store(),
          logger: context.logger,
        })
      : null;
    this.runner = registrations.runner
      ? assertSpecificationVersion('runner', registrations.runner, 'runner-v1')
      : createInProcessRunner();
  }

  /** True when SCM providers are registered: results are published as change requests. */
  get hasScm(): boolean {
    return this.scms !== null;
  }

  get hasBudget(): boolean {
    return this.budgets !== null;
  }

  /** The plugins a WORKFLOW.md may name, for validating it against this orchestrator. */
  workflowPlugins(): WorkflowPlugins {
    const { trackers, scms, agents, stores, budget, notifier } = this.registrations;
    return {
      trackers,
      stores: { ...builtInStores, ...stores },
      ...(scms ? { scms } : {}),
      agents: { command: commandAgent, ...agents },
      ...(budget ? { budget } : {}),
      ...(notifier ? { notifier } : {}),
    };
  }

  tracker(): TrackerV1 {
    const workflow = this.context.workflow();
    return this.trackers.get(
      workflow.config.tracker.kind,
      workflow.pluginSettings.tracker,
      this.pluginContext(),
      workflow.filePath,
      'tracker',
    );
  }

  scm(): ScmProviderV1 | null {
    if (!this.scms) return null;
    const workflow = this.context.workflow();
    return this.scms.get(
      workflow.config.scm.kind,
      workflow.pluginSettings.scm,
      this.pluginContext(),
      workflow.filePath,
      'scm',
    );
  }

  agentFor(kind: string): AgentBackendV1 {
    const workflow = this.context.workflow();
    return this.agents.get(
      kind,
      workflow.pluginSettings.agents[kind] ?? {},
      this.pluginContext(),
      workflow.filePath,
      kind,
    );
  }

  /**
   * The store `store.kind` names (a dry run keeps everything in memory). Created once: the
   * orchestrator holds it (and its lease) for its whole life, and closes it when it stops.
   */
  store(dryRun: boolean): StoreV1 {
    const workflow = this.context.workflow();
    if (dryRun) return this.stores.get('memory', {}, this.pluginContext(), workflow.filePath, 'store');
    return this.stores.get(
      workflow.config.store.kind,
      workflow.pluginSettings.store,
      this.pluginContext(),
      workflow.filePath,
      'store',
    );
  }

  budget(): BudgetV1 | null {
    if (!this.budgets) return null;
    const workflow = this.context.workflow();
    return this.budgets.get(
      'budget',
      workflow.pluginSettings.budget,
      this.pluginContext(),
      workflow.filePath,
      'budget',
    );
  }

  /** The notifier for the workflow's `notifications:` section; null without one registered. */
  notifier(): NotifierV1 | null {
    if (!this.notifiers) return null;
    const workflow = this.context.workflow();
    return this.notifiers.get(
      'notifications',
      workflow.pluginSettings.notifications,
      this.pluginContext(),
      workflow.filePath,
      'notifications',
    );
  }

  /**
   * Closes every plugin instance created (watchers, timers, child processes), after queued
   * notifications had a bounded time to go out.
   */
  async closeAll(): Promise<void> {
    await this.notifications?.flush();
    const all = [this.trackers, this.scms, this.agents, this.budgets, this.notifiers];
    for (const instances of all) instances?.closeAll();
  }

  private pluginContext(): PluginContext {
    const workflow = this.context.workflow();
    return {
      workflowDirectory: workflow.directory,
      repositoryPath: workflow.repositoryPath,
      stateDirectory: this.context.stateDirectory(),
      logger: this.context.logger,
      resolveAgent: (kind) => this.agentFor(kind),
      agentEnvironment: (agent) => this.context.agentEnvironment(agent),
      restrictedEnvironment: (declaredNames) => this.context.restrictedEnvironment(declaredNames),
    };
  }
}
