import type { ChangeRequest, ChangeRequestState } from '@loompa/core';

/** The fields of GitHub's pull request JSON (simple or full) this provider reads. */
export interface PullRequestFields {
  number: number;
  node_id: string;
  html_url: string;
  title: string;
  body?: string | null;
  state: string;
  merged_at?: string | null;
  merged?: boolean;
  draft?: boolean;
  updated_at?: string;
  user?: { login?: string } | null;
  labels?: Array<{ name?: string }>;
  head: {
    ref: string;
    sha: string;
    repo?: { full_name?: string; clone_url?: string; fork?: boolean } | null;
  };
  base: { ref: string; sha?: string; repo?: { full_name?: string; default_branch?: string } | null };
  maintainer_can_modify?: boolean;
  mergeable?: boolean | null;
  mergeable_state?: string;
}

export function changeRequestState(
  pull: Pick<PullRequestFields, 'state' | 'merged_at' | 'merged'>,
): ChangeRequestState {
  if (pull.merged_at || pull.merged) return 'merged';
  return pull.state === 'open' ? 'open' : 'closed';
}

/** Whether the head lives in another repository than the base (a fork, or a deleted one). */
export function isForkHead(pull: PullRequestFields): boolean {
  const head = pull.head.repo?.full_name?.toLowerCase() ?? null;
  return head !== (pull.base.repo?.full_name?.toLowerCase() ?? null);
}

/** The change request, keyed by the pull request number (the id every later call takes). */
export function toChangeRequest(pull: PullRequestFields): ChangeRequest {
  const fork = isForkHead(pull);
  return {
    id: String(pull.number),
    number: pull.number,
    url: pull.html_url,
    branch: pull.head.ref,
    baseBranch: pull.base.ref,
    title: pull.title,
    state: changeRequestState(pull),
    author: pull.user?.login ?? null,
    headSha: pull.head.sha,
    headRepositoryUrl: fork ? (pull.head.repo?.clone_url ?? null) : null,
    // Loompa may push to a fork's branch only when its owner let maintainers edit it.
    pushable: !fork || (pull.maintainer_can_modify ?? false),
  };
}
