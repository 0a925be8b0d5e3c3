import { z } from 'zod';

/**
 * Zod schemas for the inputs (query and JSON body merged) each route accepts, named after
 * GitLab's documented parameters. Objects are strict: a parameter the fake does not know
 * is an error, so a client never believes a filter was applied when it was ignored.
 */

const whole = z.coerce.number().int();
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]);
/** GitLab takes label lists as comma-separated strings or arrays. */
const labelList = z
  .union([z.string(), z.array(z.string())])
  .transform((value) =>
    (Array.isArray(value) ? value : value.split(','))
      .map((label) => label.trim())
      .filter((label) => label !== ''),
  );
const idList = z.union([z.array(whole), whole.transform((value) => [value])]);
const dateTime = z.iso.datetime({ offset: true });

const pagination = {
  page: whole.min(1).optional(),
  per_page: whole.min(1).optional(),
  pagination: z.literal('offset').optional(),
};
const ordering = {
  order_by: z.enum(['created_at', 'updated_at']).optional(),
  sort: z.enum(['asc', 'desc']).optional(),
};

export const emptyInput = z.strictObject({});
export const listInput = z.strictObject({ ...pagination });

export const usersInput = z.strictObject({ ...pagination, username: z.string().min(1).optional() });

export const createLabelInput = z.strictObject({
  name: z.string().min(1),
  color: z.string().min(1),
  description: z.string().optional(),
});

export const listIssuesInput = z.strictObject({
  ...pagination,
  ...ordering,
  state: z.enum(['opened', 'closed', 'all']).optional(),
  labels: labelList.optional(),
  iids: z.array(whole).optional(),
  assignee_username: z.union([z.string(), z.array(z.string())]).optional(),
  assignee_id: whole.optional(),
  milestone: z.string().optional(),
  updated_after: dateTime.optional(),
  search: z.string().optional(),
});

export const createIssueInput = z.strictObject({
  title: z.string().min(1),
  description: z.string().optional(),
  labels: labelList.optional(),
  assignee_ids: idList.optional(),
  milestone_id: whole.optional(),
  created_at: dateTime.optional(),
});

export const editIssueInput = z.strictObject({
  title: z.string().min(1).optional(),
  description: z.string().optional(),
  labels: labelList.optional(),
  add_labels: labelList.optional(),
  remove_labels: labelList.optional(),
  assignee_ids: idList.optional(),
  state_event: z.enum(['close', 'reopen']).optional(),
});

export const noteBodyInput = z.strictObject({ body: z.string().min(1) });

export const listNotesInput = z.strictObject({
  ...pagination,
  ...ordering,
});

export const listMergeRequestsInput = z.strictObject({
  ...pagination,
  ...ordering,
  state: z.enum(['opened', 'closed', 'locked', 'merged', 'all']).optional(),
  source_branch: z.string().optional(),
  target_branch: z.string().optional(),
  labels: labelList.optional(),
  iids: z.array(whole).optional(),
  with_merge_status_recheck: flag.optional(),
});

export const createMergeRequestInput = z.strictObject({
  source_branch: z.string().min(1),
  target_branch: z.string().min(1),
  title: z.string().min(1),
  description: z.string().optional(),
  labels: labelList.optional(),
  remove_source_branch: flag.optional(),
  squash: flag.optional(),
  draft: flag.optional(),
  target_project_id: whole.optional(),
  allow_collaboration: flag.optional(),
});

export const showMergeRequestInput = z.strictObject({
  include_rebase_in_progress: flag.optional(),
  include_diverged_commits_count: flag.optional(),
  render_html: flag.optional(),
});

export const editMergeRequestInput = z.strictObject({
  title: z.string().min(1).optional(),
  description: z.string().optional(),
  state_event: z.enum(['close', 'reopen']).optional(),
  target_branch: z.string().min(1).optional(),
  labels: labelList.optional(),
  add_labels: labelList.optional(),
  remove_labels: labelList.optional(),
  remove_source_branch: flag.optional(),
});

