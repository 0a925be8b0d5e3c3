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
  head_pipeline?: { id: number; status: string; sha?: string; project_id?: number } | null;
  author?: { username?: string } | null;
  /** Differs from `target_project_id` for a merge request from a fork. */
  source_project_id?: number;
  target_project_id?: number;
  /** The fork's owner lets members who can merge push to its branch. */
  allow_collaboration?: boolean;
  merge_when_pipeline_succeeds?: boolean;
}

export function changeRequestState(state: string): ChangeRequestState {
  if (state === 'merged') return 'merged';
  if (state === 'opened') return 'open';
  // `closed` and `locked` (a transient state while merging, where it cannot be reopened).
  return 'closed';
}

/** True for a merge request whose branch lives in a fork. */
export function isFromFork(mergeRequest: MergeRequestFields): boolean {
  return (
    mergeRequest.source_project_id !== undefined &&
    mergeRequest.target_project_id !== undefined &&
    mergeRequest.source_project_id !== mergeRequest.target_project_id
  );
}

/**
 * The change request with what babysitting reads: author, head, and for a fork the fork's
 * remote (`forkRepositoryUrl`, read by the caller) and whether Loompa may push to it.
 */
export function toChangeRequest(
  mergeRequest: MergeRequestFields,
  forkRepositoryUrl: string | null = null,
): ChangeRequest {
  const fork = isFromFork(mergeRequest);
  return {
    author: mergeRequest.author?.username ?? null,
    headSha: mergeRequest.sha ?? null,
    headRepositoryUrl: fork ? forkRepositoryUrl : null,
    pushable: !fork || mergeRequest.allow_collaboration === true,
    id: String(mergeRequest.iid),
    number: mergeRequest.iid,
    url: mergeRequest.web_url ?? null,
    branch: mergeRequest.source_branch,
    baseBranch: mergeRequest.target_branch,
    title: mergeRequest.title,
    state: changeRequestState(mergeRequest.state),
  };
}
