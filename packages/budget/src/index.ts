/**
 * @loompa/budget: a durable cost ledger, a price table, spend limits checked before every
 * dispatch, and spend reports. This file is the package's public face.
 */

export { BudgetLedgerError } from './budget-ledger-error.js';
export { budgetPlugin } from './budget-plugin.js';
export {
  type BudgetSettings,
  type BudgetSettingsInput,
  budgetSettingsSchema,
  type ModelPrice,
} from './budget-settings.js';
export type {
  BudgetDenial,
  BudgetLimitStatus,
  BudgetPeriod,
  BudgetStatus,
  CostRecord,
} from './budget-types.js';
export { type BudgetWindow, loadTimeZoneCalendar, windowAt } from './budget-windows.js';
export type { LedgerEntry } from './cost-ledger.js';
export { findModelPrice, priceUsage, settleCost } from './cost-pricing.js';
export {
  type CreateBudgetOptions,
  createBudget,
  LedgerBudget,
  parseBudgetSettings,
} from './create-budget.js';
export { renderSpendReport, type SpendDimension } from './render-spend-report.js';
export { type SpendReport, type SpendReportOptions, type SpendRow, summarizeSpend } from './spend-report.js';