export const acceptMergeRequestInput = z.strictObject({
  sha: z
    .string()
    .regex(/^[0-9a-f]{40}$/, 'a 40-hex commit sha')
    .optional(),
  squash: flag.optional(),
  should_remove_source_branch: flag.optional(),
  merge_when_pipeline_succeeds: flag.optional(),
  auto_merge: flag.optional(),
  merge_commit_message: z.string().optional(),
  squash_commit_message: z.string().optional(),
});

export const rebaseInput = z.strictObject({ skip_ci: flag.optional() });

export const createDiscussionInput = z.strictObject({
  body: z.string().min(1),
  commit_id: z.string().optional(),
  position: z
    .strictObject({
      position_type: z.literal('text'),
      base_sha: z.string().optional(),
      start_sha: z.string().optional(),
      head_sha: z.string().optional(),
      new_path: z.string().min(1),
      old_path: z.string().optional(),
      new_line: whole.min(1),
    })
    .optional(),
});

export const resolveDiscussionInput = z.strictObject({ resolved: flag });

export const approveInput = z.strictObject({ sha: z.string().optional() });

export const listJobsInput = z.strictObject({
  ...pagination,
  scope: z.union([z.string().transform((value) => [value]), z.array(z.string())]).optional(),
  include_retried: flag.optional(),
});

export const listCommitStatusesInput = z.strictObject({
  ...pagination,
  ref: z.string().optional(),
  stage: z.string().optional(),
  name: z.string().optional(),
  all: flag.optional(),
});

export const createCommitStatusInput = z.strictObject({
  state: z.enum(['pending', 'running', 'success', 'failed', 'canceled', 'skipped']),
  ref: z.string().optional(),
  name: z.string().optional(),
  context: z.string().optional(),
  target_url: z.string().optional(),
  description: z.string().optional(),
  pipeline_id: whole.optional(),
});

const pipelineStatus = z.enum([
  'created',
  'waiting_for_resource',
  'preparing',
  'pending',
  'running',
  'success',
  'failed',
  'canceled',
  'skipped',
  'manual',
  'scheduled',
]);

/** `GET /projects/:id/pipelines` (pipelines.md, "List project pipelines"). */
export const listPipelinesInput = z.strictObject({
  ...pagination,
  scope: z.enum(['running', 'pending', 'finished', 'branches', 'tags']).optional(),
  status: pipelineStatus.optional(),
  source: z
    .enum([
      'push',
      'web',
      'trigger',
      'schedule',
      'api',
      'external',
      'pipeline',
      'chat',
      'webide',
      'merge_request_event',
      'external_pull_request_event',
      'parent_pipeline',
      'ondemand_dast_scan',
      'ondemand_dast_validation',
      'security_orchestration_policy',
    ])
    .optional(),
  ref: z.string().optional(),
  sha: z.string().optional(),
  yaml_errors: flag.optional(),
  username: z.string().optional(),
  updated_after: dateTime.optional(),
  updated_before: dateTime.optional(),
  created_after: dateTime.optional(),
  created_before: dateTime.optional(),
  name: z.string().optional(),
  order_by: z.enum(['id', 'status', 'ref', 'updated_at', 'user_id']).optional(),
  sort: z.enum(['asc', 'desc']).optional(),
});

/** `GET /projects/:id/pipeline_schedules` (pipeline_schedules.md). */
export const listPipelineSchedulesInput = z.strictObject({
  ...pagination,
  scope: z.enum(['active', 'inactive']).optional(),
});

/** `GET /projects/:id/pipeline_schedules/:pipeline_schedule_id/pipelines` (sorting and filters since GitLab 18.x). */
export const listSchedulePipelinesInput = z.strictObject({
  ...pagination,
  scope: z.enum(['running', 'pending', 'finished', 'branches', 'tags']).optional(),
  status: pipelineStatus.optional(),
  updated_after: dateTime.optional(),
  updated_before: dateTime.optional(),
  order_by: z.enum(['id', 'created_at', 'updated_at']).optional(),
  sort: z.enum(['asc', 'desc']).optional(),
});
