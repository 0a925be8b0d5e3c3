import { nonNegativeNumber, stringList } from '@loompa/core/schema';
import { z } from 'zod';

/** True when `Intl` knows the zone, so windows computed in it are well defined. */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

const periodSchema = z
  .enum(['total', 'day', 'week', 'month'])
  .describe('The window a limit counts spend over; weeks start on Monday.');

/**
 * USD per million tokens. Cache prices default to the input price: a budget that guesses
 * should guess high, so it stops early rather than late.
 */
const modelPriceSchema = z
  .object({
    input: nonNegativeNumber.describe('USD per million input tokens.'),
    output: nonNegativeNumber.describe('USD per million output tokens.'),
    cache_read: nonNegativeNumber
      .optional()
      .describe('USD per million cache-read tokens; input price when unset.'),
    cache_write: nonNegativeNumber
      .optional()
      .describe('USD per million cache-write tokens; input price when unset.'),
  })
  .strict()
  .transform((price) => ({
    input: price.input,
    output: price.output,
    cache_read: price.cache_read ?? price.input,
    cache_write: price.cache_write ?? price.input,
  }));

const limitMapSchema = z.record(z.string().min(1), nonNegativeNumber);

const subscriptionSchema = z
  .object({
    agents: stringList.default([]).describe('Agent kinds billed by subscription, e.g. `claude`.'),
    providers: stringList
      .default([])
      .describe('Model providers billed by subscription: the part before `/` in `provider/model`.'),
    models: stringList.default([]).describe('Models billed by subscription.'),
  })
  .strict();

/**
 * The `budget:` section of WORKFLOW.md. Every limit is optional; a limit of 0 stops all
 * spending it covers. Spend equal to a limit has reached it: the limit then denies.
 */
export const budgetSettingsSchema = z
  .object({
    limit_usd: nonNegativeNumber.nullable().default(null).describe('Overall spend allowed per period.'),
    period: periodSchema.default('total'),
    timezone: z
      .string()
      .default('UTC')
      .refine(isKnownTimeZone, { message: 'expected an IANA time zone such as UTC or Europe/Paris' })
      .describe('Time zone in which days, weeks and months start.'),
    per_issue_usd: nonNegativeNumber.nullable().default(null).describe('Spend allowed on any one issue.'),
    per_issue_period: periodSchema
      .default('total')
      .describe('Window of per_issue_usd; by default the issue’s whole life.'),
    per_profile_usd: limitMapSchema.default({}).describe('Spend allowed per period for each named profile.'),
    per_focus_usd: limitMapSchema.default({}).describe('Spend allowed per period for each named focus.'),
    prices: z
      .record(z.string().min(1), modelPriceSchema)
      .default({})
      .describe('Per model, used only when the agent reports no cost.'),
    subscription: subscriptionSchema.prefault({}).describe('Spend that costs nothing per token.'),
  })
  .strict();

/** The `budget:` section as written. */
export type BudgetSettingsInput = z.input<typeof budgetSettingsSchema>;
/** The `budget:` section validated, with defaults. */
export type BudgetSettings = z.output<typeof budgetSettingsSchema>;
export type ModelPrice = BudgetSettings['prices'][string];
