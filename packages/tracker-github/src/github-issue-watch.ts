import type { Logger, TrackerChange } from '@loompa/core';
import {
  type GitHubWebhookDelivery,
  type GitHubWebhookSource,
  listenToGitHubWebhooks,
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
  webhook: GitHubWebhookSource;
  repository: string;
  logger: Logger;
}): void {
  listenToGitHubWebhooks(
    options.webhook,
    (delivery: GitHubWebhookDelivery) => {
      const issueId = changedIssueOf(delivery, options.repository);
      if (issueId !== null) options.onChange({ issueIds: [issueId] });
    },
    options,
  );
}
