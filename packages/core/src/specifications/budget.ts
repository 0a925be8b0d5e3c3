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
  /**
   * A stable id for this spend (e.g. issue, session and turn); recording the same id again
   * stores nothing new and returns the entry already stored, so a retried record is never
   * counted twice. Budgets assign a fresh id when it is absent.
   */
  id?: string;
  at: Date;
  issueId: string;
  issueIdentifier: string;
  /** `run` for a dispatch, the reaction that resumed the agent, or a read-only `ci-triage` run. */
  activity: 'run' | 'ci-failure' | 'review' | 'conflict' | 'review-agent' | 'ci-triage';
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
      /**
       * What the limit covers: `global` denies every subject (so the orchestrator stops asking
       * for the rest of the tick); the others deny only subjects sharing that issue, profile
       * or focus. Absent means not global.
       */
      scope?: 'global' | 'issue' | 'profile' | 'focus';
      /** Identifies the limit's current window, so "exceeded" is announced once per window. */
      windowKey?: string;
      /** When the limit's window rolls over; null when it never will by itself. */
      retryAt: Date | null;
    };

/** The window a limit counts spend over, in the budget's time zone. */
export type BudgetPeriod = 'total' | 'day' | 'week' | 'month';

/** One limit as it stands now: what it allows, what is spent, what remains. */
export interface BudgetLimitStatus {
  /** The setting, e.g. `limit_usd`, `per_issue_usd`, `per_profile_usd`, `per_focus_usd`. */
  limit: string;
  /** What the limit covers, as on a denial. */
  scope: 'global' | 'issue' | 'profile' | 'focus';
  /** The issue id, profile or focus the limit is about; null for the global limit. */
  scopeName: string | null;
  period: BudgetPeriod;
  /** The same key a denial by this limit carries. */
  windowKey: string;
  /** Start of the current window; null for `total`. */
  windowStart: Date | null;
  /** When the current window rolls over; null for `total`. */
  windowEnd: Date | null;
  limitUsd: number;
  spentUsd: number;
  /** Never negative. */
  remainingUsd: number;
  /** Spend has reached the limit: work it covers waits. */
  exhausted: boolean;
}

/** The budget at a glance, for the orchestrator's snapshot. */
export interface BudgetStatus {
  at: Date;
  /** The overall limit is exhausted: no dispatch at all until it rolls over or is raised. */
  paused: boolean;
  /** Why dispatch is paused; null when it is not. */
  reason: string | null;
  /** Overall spend in the overall limit's window (all time without a limit). */
  spentUsd: number;
  /** The tightest remaining amount of the overall limit; null without one. */
  remainingUsd: number | null;
  limits: BudgetLimitStatus[];
}

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
  check(
    options: CallOptions & { subject: BudgetSubject; at?: Date; inFlightCostUsd?: number },
  ): Promise<BudgetDecision>;

  /**
   * Optional: every limit with its window, spend and remainder. With a subject, the limits
   * that apply to it; without, the overall limit, every profile and focus limit, and the
   * per-issue limits that are exhausted.
   */
  status?(options: CallOptions & { at?: Date; subject?: BudgetSubject }): Promise<BudgetStatus>;
}
