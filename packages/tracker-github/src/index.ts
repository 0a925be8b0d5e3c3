/**
 * @loompa/tracker-github: GitHub Issues as a Loompa tracker, built on @loompa/github-client.
 * This file is the package's public face.
 */

export { commentMarker, withoutMarkers } from '@loompa/github-client';
export {
  defaultFieldRules,
  type GitHubIssueFieldRules,
  knownStates,
  stateOfIssue,
} from './github-issue-fields.js';
export { changedIssueOf, watchGitHubIssues } from './github-issue-watch.js';
export { createGitHubTracker, type GitHubTracker, type GitHubTrackerSettings } from './github-tracker.js';
export { gitHubTrackerPlugin } from './github-tracker-plugin.js';
export {
  type GitHubTrackerSection,
  gitHubTrackerSettingDefaults,
  gitHubTrackerSettingsSchema,
} from './github-tracker-schema.js';
export { leaseCommentKey } from './issue-lease.js';
export { type GitHubIssueJson, normalizeGitHubIssue } from './normalize-github-issue.js';
