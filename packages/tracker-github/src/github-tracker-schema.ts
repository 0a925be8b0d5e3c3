import { integerSetting, optionalString, stringList } from '@loompa/core/schema';
import { checkGitHubCredentials, gitHubConnectionSettingsShape } from '@loompa/github-client/settings';
import { z } from 'zod';
import { defaultFieldRules } from './github-issue-fields.js';

const stateName = z.string().trim().min(1);

const gitHubTrackerKeys = {
  ...gitHubConnectionSettingsShape,
  labels: stringList
    .default([])
    .describe('Intake: only issues carrying all of these labels are read (required_labels are added).'),
  milestone: optionalString.describe('Intake: only issues in this milestone (title or number).'),
  open_state: stateName
    .default(defaultFieldRules.openState)
    .describe('State of an open issue without a state label.'),
  closed_state: stateName
    .default(defaultFieldRules.closedState)
    .describe('State of an issue closed as completed; moving an issue there closes it.'),
  not_planned_state: stateName
    .default(defaultFieldRules.notPlannedState)
    .describe('State of an issue closed as not planned or duplicate.'),
  state_labels: z
    .record(stateName, z.string().trim().min(1))
    .default(Object.fromEntries(defaultFieldRules.stateLabels))
    .describe(
      'State → label that puts an open issue in that state (e.g. "in progress": loompa:in-progress).',
    ),
  priority_labels: z
    .record(z.string().trim().min(1), integerSetting(1))
    .default(Object.fromEntries(defaultFieldRules.priorityLabels))
    .describe('Label → priority (1 urgent … 4 low).'),
  type_labels: z
    .record(z.string().trim().min(1), z.string().trim().min(1))
    .default(Object.fromEntries(defaultFieldRules.typeLabels))
    .describe('Label → issue type, used when an issue has no GitHub issue type.'),
  lease_label: z
    .string()
    .trim()
    .min(1)
    .default(defaultFieldRules.leaseLabel)
    .describe('Label marking an issue an orchestrator has claimed.'),
};

/**
 * The `tracker:` section of WORKFLOW.md as the GitHub tracker reads it. Core validates the
 * shared keys (`kind`, `active_states`, `required_labels`, `assignee`, …); unknown keys pass
 * through for it. Credential variables and the App key file are checked here, so a missing
 * token is reported at `tracker.token_variable` with the variable's name and never its value.
 */
export const gitHubTrackerSettingsSchema = z
  .looseObject(gitHubTrackerKeys)
  .superRefine((section, context) => {
    checkGitHubCredentials(section, context);
    const stateNames = [
      section.open_state,
      section.closed_state,
      section.not_planned_state,
      ...Object.keys(section.state_labels),
    ];
    const seen = new Set<string>();
    for (const state of stateNames) {
      const normalized = state.toLowerCase();
      if (seen.has(normalized)) {
        context.addIssue({
          code: 'custom',
          path: ['state_labels'],
          message: `state ${JSON.stringify(state)} is named twice among open_state, closed_state, not_planned_state and state_labels`,
        });
      }
      seen.add(normalized);
    }
  });

/** The parsed `tracker:` section. */
export type GitHubTrackerSection = z.output<typeof gitHubTrackerSettingsSchema>;

/**
 * Every key's default as a parsed section shows it, for the generated WORKFLOW.md reference
 * (the full schema cannot parse an empty section: the repository and a token are required).
 */
export function gitHubTrackerSettingDefaults(): Record<string, unknown> {
  const { repository: _repository, ...defaults } = z
    .object(gitHubTrackerKeys)
    .parse({ repository: 'owner/name' });
  return defaults;
}
