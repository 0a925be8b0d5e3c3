import { describeError, type Logger, type TrackerChange } from '@loompa/core';
import { type GitLabWebhookServerOptions, subscribeToGitLabWebhooks } from '@loompa/gitlab-client';

/**
 * `watch` through GitLab webhooks: issue and issue-note events of this project become
 * changes at once. Webhooks can be lost, so the `updated_after` poll keeps running beside it.
 */
export function watchIssueWebhooks(options: {
  webhook: GitLabWebhookServerOptions;
  project: string;
  logger: Logger;
  abortSignal: AbortSignal;
  onChange(change: TrackerChange): void;
  onError?(error: unknown): void;
}): void {
  const ours = (payload: Record<string, unknown>) => {
    const project = payload.project as { id?: unknown; path_with_namespace?: unknown } | undefined;
    return project?.path_with_namespace === options.project || String(project?.id) === options.project;
  };
  subscribeToGitLabWebhooks(options.webhook, (event) => {
    if (options.abortSignal.aborted || !ours(event.payload)) return;
    const attributes = event.payload.object_attributes as
      | { iid?: unknown; noteable_type?: unknown }
      | undefined;
    let iid: unknown = null;
    if (event.objectKind === 'issue') iid = attributes?.iid;
    else if (event.objectKind === 'note' && attributes?.noteable_type === 'Issue') {
      iid = (event.payload.issue as { iid?: unknown } | undefined)?.iid;
    }
    if (typeof iid === 'number') options.onChange({ issueIds: [String(iid)] });
  })
    .then(({ unsubscribe }) => {
      if (options.abortSignal.aborted) void unsubscribe();
      else options.abortSignal.addEventListener('abort', () => void unsubscribe(), { once: true });
    })
    .catch((error: unknown) => {
      options.logger.error('the GitLab webhook receiver could not start; polling only', {
        message: describeError(error),
      });
      options.onError?.(error);
    });
}
