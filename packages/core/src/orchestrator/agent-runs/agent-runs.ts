import { describeError } from '../../errors/loompa-error.js';
import type { OrchestratorEvents } from '../../events/orchestrator-events.js';
import type { Logger } from '../../logging/logger.js';
import { redactValue } from '../../secrets/redact-secrets.js';
import type { AgentBackendV1, AgentEvent, AgentRunResult } from '../../specifications/agent-backend.js';
import type { BudgetV1 } from '../../specifications/budget.js';
import { addTokenUsage, emptyTokenUsage, type TokenUsage } from '../../specifications/common.js';
import type { Issue } from '../../specifications/issue.js';
import type { BudgetGate, SpendingAgent } from '../budget-gate.js';
import type { RunningItemSnapshot } from '../orchestrator-snapshot.js';
import type { RunningItem } from '../work-items.js';
import type { AttemptContext } from './run-attempt.js';

export interface AgentRunsContext {
  events: OrchestratorEvents;
  logger: Logger;
  /** The budget plugin that records spend; null without one. */
  budget(): BudgetV1 | null;
  budgetGate: BudgetGate;
  /** True when a budget is configured at all, so streaming cost is checked against it. */
  hasBudget: boolean;
  now(): number;
}

export type StopRequest = NonNullable<RunningItem['stopRequest']>;

/** The callbacks through which a running attempt reports; see `runAttempt`. */
export type AttemptReporters = Pick<
  AttemptContext,
  'reportPhase' | 'reportRunStarted' | 'reportAgentEvent' | 'reportRunFinished'
>;

/**
 * Every agent run in flight, attempts and reactions alike: it starts them as items, takes
 * their stream (activity, sessions, live usage, spend checked against the budget), stops
 * them, and accounts what they cost. The items are its state; other phases get copies of
 * facts, and the driver asks it to start, stop and end runs.
 */
