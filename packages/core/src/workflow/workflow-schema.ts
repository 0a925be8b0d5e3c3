import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { normalizeName } from '../specifications/issue.js';
import { continuousIntegrationSectionSchema, triageSectionSchema } from './continuous-integration-schema.js';
import {
  booleanSetting,
  integerSetting,
  nameList,
  nonNegativeInteger,
  optionalString,
  positiveInteger,
  stringList,
} from './schema-helpers.js';

/**
 * The core sections of WORKFLOW.md's front matter. Defaults follow OpenAI's Symphony
 * specification where it has one (poll 30 s, 10 agents, 20 turns, retry backoff capped at
 * 5 min, stall 5 min, hooks 60 s). Keys stay snake_case, exactly as written in the file, so a
 * YAML path in an error is also the property path in code. Sections that plugins extend
 * (`tracker`, `scm`, `store`, `budget`, `notifications`) keep unknown keys for the plugin's own schema.
 */

const trackerSectionSchema = z.looseObject({
  kind: z.string().min(1).default('markdown').describe('Tracker plugin kind.'),
  active_states: nameList.default(['todo', 'in progress']).describe('States whose issues are worked on.'),
  terminal_states: nameList
    .default(['done', 'cancelled'])
    .describe('States in which an issue is finished; its workspace is removed.'),
  required_labels: nameList.default([]).describe('Labels an issue must all carry to be dispatched.'),
  assignee: optionalString.describe('Only issues assigned to this user are dispatched.'),
  review_state: optionalString.describe('State an issue moves to when its change request opens.'),
  done_state: optionalString.describe('State an issue moves to when its change request merges.'),
  needs_human_label: z
    .string()
    .default('loompa:needs-human')
    .describe('Label added when an issue is blocked and waits for a person.'),
  claim_lease_ms: positiveInteger
    .default(600_000)
    .describe(
      'How long a claim on an issue lasts (trackers that can claim, such as markdown), so two Loompa instances never work the same issue. Renewed every third of it while the item lives; a crashed instance holds its issues at most this long.',
    ),
});

