import type {
  FakeGitLabCommitStatus,
  FakeGitLabDiscussion,
  FakeGitLabIssue,
  FakeGitLabJob,
  FakeGitLabLabel,
  FakeGitLabMergeRequest,
  FakeGitLabNote,
  FakeGitLabPipeline,
  FakeGitLabPipelineSchedule,
  FakeGitLabProject,
  FakeGitLabState,
  FakeGitLabUser,
} from './fake-gitlab-model.js';

/**
 * Records → JSON in the shapes GitLab's REST docs show (snake_case, ISO dates, `iid` next to
 * `id`). Only fields a client plausibly reads are filled; absent ones are left out rather
 * than invented.
 */

export interface WireContext {
  state: FakeGitLabState;
  /** `http://127.0.0.1:port`, for `web_url` fields. */
  baseUrl: string;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function userJson(context: WireContext, userId: number) {
  const user: FakeGitLabUser | undefined = context.state.users.find((candidate) => candidate.id === userId);
  return {
    id: userId,
    username: user?.username ?? `user-${userId}`,
    name: user?.name ?? `User ${userId}`,
    state: 'active',
    avatar_url: null,
    web_url: `${context.baseUrl}/${user?.username ?? `user-${userId}`}`,
  };
}

export function projectJson(context: WireContext, project: FakeGitLabProject) {
  return {
    id: project.id,
    name: project.pathWithNamespace.split('/').at(-1),
    path: project.pathWithNamespace.split('/').at(-1),
    path_with_namespace: project.pathWithNamespace,
    default_branch: project.defaultBranch,
    web_url: `${context.baseUrl}/${project.pathWithNamespace}`,
    http_url_to_repo: `${context.baseUrl}/${project.pathWithNamespace}.git`,
    ...(project.forkedFromProjectId === null
      ? {}
      : { forked_from_project: { id: project.forkedFromProjectId } }),
    merge_method: project.mergeMethod,
    only_allow_merge_if_pipeline_succeeds: project.onlyAllowMergeIfPipelineSucceeds,
    only_allow_merge_if_all_discussions_are_resolved: project.onlyAllowMergeIfAllDiscussionsAreResolved,
  };
}

export function labelJson(label: FakeGitLabLabel) {
  return {
    id: label.id,
    name: label.name,
    color: label.color,
    description: label.description,
    text_color: '#FFFFFF',
  };
}

export function issueJson(context: WireContext, project: FakeGitLabProject, issue: FakeGitLabIssue) {
  return {
    id: issue.id,
    iid: issue.iid,
    project_id: project.id,
    title: issue.title,
    description: issue.description,
    state: issue.state,
    labels: [...issue.labels],
    milestone: issue.milestone === null ? null : { id: 1, iid: 1, title: issue.milestone },
    assignees: issue.assigneeIds.map((id) => userJson(context, id)),
    assignee: issue.assigneeIds[0] === undefined ? null : userJson(context, issue.assigneeIds[0]),
    author: userJson(context, issue.authorId),
    created_at: iso(issue.createdAt),
    updated_at: iso(issue.updatedAt),
    closed_at: iso(issue.closedAt),
    user_notes_count: issue.discussions.flatMap((discussion) => discussion.notes).length,
    web_url: `${context.baseUrl}/${project.pathWithNamespace}/-/issues/${issue.iid}`,
    references: { short: `#${issue.iid}`, full: `${project.pathWithNamespace}#${issue.iid}` },
    issue_type: 'issue',
  };
}

export function noteJson(
  context: WireContext,
  note: FakeGitLabNote,
  noteable: { type: 'Issue' | 'MergeRequest'; id: number; iid: number },
) {
  return {
    id: note.id,
    type: note.position ? 'DiffNote' : note.resolvable ? 'DiscussionNote' : null,
    body: note.body,
    author: userJson(context, note.authorId),
    created_at: iso(note.createdAt),
    updated_at: iso(note.updatedAt),
    system: note.system,
    noteable_id: noteable.id,
    noteable_iid: noteable.iid,
    noteable_type: noteable.type,
    resolvable: note.resolvable,
    resolved: note.resolvable ? note.resolved : undefined,
    resolved_by: note.resolvedById === null ? null : userJson(context, note.resolvedById),
    position: note.position
      ? {
          position_type: 'text',
          new_path: note.position.newPath,
          old_path: note.position.newPath,
          new_line: note.position.newLine,
          old_line: null,
        }
      : undefined,
  };
}

export function discussionJson(
  context: WireContext,
  discussion: FakeGitLabDiscussion,
  noteable: { type: 'Issue' | 'MergeRequest'; id: number; iid: number },
) {
  return {
    id: discussion.id,
    individual_note: discussion.individualNote,
    notes: discussion.notes.map((note) => noteJson(context, note, noteable)),
  };
}

export function pipelineJson(context: WireContext, project: FakeGitLabProject, pipeline: FakeGitLabPipeline) {
  return {
    id: pipeline.id,
    iid: pipeline.iid,
    project_id: project.id,
    sha: pipeline.sha,
    ref: pipeline.ref,
    status: pipeline.status,
    source: pipeline.source,
    name: pipeline.name,
    created_at: iso(pipeline.createdAt),
    updated_at: iso(pipeline.updatedAt),
    web_url: `${context.baseUrl}/${project.pathWithNamespace}/-/pipelines/${pipeline.id}`,
  };
}

export function jobJson(
  context: WireContext,
  project: FakeGitLabProject,
  pipeline: FakeGitLabPipeline,
  job: FakeGitLabJob,
) {
  return {
    id: job.id,
    name: job.name,
    stage: job.stage,
    status: job.status,
    allow_failure: job.allowFailure,
    // GitLab exposes the reason on failed jobs only.
    ...(job.status === 'failed' ? { failure_reason: job.failureReason ?? 'unknown_failure' } : {}),
    created_at: iso(job.createdAt),
    finished_at: iso(job.finishedAt),
    ref: pipeline.ref,
    pipeline: {
      id: pipeline.id,
      project_id: project.id,
      sha: pipeline.sha,
      ref: pipeline.ref,
      status: pipeline.status,
    },
    web_url: `${context.baseUrl}/${project.pathWithNamespace}/-/jobs/${job.id}`,
  };
}

export function commitStatusJson(status: FakeGitLabCommitStatus) {
  return {
    id: status.id,
    sha: status.sha,
    name: status.name,
    status: status.status,
    target_url: status.targetUrl,
    description: status.description,
    created_at: iso(status.createdAt),
  };
}

export function mergeRequestJson(
  context: WireContext,
  project: FakeGitLabProject,
  mergeRequest: FakeGitLabMergeRequest,
  extra: {
    detailedMergeStatus: string;
    headPipeline: FakeGitLabPipeline | null;
    /** Where the source branch and its pipelines live: a fork, or the project itself. */
    sourceProject: FakeGitLabProject;
    includeRebaseInProgress: boolean;
  },
) {
  return {
    id: mergeRequest.id,
    iid: mergeRequest.iid,
    project_id: project.id,
    source_project_id: mergeRequest.sourceProjectId,
    target_project_id: project.id,
    allow_collaboration: mergeRequest.allowCollaboration,
    allow_maintainer_to_push: mergeRequest.allowCollaboration,
    title: mergeRequest.title,
    description: mergeRequest.description,
    state: mergeRequest.state,
    draft: mergeRequest.draft,
    work_in_progress: mergeRequest.draft,
    source_branch: mergeRequest.sourceBranch,
    target_branch: mergeRequest.targetBranch,
    author: userJson(context, mergeRequest.authorId),
    labels: [...mergeRequest.labels],
    created_at: iso(mergeRequest.createdAt),
    updated_at: iso(mergeRequest.updatedAt),
    merged_at: iso(mergeRequest.mergedAt),
    closed_at: iso(mergeRequest.closedAt),
    sha: mergeRequest.sha,
    merge_commit_sha: mergeRequest.mergeCommitSha,
    squash_commit_sha: mergeRequest.squashCommitSha,
    // Deprecated since 15.6 and, as on GitLab, not to be trusted: it stays `can_be_merged`
    // while pipelines or approvals block the merge.
    merge_status: extra.detailedMergeStatus === 'conflict' ? 'cannot_be_merged' : 'can_be_merged',
    detailed_merge_status: extra.detailedMergeStatus,
    has_conflicts: extra.detailedMergeStatus === 'conflict',
    merge_when_pipeline_succeeds: mergeRequest.mergeWhenPipelineSucceeds,
    should_remove_source_branch: mergeRequest.removeSourceBranch,
    force_remove_source_branch: mergeRequest.removeSourceBranch,
    merge_error: mergeRequest.mergeError,
    ...(extra.includeRebaseInProgress ? { rebase_in_progress: mergeRequest.rebaseInProgress } : {}),
    head_pipeline: extra.headPipeline ? pipelineJson(context, extra.sourceProject, extra.headPipeline) : null,
    diff_refs: { head_sha: mergeRequest.sha, base_sha: null, start_sha: null },
    web_url: `${context.baseUrl}/${project.pathWithNamespace}/-/merge_requests/${mergeRequest.iid}`,
    references: { short: `!${mergeRequest.iid}`, full: `${project.pathWithNamespace}!${mergeRequest.iid}` },
  };
}

export function pipelineScheduleJson(
  context: WireContext,
  project: FakeGitLabProject,
  schedule: FakeGitLabPipelineSchedule,
) {
  const last = project.pipelines.find((pipeline) => pipeline.id === schedule.pipelineIds.at(-1));
  return {
    id: schedule.id,
    description: schedule.description,
    ref: schedule.ref,
    cron: schedule.cron,
    cron_timezone: 'UTC',
    active: schedule.active,
    created_at: iso(schedule.createdAt),
    updated_at: iso(schedule.updatedAt),
    owner: userJson(context, schedule.ownerId),
    last_pipeline: last ? { id: last.id, sha: last.sha, ref: last.ref, status: last.status } : null,
  };
}
