import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { commandAgent } from '../agents/command-agent.js';
import {
  type ChangeRequestAction,
  decideChangeRequestAction,
} from '../change-requests/decide-change-request-action.js';
import { publishWork } from '../change-requests/publish-work.js';
import { type ReactionDecision, type ReactionOutcome, runReaction } from '../change-requests/run-reaction.js';
import { WorkflowError } from '../errors/error-classes.js';
import { describeError, LoompaError } from '../errors/loompa-error.js';
import {
  type OrchestratorEventMap,
  OrchestratorEvents,
  type ReactionKind,
} from '../events/orchestrator-events.js';
import { generalFocus } from '../focus/built-in-foci.js';
import { createDefaultFocusMatcher } from '../focus/default-focus-matcher.js';
import { resolveFoci } from '../focus/resolve-foci.js';
import { resolveProfiles, selectProfile } from '../focus/select-profile.js';
import { createSilentLogger, type Logger } from '../logging/logger.js';
import { agentOwnerVariable, terminateMarkedProcesses } from '../processes/leftover-agent-processes.js';
import { redactValue, registerSecret } from '../secrets/redact-secrets.js';
import type {
  AgentBackendV1,
  AgentEvent,
  AgentRunOptions,
  AgentRunResult,
} from '../specifications/agent-backend.js';
import type { BudgetDecision, BudgetSubject, BudgetV1 } from '../specifications/budget.js';
import type { ChangeRequest, ChangeRequestStatus } from '../specifications/change-request.js';
import { addTokenUsage, emptyTokenUsage } from '../specifications/common.js';
import type { AgentProfile, Focus } from '../specifications/focus.js';
import type { FocusMatcherV1 } from '../specifications/focus-matcher.js';
import { type Issue, normalizeName } from '../specifications/issue.js';
import type { PluginContext, PluginEntry } from '../specifications/plugin.js';
import type { ScmProviderV1 } from '../specifications/scm-provider.js';
import type { TrackerV1 } from '../specifications/tracker.js';
import { createFileStore, createMemoryStore, type OrchestratorStore } from '../store/orchestrator-store.js';
import {
  loadWorkflow,
  renderWorkflowPrompt,
  type Workflow,
  type WorkflowPlugins,
} from '../workflow/load-workflow.js';
import type { PromptFeedback } from '../workflow/prompt-template.js';
import { watchWorkflow } from '../workflow/watch-workflow.js';
import { runHook } from '../workspaces/run-hook.js';
import { workspaceKeyFor } from '../workspaces/workspace-key.js';
import { WorkspaceManager } from '../workspaces/workspace-manager.js';
import { buildAgentEnvironment } from './agent-environment.js';
import {
  type AttemptOutcome,
  type DispatchRules,
  decideAfterAttempt,
  decideDueRetry,
  decideReconciliation,
  failureRetryDelayMs,
  hasFreeSlot,
  isActiveState,
  type SlotUsage,
  selectDispatches,
} from './decisions.js';
import type { OrchestratorSnapshot } from './orchestrator-snapshot.js';
import { PluginInstances } from './plugin-registry.js';
import { type AttemptResult, runAttempt } from './run-attempt.js';
import {
  fingerprintOf,
  freshChangeRequestHistory,
  placeholderIssue,
  storeKeyFor,
  type WorkItemRecord,
} from './work-item-record.js';
import type { AwaitingItem, RetryItem, RunningItem } from './work-items.js';

export interface OrchestratorOptions {
  /** A workflow already loaded; or give `workflowPath` to load it and hot-reload on edits. */
  workflow?: Workflow;
  workflowPath?: string;
  /** Trackers by the `tracker.kind` that selects them. */
  trackers: Record<string, PluginEntry<TrackerV1>>;
  /** SCM providers by `scm.kind`; without any, results are not published as change requests. */
  scms?: Record<string, PluginEntry<ScmProviderV1>>;
  /** Agent backends by kind; `command` is built in and need not be listed. */
  agents?: Record<string, PluginEntry<AgentBackendV1>>;
  focusMatcher?: FocusMatcherV1;
  budget?: PluginEntry<BudgetV1>;
  /** Durable facts; a file store under the state directory by default. */
  store?: OrchestratorStore;
  logger?: Logger;
  /** Decide and emit events, but write nothing and start no agent. */
  dryRun?: boolean;
  /** Overrides `workspace.state_directory`. */
  stateDirectory?: string;
  /** The environment agents inherit (minus credentials); `process.env` by default. */
  environment?: NodeJS.ProcessEnv;
}

/**
 * The one component that owns scheduling state and decides; attempts run as workers that
 * only report back. See DESIGN.md §4 for an item's life.
 */
export class Orchestrator {
  readonly events = new OrchestratorEvents();

  private workflow: Workflow | null;
  private workflowError: WorkflowError | null = null;
  private readonly logger: Logger;
  private readonly dryRun: boolean;
  private readonly trackers: PluginInstances<TrackerV1>;
  private readonly scms: PluginInstances<ScmProviderV1> | null;
  private readonly agents: PluginInstances<AgentBackendV1>;
  private readonly budgets: PluginInstances<BudgetV1> | null;
  private readonly focusMatcher: FocusMatcherV1;
  private store: OrchestratorStore | null;
  private workspaces: WorkspaceManager | null = null;

  private readonly running = new Map<string, RunningItem>();
  private readonly retrying = new Map<string, RetryItem>();
  private readonly awaiting = new Map<string, AwaitingItem>();
  private readonly blocked = new Map<
    string,
    { identifier: string; reason: string; since: Date; fingerprint: string }
  >();
  private readonly totals = { usage: emptyTokenUsage(), costUsd: 0, finishedRuntimeMs: 0, runs: 0 };
  private budgetPause: { reason: string; windowKey: string } | null = null;
  private readonly announcedBudgetWindows = new Set<string>();
  private budgetRemainingUsd: number | null = null;

  private initialized: Promise<void> | null = null;
  private started = false;
  private stopping = false;
  private draining = false;
  private readonly lifecycle = new AbortController();
  private stopWatchingWorkflow: (() => void) | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private nextPollAt: Date | null = null;
  private currentTick: Promise<void> | null = null;
  private queuedTick: Promise<void> | null = null;
  private readonly idleWaiters: Array<() => void> = [];
  /** Due retries being handled right now, awaited by `stop()`. */
  private readonly retryHandlers = new Set<Promise<void>>();

  constructor(private readonly options: OrchestratorOptions) {
    if (!options.workflow && !options.workflowPath) {
      throw new WorkflowError('(none)', [
        {
          yamlPath: '',
          line: null,
          column: null,
          expected: 'workflow or workflowPath',
          found: 'neither',
          message: 'createOrchestrator needs `workflow` or `workflowPath`',
        },
      ]);
    }
    this.workflow = options.workflow ?? null;
    this.logger = options.logger ?? createSilentLogger();
    this.dryRun = options.dryRun ?? false;
    this.trackers = new PluginInstances('tracker', 'tracker-v1', options.trackers);
    this.scms = options.scms ? new PluginInstances('scm', 'scm-provider-v1', options.scms) : null;
    this.agents = new PluginInstances('agent', 'agent-backend-v1', {
      command: commandAgent,
      ...options.agents,
    });
    this.budgets = options.budget
      ? new PluginInstances('budget', 'budget-v1', { budget: options.budget })
      : null;
    this.focusMatcher = options.focusMatcher ?? createDefaultFocusMatcher();
    this.store = options.store ?? null;
  }

