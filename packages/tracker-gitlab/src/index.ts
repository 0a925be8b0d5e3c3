/**
 * @loompa/tracker-gitlab: GitLab issues as a Loompa tracker — states from opened/closed
 * plus scoped `status::…` labels, keyed notes edited in place, claims by assignment plus a
 * lease, issue creation, and a watch polling `updated_after`.
 */

export {
  type GitLabIssueFields,
  gitLabIssueToIssue,
  type IssueMappingRules,
} from './gitlab-issue-to-issue.js';
export { createGitLabTracker, GitLabTracker, type GitLabTrackerSettings } from './gitlab-tracker.js';
export { gitLabTracker } from './gitlab-tracker-plugin.js';
export {
  type GitLabTrackerSection,
  gitLabTrackerReferenceSchema,
  gitLabTrackerSettingDefaults,
  gitLabTrackerSettingsSchema,
} from './gitlab-tracker-schema.js';
export { isClosedState, type StateRules, stateOfIssue, transitionEdit } from './issue-states.js';
