import { randomUUID } from 'node:crypto';
import {
  type BudgetDecision,
  type BudgetSubject,
  type BudgetV1,
  type CallOptions,
  InvalidArgumentError,
} from '@loompa/core';
import type { z } from 'zod';
import { decide, measureLimits, overallSpend } from './budget-limits.js';
import { type BudgetSettings, type BudgetSettingsInput, budgetSettingsSchema } from './budget-settings.js';
import type { BudgetStatus, CostRecord } from './budget-types.js';
import { loadTimeZoneCalendar } from './budget-windows.js';
import { CostLedger, type LedgerEntry } from './cost-ledger.js';
import { settleCost } from './cost-pricing.js';
import { costRecordSchema } from './cost-record-schema.js';
import { type SpendReport, summarizeSpend } from './spend-report.js';

export type CreateBudgetOptions = BudgetSettingsInput & {
  /** Folder of the ledger file (`cost-ledger.jsonl`); created on the first record. */
  directory: string;
  /** The clock used when a call passes no `at`. */
  now?: () => Date;
};

function firstProblem(error: z.ZodError, root: string): string {
  const issue = error.issues[0];
  const where = [root, ...(issue?.path ?? [])].join('.');
  return `${where}: ${issue?.message ?? 'invalid'}`;
}

/** Parses `budget:` settings given in code, with the same rules as WORKFLOW.md. */
export function parseBudgetSettings(settings: unknown): BudgetSettings {
  const parsed = budgetSettingsSchema.safeParse(settings ?? {});
  if (!parsed.success) {
    throw new InvalidArgumentError(`Invalid budget settings: ${firstProblem(parsed.error, 'budget')}`, {
      details: {
        problems: parsed.error.issues.map((issue) => ({ path: issue.path, message: issue.message })),
      },
    });
  }
  return parsed.data;
}

/**
 * The ledger-backed budget: `record` settles and durably stores spend, `check` answers
 * before spending, `status` and `report` show where the money went. Instances are cheap and
 * hold no open files; several may share one ledger directory (a hot reload makes a new one
 * with the new settings while the old one finishes), and each sees what the others stored.
 */
export class LedgerBudget implements BudgetV1 {
  readonly specificationVersion = 'budget-v1' as const;
  readonly name = 'ledger';
  readonly settings: BudgetSettings;
  private readonly ledger: CostLedger;
  private readonly now: () => Date;

  constructor(options: CreateBudgetOptions) {
    const { directory, now, ...settings } = options;
    if (typeof directory !== 'string' || directory === '') {
      throw new InvalidArgumentError('createBudget needs a `directory` for its ledger');
    }
    this.settings = parseBudgetSettings(settings);
    this.ledger = new CostLedger(directory);
    this.now = now ?? (() => new Date());
  }

  /** Where the ledger lives. */
  get ledgerPath(): string {
    return this.ledger.filePath;
  }

  /**
   * Settles the cost (see `settleCost`) and appends it durably. A record whose `id` is
   * already stored is not stored again: the stored entry is returned.
   */
  async record(options: CallOptions & { record: CostRecord }): Promise<LedgerEntry> {
    options.abortSignal?.throwIfAborted();
    const parsed = costRecordSchema.safeParse(options.record);
    if (!parsed.success) {
      throw new InvalidArgumentError(`Invalid cost record: ${firstProblem(parsed.error, 'record')}`, {
        details: { issueId: options.record?.issueId },
      });
    }
    const { id, costUsd: reportedCostUsd, ...record } = parsed.data;
    const settled = settleCost(this.settings, { ...record, costUsd: reportedCostUsd });
    const entry: LedgerEntry = { id: id ?? randomUUID(), ...record, ...settled };
    return (await this.ledger.append(entry)).entry;
  }

  /** Denied once spend (plus `inFlightCostUsd`) has reached any limit that applies to the subject. */
  async check(
    options: CallOptions & { subject: BudgetSubject; at?: Date; inFlightCostUsd?: number },
  ): Promise<BudgetDecision> {
    options.abortSignal?.throwIfAborted();
    const inFlightUsd = options.inFlightCostUsd ?? 0;
    if (!Number.isFinite(inFlightUsd) || inFlightUsd < 0) {
      throw new InvalidArgumentError(`inFlightCostUsd must be a number ≥ 0, got ${String(inFlightUsd)}`);
    }
    await this.loadCalendarIfPeriodic();
    const index = await this.ledger.readIndex();
    return decide(this.settings, index, options.subject, this.timeOf(options.at), inFlightUsd);
  }

  /** Every limit with its window, spend and remainder; see `BudgetV1.status`. */
  async status(options: CallOptions & { at?: Date; subject?: BudgetSubject } = {}): Promise<BudgetStatus> {
    options.abortSignal?.throwIfAborted();
    const at = this.timeOf(options.at);
    await this.loadCalendarIfPeriodic();
    const index = await this.ledger.readIndex();
    const { statuses, pausedReason } = measureLimits(this.settings, index, at, options.subject);
    const overall = statuses.find((status) => status.limit === 'limit_usd');
    return {
      at,
      paused: pausedReason !== null,
      reason: pausedReason,
      spentUsd: overallSpend(this.settings, index, at),
      remainingUsd: overall ? overall.remainingUsd : null,
      limits: statuses,
    };
  }

  /** Stored entries, oldest first, optionally from `from` (inclusive) to `to` (exclusive). */
  async entries(options: CallOptions & { from?: Date; to?: Date } = {}): Promise<LedgerEntry[]> {
    options.abortSignal?.throwIfAborted();
    const entries = await this.ledger.readEntries();
    return entries.filter(
      (entry) =>
        (options.from === undefined || entry.at >= options.from) &&
        (options.to === undefined || entry.at < options.to),
    );
  }

  /** Spend by day (in the budget's time zone), issue, focus, profile and model. */
  async report(options: CallOptions & { from?: Date; to?: Date } = {}): Promise<SpendReport> {
    options.abortSignal?.throwIfAborted();
    await loadTimeZoneCalendar();
    const entries = await this.ledger.readEntries();
    return summarizeSpend(entries, { timezone: this.settings.timezone, from: options.from, to: options.to });
  }

  /** Limits over days, weeks or months need the time-zone calendar; `total` ones do not. */
  private async loadCalendarIfPeriodic(): Promise<void> {
    if (this.settings.period !== 'total' || this.settings.per_issue_period !== 'total') {
      await loadTimeZoneCalendar();
    }
  }

  private timeOf(at: Date | undefined): Date {
    const time = at ?? this.now();
    if (Number.isNaN(time.getTime())) throw new InvalidArgumentError('`at` must be a valid date');
    return time;
  }
}

/** A budget over the ledger in `options.directory`, with the `budget:` settings given. */
export function createBudget(options: CreateBudgetOptions): LedgerBudget {
  return new LedgerBudget(options);
}
