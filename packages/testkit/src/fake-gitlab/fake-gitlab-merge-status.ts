import type { FakeGitLabMergeRequest, FakeGitLabPipeline, FakeGitLabProject } from './fake-gitlab-model.js';

/**
 * GitLab's `detailed_merge_status`, one blocker at a time in GitLab's order of checks. The
 * git part (conflict, need_rebase) is computed asynchronously by the fake, as GitLab does;
 * until it is known for the current head and target the answer is `checking`.
 */
export function detailedMergeStatus(
  project: FakeGitLabProject,
  mergeRequest: FakeGitLabMergeRequest,
  checkKey: string,
  headPipeline: FakeGitLabPipeline | null,
): string {
  if (mergeRequest.state !== 'opened') return 'not_open';
  const gitResult = mergeRequest.mergeCheck?.key === checkKey ? mergeRequest.mergeCheck.gitResult : null;
  if (gitResult === null) return 'checking';
  if (mergeRequest.draft) return 'draft_status';
  if (gitResult === 'conflict') return 'conflict';
  if (gitResult === 'need_rebase') return 'need_rebase';
  if ([...mergeRequest.reviewers.values()].includes('requested_changes')) return 'requested_changes';
  if (project.onlyAllowMergeIfPipelineSucceeds) {
    if (headPipeline === null) return 'ci_must_pass';
    if (['created', 'pending', 'running'].includes(headPipeline.status)) return 'ci_still_running';
    if (headPipeline.status !== 'success' && headPipeline.status !== 'skipped') return 'ci_must_pass';
  }
  if (project.onlyAllowMergeIfAllDiscussionsAreResolved) {
    const unresolved = mergeRequest.discussions.some((discussion) =>
      discussion.notes.some((note) => note.resolvable && !note.resolved),
    );
    if (unresolved) return 'discussions_not_resolved';
  }
  if (mergeRequest.approvedByIds.length < project.approvalsRequired) return 'not_approved';
  return 'mergeable';
}
