import { describeError, type Logger } from '@loompa/core';
import { type GitLabWebhookServerOptions, subscribeToGitLabWebhooks } from '@loompa/gitlab-client';

/** The branch a GitLab webhook payload is about: merge request, pipeline or merge request note. */
export function branchOfWebhookPayload(
  objectKind: string | null,
  payload: Record<string, unknown>,
): string | null {
  const attributes = payload.object_attributes as Record<string, unknown> | undefined;
  if (objectKind === 'merge_request' && typeof attributes?.source_branch === 'string')
    return attributes.source_branch;
  if (objectKind === 'pipeline' && typeof attributes?.ref === 'string') return attributes.ref;
  if (objectKind === 'note') {
    const mergeRequest = payload.merge_request as { source_branch?: unknown } | undefined;
    if (typeof mergeRequest?.source_branch === 'string') return mergeRequest.source_branch;
  }
  return null;
}

/**
 * `watch` through GitLab webhooks: merge request, pipeline and review-note events of this
 * project wake the orchestrator for that branch at once; its polling remains the baseline.
 */
export function watchMergeRequestWebhooks(options: {
  webhook: GitLabWebhookServerOptions;
  project: string;
  logger: Logger;
  abortSignal: AbortSignal;
  onChange(change: { branch?: string }): void;
  onError?(error: unknown): void;
}): void {
  subscribeToGitLabWebhooks(options.webhook, (event) => {
    if (options.abortSignal.aborted) return;
    const project = event.payload.project as { id?: unknown; path_with_namespace?: unknown } | undefined;
    if (project?.path_with_namespace !== options.project && String(project?.id) !== options.project) return;
    const branch = branchOfWebhookPayload(event.objectKind, event.payload);
    if (branch !== null) options.onChange({ branch });
  })
    .then(({ unsubscribe }) => {
      if (options.abortSignal.aborted) void unsubscribe();
      else options.abortSignal.addEventListener('abort', () => void unsubscribe(), { once: true });
    })
    .catch((error: unknown) => {
      options.logger.error('the GitLab webhook receiver could not start', { message: describeError(error) });
      options.onError?.(error);
    });
}
