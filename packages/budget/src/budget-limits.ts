import { type BudgetDecision, type BudgetSubject, normalizeName } from '@loompa/core';
import type { BudgetSettings } from './budget-settings.js';
import type { BudgetDenial, BudgetLimitStatus, BudgetPeriod } from './budget-types.js';
import { type BudgetWindow, windowAt } from './budget-windows.js';
import type { LedgerIndex, SpendSeries } from './cost-ledger.js';

/** Sums of floating-point costs drift by tiny amounts; this much is treated as equal. */
const toleranceUsd = 1e-9;

type LimitName = 'limit_usd' | 'per_issue_usd' | 'per_profile_usd' | 'per_focus_usd';
type LimitScope = BudgetLimitStatus['scope'];

/** One configured limit applied to one scope (everything, an issue, a profile, a focus). */
interface LimitRule {
  limit: LimitName;
  scope: LimitScope;
  /** The issue id, profile or focus; null for the global limit. */
  scopeName: string | null;
  /** How the scope reads in a sentence, e.g. `ENG-12` or `profile "opus"`. */
  scopeLabel: string | null;
  period: BudgetPeriod;
  limitUsd: number;
  /** The spend this limit counts (before the window is applied). */
  covered(index: LedgerIndex): SpendSeries;
}

const noSpend: SpendSeries = { times: [], costsUsd: [] };

/** Spend of `series` in `window` (start inclusive, end exclusive). */
function spendIn(series: SpendSeries, window: BudgetWindow): number {
  const start = window.start?.getTime() ?? Number.NEGATIVE_INFINITY;
  const end = window.end?.getTime() ?? Number.POSITIVE_INFINITY;
  const { times, costsUsd } = series;
  let spentUsd = 0;
  for (let position = 0; position < times.length; position += 1) {
    const time = times[position]!;
    if (time >= start && time < end) spentUsd += costsUsd[position]!;
  }
  return spentUsd;
}

function sameName(left: string | null, right: string): boolean {
  return left !== null && normalizeName(left) === normalizeName(right);
}

function overallRule(settings: BudgetSettings): LimitRule[] {
  if (settings.limit_usd === null) return [];
  return [
    {
      limit: 'limit_usd',
      scope: 'global',
      scopeName: null,
      scopeLabel: null,
      period: settings.period,
      limitUsd: settings.limit_usd,
      covered: (index) => index.all,
    },
  ];
}

function issueRule(settings: BudgetSettings, issueId: string, issueIdentifier: string): LimitRule[] {
  if (settings.per_issue_usd === null) return [];
  return [
    {
      limit: 'per_issue_usd',
      scope: 'issue',
      scopeName: issueId,
      scopeLabel: issueIdentifier,
      period: settings.per_issue_period,
      limitUsd: settings.per_issue_usd,
      covered: (index) => index.byIssue.get(issueId) ?? noSpend,
    },
  ];
}

function namedRules(
  settings: BudgetSettings,
  limit: 'per_profile_usd' | 'per_focus_usd',
  only: string | null | undefined,
): LimitRule[] {
  const scope = limit === 'per_profile_usd' ? 'profile' : 'focus';
  return Object.entries(settings[limit])
    .filter(([name]) => only === undefined || sameName(only, name))
    .map(([name, limitUsd]) => ({
      limit,
      scope,
      scopeName: name,
      scopeLabel: `${scope} "${name}"`,
      period: settings.period,
      limitUsd,
      covered: (index: LedgerIndex) =>
        (limit === 'per_profile_usd' ? index.byProfile : index.byFocus).get(normalizeName(name)) ?? noSpend,
    }));
}

/** The limits that apply to spend on behalf of `subject`. */
function rulesForSubject(settings: BudgetSettings, subject: BudgetSubject): LimitRule[] {
  return [
    ...overallRule(settings),
    ...issueRule(settings, subject.issueId, subject.issueIdentifier),
    ...namedRules(settings, 'per_profile_usd', subject.profile),
    ...namedRules(settings, 'per_focus_usd', subject.focus),
  ];
}

function money(amount: number): string {
  return `$${amount.toFixed(2)}`;
}

const periodAdjectives: Record<BudgetPeriod, string> = {
  total: 'total',
  day: 'daily',
  week: 'weekly',
  month: 'monthly',
};

function windowKey(rule: LimitRule, window: BudgetWindow): string {
  return `${rule.limit}:${rule.scopeName ?? '*'}:${window.id}:${rule.limitUsd}`;
}