  /** The plugins a WORKFLOW.md may name, for validating it against this orchestrator. */
  private workflowPlugins(): WorkflowPlugins {
    return {
      trackers: this.options.trackers,
      ...(this.options.scms ? { scms: this.options.scms } : {}),
      agents: { command: commandAgent, ...this.options.agents },
      ...(this.options.budget ? { budget: this.options.budget } : {}),
    };
  }

  // ---------------------------------------------------------------- lifecycle

  /** Loads the workflow, checks every plugin, and prepares state (once). */
  private initialize(): Promise<void> {
    this.initialized ??= (async () => {
      if (this.options.workflowPath) {
        const workflow = await loadWorkflow(this.options.workflowPath, { plugins: this.workflowPlugins() });
        this.applyWorkflow(workflow, false);
      } else {
        this.applyWorkflow(this.workflow!, false);
      }
      // Resolve every named plugin now so an unknown kind fails at start, listing known kinds.
      this.tracker();
      this.scm();
      this.agentFor(this.requireWorkflow().config.agent.kind);
      this.budget();
      const stateDirectory = this.stateDirectory();
      if (!this.dryRun) await mkdir(stateDirectory, { recursive: true });
      this.store ??= this.dryRun ? createMemoryStore() : createFileStore(path.join(stateDirectory, 'store'));
      for (const { value } of await this.store.list<WorkItemRecord>('item/')) {
        if (value.blocked) {
          this.blocked.set(value.issueId, {
            identifier: value.identifier,
            reason: value.blocked.reason,
            since: new Date(value.blocked.since),
            fingerprint: value.blocked.fingerprint,
          });
        } else if (value.changeRequest && this.options.scms) {
          // Adopt change requests opened before a restart; their issues are refreshed each tick.
          this.awaiting.set(value.issueId, {
            issue: placeholderIssue(value),
            changeRequest: value.changeRequest,
            since: new Date(),
            waitingFor: null,
          });
        }
      }
      if (!this.dryRun) {
        const leftovers = await terminateMarkedProcesses(this.agentOwner());
        if (leftovers.length > 0) {
          this.logger.warn('stopped agent processes left running by an earlier instance', {
            pids: leftovers,
          });
        }
        await this.removeTerminalWorkspaces();
      }
    })();
    return this.initialized;
  }

