import { z } from 'zod';

/** Shapes shared by what the orchestrator records and what the ledger stores. */

const tokenCount = z.number().finite().min(0);

export const tokenUsageSchema = z.object({
  inputTokens: tokenCount,
  outputTokens: tokenCount,
  cacheReadTokens: tokenCount,
  cacheWriteTokens: tokenCount,
});

export const activitySchema = z.enum([
  'run',
  'ci-failure',
  'review',
  'conflict',
  'review-agent',
  'ci-triage',
]);

/** A `CostRecord` as `record` accepts it. */
export const costRecordSchema = z.object({
  id: z.string().min(1).optional(),
  at: z.date().refine((date) => !Number.isNaN(date.getTime()), 'expected a valid date'),
  issueId: z.string().min(1),
  issueIdentifier: z.string().min(1),
  activity: activitySchema,
  focus: z.string().nullable(),
  profile: z.string().nullable(),
  agentKind: z.string().min(1),
  model: z.string().nullable(),
  usage: tokenUsageSchema,
  costUsd: z.number().finite().min(0).nullable(),
});
