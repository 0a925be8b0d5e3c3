import type { PluginDefinition } from '@loompa/core';
import { type BudgetSettings, budgetSettingsSchema } from './budget-settings.js';
import { createBudget, type LedgerBudget } from './create-budget.js';

/**
 * The budget as the orchestrator builds it from WORKFLOW.md's `budget:` section. The ledger
 * lives in the plugin's state directory, so a `create` after a workflow edit opens the same
 * ledger with the new limits.
 */
export const budgetPlugin: PluginDefinition<LedgerBudget, BudgetSettings> = {
  settingsSchema: budgetSettingsSchema,
  create(settings, context) {
    return createBudget({ ...settings, directory: context.stateDirectory });
  },
};
