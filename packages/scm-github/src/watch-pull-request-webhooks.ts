import type { Logger } from '@loompa/core';
import {
  type GitHubWebhookDelivery,
  type GitHubWebhookSource,
  listenToGitHubWebhooks,
} from '@loompa/github-client';

/** What a delivery says about pull requests: the branches it concerns and the numbers whose reviews changed. */
export interface PullRequestWebhookChange {
  branches: string[];
  /** Pull requests whose reviews or threads changed, so their cached reviews are read again. */
  reviewedNumbers: number[];
}

interface PullRequestReference {
  number?: number;
  head?: { ref?: string; sha?: string };
}

const pullRequestEvents = new Set([
  'pull_request',
  'pull_request_review',
  'pull_request_review_comment',
  'pull_request_review_thread',
]);

/**
 * The branches a GitHub webhook delivery is about. Pull request events name theirs; check
 * runs, check suites and workflow runs list their pull requests, except for a fork's head
 * (GitHub leaves the list empty there), which is found by head commit through
 * `branchOfHead`; commit statuses name branches, or only a commit.
 */
export function pullRequestChangeOf(
  delivery: GitHubWebhookDelivery,
  repository: string,
  branchOfHead: (sha: string) => string | null,
): PullRequestWebhookChange | null {
  const payload = delivery.payload as Record<string, unknown> & { repository?: { full_name?: string } };
  if (payload.repository?.full_name?.toLowerCase() !== repository.toLowerCase()) return null;
  const branches = new Set<string>();
  const reviewedNumbers: number[] = [];
  const bySha = (sha: unknown) => {
    const branch = typeof sha === 'string' ? branchOfHead(sha) : null;
    if (branch) branches.add(branch);
  };
  if (pullRequestEvents.has(delivery.event)) {
    const pull = payload.pull_request as PullRequestReference | undefined;
    if (typeof pull?.head?.ref === 'string') branches.add(pull.head.ref);
    if (typeof pull?.number === 'number' && delivery.event !== 'pull_request')
      reviewedNumbers.push(pull.number);
    if (typeof pull?.number === 'number' && delivery.event === 'pull_request')
      reviewedNumbers.push(pull.number);
  } else if (
    delivery.event === 'check_run' ||
    delivery.event === 'check_suite' ||
    delivery.event === 'workflow_run'
  ) {
    const subject = payload[delivery.event] as
      | { head_sha?: string; pull_requests?: PullRequestReference[] }
      | undefined;
    const listed = subject?.pull_requests ?? [];
    for (const pull of listed) if (typeof pull.head?.ref === 'string') branches.add(pull.head.ref);
    if (listed.length === 0) bySha(subject?.head_sha);
  } else if (delivery.event === 'status') {
    bySha(payload.sha);
    if (branches.size === 0) {
      for (const branch of (payload.branches as Array<{ name?: string }> | undefined) ?? []) {
        if (typeof branch.name === 'string') branches.add(branch.name);
      }
    }
  } else {
    return null;
  }
  return branches.size === 0 && reviewedNumbers.length === 0
    ? null
    : { branches: [...branches], reviewedNumbers };
}

/**
 * `watch` through webhooks: pull request, review, thread, check and status events of this
 * repository wake the orchestrator for the affected branch only; polling remains the safety net.
 */
export function watchPullRequestWebhooks(options: {
  webhook: GitHubWebhookSource;
  repository: string;
  logger: Logger;
  abortSignal: AbortSignal;
  branchOfHead(sha: string): string | null;
  /** Forgets what is cached about a pull request's reviews. */
  forget(number: number): void;
  onChange(change: { branch?: string }): void;
  onError?(error: unknown): void;
}): void {
  listenToGitHubWebhooks(
    options.webhook,
    (delivery) => {
      const change = pullRequestChangeOf(delivery, options.repository, options.branchOfHead);
      if (!change) return;
      for (const number of change.reviewedNumbers) options.forget(number);
      for (const branch of change.branches) options.onChange({ branch });
    },
    options,
  );
}
