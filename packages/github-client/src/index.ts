/**
 * @loompa/github-client: the one Octokit construction every Loompa GitHub plugin shares
 * (token or App authentication, throttling that retries, retries of 5xx, conditional
 * requests, a rate-budget view), the WORKFLOW.md connection keys, and the webhook receiver.
 * This file is the package's public face.
 */

export {
  ConditionalRequestCache,
  type ConditionalRequestCacheStatistics,
} from './conditional-request-cache.js';
export {
  createGitHubClient,
  defaultGitHubApiUrl,
  type GitHubClient,
  type GitHubClientOptions,
  type GitHubCredentials,
  LoompaOctokit,
  type LoompaOctokitInstance,
} from './github-client.js';
export {
  checkGitHubCredentials,
  type GitHubConnectionSettings,
  gitHubClientOptionsFromSettings,
  gitHubConnectionSettingsSchema,
  gitHubConnectionSettingsShape,
  gitHubSecretVariables,
  gitHubWebhookOptionsFromSettings,
  gitHubWebhookSecret,
  repositoryNamePattern,
} from './github-connection-settings.js';
export { commentMarker, hasMarker, withMarker, withoutMarkers } from './keyed-comments.js';
export { type RateBudget, RateBudgetView } from './rate-budget.js';
export { listenToGitHubWebhooks, subscribeToGitHubWebhooks } from './shared-webhook-receivers.js';
export type { WriteSpacing } from './throttle-groups.js';
export {
  createGitHubWebhookHandler,
  createGitHubWebhookReceiver,
  type GitHubWebhookDelivery,
  type GitHubWebhookHandler,
  type GitHubWebhookListener,
  type GitHubWebhookReceiver,
  type GitHubWebhookReceiverOptions,
  type GitHubWebhookSource,
} from './webhook-receiver.js';
