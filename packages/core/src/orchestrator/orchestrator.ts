import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { commandAgent } from '../agents/command-agent.js';
import { WorkflowError } from '../errors/error-classes.js';
import { describeError } from '../errors/loompa-error.js';
import { type OrchestratorEventMap, OrchestratorEvents } from '../events/orchestrator-events.js';
import { generalFocus } from '../focus/built-in-foci.js';
import { createDefaultFocusMatcher } from '../focus/default-focus-matcher.js';
import { resolveFoci } from '../focus/resolve-foci.js';
import { resolveProfiles, selectProfile } from '../focus/select-profile.js';
import { createSilentLogger, type Logger } from '../logging/logger.js';
import { registerSecret } from '../secrets/redact-secrets.js';
import type { AgentBackendV1, AgentEvent, AgentRunResult } from '../specifications/agent-backend.js';
import type { BudgetDecision, BudgetSubject, BudgetV1 } from '../specifications/budget.js';
import { addTokenUsage, emptyTokenUsage, type TokenUsage } from '../specifications/common.js';
import type { AgentProfile, Focus } from '../specifications/focus.js';
import type { FocusMatcherV1 } from '../specifications/focus-matcher.js';
import { type Issue, normalizeName } from '../specifications/issue.js';
import type { PluginContext, PluginEntry } from '../specifications/plugin.js';
import type { ScmProviderV1 } from '../specifications/scm-provider.js';
import type { TrackerV1 } from '../specifications/tracker.js';
import { createFileStore, createMemoryStore, type OrchestratorStore } from '../store/orchestrator-store.js';
import { loadWorkflow, type Workflow, type WorkflowPlugins } from '../workflow/load-workflow.js';
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
import type { OrchestratorSnapshot, WorkItemPhase } from './orchestrator-snapshot.js';
import { PluginInstances } from './plugin-registry.js';
import { type AttemptResult, runAttempt } from './run-attempt.js';

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

/** Facts kept in the store per issue: they cannot be rebuilt from the tracker, forge or git. */
interface WorkItemRecord {
  issueId: string;
  identifier: string;
  failures: number;
  sessionId: string | null;
  blocked: { reason: string; fingerprint: string; since: string } | null;
}

interface RunningItem {
  issue: Issue;
  attempt: number | null;
  phase: WorkItemPhase;
  focus: Focus;
  profile: AgentProfile | null;
  agentKind: string;
  model: string | null;
  startedAt: Date;
  lastActivityAt: number;
  lastEvent: string | null;
  lastEventAt: Date | null;
  sessionId: string | null;
  turns: number;
  /** Usage and cost of finished runs of this attempt plus the live run's latest figures. */
  finishedUsage: TokenUsage;
  finishedCostUsd: number;
  liveUsage: TokenUsage;
  liveCostUsd: number;
  abortController: AbortController;
  stopRequest: {
    kind: 'stall' | 'reconcile' | 'budget' | 'shutdown';
    reason: string;
    removeWorkspace: boolean;
  } | null;
  worker: Promise<void> | null;
}

interface RetryItem {
  issueId: string;
  identifier: string;
  attempt: number;
  dueAt: Date;
  reason: string;
  continuation: boolean;
  timer: NodeJS.Timeout;
}

const storeKeyFor = (issueId: string) => `item/${issueId}`;

/** A stable summary of what a person can change on an issue; a change unblocks it. */
function fingerprintOf(issue: Issue): string {
  const facts = {
    state: normalizeName(issue.state),
    title: issue.title,
    description: issue.description,
    labels: [...issue.labels].map(normalizeName).sort(),
    priority: issue.priority,
    type: issue.type,
    assignees: [...issue.assignees].sort(),
  };
  return createHash('sha256').update(JSON.stringify(facts)).digest('hex');
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
  private tickQueued = false;
  private readonly idleWaiters: Array<() => void> = [];

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
        }
      }
      if (!this.dryRun) await this.removeTerminalWorkspaces();
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
    for (const item of this.running.values()) {
      this.requestStop(item, {
        kind: 'shutdown',
        reason: 'the orchestrator is stopping',
        removeWorkspace: false,
      });
    }
    await Promise.all([...this.running.values()].map((item) => item.worker));
    await this.currentTick?.catch(() => {});
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
      this.tickQueued = true;
      return this.currentTick;
    }
    this.currentTick = (async () => {
      try {
        await this.initialize();
        await this.runTick();
      } finally {
        this.currentTick = null;
        if (this.tickQueued && !this.stopping) {
          this.tickQueued = false;
          void this.tick();
        }
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

    const item: RunningItem = {
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
    const secretVariables = [
      ...(this.tracker().secretEnvironmentVariables ?? []),
      ...(scm?.secretEnvironmentVariables ?? []),
    ];
    for (const name of agent.secretEnvironmentVariables ?? []) registerSecret(this.environment()[name]);
    const agentStateDirectory = path.join(this.stateDirectory(), 'agents', workspaceKeyFor(issue.identifier));
    await mkdir(agentStateDirectory, { recursive: true });

    item.worker = runAttempt({
      issue,
      attempt,
      workflow,
      focus: choice.focus,
      profile: choice.profile,
      agent,
      model: choice.model,
      environment: buildAgentEnvironment(this.environment(), secretVariables, workflow.config.agent.env),
      agentStateDirectory,
      resumeSessionId: options.continuation ? record.sessionId : null,
      workspaces: this.workspaces!,
      publishesAfterRun: false,
      abortSignal: item.abortController.signal,
      logger: this.logger,
      refreshIssue: async () => (await this.tracker().getIssues({ ids: [issue.id] }))[0] ?? null,
      isActive: (refreshed) => isActiveState(this.dispatchRules(), refreshed.state),
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
    }).then((result) => this.finishAttempt(item, result));
  }

  private environment(): NodeJS.ProcessEnv {
    return this.options.environment ?? process.env;
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
    this.events.publish('agent-event', {
      issueId: item.issue.id,
      issueIdentifier: item.issue.identifier,
      event,
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
            activity: 'run',
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
      await this.writeRecord(record);

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
    const timer = setTimeout(() => void this.onRetryDue(issue.id), delayMs);
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
    return (
      stored ?? {
        issueId: issue.id,
        identifier: issue.identifier,
        failures: 0,
        sessionId: null,
        blocked: null,
      }
    );
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
      awaiting: [],
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
