import { nameList, optionalString, positiveInteger } from '@loompa/core/schema';
import { checkGitLabCredentials, gitLabConnectionSettingsShape } from '@loompa/gitlab-client/settings';
import { z } from 'zod';

/**
 * The `tracker:` section when `kind: gitlab`. Core's own keys (`active_states`,
 * `terminal_states`, `required_labels`, `assignee`) are read here too: GitLab filters by
 * the required labels and the assignee, and the states decide which issues are closed.
 */
/** Core keys the GitLab tracker reads as well (core validates and documents them). */
const coreTrackerKeys = {
  active_states: nameList.default(['todo', 'in progress']),
  terminal_states: nameList.default(['done', 'cancelled']),
  required_labels: nameList.default([]),
  assignee: optionalString,
};

/** The keys @loompa/tracker-gitlab adds to `tracker:`. */
const gitLabTrackerKeys = {
  ...gitLabConnectionSettingsShape,
  milestone: optionalString.describe('Only issues in the milestone with this title are worked on.'),
  open_state: optionalString.describe(
    'State of an open issue without a state label; the first of active_states when unset.',
  ),
  closed_state: optionalString.describe(
    'State of a closed issue without a state label; the first of terminal_states when unset.',
  ),
  state_label_prefix: z
    .string()
    .min(1)
    .default('status::')
    .describe(
      'Issue states other than open/closed are scoped labels with this prefix, e.g. status::In Progress.',
    ),
  priority_label_prefix: z
    .string()
    .min(1)
    .default('priority::')
    .describe('priority::1 (urgent) … priority::4 (low) give the issue its priority.'),
  type_label_prefix: z.string().min(1).default('type::').describe('type::bug gives the issue its type.'),
  lease_label: z
    .string()
    .min(1)
    .default('loompa::claimed')
    .describe('Label on an issue while an orchestrator holds its lease.'),
  poll_interval_ms: positiveInteger
    .default(30_000)
    .describe('How often watch asks GitLab for issues updated since its last look (updated_after).'),
};

export const gitLabTrackerSettingsSchema = z
  .looseObject({ ...coreTrackerKeys, ...gitLabTrackerKeys })
  .superRefine((section, context) => checkGitLabCredentials(section, context));

/** Only the keys this plugin adds, for the generated WORKFLOW.md reference. */
export const gitLabTrackerReferenceSchema = z.object(gitLabTrackerKeys);

/** Every added key's default as a parsed section shows it (a project is required, so one is supplied). */
export function gitLabTrackerSettingDefaults(): Record<string, unknown> {
  const { project: _project, ...defaults } = gitLabTrackerReferenceSchema.parse({ project: 'group/project' });
  return defaults;
}

export type GitLabTrackerSection = z.output<typeof gitLabTrackerSettingsSchema>;