const scmSectionSchema = z.looseObject({
  kind: z.string().min(1).default('local').describe('SCM provider plugin kind.'),
  base_branch: optionalString.describe(
    "Branch change requests target; the source checkout's current branch by default.",
  ),
  auto_merge: booleanSetting
    .default(false)
    .describe('Merge when every check passed and the review approved. Nothing is merged otherwise.'),
  merge_method: z.enum(['merge', 'squash', 'rebase']).default('rebase').describe('How merges are made.'),
  author_name: z
    .string()
    .min(1)
    .default('loompa')
    .describe("Name on Loompa's commits and comments; comments by this author are never acted on."),
  author_email: z.string().min(1).default('loompa@localhost').describe("E-mail on Loompa's commits."),
  commit_message: z
    .string()
    .min(1)
    .default('{{ issue.identifier }}: {{ issue.title }}')
    .describe('Liquid template of the first commit subject (issue, focus, profile).'),
  sign_off: booleanSetting.default(false).describe('Add a Signed-off-by trailer to commits.'),
  required_checks: stringList
    .nullable()
    .default(null)
    .describe(
      'Check names that must succeed on the head before Loompa merges; every reported check when unset.',
    ),
  required_approvals: nonNegativeInteger
    .nullable()
    .default(null)
    .describe(
      "Approving reviews needed before Loompa merges; the provider's default when unset (1 on forges).",
    ),
  checks_settle_ms: nonNegativeInteger
    .nullable()
    .default(null)
    .describe(
      "After each push, how long checks may still register before the CI state is trusted; the provider's default when unset (60 s on forges, 0 for scm-local).",
    ),
  babysit: z
    .preprocess(
      (value) => (typeof value === 'number' ? [value] : value),
      z.preprocess(
        (value) =>
          typeof value === 'string'
            ? value
                .split(',')
                .map((item) => item.trim().replace(/^[#!]/, ''))
                .filter((item) => item !== '')
            : value,
        z.array(positiveInteger),
      ),
    )
    .default([])
    .describe(
      'Change request numbers Loompa babysits although it did not open them: it fixes their checks, answers reviews and rebases them on their own branch (never merging unless auto_merge).',
    ),
  babysit_label: optionalString.describe(
    'Label (e.g. loompa:babysit) that puts any open change request carrying it under babysitting.',
  ),
  allow_merge_without_checks: booleanSetting
    .default(false)
    .describe(
      'Let Loompa merge a head no check reported on (after checks_settle_ms). Off: nothing merges unchecked.',
    ),
});

const repositorySectionSchema = z.object({
  path: optionalString.describe(
    'Source checkout; the folder of WORKFLOW.md when neither path nor url is set.',
  ),
  url: optionalString.describe('Repository to clone once into the state directory when no path is given.'),
});

const workspaceSectionSchema = z.object({
  root: z
    .string()
    .default(path.join(os.tmpdir(), 'loompa_workspaces'))
    .describe('Folder holding one git worktree per issue.'),
  branch_prefix: z.string().default('loompa/').describe('Prefix of the branch created for each issue.'),
  state_directory: z
    .string()
    .default('.loompa/state')
    .describe('Durable state: attempts, cursors, ledger, clones. Relative to WORKFLOW.md.'),
});

const hooksSectionSchema = z.object({
  after_create: optionalString.describe('Shell script run once in a new workspace; failure removes it.'),
  before_run: optionalString.describe('Shell script run before every agent run; failure aborts the attempt.'),
  after_run: optionalString.describe('Shell script run after every agent run; failure is logged.'),
  before_remove: optionalString.describe(
    'Shell script run before a workspace is deleted; failure is logged.',
  ),
  timeout_ms: positiveInteger
    .default(60_000)
    .describe('Hooks are killed with their children after this long.'),
});

const pollingSectionSchema = z.object({
  interval_ms: positiveInteger
    .default(30_000)
    .describe('Time between ticks when the tracker cannot push changes.'),
});

/** The HTTP API and dashboard (`loompa run --port`, `@loompa/dashboard`). */
const serverSectionSchema = z.object({
  api_token: z
    .string()
    .min(1)
    .nullable()
    .default(null)
    .describe(
      'Bearer token the HTTP API asks of requests from beyond loopback; write it as $NAME of an environment variable. LOOMPA_API_TOKEN wins when set.',
    ),
});

const profileSchema = z.object({
  name: z.string().min(1).describe('Name used by agent.escalation and shown in events.'),
  kind: optionalString.describe('Agent kind for this profile; agent.kind when unset.'),
  model: optionalString.describe('Model for issues on this profile; agent.model when unset.'),
  types: nameList.default([]).describe('Issue types this profile serves; any type when empty.'),
  keywords: nameList
    .default([])
    .describe('Words in the title or description, one of which must appear; any when empty.'),
  priority_min: integerSetting(0)
    .nullable()
    .default(null)
    .describe('Lowest priority number served (inclusive); open when unset.'),
  priority_max: integerSetting(0)
    .nullable()
    .default(null)
    .describe('Highest priority number served (inclusive); open when unset.'),
});

const agentSectionSchema = z.object({
  kind: z.string().min(1).default('claude').describe('Agent backend plugin kind.'),
  model: optionalString.describe('Model passed to the agent unless a profile or focus picks another.'),
  max_concurrent_agents: positiveInteger.default(10).describe('Agents running at once, in total.'),
  max_concurrent_agents_by_state: z
    .record(z.string().transform(normalizeName), positiveInteger)
    .default({})
    .describe('Agents running at once per issue state (state names compared lowercased).'),
  max_turns: positiveInteger.default(20).describe('Turns one run may take on the same session.'),
  max_attempts: positiveInteger
    .default(5)
    .describe('Failed attempts before the issue is blocked for a human.'),
  max_retry_backoff_ms: positiveInteger
    .default(300_000)
    .describe('Cap of the retry delay 10 s × 2^(attempt−1).'),
  continuation_delay_ms: nonNegativeInteger
    .default(1_000)
    .describe('Pause before continuing a still-active issue.'),
  stall_timeout_ms: nonNegativeInteger
    .default(300_000)
    .describe('No agent output for this long kills the run; 0 disables.'),
  turn_timeout_ms: positiveInteger.default(3_600_000).describe('One agent run may take at most this long.'),
  env: z
    .record(z.string(), z.string())
    .default({})
    .describe(
      'Variables set for agents, reviewer agents, checks and hooks (a credential reaches agent-written code only when listed here or in pass_environment).',
    ),
  pass_environment: stringList
    .default([])
    .describe(
      "Names (a trailing * matches a prefix) passed from Loompa's environment to agents, checks and hooks even when they look secret.",
    ),
  profiles: z.array(profileSchema).default([]).describe('Model tiers chosen by type, keywords and priority.'),
  escalation: stringList
    .default([])
    .describe('Profile names in the order a failing issue escalates through.'),
});

/** Every key is optional: an unset key keeps the built-in focus's value (or is empty for a new focus). */
const focusSchema = z.object({
  role: z.string().optional().describe('One line naming the role, e.g. "bug investigator".'),
  keywords: nameList.optional().describe('Whole words in the title or description that point to this focus.'),
  types: nameList.optional().describe('Issue types that point to this focus.'),
  labels: nameList.optional().describe('Labels that point to this focus.'),
  instructions: z
    .string()
    .optional()
    .describe("Appended to the agent's system prompt; available to the template as focus.instructions."),
  model: z
    .string()
    .nullable()
    .optional()
    .describe("Model instead of the profile's; null clears a built-in one."),
  agent: z.string().nullable().optional().describe('Agent kind for this focus; null clears a built-in one.'),
});

const reactionSchema = (feedback: string, maximumAttempts: number) => ({
  enabled: booleanSetting.default(true).describe(`Resume the agent on ${feedback}.`),
  max_attempts: positiveInteger
    .default(maximumAttempts)
    .describe(`Times the agent is resumed on ${feedback} before the issue is blocked for a human.`),
});

const reactionsSectionSchema = z.object({
  ci: z
    .object({
      ...reactionSchema('failing checks', 3),
      log_tail_bytes: positiveInteger
        .default(20_000)
        .describe('Bytes of each failing check log given to the agent.'),
    })
    .prefault({}),
  review: z
    .object({
      ...reactionSchema('review feedback', 3),
      reviewers: stringList
        .default([])
        .describe('Whose feedback is acted on; everyone (but Loompa) when empty.'),
    })
    .prefault({}),
  conflict: z.object(reactionSchema('a conflict a rebase cannot resolve', 2)).prefault({}),
});

const fleetSectionSchema = z.object({
  max_concurrent_agents: positiveInteger
    .optional()
    .describe(
      'Agents at once over every project of a fleet (`createFleet`, `loompa run a/WORKFLOW.md b/WORKFLOW.md`); the smallest value any project sets wins, 10 when none does. Ignored outside a fleet.',
    ),
});

/** The store kind and the leader lease are core's; the store plugin owns every other key (`url`, `prefix`). */
const storeSectionSchema = z.looseObject({
  kind: z
    .string()
    .min(1)
    .default('file')
    .describe(
      'Store plugin kind, read at start: `file` (files under the state directory) or a store registered with the orchestrator, such as `redis` (`@loompa/store-redis`), which several orchestrators share: one leads, the others stand by.',
    ),
  lease_ms: positiveInteger
    .default(15_000)
    .describe(
      'With a store that has a leader lease (redis): how long the leadership lasts unless renewed (every third of it). A standby takes over at most this long after the leader died.',
    ),
});

/** The budget plugin given to the orchestrator owns every key of this section. */
const budgetSectionSchema = z.looseObject({});

export const workflowConfigSchema = z.object({
  tracker: trackerSectionSchema.prefault({}),
  scm: scmSectionSchema.prefault({}),
  repository: repositorySectionSchema.prefault({}),
  workspace: workspaceSectionSchema.prefault({}),
  hooks: hooksSectionSchema.prefault({}),
  polling: pollingSectionSchema.prefault({}),
  agent: agentSectionSchema.prefault({}),
  foci: z
    .record(z.string(), focusSchema)
    .default({})
    .describe('Foci added to or overriding the built-in ones.'),
  reactions: reactionsSectionSchema.prefault({}),
  ci: continuousIntegrationSectionSchema.prefault({}),
  triage: triageSectionSchema.prefault({}),
  server: serverSectionSchema.prefault({}),
  fleet: fleetSectionSchema.prefault({}),
  store: storeSectionSchema.prefault({}),
  budget: budgetSectionSchema
    .prefault({})
    .describe('Owned by the budget plugin given to the orchestrator, which validates it.'),
  notifications: z
    .looseObject({})
    .prefault({})
    .describe('Owned by the notifier given to the orchestrator (`notifier`), which validates it.'),
});

/** The validated, defaulted front matter (core sections). */
export type WorkflowConfig = z.output<typeof workflowConfigSchema>;
export type AgentProfileSettings = z.output<typeof profileSchema>;
export type FocusSettings = z.output<typeof focusSchema>;

/** Front-matter keys holding filesystem paths: `~` and `$NAME` expand, relative paths resolve. */
export const corePathKeys: ReadonlyArray<readonly string[]> = [
  ['repository', 'path'],
  ['workspace', 'root'],
  ['workspace', 'state_directory'],
];
