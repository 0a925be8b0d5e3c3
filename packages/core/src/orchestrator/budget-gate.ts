import type { OrchestratorEvents } from '../events/orchestrator-events.js';
import type { BudgetDecision, BudgetSubject, BudgetV1 } from '../specifications/budget.js';
import type { AgentProfile, Focus } from '../specifications/focus.js';
import type { Issue } from '../specifications/issue.js';

/** What a budget check needs to know about the agent that would spend. */
export interface SpendingAgent {
  focus: Focus;
  profile: AgentProfile | null;
  agentKind: string;
  model: string | null;
}

export interface BudgetGateContext {
  /** The budget plugin for the current workflow; null without one (everything is allowed). */
  budget(): BudgetV1 | null;
  events: OrchestratorEvents;
}

/**
 * Asks the budget before money is spent: before a dispatch, a reaction or another turn, and
 * while a run streams cost. Each exhausted limit is announced once per window, and a global
 * denial at dispatch pauses dispatching until a tick is denied nothing.
 */
export class BudgetGate {
  private pauseState: { reason: string; windowKey: string } | null = null;
  private readonly announcedWindows = new Set<string>();
  private remainingUsdValue: number | null = null;

  constructor(private readonly context: BudgetGateContext) {}

  /** `inFlightCostUsd` is the spend of a run still streaming; without it the check is a dispatch. */
  async check(issue: Issue, agent: SpendingAgent, inFlightCostUsd?: number): Promise<BudgetDecision> {
    const budget = this.context.budget();
    if (!budget) return { allowed: true, remainingUsd: null };
    const subject: BudgetSubject = {
      issueId: issue.id,
      issueIdentifier: issue.identifier,
      focus: agent.focus.name,
      profile: agent.profile?.name ?? null,
      agentKind: agent.agentKind,
      model: agent.model,
    };
    const decision = await budget.check({
      subject,
      ...(inFlightCostUsd === undefined ? {} : { inFlightCostUsd }),
    });
    if (decision.allowed) {
      this.remainingUsdValue = decision.remainingUsd;
      return decision;
    }
    // Announce each exhausted limit once per window, not once per candidate or tick.
    const windowKey = decision.windowKey ?? `${decision.limit}:${decision.retryAt?.toISOString() ?? 'never'}`;
    const limitKey = decision.scope === 'global' ? windowKey : `${issue.id}:${windowKey}`;
    if (!this.announcedWindows.has(limitKey)) {
      this.announcedWindows.add(limitKey);
      this.context.events.publish('budget-exceeded', { decision, issueIdentifier: issue.identifier });
    }
    if (inFlightCostUsd === undefined) this.pauseState = { reason: decision.reason, windowKey: limitKey };
    return decision;
  }

  /** A dispatch round that was denied nothing ends the pause. */
  resume(): void {
    this.pauseState = null;
  }

  get paused(): boolean {
    return this.pauseState !== null;
  }

  get pauseReason(): string | null {
    return this.pauseState?.reason ?? null;
  }

  /** What the last allowed check said remains; null until a budget answered. */
  get remainingUsd(): number | null {
    return this.remainingUsdValue;
  }
}