  /** Starts polling (and watching, where the tracker can) with an immediate first tick. */
  async start(): Promise<void> {
    if (this.started) return;
    await this.initialize();
    this.started = true;
    if (this.options.workflowPath) {
      this.stopWatchingWorkflow = watchWorkflow(this.options.workflowPath, {
        plugins: this.workflowPlugins(),
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
    // A forge that reports changes (checks finished, a review arrived) gets an immediate tick too.
    const scm = this.scm();
    if (scm?.watch) {
      scm.watch({
        abortSignal: this.lifecycle.signal,
        onChange: () => this.requestTick(),
        onError: (error) =>
          this.logger.warn('SCM watch failed; polling continues', { message: describeError(error) }),
      });
    }
    const tracker = this.tracker();
    if (tracker.watch) {
      tracker.watch({
        abortSignal: this.lifecycle.signal,
        onChange: () => this.requestTick(),
        onError: (error) =>
          this.logger.warn('tracker watch failed; polling continues', { message: describeError(error) }),
      });
    }
    await this.tick();
  }

  /**
   * Stops. With `drain`, nothing new is dispatched and running agents finish first;
   * otherwise running agents are cancelled (their process trees killed) and awaited.
   */
  async stop(options: { drain?: boolean } = {}): Promise<void> {
    if (options.drain) {
      this.draining = true;
      this.clearRetries();
      await this.waitForIdle();
    }
    this.stopping = true;
    this.lifecycle.abort();
    this.stopWatchingWorkflow?.();
    this.stopWatchingWorkflow = null;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    this.nextPollAt = null;
    this.clearRetries();
    // Let a tick or a due retry that is already under way finish deciding (it dispatches
    // nothing more now), so every worker it started is in `running` before the stop below.
    await this.currentTick?.catch(() => {});
    await Promise.all([...this.retryHandlers]);
    while (this.running.size > 0) {
      for (const item of this.running.values()) {
        this.requestStop(item, {
          kind: 'shutdown',
          reason: 'the orchestrator is stopping',
          removeWorkspace: false,
        });
      }
      await Promise.all([...this.running.values()].map((item) => item.worker));
    }
    for (const instances of [this.trackers, this.scms, this.agents, this.budgets]) instances?.closeAll();
  }

  /** One tick, then waits until every dispatched item has finished its attempt or is parked. */
  async runOnce(): Promise<void> {
    await this.initialize();
    await this.tick();
    await this.waitForIdle();
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
          return this.stopping ? undefined : this.tick();
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

  private requestTick(): void {
    if (!this.stopping)
      void this.tick().catch((error) => this.logger.error('tick failed', { message: describeError(error) }));
  }

  private waitForIdle(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private notifyIfIdle(): void {
    if (this.running.size > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private clearRetries(): void {
    for (const retry of this.retrying.values()) clearTimeout(retry.timer);
    this.retrying.clear();
  }

  // ---------------------------------------------------------------- workflow and plugins

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

  private pluginContext(): PluginContext {
    const workflow = this.requireWorkflow();
    return {
      workflowDirectory: workflow.directory,
      repositoryPath: workflow.repositoryPath,
      stateDirectory: this.stateDirectory(),
      logger: this.logger,
      resolveAgent: (kind) => this.agentFor(kind),
      agentEnvironment: (agent) => this.agentEnvironment(agent),
    };
  }

  private tracker(): TrackerV1 {
    const workflow = this.requireWorkflow();
    return this.trackers.get(
      workflow.config.tracker.kind,
      workflow.pluginSettings.tracker,
      this.pluginContext(),
      workflow.filePath,
      'tracker',
    );
  }

  private scm(): ScmProviderV1 | null {
    if (!this.scms) return null;
    const workflow = this.requireWorkflow();
    return this.scms.get(
      workflow.config.scm.kind,
      workflow.pluginSettings.scm,
      this.pluginContext(),
      workflow.filePath,
      'scm',
    );
  }

  private agentFor(kind: string): AgentBackendV1 {
    const workflow = this.requireWorkflow();
    return this.agents.get(
      kind,
      workflow.pluginSettings.agents[kind] ?? {},
      this.pluginContext(),
      workflow.filePath,
      kind,
    );
  }

  private budget(): BudgetV1 | null {
    if (!this.budgets) return null;
    const workflow = this.requireWorkflow();
    return this.budgets.get(
      'budget',
      workflow.pluginSettings.budget,
      this.pluginContext(),
      workflow.filePath,
      'budget',
    );
  }

  private dispatchRules(): DispatchRules {
    const tracker = this.requireWorkflow().config.tracker;
    return {
      activeStates: tracker.active_states,
      terminalStates: tracker.terminal_states,
      requiredLabels: tracker.required_labels,
      assignee: tracker.assignee,
    };
  }

  private slotUsage(): SlotUsage {
    const agent = this.requireWorkflow().config.agent;
    const runningByState: Record<string, number> = {};
    for (const item of this.running.values()) {
      const state = normalizeName(item.issue.state);
      runningByState[state] = (runningByState[state] ?? 0) + 1;
    }
    return {
      maxConcurrentAgents: agent.max_concurrent_agents,
      maxConcurrentAgentsByState: agent.max_concurrent_agents_by_state,
      runningTotal: this.running.size,
      runningByState,
    };
  }

  // ---------------------------------------------------------------- ticks

  private async runTick(): Promise<void> {
    const startedAt = new Date();
    this.events.publish('tick-started', { at: startedAt });
    await this.reconcile();
    if (!this.stopping && !this.draining) await this.checkChangeRequests();
    let dispatched = 0;
    let candidateCount = 0;
    if (!this.stopping && !this.draining) {
      const result = await this.dispatchCandidates();
      dispatched = result.dispatched;
      candidateCount = result.candidates;
    }
    if (this.started) this.schedulePoll();
    this.events.publish('tick-finished', { at: new Date(), dispatched, candidates: candidateCount });
  }

  private schedulePoll(): void {
    if (!this.started || this.stopping) return;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    const interval = this.requireWorkflow().config.polling.interval_ms;
    this.nextPollAt = new Date(Date.now() + interval);
    this.pollTimer = setTimeout(() => this.requestTick(), interval);
  }

  /** Stall check, then a refresh of every running issue; a refresh failure keeps everything running. */
  private async reconcile(): Promise<void> {
    const stallTimeoutMs = this.requireWorkflow().config.agent.stall_timeout_ms;
    const now = Date.now();
    for (const item of this.running.values()) {
      if (item.stopRequest || stallTimeoutMs <= 0) continue;
      if (now - item.lastActivityAt > stallTimeoutMs) {
        this.requestStop(item, {
          kind: 'stall',
          reason: `stalled: no agent activity for ${stallTimeoutMs} ms`,
          removeWorkspace: false,
        });
      }
    }
    const ids = [...this.running.values()].filter((item) => !item.stopRequest).map((item) => item.issue.id);
    if (ids.length === 0) return;
    let refreshed: Issue[];
    try {
      refreshed = await this.tracker().getIssues({ ids });
    } catch (error) {
      const message = describeError(error);
      this.logger.warn('refreshing running issues failed; they keep running', { message });
      this.events.publish('tick-failed', { at: new Date(), stage: 'reconcile', message });
      return;
    }
    const byId = new Map(refreshed.map((issue) => [issue.id, issue]));
    const rules = this.dispatchRules();
    for (const id of ids) {
      const item = this.running.get(id);
      if (!item || item.stopRequest) continue;
      const issue = byId.get(id) ?? null;
      const decision = decideReconciliation(issue, rules);
      if (decision.action === 'stop') {
        this.requestStop(item, {
          kind: 'reconcile',
          reason: decision.reason,
          removeWorkspace: decision.removeWorkspace,
        });
      } else if (issue) {
        item.issue = issue;
      }
    }
  }

  private async dispatchCandidates(): Promise<{ dispatched: number; candidates: number }> {
    const workflow = this.requireWorkflow();
    let candidates: Issue[];
    try {
      candidates = await this.tracker().listIssues({ states: workflow.config.tracker.active_states });
    } catch (error) {
      const message = describeError(error);
      this.logger.warn('fetching candidate issues failed; no dispatch this tick', { message });
      this.events.publish('tick-failed', { at: new Date(), stage: 'candidates', message });
      return { dispatched: 0, candidates: 0 };
    }
    await this.unblockChangedIssues(candidates);
    const rules = this.dispatchRules();
    const denied = new Set<string>();
    let dispatched = 0;
    let budgetAllowsAll = true;
    while (budgetAllowsAll) {
      const busy = new Set<string>([
        ...this.running.keys(),
        ...this.retrying.keys(),
        ...this.blocked.keys(),
        ...this.awaiting.keys(),
        ...denied,
      ]);
      const chosen = selectDispatches(candidates, rules, busy, this.slotUsage());
      if (chosen.length === 0) break;
      for (const issue of chosen) {
        const choice = await this.chooseAgent(issue, 0);
        const decision = await this.checkBudget(issue, choice);
        if (!decision.allowed) {
          denied.add(issue.id);
          if (decision.scope === 'global') {
            budgetAllowsAll = false;
            break;
          }
          continue;
        }
        await this.dispatch(issue, null, { continuation: false, choice });
        dispatched++;
      }
      // A dry run adds nothing to `running`, so another round would pick the same issues again.
      if (this.dryRun) break;
    }
    if (denied.size === 0 && this.budgetPause) this.budgetPause = null;
    return { dispatched, candidates: candidates.length };
  }

  /** A blocked issue that a person changed (label removed, description edited, …) may run again. */
  private async unblockChangedIssues(candidates: readonly Issue[]): Promise<void> {
    for (const issue of candidates) {
      const blocked = this.blocked.get(issue.id);
      if (!blocked || fingerprintOf(issue) === blocked.fingerprint) continue;
      this.blocked.delete(issue.id);
      const record = await this.readRecord(issue);
      await this.writeRecord({ ...record, blocked: null, failures: 0 });
      this.logger.info('issue changed by a person; unblocked', { issue: issue.identifier });
    }
  }

  // ---------------------------------------------------------------- dispatch

  private async chooseAgent(issue: Issue, failures: number) {
    const workflow = this.requireWorkflow();
    const match = await this.focusMatcher.match({ issue, foci: resolveFoci(workflow.config) });
    const focus = match?.focus ?? generalFocus;
    const profile = selectProfile(
      resolveProfiles(workflow.config),
      workflow.config.agent.escalation,
      issue,
      failures,
    );
    return {
      focus,
      focusReasons: match?.reasons ?? [],
      profile,
      agentKind: focus.agentKind ?? profile?.agentKind ?? workflow.config.agent.kind,
      model: focus.model ?? profile?.model ?? workflow.config.agent.model,
    };
  }

  private async checkBudget(
    issue: Issue,
    choice: { focus: Focus; profile: AgentProfile | null; agentKind: string; model: string | null },
    inFlightCostUsd?: number,
  ): Promise<BudgetDecision> {
    const budget = this.budget();
    if (!budget) return { allowed: true, remainingUsd: null };
    const subject: BudgetSubject = {
      issueId: issue.id,
      issueIdentifier: issue.identifier,
      focus: choice.focus.name,
      profile: choice.profile?.name ?? null,
      agentKind: choice.agentKind,
      model: choice.model,
    };
    const decision = await budget.check({
      subject,
      ...(inFlightCostUsd === undefined ? {} : { inFlightCostUsd }),
    });
    if (decision.allowed) {
      this.budgetRemainingUsd = decision.remainingUsd;
      return decision;
    }
    // Announce each exhausted limit once per window, not once per candidate or tick.
    const windowKey = decision.windowKey ?? `${decision.limit}:${decision.retryAt?.toISOString() ?? 'never'}`;
    const limitKey = decision.scope === 'global' ? windowKey : `${issue.id}:${windowKey}`;
    if (!this.announcedBudgetWindows.has(limitKey)) {
      this.announcedBudgetWindows.add(limitKey);
      this.events.publish('budget-exceeded', { decision, issueIdentifier: issue.identifier });
    }
    if (inFlightCostUsd === undefined) this.budgetPause = { reason: decision.reason, windowKey: limitKey };
    return decision;
  }

  private async dispatch(
    issue: Issue,
    attempt: number | null,
    options: { continuation: boolean; choice?: Awaited<ReturnType<Orchestrator['chooseAgent']>> },
  ): Promise<void> {
    const workflow = this.requireWorkflow();
    const record = await this.readRecord(issue);
    const choice =
      options.choice && record.failures === 0
        ? options.choice
        : await this.chooseAgent(issue, record.failures);
    this.events.publish('issue-dispatched', {
      issueId: issue.id,
      issueIdentifier: issue.identifier,
      attempt,
      focus: choice.focus.name,
      profile: choice.profile?.name ?? null,
      agentKind: choice.agentKind,
      model: choice.model,
    });
    this.logger.info('dispatching', {
      issue: issue.identifier,
      attempt,
      focus: choice.focus.name,
      reasons: choice.focusReasons,
      profile: choice.profile?.name ?? null,
      agent: choice.agentKind,
      model: choice.model,
    });
    if (this.dryRun) return;
    if (await this.adoptOpenChangeRequest(issue, record)) return;

    // Stopping may have begun while this dispatch awaited the store or the forge.
    if (this.stopping || this.draining) return;
    const item = this.createRunningItem(issue, attempt, choice, 'attempt');
    this.running.set(issue.id, item);

    let agent: AgentBackendV1;
    try {
      agent = this.agentFor(choice.agentKind);
    } catch (error) {
      item.worker = this.finishAttempt(item, {
        outcome: { kind: 'failed', reason: describeError(error) },
        sessionId: null,
        workspace: null,
        lastRun: null,
      });
      return;
    }
    const scm = this.scm();
    const environment = this.agentEnvironment(agent);
    const agentStateDirectory = await this.agentStateDirectory(issue);

    if (scm && record.publishPending && (await this.workspaces!.has(issue.identifier))) {
      // The agent's result survived a restart unpublished: publish it instead of running again.
      item.worker = this.workspaces!.prepare(issue.identifier)
        .then((workspace) =>
          this.publishAfterAttempt(item, {
            outcome: { kind: 'completed' },
            sessionId: record.sessionId,
            workspace,
            lastRun: null,
          }),
        )
        .then((result) => this.finishAttempt(item, result));
      return;
    }
    item.worker = runAttempt({
      issue,
      attempt,
      workflow,
      focus: choice.focus,
      profile: choice.profile,
      agent,
      model: choice.model,
      environment,
      agentStateDirectory,
      resumeSessionId: options.continuation ? record.sessionId : null,
      workspaces: this.workspaces!,
      publishesAfterRun: scm !== null,
      abortSignal: item.abortController.signal,
      logger: this.logger,
      refreshIssue: async () => (await this.tracker().getIssues({ ids: [issue.id] }))[0] ?? null,
      isActive: (refreshed) => isActiveState(this.dispatchRules(), refreshed.state),
      reasonToStopBeforeTurn: async () => {
        const decision = await this.checkBudget(issue, item);
        return decision.allowed ? null : decision.reason;
      },
      reportPhase: (phase) => {
        if (!item.stopRequest) item.phase = phase;
      },
      reportWorkspace: (workspace) =>
        this.events.publish('workspace-prepared', {
          issueId: issue.id,
          issueIdentifier: issue.identifier,
          path: workspace.path,
          branch: workspace.branch,
          created: workspace.created,
        }),
      reportHookFailure: (hook, message, fatal) =>
        this.events.publish('hook-failed', {
          issueId: issue.id,
          issueIdentifier: issue.identifier,
          hook,
          message,
          fatal,
        }),
      reportRunStarted: (turn, sessionId) => {
        item.turns = turn;
        item.lastActivityAt = Date.now();
        this.events.publish('agent-run-started', {
          issueId: issue.id,
          issueIdentifier: issue.identifier,
          attempt,
          turn,
          sessionId,
        });
      },
      reportAgentEvent: (event) => this.onAgentEvent(item, event),
      reportRunFinished: (result, turn) => this.onRunFinished(item, result, turn),
    })
      .then((result) => this.publishAfterAttempt(item, result))
      .then((result) => this.finishAttempt(item, result));
  }

  private environment(): NodeJS.ProcessEnv {
    return this.options.environment ?? process.env;
  }

  private createRunningItem(
    issue: Issue,
    attempt: number | null,
    choice: { focus: Focus; profile: AgentProfile | null; agentKind: string; model: string | null },
    kind: RunningItem['kind'],
  ): RunningItem {
    return {
      kind,
      activity: 'run',
      issue,
      attempt,
      phase: 'preparing',
      focus: choice.focus,
      profile: choice.profile,
      agentKind: choice.agentKind,
      model: choice.model,
      startedAt: new Date(),
      lastActivityAt: Date.now(),
      lastEvent: null,
      lastEventAt: null,
      sessionId: null,
      turns: 0,
      finishedUsage: emptyTokenUsage(),
      finishedCostUsd: 0,
      liveUsage: emptyTokenUsage(),
      liveCostUsd: 0,
      abortController: new AbortController(),
      stopRequest: null,
      worker: null,
    };
  }

  /** The agent's environment: the orchestrator's minus tracker and forge credentials, plus `agent.env`. */
  private agentEnvironment(agent: AgentBackendV1): Record<string, string> {
    const scm = this.scm();
    const secretVariables = [
      ...(this.tracker().secretEnvironmentVariables ?? []),
      ...(scm?.secretEnvironmentVariables ?? []),
    ];
    for (const name of agent.secretEnvironmentVariables ?? []) registerSecret(this.environment()[name]);
    return {
      ...buildAgentEnvironment(this.environment(), secretVariables, this.requireWorkflow().config.agent.env),
      [agentOwnerVariable]: this.agentOwner(),
    };
  }

  /** Marks this orchestrator's agents so a restart can find the ones a crash left running. */
  private agentOwner(): string {
    return createHash('sha256').update(path.resolve(this.stateDirectory())).digest('hex').slice(0, 24);
  }

  /** The agent's home and session files for this issue, kept for the issue's whole life so resume works. */
  private async agentStateDirectory(issue: Issue): Promise<string> {
    const directory = path.join(this.stateDirectory(), 'agents', workspaceKeyFor(issue.identifier));
    await mkdir(directory, { recursive: true });
    return directory;
  }

  private onAgentEvent(item: RunningItem, event: AgentEvent): void {
    item.lastActivityAt = Date.now();
    item.lastEvent = event.type;
    item.lastEventAt = new Date();
    if (event.type === 'session-start') item.sessionId = event.sessionId;
    if (event.type === 'usage') {
      item.liveUsage = event.usage;
      item.liveCostUsd = event.costUsd ?? item.liveCostUsd;
      if (event.costUsd !== null && this.budgets) void this.checkStreamingSpend(item);
    }
    // Agent output can echo anything it read (a .env file, say): redact before it leaves.
    this.events.publish('agent-event', {
      issueId: item.issue.id,
      issueIdentifier: item.issue.identifier,
      event: redactValue(event),
    });
  }

  /** While a run streams cost, a per-issue limit it crosses stops the run. */
  private async checkStreamingSpend(item: RunningItem): Promise<void> {
    const decision = await this.checkBudget(item.issue, item, item.finishedCostUsd + item.liveCostUsd).catch(
      () => null,
    );
    if (decision && !decision.allowed && !item.stopRequest) {
      this.requestStop(item, { kind: 'budget', reason: decision.reason, removeWorkspace: false });
    }
  }

  private async onRunFinished(item: RunningItem, result: AgentRunResult, turn: number): Promise<void> {
    item.finishedUsage = addTokenUsage(item.finishedUsage, result.usage);
    item.finishedCostUsd += result.costUsd ?? 0;
    item.liveUsage = emptyTokenUsage();
    item.liveCostUsd = 0;
    item.sessionId = result.sessionId ?? item.sessionId;
    this.totals.usage = addTokenUsage(this.totals.usage, result.usage);
    this.totals.costUsd += result.costUsd ?? 0;
    this.totals.runs++;
    this.events.publish('agent-run-finished', {
      issueId: item.issue.id,
      issueIdentifier: item.issue.identifier,
      result,
      turn,
    });
    const budget = this.budget();
    if (budget) {
      try {
        const entry = await budget.record({
          record: {
            at: new Date(),
            issueId: item.issue.id,
            issueIdentifier: item.issue.identifier,
            id: `${item.issue.id}:${item.startedAt.getTime()}:${item.activity}:${turn}`,
            activity: item.activity,
            focus: item.focus.name,
            profile: item.profile?.name ?? null,
            agentKind: item.agentKind,
            model: item.model,
            usage: result.usage,
            costUsd: result.costUsd,
          },
        });
        if (entry.costSource === 'unknown') {
          this.events.publish('budget-warning', {
            message: `no cost reported and no price configured for model ${item.model ?? '(default)'}; recorded as $0`,
            model: item.model,
          });
        }
      } catch (error) {
        this.logger.error('recording spend failed', {
          issue: item.issue.identifier,
          message: describeError(error),
        });
      }
    }
  }

  private requestStop(item: RunningItem, request: NonNullable<RunningItem['stopRequest']>): void {
    if (item.stopRequest) return;
    item.stopRequest = request;
    item.phase = 'stopping';
    this.logger.info('stopping agent', { issue: item.issue.identifier, reason: request.reason });
    item.abortController.abort(request.reason);
  }

  // ---------------------------------------------------------------- after an attempt

  private async finishAttempt(item: RunningItem, result: AttemptResult): Promise<void> {
    const { issue } = item;
    try {
      this.totals.finishedRuntimeMs += Date.now() - item.startedAt.getTime();
      const record = await this.readRecord(issue);
      record.sessionId = result.sessionId ?? record.sessionId;
      let outcome: AttemptOutcome = result.outcome;
      const stop = item.stopRequest;
      if (stop?.kind === 'stall') outcome = { kind: 'failed', reason: stop.reason };
      else if (stop) outcome = { kind: 'stopped', reason: stop.reason };
      if (outcome.kind === 'failed') record.failures++;
      if (outcome.kind === 'completed') record.failures = 0;
      if (result.published) {
        Object.assign(record, freshChangeRequestHistory, {
          changeRequest: result.published.changeRequest,
          lastPushedHead: result.published.head,
        });
      }
      await this.writeRecord(record);
      if (result.published && !stop) {
        await this.enterAwaiting(item.issue, result.published.changeRequest, result.published.opened);
        return;
      }

      if (stop?.removeWorkspace) await this.removeWorkspace(issue);
      const agent = this.requireWorkflow().config.agent;
      const decision = decideAfterAttempt(outcome, record.failures, item.attempt, {
        maxAttempts: agent.max_attempts,
        maxRetryBackoffMs: agent.max_retry_backoff_ms,
        continuationDelayMs: agent.continuation_delay_ms,
      });
      if (this.stopping || this.draining) {
        if (decision.action === 'block') await this.block(issue, decision.reason, record);
        return;
      }
      switch (decision.action) {
        case 'continue':
          this.scheduleRetry(
            issue,
            decision.attempt,
            decision.delayMs,
            'continuation after a clean exit',
            true,
          );
          break;
        case 'retry':
          this.scheduleRetry(issue, decision.attempt, decision.delayMs, decision.reason, false);
          break;
        case 'block':
          await this.block(issue, decision.reason, record);
          break;
        case 'release':
          this.events.publish('issue-released', {
            issueId: issue.id,
            issueIdentifier: issue.identifier,
            reason: decision.reason,
            workspaceKept: !stop?.removeWorkspace,
          });
          break;
      }
    } catch (error) {
      this.logger.error('finishing an attempt failed', {
        issue: issue.identifier,
        message: describeError(error),
      });
    } finally {
      this.running.delete(issue.id);
      this.notifyIfIdle();
    }
  }

  private scheduleRetry(
    issue: Issue,
    attempt: number,
    delayMs: number,
    reason: string,
    continuation: boolean,
  ): void {
    const existing = this.retrying.get(issue.id);
    if (existing) clearTimeout(existing.timer);
    const dueAt = new Date(Date.now() + delayMs);
    const timer = setTimeout(() => {
      const handler = this.onRetryDue(issue.id).finally(() => this.retryHandlers.delete(handler));
      this.retryHandlers.add(handler);
    }, delayMs);
    this.retrying.set(issue.id, {
      issueId: issue.id,
      identifier: issue.identifier,
      attempt,
      dueAt,
      reason,
      continuation,
      timer,
    });
    this.events.publish('retry-scheduled', {
      issueId: issue.id,
      issueIdentifier: issue.identifier,
      attempt,
      dueAt,
      delayMs,
      reason,
    });
  }

  private async onRetryDue(issueId: string): Promise<void> {
    const retry = this.retrying.get(issueId);
    if (!retry || this.stopping || this.draining) return;
    this.retrying.delete(issueId);
    try {
      await this.initialize();
      let refreshed: Issue | null;
      try {
        refreshed = (await this.tracker().getIssues({ ids: [issueId] }))[0] ?? null;
      } catch (error) {
        const attempt = retry.attempt + 1;
        const delayMs = failureRetryDelayMs(
          attempt,
          this.requireWorkflow().config.agent.max_retry_backoff_ms,
        );
        const reason = `refreshing the issue failed: ${describeError(error)}`;
        this.scheduleRetry(
          { id: issueId, identifier: retry.identifier } as Issue,
          attempt,
          delayMs,
          reason,
          retry.continuation,
        );
        return;
      }
      const slotFree = refreshed !== null && hasFreeSlot(this.slotUsage(), refreshed.state);
      const decision = decideDueRetry(refreshed, this.dispatchRules(), slotFree);
      if (decision.action === 'release') {
        if (decision.removeWorkspace && refreshed) await this.removeWorkspace(refreshed);
        this.events.publish('issue-released', {
          issueId,
          issueIdentifier: retry.identifier,
          reason: decision.reason,
          workspaceKept: !decision.removeWorkspace,
        });
        return;
      }
      if (decision.action === 'requeue') {
        const attempt = retry.attempt + 1;
        const delayMs = failureRetryDelayMs(
          attempt,
          this.requireWorkflow().config.agent.max_retry_backoff_ms,
        );
        this.scheduleRetry(refreshed!, attempt, delayMs, decision.reason, retry.continuation);
        return;
      }
      const record = await this.readRecord(refreshed!);
      const choice = await this.chooseAgent(refreshed!, record.failures);
      const budgetDecision = await this.checkBudget(refreshed!, choice);
      // A denied retry goes back to the queue: the next tick offers it again as a candidate.
      if (!budgetDecision.allowed) return;
      await this.dispatch(refreshed!, retry.attempt, { continuation: retry.continuation, choice });
    } catch (error) {
      this.logger.error('a due retry failed', { issue: retry.identifier, message: describeError(error) });
    }
  }

  /** After too many failures: say so on the issue, label it, and wait for a person. */
  private async block(issue: Issue, reason: string, record: WorkItemRecord): Promise<void> {
    const tracker = this.tracker();
    const label = this.requireWorkflow().config.tracker.needs_human_label;
    let labels = issue.labels;
    if (!this.dryRun) {
      try {
        await tracker.commentOnIssue?.({
          issueId: issue.id,
          key: 'loompa-blocked',
          body: `Loompa stopped working on ${issue.identifier} and needs a person: ${reason}. Change the issue (for example remove the "${label}" label) to let Loompa try again.`,
        });
        if (tracker.updateLabels) {
          await tracker.updateLabels({ issueId: issue.id, add: [label] });
          labels = [...new Set([...issue.labels, normalizeName(label)])];
        }
      } catch (error) {
        this.logger.warn('telling the tracker about a blocked issue failed', {
          issue: issue.identifier,
          message: describeError(error),
        });
      }
    }
    const since = new Date();
    const fingerprint = fingerprintOf({ ...issue, labels });
    this.blocked.set(issue.id, { identifier: issue.identifier, reason, since, fingerprint });
    await this.writeRecord({ ...record, blocked: { reason, fingerprint, since: since.toISOString() } });
    this.events.publish('issue-blocked', { issueId: issue.id, issueIdentifier: issue.identifier, reason });
  }

  // ---------------------------------------------------------------- change requests

  /** An open change request for the issue's branch (left by a crash, or by a person) is adopted, not duplicated. */
  private async adoptOpenChangeRequest(issue: Issue, record: WorkItemRecord): Promise<boolean> {
    const scm = this.scm();
    if (!scm) return false;
    let changeRequest = record.changeRequest;
    if (!changeRequest) {
      try {
        changeRequest = await scm.findChangeRequest({ branch: this.workspaces!.branchFor(issue.identifier) });
      } catch (error) {
        this.logger.warn('looking up an existing change request failed', {
          issue: issue.identifier,
          message: describeError(error),
        });
        return false;
      }
    }
    if (changeRequest?.state !== 'open') return false;
    const adoptedHead = record.changeRequest?.id === changeRequest.id ? record.lastPushedHead : null;
    await this.writeRecord({
      ...record,
      ...freshChangeRequestHistory,
      changeRequest,
      lastPushedHead: adoptedHead,
      handledCommentIds: record.handledCommentIds,
    });
    this.logger.info('adopting the open change request instead of running again', {
      issue: issue.identifier,
      changeRequest: changeRequest.url ?? changeRequest.id,
    });
    await this.enterAwaiting(issue, changeRequest, false);
    return true;
  }

  /** After a clean attempt with an SCM configured: commit, push and open the change request. */
  private async publishAfterAttempt(item: RunningItem, result: AttemptResult): Promise<AttemptResult> {
    const scm = this.scm();
    if (!scm || result.outcome.kind !== 'completed' || !result.workspace || item.stopRequest) return result;
    const record = await this.readRecord(item.issue);
    await this.writeRecord({
      ...record,
      sessionId: result.sessionId ?? record.sessionId,
      publishPending: true,
    });
    item.phase = 'publishing';
    try {
      const published = await publishWork({
        workflow: this.requireWorkflow(),
        scm,
        issue: item.issue,
        worktree: result.workspace.path,
        branch: result.workspace.branch,
        baseBranch: await this.workspaces!.baseBranch(),
        focus: item.focus,
        profile: item.profile,
        agentKind: item.agentKind,
        model: item.model,
        lastPushedHead: record.changeRequest ? record.lastPushedHead : null,
        followUpSubject: null,
        historyRewritten: false,
        knownChangeRequest: record.changeRequest,
      });
      await this.writeRecord({ ...(await this.readRecord(item.issue)), publishPending: false });
      return { ...result, published };
    } catch (error) {
      if (LoompaError.hasCode(error, 'nothing_to_publish')) {
        await this.writeRecord({ ...(await this.readRecord(item.issue)), publishPending: false });
      }
      return { ...result, outcome: { kind: 'failed', reason: `publishing failed: ${describeError(error)}` } };
    }
  }

  /** The issue now has an open change request: link it, move the issue to review, and watch it. */
  private async enterAwaiting(issue: Issue, changeRequest: ChangeRequest, opened: boolean): Promise<void> {
    this.awaiting.set(issue.id, { issue, changeRequest, since: new Date(), waitingFor: null });
    this.events.publish(opened ? 'change-request-opened' : 'change-request-updated', {
      issueId: issue.id,
      issueIdentifier: issue.identifier,
      changeRequest,
      ...(opened ? {} : { headSha: null }),
    } as never);
    await this.linkIssueToChangeRequest(issue, changeRequest, await this.readRecord(issue));
    await this.updateStatusComment(issue, changeRequest, 'Published; waiting for checks and review.');
  }

  /**
   * Comments the change request on the issue and moves it to the review state, once per
   * change request. The record remembers it, so a crash between opening and linking is
   * mended on the next check instead of being lost (or repeated).
   */
  private async linkIssueToChangeRequest(
    issue: Issue,
    changeRequest: ChangeRequest,
    record: WorkItemRecord,
  ): Promise<void> {
    if (record.trackerLinked || this.dryRun) return;
    const tracker = this.tracker();
    try {
      await tracker.commentOnIssue?.({
        issueId: issue.id,
        key: 'loompa-change-request',
        body: `Loompa opened a change request for ${issue.identifier}: ${changeRequest.url ?? `branch ${changeRequest.branch}`}`,
      });
      const reviewState = this.requireWorkflow().config.tracker.review_state;
      if (reviewState && normalizeName(issue.state) !== normalizeName(reviewState)) {
        await tracker.transitionIssue?.({ issueId: issue.id, state: reviewState });
      }
      await this.writeRecord({ ...(await this.readRecord(issue)), trackerLinked: true });
    } catch (error) {
      this.logger.warn('updating the tracker after publishing failed; trying again next tick', {
        issue: issue.identifier,
        message: describeError(error),
      });
    }
  }

  /** Keeps one status comment per change request up to date instead of adding new ones. */
  private async updateStatusComment(
    issue: Issue,
    changeRequest: ChangeRequest,
    status: string,
  ): Promise<void> {
    const scm = this.scm();
    if (!scm?.upsertComment || this.dryRun) return;
    const record = await this.readRecord(issue);
    const body = [
      `**Loompa** is working on ${issue.identifier}.`,
      '',
      `Status: ${status}`,
      '',
      `CI fix rounds: ${record.ciAttempts} · review rounds: ${record.reviewAttempts} · rebases: ${record.conflictAttempts}`,
      `Last head pushed: ${record.lastPushedHead?.slice(0, 12) ?? '(none)'}`,
    ].join('\n');
    try {
      await scm.upsertComment({ changeRequest, key: 'loompa-status', body });
    } catch (error) {
      this.logger.warn('updating the status comment failed', {
        issue: issue.identifier,
        message: describeError(error),
      });
    }
  }

  /** Reads every awaited change request and carries out the decision for each. */
  private async checkChangeRequests(): Promise<void> {
    const scm = this.scm();
    if (!scm || this.awaiting.size === 0) return;
    let refreshed: Map<string, Issue>;
    try {
      const issues = await this.tracker().getIssues({ ids: [...this.awaiting.keys()] });
      refreshed = new Map(issues.map((issue) => [issue.id, issue]));
    } catch (error) {
      this.logger.warn('refreshing awaited issues failed; change requests are checked next tick', {
        message: describeError(error),
      });
      return;
    }
    const workflow = this.requireWorkflow();
    for (const [issueId, entry] of [...this.awaiting.entries()]) {
      const issue = refreshed.get(issueId) ?? null;
      if (issue === null) {
        this.awaiting.delete(issueId);
        this.events.publish('issue-released', {
          issueId,
          issueIdentifier: entry.issue.identifier,
          reason: 'the issue is no longer in the tracker',
          workspaceKept: true,
        });
        continue;
      }
      entry.issue = issue;
      let record = await this.readRecord(issue);
      if (!record.trackerLinked) {
        await this.linkIssueToChangeRequest(issue, entry.changeRequest, record);
        record = await this.readRecord(issue);
      }
      let status: ChangeRequestStatus;
      try {
        status = await scm.getStatus({ changeRequest: entry.changeRequest });
      } catch (error) {
        // Fail closed: an unreadable status never merges and never reacts.
        this.logger.warn('reading a change request failed', {
          issue: issue.identifier,
          message: describeError(error),
        });
        continue;
      }
      const decision = decideChangeRequestAction(status, record, {
        ci: workflow.config.reactions.ci,
        review: workflow.config.reactions.review,
        conflict: workflow.config.reactions.conflict,
        autoMerge: workflow.config.scm.auto_merge,
        botName: workflow.config.scm.author_name,
      });
      await this.actOnChangeRequest(entry, status, record, decision);
    }
  }

  private async actOnChangeRequest(
    entry: AwaitingItem,
    status: ChangeRequestStatus,
    record: WorkItemRecord,
    decision: ChangeRequestAction,
  ): Promise<void> {
    const { issue, changeRequest } = entry;
    const workflow = this.requireWorkflow();
    switch (decision.action) {
      case 'wait':
        entry.waitingFor = decision.reason;
        return;
      case 'done': {
        this.awaiting.delete(issue.id);
        await this.writeRecord({ ...record, ...freshChangeRequestHistory, failures: 0 });
        const doneState =
          workflow.config.tracker.done_state ?? workflow.config.tracker.terminal_states[0] ?? null;
        if (doneState && !this.dryRun) {
          await this.tracker()
            .transitionIssue?.({ issueId: issue.id, state: doneState })
            .catch((error: unknown) =>
              this.logger.warn('moving a merged issue to its done state failed', {
                issue: issue.identifier,
                message: describeError(error),
              }),
            );
        }
        await this.removeWorkspace(issue);
        this.events.publish('change-request-merged', {
          issueId: issue.id,
          issueIdentifier: issue.identifier,
          changeRequest: { ...changeRequest, state: 'merged' },
        });
        this.events.publish('issue-done', {
          issueId: issue.id,
          issueIdentifier: issue.identifier,
          reason: decision.reason,
        });
        return;
      }
      case 'release':
        this.awaiting.delete(issue.id);
        await this.writeRecord({ ...record, ...freshChangeRequestHistory });
        this.events.publish('issue-released', {
          issueId: issue.id,
          issueIdentifier: issue.identifier,
          reason: decision.reason,
          workspaceKept: true,
        });
        return;
      case 'block':
        this.awaiting.delete(issue.id);
        await this.updateStatusComment(
          issue,
          changeRequest,
          `Blocked: ${decision.reason}. A person needs to take over.`,
        );
        await this.block(issue, decision.reason, record);
        return;
      case 'merge': {
        const scm = this.scm()!;
        if (!scm.merge || this.dryRun) {
          entry.waitingFor = 'ready to merge; the provider cannot merge';
          return;
        }
        try {
          await scm.merge({
            changeRequest,
            method: workflow.config.scm.merge_method,
            expectedHeadSha: decision.headSha,
          });
          this.logger.info('merged', { issue: issue.identifier, head: decision.headSha });
        } catch (error) {
          entry.waitingFor = `merge refused: ${describeError(error)}`;
          this.logger.warn('merging failed; trying again next tick', {
            issue: issue.identifier,
            message: entry.waitingFor,
          });
        }
        return;
      }
      default:
        await this.startReaction(entry, status, record, decision);
    }
  }

  /** Resumes the agent on CI failures, review feedback or a conflict, in a worker like an attempt. */
  private async startReaction(
    entry: AwaitingItem,
    status: ChangeRequestStatus,
    record: WorkItemRecord,
    decision: ReactionDecision,
  ): Promise<void> {
    const { issue } = entry;
    if (!hasFreeSlot(this.slotUsage(), issue.state)) {
      entry.waitingFor = 'no available orchestrator slots for a reaction';
      return;
    }
    const choice = await this.chooseAgent(issue, record.failures);
    const budgetDecision = await this.checkBudget(issue, choice);
    if (!budgetDecision.allowed) {
      entry.waitingFor = `budget: ${budgetDecision.reason}`;
      return;
    }
    if (this.dryRun) return;
    const reaction: ReactionKind =
      decision.action === 'react-to-ci'
        ? 'ci-failure'
        : decision.action === 'react-to-review'
          ? 'review'
          : 'conflict';
    // Count the round before doing it, so a crash mid-reaction cannot loop forever.
    const counted: WorkItemRecord = {
      ...record,
      ciAttempts:
        reaction === 'ci-failure'
          ? (status.headSha === record.lastPushedHead ? record.ciAttempts : 0) + 1
          : record.ciAttempts,
      reviewAttempts: record.reviewAttempts + (reaction === 'review' ? 1 : 0),
      conflictAttempts: record.conflictAttempts + (reaction === 'conflict' ? 1 : 0),
    };
    await this.writeRecord(counted);
    this.awaiting.delete(issue.id);
    const item = this.createRunningItem(issue, null, choice, 'reaction');
    item.phase = 'reacting';
    item.activity = reaction;
    item.sessionId = record.sessionId;
    this.running.set(issue.id, item);
    const attempt =
      reaction === 'ci-failure'
        ? counted.ciAttempts
        : reaction === 'review'
          ? counted.reviewAttempts
          : counted.conflictAttempts;
    this.events.publish('reaction-started', {
      issueId: issue.id,
      issueIdentifier: issue.identifier,
      reaction,
      attempt,
      headSha: status.headSha,
    });
    await this.updateStatusComment(issue, entry.changeRequest, `Reacting: ${reaction} (round ${attempt}).`);
    item.worker = runReaction({
      workflow: this.requireWorkflow(),
      scm: this.scm()!,
      workspaces: this.workspaces!,
      logger: this.logger,
      issue,
      focus: item.focus,
      profile: item.profile,
      agentKind: item.agentKind,
      model: item.model,
      changeRequest: entry.changeRequest,
      status,
      decision,
      lastPushedHead: counted.lastPushedHead,
      runAgent: (feedback, cwd, turn) => this.runAgentForItem(item, feedback, cwd, turn),
      isStopping: () => item.stopRequest !== null,
    })
      .catch((error: unknown) => ({ ok: false as const, reason: describeError(error) }))
      .then((outcome) => this.finishReaction(item, entry, outcome));
  }

  /** Runs the agent once for a reaction, continuing its session when the backend can. */
  private async runAgentForItem(
    item: RunningItem,
    feedback: PromptFeedback,
    cwd: string,
    turn: number,
  ): Promise<AgentRunResult> {
    const workflow = this.requireWorkflow();
    const agent = this.agentFor(item.agentKind);
    const sessionId = item.sessionId;
    const canResume = sessionId !== null && typeof agent.resume === 'function';
    // A continued session knows the issue; a fresh one gets the whole prompt with the feedback.
    const prompt = canResume
      ? feedback.text
      : renderWorkflowPrompt(workflow, {
          issue: item.issue,
          attempt: null,
          focus: item.focus,
          profile: item.profile,
          feedback,
        }) + (workflow.promptTemplate.includes('feedback') ? '' : `\n\n${feedback.text}`);
    const options: AgentRunOptions = {
      prompt,
      cwd,
      env: this.agentEnvironment(agent),
      stateDirectory: await this.agentStateDirectory(item.issue),
      abortSignal: item.abortController.signal,
      limits: {
        idleTimeoutMs: workflow.config.agent.stall_timeout_ms || undefined,
        runTimeoutMs: workflow.config.agent.turn_timeout_ms,
      },
      onEvent: (event) => this.onAgentEvent(item, event),
      ...(item.model ? { model: item.model } : {}),
      ...(item.focus.instructions ? { instructions: item.focus.instructions } : {}),
    };
    item.turns = turn;
    item.lastActivityAt = Date.now();
    this.events.publish('agent-run-started', {
      issueId: item.issue.id,
      issueIdentifier: item.issue.identifier,
      attempt: null,
      turn,
      sessionId: canResume ? sessionId : null,
    });
    const result =
      canResume && agent.resume
        ? await agent.resume({ ...options, sessionId: sessionId! })
        : await agent.run(options);
    await this.onRunFinished(item, result, turn);
    return result;
  }

  private async finishReaction(
    item: RunningItem,
    entry: AwaitingItem,
    outcome: ReactionOutcome,
  ): Promise<void> {
    const { issue } = item;
    try {
      this.totals.finishedRuntimeMs += Date.now() - item.startedAt.getTime();
      const record = await this.readRecord(issue);
      record.sessionId = item.sessionId ?? record.sessionId;
      if (outcome.ok) {
        record.lastPushedHead = outcome.head;
        // Counted before it ran; a rebase the agent was not needed for gives the round back,
        // or a base that keeps moving would block a change that never conflicted.
        if (outcome.rebasedWithoutAgent) record.conflictAttempts = Math.max(0, record.conflictAttempts - 1);
        record.handledCommentIds = [...record.handledCommentIds, ...(outcome.handledCommentIds ?? [])];
      } else {
        if (outcome.failedConflictHead)
          record.failedConflictHeads = [...record.failedConflictHeads, outcome.failedConflictHead];
        this.logger.warn('a reaction failed', { issue: issue.identifier, reason: outcome.reason });
      }
      await this.writeRecord(record);
      if (item.stopRequest?.removeWorkspace) await this.removeWorkspace(issue);
      if (item.stopRequest && item.stopRequest.kind !== 'stall') {
        this.events.publish('issue-released', {
          issueId: issue.id,
          issueIdentifier: issue.identifier,
          reason: item.stopRequest.reason,
          workspaceKept: !item.stopRequest.removeWorkspace,
        });
        return;
      }
      this.awaiting.set(issue.id, {
        ...entry,
        issue,
        waitingFor: outcome.ok ? 'checks on the new head' : outcome.reason,
      });
      if (outcome.ok) {
        this.events.publish('change-request-updated', {
          issueId: issue.id,
          issueIdentifier: issue.identifier,
          changeRequest: entry.changeRequest,
          headSha: outcome.head,
        });
        await this.updateStatusComment(
          issue,
          entry.changeRequest,
          `Pushed ${outcome.head.slice(0, 12)}; waiting for checks.`,
        );
      }
    } catch (error) {
      this.logger.error('finishing a reaction failed', {
        issue: issue.identifier,
        message: describeError(error),
      });
    } finally {
      this.running.delete(issue.id);
      this.notifyIfIdle();
    }
  }

  // ---------------------------------------------------------------- workspaces

  private async removeWorkspace(issue: Pick<Issue, 'id' | 'identifier'>): Promise<void> {
    const workspaces = this.workspaces!;
    try {
      if (!(await workspaces.has(issue.identifier))) return;
      const workspacePath = await workspaces.pathFor(issue.identifier);
      const hooks = this.requireWorkflow().config.hooks;
      if (hooks.before_remove) {
        try {
          await runHook({
            name: 'before_remove',
            script: hooks.before_remove,
            cwd: workspacePath,
            timeoutMs: hooks.timeout_ms,
          });
        } catch (error) {
          this.events.publish('hook-failed', {
            issueId: issue.id,
            issueIdentifier: issue.identifier,
            hook: 'before_remove',
            message: describeError(error),
            fatal: false,
          });
        }
      }
      await workspaces.remove(issue.identifier);
      this.events.publish('workspace-removed', {
        issueId: issue.id,
        issueIdentifier: issue.identifier,
        path: workspacePath,
      });
    } catch (error) {
      this.logger.warn('removing a workspace failed', {
        issue: issue.identifier,
        message: describeError(error),
      });
    }
  }

  /** At start, workspaces of issues that are already terminal are removed. */
  private async removeTerminalWorkspaces(): Promise<void> {
    let terminal: Issue[];
    try {
      terminal = await this.tracker().listIssues({
        states: this.requireWorkflow().config.tracker.terminal_states,
      });
    } catch (error) {
      this.logger.warn('listing terminal issues for cleanup failed', { message: describeError(error) });
      return;
    }
    for (const issue of terminal) await this.removeWorkspace(issue);
  }

  // ---------------------------------------------------------------- store

  private async readRecord(issue: Pick<Issue, 'id' | 'identifier'>): Promise<WorkItemRecord> {
    const stored = await this.store!.get<WorkItemRecord>(storeKeyFor(issue.id));
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

  private async writeRecord(record: WorkItemRecord): Promise<void> {
    await this.store!.set(storeKeyFor(record.issueId), record);
  }

  // ---------------------------------------------------------------- observation

  /** Everything the orchestrator is doing now. */
  snapshot(): OrchestratorSnapshot {
    const now = Date.now();
    let liveRuntimeMs = 0;
    let liveUsage = emptyTokenUsage();
    let liveCostUsd = 0;
    const running = [...this.running.values()].map((item) => {
      liveRuntimeMs += now - item.startedAt.getTime();
      liveUsage = addTokenUsage(liveUsage, item.liveUsage);
      liveCostUsd += item.liveCostUsd;
      return {
        issueId: item.issue.id,
        identifier: item.issue.identifier,
        state: item.issue.state,
        phase: item.phase,
        attempt: item.attempt,
        focus: item.focus.name,
        profile: item.profile?.name ?? null,
        agentKind: item.agentKind,
        model: item.model,
        sessionId: item.sessionId,
        turns: item.turns,
        lastEvent: item.lastEvent,
        lastEventAt: item.lastEventAt,
        startedAt: item.startedAt,
        usage: addTokenUsage(item.finishedUsage, item.liveUsage),
        costUsd: item.finishedCostUsd + item.liveCostUsd,
      };
    });
    return {
      at: new Date(now),
      running,
      retrying: [...this.retrying.values()].map(({ issueId, identifier, attempt, dueAt, reason }) => ({
        issueId,
        identifier,
        attempt,
        dueAt,
        reason,
      })),
      awaiting: [...this.awaiting.entries()].map(([issueId, entry]) => ({
        issueId,
        identifier: entry.issue.identifier,
        changeRequestUrl: entry.changeRequest.url,
        branch: entry.changeRequest.branch,
        since: entry.since,
        waitingFor: entry.waitingFor,
      })),
      blocked: [...this.blocked.entries()].map(([issueId, entry]) => ({
        issueId,
        identifier: entry.identifier,
        reason: entry.reason,
        since: entry.since,
      })),
      totals: {
        usage: addTokenUsage(this.totals.usage, liveUsage),
        costUsd: this.totals.costUsd + liveCostUsd,
        runtimeMs: this.totals.finishedRuntimeMs + liveRuntimeMs,
        runs: this.totals.runs,
      },
      workflow: {
        filePath: this.workflow?.filePath ?? this.options.workflowPath ?? null,
        valid: this.workflowError === null && this.workflow !== null,
        error: this.workflowError?.message ?? null,
      },
      budget: {
        paused: this.budgetPause !== null,
        reason: this.budgetPause?.reason ?? null,
        remainingUsd: this.budgetRemainingUsd,
      },
      nextPollAt: this.nextPollAt,
      dryRun: this.dryRun,
      draining: this.draining,
    };
  }

  /** Subscribes to one event; returns the unsubscribe function. */
  on<Name extends keyof OrchestratorEventMap>(
    name: Name,
    listener: (payload: OrchestratorEventMap[Name]) => void,
  ): () => void {
    (this.events.on as (name: string, listener: (payload: unknown) => void) => unknown)(
      name,
      listener as never,
    );
    return () =>
      (this.events.off as (name: string, listener: (payload: unknown) => void) => unknown)(
        name,
        listener as never,
      );
  }
}

/** Creates an orchestrator; call `start()` (or `runOnce()`) to begin. */
export function createOrchestrator(options: OrchestratorOptions): Orchestrator {
  return new Orchestrator(options);
}
