import { booleanSetting, positiveInteger } from '@loompa/core/schema';
import { checkGitHubCredentials, gitHubConnectionSettingsShape } from '@loompa/github-client/settings';
import { z } from 'zod';

/**
 * The keys @loompa/scm-github adds to `scm:` when `kind: github`. Core keeps `base_branch`,
 * `auto_merge`, `merge_method` and the merge policy; the connection keys (`repository`,
 * `api_url`, token or App, `webhook`) are the same as the GitHub tracker's.
 */
const gitHubScmKeys = {
  ...gitHubConnectionSettingsShape,
  draft: booleanSetting.default(false).describe('Open pull requests as drafts.'),
  close_issues_after_merge: booleanSetting
    .default(true)
    .describe(
      'After a merge into another branch than the default one (where GitHub does not), close the issues the pull request body names with Closes #N.',
    ),
  mergeability_retry_ms: z
    .array(positiveInteger)
    .default([500, 1_000, 2_000])
    .describe('Waits between re-reads while GitHub computes mergeability (mergeable: null).'),
  review_max_age_ms: positiveInteger
    .default(600_000)
    .describe(
      'Longest time reviews and threads are taken from the last read while the pull request looks unchanged.',
    ),
};

export const gitHubScmSettingsSchema = z
  .looseObject(gitHubScmKeys)
  .superRefine((section, context) => checkGitHubCredentials(section, context));

/** Only the keys this plugin adds, for the generated WORKFLOW.md reference. */
export const gitHubScmReferenceSchema = z.object(gitHubScmKeys);

/** Every added key's default as a parsed section shows it (a repository is required, so one is supplied). */
export function gitHubScmSettingDefaults(): Record<string, unknown> {
  const { repository: _repository, ...defaults } = gitHubScmReferenceSchema.parse({
    repository: 'owner/name',
  });
  return defaults;
}

export type GitHubScmSection = z.output<typeof gitHubScmSettingsSchema>;
