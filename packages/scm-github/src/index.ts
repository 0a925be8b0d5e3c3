/**
 * @loompa/scm-github: GitHub pull requests as a Loompa SCM provider — opened or adopted by
 * `owner:branch`, one status read per pull request per cycle (conditional REST reads of the
 * pull request, check runs and commit statuses, and one GraphQL query for reviews and
 * threads only when something changed), Actions job log tails, thread replies and
 * resolution, rebase updates, merges pinned to the checked sha, babysitting of pull requests
 * Loompa did not open (forks included), and webhooks that tick only the affected branch.
 */

export { readCheckLog } from './check-log.js';
export { checkRunState, commitStatusState, rollUpChecks, toChecks } from './check-rollup.js';
export { closingReferences } from './closing-references.js';
export { gitHubScm } from './github-scm-plugin.js';
export { createGitHubScm, GitHubScmProvider, type GitHubScmSettings } from './github-scm-provider.js';
export {
  type GitHubScmSection,
  gitHubScmReferenceSchema,
  gitHubScmSettingDefaults,
  gitHubScmSettingsSchema,
} from './github-scm-schema.js';
export { plainActionsLog } from './log-tail.js';
export { mapMergeableState } from './map-mergeable-state.js';
export { changeRequestState, type PullRequestFields, toChangeRequest } from './pull-request-fields.js';
export { type ReviewSnapshot, reviewStatusQuery, toReviewSnapshot } from './review-status-query.js';
export { type PullRequestWebhookChange, pullRequestChangeOf } from './watch-pull-request-webhooks.js';
