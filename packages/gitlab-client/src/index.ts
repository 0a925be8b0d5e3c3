/**
 * @loompa/gitlab-client: the one GitLab client every Loompa GitLab plugin builds on —
 * @gitbeaker/rest with a back-off that honours Retry-After, bounded pagination, abortable
 * calls, errors without credentials, and the GitLab webhook receiver.
 */

export { currentAbortSignal, withAbortSignal } from './call-scope.js';
export {
  createGitLabClient,
  defaultGitLabHost,
  defaultMaxPages,
  type GitLabApi,
  type GitLabClient,
  type GitLabClientSettings,
  type GitLabPageLimits,
  type GitLabTokenKind,
} from './create-gitlab-client.js';
export {
  checkGitLabCredentials,
  clientSettingsOf,
  credentialVariablesOf,
  type GitLabConnectionSection,
  gitLabConnectionSettingsShape,
  webhookSettingsOf,
} from './gitlab-connection-settings.js';
export { GitLabRequestError } from './gitlab-request-error.js';
export {
  createGitLabWebhookReceiver,
  type GitLabWebhookEvent,
  type GitLabWebhookReceiver,
  type GitLabWebhookReceiverOptions,
  type WebhookAnswer,
  type WebhookRequest,
} from './gitlab-webhook-receiver.js';
export {
  type GitLabWebhookListener,
  type GitLabWebhookServerOptions,
  subscribeToGitLabWebhooks,
} from './gitlab-webhook-server.js';
export { keyOfNote, withKeyMarker, withoutKeyMarker } from './keyed-note-marker.js';
export {
  defaultRetryPolicy,
  type RetryPolicy,
  requestedDelayMs,
} from './retrying-request-handler.js';
