import type { PluginSchema } from '@loompa/core/schema';
import { type BudgetSettings, budgetSettingsSchema } from './budget-settings.js';

/**
 * The `budget:` section, as `@loompa/budget/schema`: the settings schema and kind without the
 * implementation, so checking a WORKFLOW.md (`loompa validate`) loads none of it.
 */
export const budgetSchema = {
  slot: 'budget',
  kind: 'budget',
  settingsSchema: budgetSettingsSchema,
} satisfies PluginSchema<BudgetSettings>;
