import { booleanSetting, positiveInteger } from '@loompa/core/schema';
import { checkGitLabCredentials, gitLabConnectionSettingsShape } from '@loompa/gitlab-client/settings';
import { z } from 'zod';

/**
 * The `scm:` section when `kind: gitlab`. Core keeps `base_branch`, `auto_merge` and
 * `merge_method`; GitLab's own merge method (merge commit, semi-linear, fast-forward) is a
 * project setting, so `merge_method: squash` is the only one that changes what GitLab does.
 */
/** The keys @loompa/scm-gitlab adds to `scm:`. */
const gitLabScmKeys = {
  ...gitLabConnectionSettingsShape,
  remove_source_branch: booleanSetting
    .default(true)
    .describe('Ask GitLab to delete the source branch once the merge request is merged.'),
  merge_when_pipeline_succeeds: booleanSetting
    .default(false)
    .describe('When merging while the head pipeline still runs, let GitLab merge once it succeeds.'),
  rebase_poll_interval_ms: positiveInteger
    .default(1_000)
    .describe('Time between reads while GitLab rebases a merge request on the server.'),
  rebase_timeout_ms: positiveInteger
    .default(300_000)
    .describe('Longest wait for a server-side rebase before giving up.'),
};

export const gitLabScmSettingsSchema = z
  .looseObject(gitLabScmKeys)
  .superRefine((section, context) => checkGitLabCredentials(section, context));

/** Only the keys this plugin adds, for the generated WORKFLOW.md reference. */
export const gitLabScmReferenceSchema = z.object(gitLabScmKeys);

/** Every added key's default as a parsed section shows it (a project is required, so one is supplied). */
export function gitLabScmSettingDefaults(): Record<string, unknown> {
  const { project: _project, ...defaults } = gitLabScmReferenceSchema.parse({ project: 'group/project' });
  return defaults;
}

export type GitLabScmSection = z.output<typeof gitLabScmSettingsSchema>;
