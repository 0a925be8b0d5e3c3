import { addTokenUsage, emptyTokenUsage, type TokenUsage } from '@loompa/core';
import { localDay } from './budget-windows.js';
import type { LedgerEntry } from './cost-ledger.js';

/** Spend of one group (a day, an issue, a focus, a profile, a model). */
export interface SpendRow {
  /** The grouping value: a `yyyy-MM-dd` day, an issue id, a focus, a profile, a model; null when unset. */
  key: string | null;
  /** How the group reads in a table: the issue identifier for issues, `(none)` for null. */
  label: string;
  entries: number;
  costUsd: number;
  usage: TokenUsage;
  /** Entries in the group whose cost is unknown (no reported cost, no price): counted as zero. */
  unknownCostEntries: number;
}

export interface SpendReport {
  /** Earliest time included (inclusive); null for the ledger's beginning. */
  from: Date | null;
  /** Latest time included (exclusive); null for now and later. */
  to: Date | null;
  /** Days are calendar days in this zone. */
  timezone: string;
  totalUsd: number;
  entries: number;
  usage: TokenUsage;
  unknownCostEntries: number;
  subscriptionEntries: number;
  /** Oldest day first. */
  byDay: SpendRow[];
  /** The rest: most expensive first, then by label. */
  byIssue: SpendRow[];
  byFocus: SpendRow[];
  byProfile: SpendRow[];
  byModel: SpendRow[];
}

export interface SpendReportOptions {
  timezone: string;
  from?: Date | null;
  to?: Date | null;
}

function groupBy(
  entries: readonly LedgerEntry[],
  keyOf: (entry: LedgerEntry) => string | null,
  labelOf: (entry: LedgerEntry) => string | null = keyOf,
): SpendRow[] {
  const rows = new Map<string | null, SpendRow>();
  for (const entry of entries) {
    const key = keyOf(entry);
    let row = rows.get(key);
    if (!row) {
      row = {
        key,
        label: labelOf(entry) ?? '(none)',
        entries: 0,
        costUsd: 0,
        usage: emptyTokenUsage(),
        unknownCostEntries: 0,
      };
      rows.set(key, row);
    }
    row.entries += 1;
    row.costUsd += entry.costUsd;
    row.usage = addTokenUsage(row.usage, entry.usage);
    if (entry.costSource === 'unknown') row.unknownCostEntries += 1;
  }
  return [...rows.values()];
}

function mostExpensiveFirst(rows: SpendRow[]): SpendRow[] {
  return rows.sort((left, right) => right.costUsd - left.costUsd || left.label.localeCompare(right.label));
}

/** Sums the ledger by day, issue, focus, profile and model; needs `await loadTimeZoneCalendar()` first. */
export function summarizeSpend(entries: readonly LedgerEntry[], options: SpendReportOptions): SpendReport {
  const from = options.from ?? null;
  const to = options.to ?? null;
  const included = entries.filter(
    (entry) =>
      (from === null || entry.at.getTime() >= from.getTime()) &&
      (to === null || entry.at.getTime() < to.getTime()),
  );
  const [overall] = groupBy(included, () => 'all');
  return {
    from,
    to,
    timezone: options.timezone,
    totalUsd: overall?.costUsd ?? 0,
    entries: included.length,
    usage: overall?.usage ?? emptyTokenUsage(),
    unknownCostEntries: overall?.unknownCostEntries ?? 0,
    subscriptionEntries: included.filter((entry) => entry.costSource === 'subscription').length,
    byDay: groupBy(included, (entry) => localDay(options.timezone, entry.at)).sort((left, right) =>
      left.label.localeCompare(right.label),
    ),
    byIssue: mostExpensiveFirst(
      groupBy(
        included,
        (entry) => entry.issueId,
        (entry) => entry.issueIdentifier,
      ),
    ),
    byFocus: mostExpensiveFirst(groupBy(included, (entry) => entry.focus)),
    byProfile: mostExpensiveFirst(groupBy(included, (entry) => entry.profile)),
    byModel: mostExpensiveFirst(groupBy(included, (entry) => entry.model)),
  };
}
