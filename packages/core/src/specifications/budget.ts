import type { CallOptions, TokenUsage } from './common.js';

/** Where an entry's cost figure came from. */
export type CostSource =
  /** Reported by the agent itself. */
  | 'agent'
  /** Computed from tokens with the workflow's price table. */
  | 'price-table'
  /** Zero because the provider is a subscription; tokens are still recorded. */
  | 'subscription'
  /** Neither reported nor priced: recorded as zero and flagged. */
  | 'unknown';

/** What the orchestrator knows about one agent run's spend when it records it. */
export interface CostRecord {
  at: Date;
  issueId: string;
  issueIdentifier: string;
  /** `run` for a dispatch, or the reaction that resumed the agent. */
  activity: 'run' | 'ci-failure' | 'review' | 'conflict' | 'review-agent';
  focus: string | null;
  profile: string | null;
  agentKind: string;
  model: string | null;
  usage: TokenUsage;
  /** The cost the agent reported for this run; null when it reported none. */
  costUsd: number | null;
}

/** A ledger entry: the record with its cost settled (reported, priced, or zero and flagged). */
export interface CostEntry extends Omit<CostRecord, 'costUsd'> {
  costUsd: number;
  costSource: CostSource;
}

/** What a budget check is about: the spend that is about to happen. */
export interface BudgetSubject {
  issueId: string;
  issueIdentifier: string;
  focus: string | null;
  profile: string | null;
  agentKind: string;
  model: string | null;
}

export type BudgetDecision =
  | {
      allowed: true;
      /** The tightest remaining amount across the limits that apply; null when nothing limits. */
      remainingUsd: number | null;
    }
  | {
      allowed: false;
      /** A sentence naming the limit, e.g. "daily limit of $20.00 reached ($20.13 spent)". */
      reason: string;
      /** Which limit denied, e.g. `limit_usd`, `per_issue_usd`. */
      limit: string;
      /** When the limit's window rolls over; null when it never will by itself. */
      retryAt: Date | null;
    };

/** Version 1 of the budget slot: a ledger plus limits that are checked before spending. */
export interface BudgetV1 {
  readonly specificationVersion: 'budget-v1';
  readonly name: string;

  /**
   * Durably records spend and returns the settled entry. An entry whose `costSource` is
   * `unknown` had no reported cost and no price: core warns about it.
   */
  record(options: CallOptions & { record: CostRecord }): Promise<CostEntry>;

  /**
   * Asks whether the subject may spend now. Denials do not fail work; it waits.
   * `inFlightCostUsd` is spend of a run still streaming, not yet recorded, so a per-issue
   * limit can stop a run as it crosses the limit.
   */
  check(options: CallOptions & { subject: BudgetSubject; at?: Date; inFlightCostUsd?: number }): Promise<BudgetDecision>;
}
