import type { Mergeability } from '@loompa/core';

/**
 * GitLab's `detailed_merge_status`, mapped by hand. gitbeaker's type for it is stale (it
 * lacks `conflict`, `need_rebase`, `requested_changes`, …), so the value is read as a plain
 * string. GitLab reports one blocker at a time; anything not listed here is `unknown`,
 * never `clean`, so a new GitLab value can never let a merge through.
 */

/** Values while GitLab is still working the answer out: read again later. */
const computing = new Set(['checking', 'unchecked', 'preparing', 'approvals_syncing']);

/** Values naming something a person or the pipeline has to settle before merging. */
const blocked = new Set([
  'ci_must_pass',
  'ci_still_running',
  'commits_status',
  'discussions_not_resolved',
  'draft_status',
  'jira_association_missing',
  'locked_lfs_files',
  'locked_paths',
  'merge_request_blocked',
  'merge_time',
  'not_approved',
  'requested_changes',
  'security_policy_violations',
  'status_checks_must_pass',
  'title_regex',
  // Listed by older GitLab versions (and gitbeaker's type), no longer documented.
  'blocked_status',
  'external_status_checks',
  'policies_denied',
]);

export function mapDetailedMergeStatus(
  status: string | null | undefined,
  options: { hasConflicts?: boolean } = {},
): Mergeability {
  if (typeof status !== 'string') return 'unknown';
  if (status === 'mergeable') return options.hasConflicts ? 'conflict' : 'clean';
  if (computing.has(status)) return 'computing';
  if (status === 'conflict') return 'conflict';
  if (status === 'need_rebase') return 'behind';
  if (blocked.has(status)) return 'blocked';
  return 'unknown';
}
