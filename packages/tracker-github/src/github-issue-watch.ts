import { describeError, type Logger, type TrackerChange } from '@loompa/core';
import {
  type GitHubWebhookDelivery,
  type GitHubWebhookReceiver,
  type GitHubWebhookReceiverOptions,
  subscribeToGitHubWebhooks,
} from '@loompa/github-client';

/** Events that can change what the tracker reports about an issue. */
const issueEvents = new Set(['issues', 'issue_comment', 'issue_dependencies', 'sub_issues']);

/** The changed issue a delivery is about, or null when it is not one of this repository's issues. */
export function changedIssueOf(delivery: GitHubWebhookDelivery, repository: string): string | null {
  if (!issueEvents.has(delivery.event)) return null;
  const payload = delivery.payload as {
    repository?: { full_name?: string };
    issue?: { number?: number; pull_request?: unknown };
  };
  if (payload.repository?.full_name?.toLowerCase() !== repository.toLowerCase()) return null;
  if (!payload.issue || typeof payload.issue.number !== 'number' || payload.issue.pull_request) return null;
  return String(payload.issue.number);
}

/**
 * `watch` through webhooks: each delivery about one of the repository's issues becomes a
 * change, so the orchestrator ticks at once; polling carries on as the baseline because
 * webhooks can be dropped. Stops reporting the moment `abortSignal` aborts.
 */
export function watchGitHubIssues(options: {
  abortSignal: AbortSignal;
  onChange: (change: TrackerChange) => void;
  onError?: (error: unknown) => void;
  /** Options of a receiver to start (shared per port), or a running receiver to listen on. */
  webhook: GitHubWebhookReceiverOptions | GitHubWebhookReceiver;
  repository: string;
  logger: Logger;
}): void {
  const { abortSignal } = options;
  if (abortSignal.aborted) return;
  const listener = (delivery: GitHubWebhookDelivery) => {
    if (abortSignal.aborted) return;
    const issueId = changedIssueOf(delivery, options.repository);
    if (issueId !== null) options.onChange({ issueIds: [issueId] });
  };
  const webhook = options.webhook;
  if ('subscribe' in webhook) {
    const unsubscribe = webhook.subscribe(listener);
    abortSignal.addEventListener('abort', () => unsubscribe(), { once: true });
    return;
  }
  const subscription = subscribeToGitHubWebhooks(webhook, listener);
  subscription.then(
    ({ url, unsubscribe }) => {
      if (abortSignal.aborted) {
        void unsubscribe();
        return;
      }
      options.logger.info('receiving GitHub webhooks', { url });
      abortSignal.addEventListener('abort', () => void unsubscribe(), { once: true });
    },
    (error: unknown) => {
      options.logger.error('the GitHub webhook receiver could not start', { message: describeError(error) });
      options.onError?.(error);
    },
  );
}
