/**
 * The REST operations the fake GitHub serves, by GitHub's operationId. The OpenAPI slice in
 * `__fixtures__/github-openapi-slice.json` holds exactly these; after changing the list,
 * regenerate it with `generate-openapi-slice.ts`.
 */
export const servedOperationIds = [
  'apps/create-installation-access-token',
  'apps/get-authenticated',
  'apps/get-repo-installation',
  'issues/add-assignees',
  'issues/add-labels',
  'issues/create',
  'issues/create-comment',
  'issues/delete-comment',
  'issues/get',
  'issues/get-comment',
  'issues/list-comments',
  'issues/list-dependencies-blocked-by',
  'issues/list-for-repo',
  'issues/list-labels-for-repo',
  'issues/list-labels-on-issue',
  'issues/list-milestones',
  'issues/remove-assignees',
  'issues/remove-label',
  'issues/update',
  'issues/update-comment',
  'pulls/create',
  'pulls/get',
  'pulls/list',
  'checks/list-for-ref',
  'repos/get-combined-status-for-ref',
  'rate-limit/get',
  'repos/get',
  'users/get-authenticated',
] as const;

export type ServedOperationId = (typeof servedOperationIds)[number];