export class AgentRuns {
  private readonly running = new Map<string, RunningItem>();
  private readonly totals = { usage: emptyTokenUsage(), costUsd: 0, finishedRuntimeMs: 0, runs: 0 };
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly context: AgentRunsContext) {}

  get size(): number {
    return this.running.size;
  }

  get(issueId: string): RunningItem | undefined {
    return this.running.get(issueId);
  }

  ids(): IterableIterator<string> {
    return this.running.keys();
  }

  items(): IterableIterator<RunningItem> {
    return this.running.values();
  }

  /** The issue states of the runs in flight, which the scheduler counts against the limits. */
  states(): string[] {
    return [...this.running.values()].map((item) => item.issue.state);
  }

  /** A new run for `issue`, counted from now; it takes its slot at once. */
  begin(issue: Issue, attempt: number | null, agent: SpendingAgent, kind: RunningItem['kind']): RunningItem {
    const item: RunningItem = {
      kind,
      activity: 'run',
      issue,
      attempt,
      phase: 'preparing',
      focus: agent.focus,
      profile: agent.profile,
      agentKind: agent.agentKind,
      model: agent.model,
      startedAt: new Date(this.context.now()),
      lastActivityAt: this.context.now(),
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
    return item;
  }

  /** Adds the run's wall time to the totals; called once its worker has finished. */
  accountRuntime(item: RunningItem): void {
    this.totals.finishedRuntimeMs += this.context.now() - item.startedAt.getTime();
  }

  /** The run gave back its slot; whoever waits for all runs to end hears of it. */
  end(item: RunningItem): void {
    this.running.delete(item.issue.id);
    if (this.running.size > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  waitForIdle(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Aborts the run once, remembering why; the worker reports back how it ended. */
  requestStop(item: RunningItem, request: StopRequest): void {
    if (item.stopRequest) return;
    item.stopRequest = request;
    item.phase = 'stopping';
    this.context.logger.info('stopping agent', { issue: item.issue.identifier, reason: request.reason });
    item.abortController.abort(request.reason);
  }

  /** Stops every run and waits until all have ended (runs may start while it waits). */
  async stopAll(request: StopRequest): Promise<void> {
    while (this.running.size > 0) {
      for (const item of this.running.values()) this.requestStop(item, request);
      await Promise.all([...this.running.values()].map((item) => item.worker));
    }
  }

  /** How an attempt's worker reports into its item. */
  attemptReporters(item: RunningItem): AttemptReporters {
    return {
      reportPhase: (phase) => {
        if (!item.stopRequest) item.phase = phase;
      },
      reportRunStarted: (turn, sessionId) => this.runStarted(item, turn, sessionId),
      reportAgentEvent: (event) => this.onAgentEvent(item, event),
      reportRunFinished: (result, turn) => this.onRunFinished(item, result, turn),
    };
  }

  /**
   * Runs the agent once for an item (a reaction's round), continuing its session when the
   * backend can; `prompt` is what a continued session gets, `fullPrompt` what a fresh one gets.
   */
  async runOnce(
    item: RunningItem,
    agent: AgentBackendV1,
    options: Omit<Parameters<AgentBackendV1['run']>[0], 'onEvent' | 'abortSignal' | 'prompt'>,
    prompts: { continued: string; fresh: () => string },
    turn: number,
  ): Promise<AgentRunResult> {
    const sessionId = item.sessionId;
    const canResume = sessionId !== null && typeof agent.resume === 'function';
    const runOptions = {
      ...options,
      prompt: canResume ? prompts.continued : prompts.fresh(),
      abortSignal: item.abortController.signal,
      onEvent: (event: AgentEvent) => this.onAgentEvent(item, event),
    };
    this.runStarted(item, turn, canResume ? sessionId : null);
    const result =
      canResume && agent.resume
        ? await agent.resume({ ...runOptions, sessionId: sessionId! })
        : await agent.run(runOptions);
    await this.onRunFinished(item, result, turn);
    return result;
  }

  private runStarted(item: RunningItem, turn: number, sessionId: string | null): void {
    item.turns = turn;
    item.lastActivityAt = this.context.now();
    this.context.events.publish('agent-run-started', {
      issueId: item.issue.id,
      issueIdentifier: item.issue.identifier,
      attempt: item.attempt,
      turn,
      sessionId,
    });
  }

  private onAgentEvent(item: RunningItem, event: AgentEvent): void {
    item.lastActivityAt = this.context.now();
    item.lastEvent = event.type;
    item.lastEventAt = new Date();
    if (event.type === 'session-start') item.sessionId = event.sessionId;
    if (event.type === 'usage') {
      item.liveUsage = event.usage;
      item.liveCostUsd = event.costUsd ?? item.liveCostUsd;
      if (event.costUsd !== null && this.context.hasBudget) void this.checkStreamingSpend(item);
    }
    // Agent output can echo anything it read (a .env file, say): redact before it leaves.
    this.context.events.publish('agent-event', {
      issueId: item.issue.id,
      issueIdentifier: item.issue.identifier,
      event: redactValue(event),
    });
  }

  /** While a run streams cost, a per-issue limit it crosses stops the run. */
  private async checkStreamingSpend(item: RunningItem): Promise<void> {
    const decision = await this.context.budgetGate
      .check(item.issue, item, item.finishedCostUsd + item.liveCostUsd)
      .catch(() => null);
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
    this.context.events.publish('agent-run-finished', {
      issueId: item.issue.id,
      issueIdentifier: item.issue.identifier,
      result,
      turn,
    });
    await this.recordSpend(item, result, turn);
  }

  /** Every finished run lands in the budget's ledger, even one that reported no cost. */
  private async recordSpend(item: RunningItem, result: AgentRunResult, turn: number): Promise<void> {
    const budget = this.context.budget();
    if (!budget) return;
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
        this.context.events.publish('budget-warning', {
          message: `no cost reported and no price configured for model ${item.model ?? '(default)'}; recorded as $0`,
          model: item.model,
        });
      }
    } catch (error) {
      this.context.logger.error('recording spend failed', {
        issue: item.issue.identifier,
        message: describeError(error),
      });
    }
  }

  /** The runs in flight and the totals including their live figures. */
  snapshot(now: number): {
    running: RunningItemSnapshot[];
    totals: { usage: TokenUsage; costUsd: number; runtimeMs: number; runs: number };
  } {
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
        title: item.issue.title,
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
      running,
      totals: {
        usage: addTokenUsage(this.totals.usage, liveUsage),
        costUsd: this.totals.costUsd + liveCostUsd,
        runtimeMs: this.totals.finishedRuntimeMs + liveRuntimeMs,
        runs: this.totals.runs,
      },
    };
  }
}
