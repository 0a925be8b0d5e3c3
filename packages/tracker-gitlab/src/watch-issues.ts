import { describeError, type Logger, type TrackerChange } from '@loompa/core';
import type { GitLabClient } from '@loompa/gitlab-client';

export interface WatchIssuesOptions {
  client: GitLabClient;
  project: string;
  filters: Record<string, unknown>;
  intervalMs: number;
  logger: Logger;
  abortSignal: AbortSignal;
  onChange(change: TrackerChange): void;
  onError?(error: unknown): void;
}

/** Issues whose updates were already reported, as `iid@updated_at`. */
type SeenUpdates = Set<string>;

/**
 * Polls GitLab for issues updated since the last look (`updated_after`), GitLab's cheap
 * change probe (it documents no ETags for REST). Each look overlaps the previous one by a
 * second, so an update stamped in the same instant as the cursor is not missed; updates
 * already reported are remembered and not reported twice.
 */
export function watchIssues(options: WatchIssuesOptions): void {
  const overlapMs = 1_000;
  let cursor = new Date();
  const seen: SeenUpdates = new Set();
  let timer: NodeJS.Timeout | null = null;

  const look = async () => {
    const since = new Date(cursor.getTime() - overlapMs);
    const issues = await options.client.call(options.abortSignal, (api) =>
      api.Issues.all({
        projectId: options.project,
        updatedAfter: since.toISOString(),
        orderBy: 'updated_at',
        sort: 'asc',
        ...options.filters,
        ...options.client.pageLimits,
      }),
    );
    const changed: string[] = [];
    for (const issue of issues) {
      const stamp = `${issue.iid}@${issue.updated_at}`;
      const updatedAt = new Date(issue.updated_at);
      if (updatedAt > cursor) cursor = updatedAt;
      if (seen.has(stamp)) continue;
      seen.add(stamp);
      changed.push(String(issue.iid));
    }
    // Stamps older than the overlap window can no longer come back; forget them.
    for (const stamp of seen) {
      if (new Date(stamp.slice(stamp.indexOf('@') + 1)).getTime() < since.getTime()) seen.delete(stamp);
    }
    if (changed.length > 0 && !options.abortSignal.aborted) options.onChange({ issueIds: changed });
  };

  const schedule = () => {
    if (options.abortSignal.aborted) return;
    timer = setTimeout(() => {
      look()
        .catch((error: unknown) => {
          if (options.abortSignal.aborted) return;
          options.logger.warn('watching GitLab issues failed; trying again', {
            message: describeError(error),
          });
          options.onError?.(error);
        })
        .finally(schedule);
    }, options.intervalMs);
  };
  options.abortSignal.addEventListener('abort', () => {
    if (timer) clearTimeout(timer);
  });
  schedule();
}
