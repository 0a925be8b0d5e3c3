/**
 * @loompa/scm-gitlab: GitLab merge requests as a Loompa SCM provider — open or adopt by
 * source branch, status from the head pipeline (child pipelines and commit statuses too),
 * `detailed_merge_status` mapped by hand, approvals and resolvable discussions, job log
 * tails with `failure_reason` for failure classification, failed jobs retried once, scheduled
 * and default-branch pipelines for CI triage, server-side rebase, merge pinned to the checked sha.
 */

export { gitLabScm } from './gitlab-scm-plugin.js';
export { createGitLabScm, GitLabScmProvider, type GitLabScmSettings } from './gitlab-scm-provider.js';
export {
  type GitLabScmSection,
  gitLabScmReferenceSchema,
  gitLabScmSettingDefaults,
  gitLabScmSettingsSchema,
} from './gitlab-scm-schema.js';
export { plainJobLog } from './job-log-tail.js';
export { mapDetailedMergeStatus } from './map-merge-status.js';
export { changeRequestState, type MergeRequestFields, toChangeRequest } from './merge-request-fields.js';
export { checkState, jobConclusion, rollUpChecks } from './pipeline-checks.js';
export { retryFailedJobs } from './retry-failed-jobs.js';
export { discussionsToThreads, reviewState } from './review-threads.js';
export { pipelineRunState } from './scheduled-pipelines.js';
export { branchOfWebhookPayload } from './watch-merge-request-webhooks.js';
export {
  gitLabPipelineSources,
  namedPipelineSources,
  parseWatchedPipelines,
  type WatchedPipelines,
} from './watched-pipelines-entry.js';