function measure(
  rule: LimitRule,
  index: LedgerIndex,
  timeZone: string,
  at: Date,
  inFlightUsd: number,
): BudgetLimitStatus {
  const window = windowAt(rule.period, timeZone, at);
  const committedUsd = spendIn(rule.covered(index), window) + inFlightUsd;
  return {
    limit: rule.limit,
    scope: rule.scope,
    scopeName: rule.scopeName,
    period: rule.period,
    windowKey: windowKey(rule, window),
    windowStart: window.start,
    windowEnd: window.end,
    limitUsd: rule.limitUsd,
    spentUsd: committedUsd,
    remainingUsd: Math.max(0, rule.limitUsd - committedUsd),
    exhausted: committedUsd >= rule.limitUsd - toleranceUsd,
  };
}

function reasonFor(rule: LimitRule, status: BudgetLimitStatus, inFlightUsd: number): string {
  const adjective = periodAdjectives[rule.period];
  const spent =
    inFlightUsd > 0
      ? `${money(status.spentUsd)} spent, ${money(inFlightUsd)} of it by the running agent`
      : `${money(status.spentUsd)} spent`;
  switch (rule.limit) {
    case 'limit_usd':
      return `${adjective} limit of ${money(rule.limitUsd)} reached (${spent})`;
    case 'per_issue_usd': {
      const kind = rule.period === 'total' ? 'per-issue' : `${adjective} per-issue`;
      return `${kind} limit of ${money(rule.limitUsd)} reached for ${rule.scopeLabel} (${spent})`;
    }
    default:
      return `${adjective} limit of ${money(rule.limitUsd)} for ${rule.scopeLabel} reached (${spent})`;
  }
}

function denialFor(rule: LimitRule, status: BudgetLimitStatus, inFlightUsd: number): BudgetDenial {
  return {
    allowed: false,
    reason: reasonFor(rule, status, inFlightUsd),
    limit: rule.limit,
    scope: rule.scope,
    retryAt: status.windowEnd,
    windowKey: status.windowKey,
  };
}

/** Of several denials the one that lifts last decides: the work waits for all of them. */
function lastToLift(denials: BudgetDenial[]): BudgetDenial | undefined {
  const liftTime = (denial: BudgetDenial) => denial.retryAt?.getTime() ?? Number.POSITIVE_INFINITY;
  return denials.reduce<BudgetDenial | undefined>(
    (latest, denial) => (latest === undefined || liftTime(denial) > liftTime(latest) ? denial : latest),
    undefined,
  );
}

/**
 * Decides whether `subject` may spend at `at`: denied as soon as committed spend plus
 * `inFlightUsd` reaches any limit that applies (equal to the limit counts as reached).
 */
export function decide(
  settings: BudgetSettings,
  index: LedgerIndex,
  subject: BudgetSubject,
  at: Date,
  inFlightUsd: number,
): BudgetDecision {
  const measured = rulesForSubject(settings, subject).map((rule) => ({
    rule,
    status: measure(rule, index, settings.timezone, at, inFlightUsd),
  }));
  const denial = lastToLift(
    measured
      .filter(({ status }) => status.exhausted)
      .map(({ rule, status }) => denialFor(rule, status, inFlightUsd)),
  );
  if (denial) return denial;
  const remaining = measured.map(({ status }) => status.remainingUsd);
  return { allowed: true, remainingUsd: remaining.length === 0 ? null : Math.min(...remaining) };
}

/** Every limit's state: those applying to `subject`, or everything worth showing. */
export function measureLimits(
  settings: BudgetSettings,
  index: LedgerIndex,
  at: Date,
  subject: BudgetSubject | undefined,
): { statuses: BudgetLimitStatus[]; pausedReason: string | null } {
  let rules: LimitRule[];
  if (subject) {
    rules = rulesForSubject(settings, subject);
  } else {
    const exhaustedIssueRules = [...index.issueIdentifiers]
      .flatMap(([issueId, identifier]) => issueRule(settings, issueId, identifier))
      .filter((rule) => measure(rule, index, settings.timezone, at, 0).exhausted);
    rules = [
      ...overallRule(settings),
      ...namedRules(settings, 'per_profile_usd', undefined),
      ...namedRules(settings, 'per_focus_usd', undefined),
      ...exhaustedIssueRules,
    ];
  }
  const measured = rules.map((rule) => ({ rule, status: measure(rule, index, settings.timezone, at, 0) }));
  const overall = measured.find(({ rule }) => rule.limit === 'limit_usd');
  const pausedReason = overall?.status.exhausted ? reasonFor(overall.rule, overall.status, 0) : null;
  return { statuses: measured.map(({ status }) => status), pausedReason };
}

/** Spend in the window of the overall limit at `at` (all time without an overall limit). */
export function overallSpend(settings: BudgetSettings, index: LedgerIndex, at: Date): number {
  const window = windowAt(settings.limit_usd === null ? 'total' : settings.period, settings.timezone, at);
  return spendIn(index.all, window);
}
