import type { ChangeRequest, ChangeRequestState } from '@loompa/core';

/**
 * The fields of GitLab's merge request JSON we read. Kept to what the REST docs show, as
 * plain strings where gitbeaker's types are stale (`detailed_merge_status`).
 */
export interface MergeRequestFields {
  iid: number;
  title: string;
  description?: string | null;
  state: string;
  source_branch: string;
  target_branch: string;
  sha?: string | null;
  web_url?: string;
  detailed_merge_status?: string;
  has_conflicts?: boolean;
  rebase_in_progress?: boolean;
  merge_error?: string | null;
  head_pipeline?: { id: number; status: string; sha?: string } | null;
  merge_when_pipeline_succeeds?: boolean;
}

export function changeRequestState(state: string): ChangeRequestState {
  if (state === 'merged') return 'merged';
  if (state === 'opened') return 'open';
  // `closed` and `locked` (a transient state while merging, where it cannot be reopened).
  return 'closed';
}

export function toChangeRequest(mergeRequest: MergeRequestFields): ChangeRequest {
  return {
    id: String(mergeRequest.iid),
    number: mergeRequest.iid,
    url: mergeRequest.web_url ?? null,
    branch: mergeRequest.source_branch,
    baseBranch: mergeRequest.target_branch,
    title: mergeRequest.title,
    state: changeRequestState(mergeRequest.state),
  };
}
