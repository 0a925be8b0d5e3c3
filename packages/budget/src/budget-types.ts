import type { BudgetDecision, BudgetV1 } from '@loompa/core';

// Core's public face exports the budget slot but not every type inside it; these are the
// same types, reached through the slot, so they can never drift from the specification.

/** What the orchestrator records after a run (`CostRecord` in core's budget specification). */
export type CostRecord = Parameters<BudgetV1['record']>[0]['record'];
/** The budget at a glance (`BudgetStatus` in core's budget specification). */
export type BudgetStatus = Awaited<ReturnType<NonNullable<BudgetV1['status']>>>;
/** One limit as it stands (`BudgetLimitStatus` in core's budget specification). */
export type BudgetLimitStatus = BudgetStatus['limits'][number];
/** `total`, `day`, `week` or `month`. */
export type BudgetPeriod = BudgetLimitStatus['period'];
/** A decision that says no. */
export type BudgetDenial = Extract<BudgetDecision, { allowed: false }>;
