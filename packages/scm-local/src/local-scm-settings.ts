import { type AgentBackendV1, type Logger, optionalString, positiveInteger } from '@loompa/core/schema';
import { z } from 'zod';

const checkSchema = z.union([
  z.string().trim().min(1).describe('A shell command; it is also the check name.'),
  z.object({
    name: z.string().trim().min(1).describe('Name shown in status and logs.'),
    command: z.string().trim().min(1).describe('Run with `sh -c` at the root of a clean worktree.'),
    timeout_ms: positiveInteger.optional().describe('Overrides check_timeout_ms for this check.'),
  }),
]);

const reviewerSchema = z.object({
  agent: z
    .string()
    .min(1)
    .describe('Kind of the agent backend that reviews (registered with the orchestrator).'),
  model: optionalString.describe('Model the reviewer uses; the backend default when unset.'),
  prompt: optionalString.describe('Extra review instructions added to the built-in review prompt.'),
  name: z.string().min(1).default('reviewer').describe('Author name of the review threads the agent opens.'),
  max_turns: positiveInteger.default(20).describe('Turn limit of one review.'),
  timeout_ms: positiveInteger.default(900_000).describe('Time limit of one review.'),
  max_diff_bytes: positiveInteger.default(200_000).describe('The diff shown to the reviewer is cut here.'),
});

/**
 * The `scm:` section when `kind: local`. Core validates and keeps `kind`, `base_branch`,
 * `auto_merge` and `merge_method`; they pass through untouched.
 */
export const localScmSettingsSchema = z
  .looseObject({
    checks: z
      .array(checkSchema)
      .default([])
      .describe('Commands run in a clean worktree at each new head; all must exit 0.'),
    check_timeout_ms: positiveInteger
      .default(600_000)
      .describe('Time limit of one check; its whole process group is killed after it.'),
    reviewer: reviewerSchema
      .nullable()
      .default(null)
      .describe('A reviewer agent reading each head once checks pass.'),
    required_approvals: z
      .preprocess(
        (value) => (typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value),
        z.number().int().min(0),
      )
      .nullable()
      .default(null)
      .describe('Approvals of the current head needed to merge; 1 with a reviewer, 0 without, when unset.'),
    author_name: z
      .string()
      .min(1)
      .default('loompa')
      .describe("Author of Loompa's own comments and thread replies."),
  })
  .superRefine((settings, context) => {
    const seen = new Map<string, number>();
    settings.checks.forEach((check, index) => {
      const name = typeof check === 'string' ? check : check.name;
      const first = seen.get(name);
      if (first !== undefined) {
        context.addIssue({
          code: 'custom',
          path: ['checks', index],
          message: `duplicate check name ${JSON.stringify(name)} (also checks[${first}])`,
        });
      } else {
        seen.set(name, index);
      }
    });
  });

export type LocalScmWorkflowSettings = z.output<typeof localScmSettingsSchema>;

export interface LocalCheck {
  name: string;
  command: string;
  timeoutMs?: number;
}

export interface LocalReviewerSettings {
  /** Any agent backend; it runs in a clean worktree of the change's head. */
  agent: AgentBackendV1;
  model?: string | null;
  /** Extra instructions added to the built-in review prompt. */
  prompt?: string | null;
  /** Author name on the threads it opens; `reviewer` by default. */
  name?: string;
  maxTurns?: number;
  timeoutMs?: number;
  maxDiffBytes?: number;
  /** The reviewer's environment; by default the process environment without credentials. */
  environment?: () => Record<string, string>;
}

/** Settings of `createLocalScm`, the programmatic (camelCase) face of the `scm:` section. */
export interface LocalScmSettings {
  /** The source checkout whose branches are the change requests. */
  repositoryPath: string;
  /** Where records, check results, logs and temporary worktrees live. */
  stateDirectory: string;
  /** Plain strings are commands named after themselves. */
  checks?: ReadonlyArray<string | LocalCheck>;
  checkTimeoutMs?: number;
  /** The environment checks run with; core's restricted policy over `process.env` by default. */
  checkEnvironment?: () => Record<string, string>;
  /** How long a timed-out check gets between SIGTERM and SIGKILL (5 s by default). */
  checkKillGraceMs?: number;
  reviewer?: LocalReviewerSettings | null;
  /** Approvals of the current head that `merge` requires (1 with a reviewer, 0 without, by default). */
  requiredApprovals?: number;
  /** Author of Loompa's own comments and replies (`loompa`). */
  authorName?: string;
  logger?: Logger;
}
