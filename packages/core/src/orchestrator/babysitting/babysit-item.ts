import type { ChangeRequest } from '../../specifications/change-request.js';
import type { Issue } from '../../specifications/issue.js';
import type { TrackerV1 } from '../../specifications/tracker.js';

/**
 * A babysat change request (one Loompa did not open) lives as a work item without an issue:
 * its id is `change-request:<number>`, which no tracker hands out, so every place that would
 * talk to the tracker about an item can tell a babysat one apart and leave the tracker alone.
 */
const babysitIdPrefix = 'change-request:';

/** The state babysat items count under in `agent.max_concurrent_agents_by_state`. */
export const babysitItemState = 'babysitting';

/** True for the id of a babysat change request's work item. */
export function isBabysitItemId(issueId: string): boolean {
  return issueId.startsWith(babysitIdPrefix);
}

/** The number people see (`#12`, `!12`), or the provider's id when it has no number. */
export function changeRequestKeyOf(changeRequest: Pick<ChangeRequest, 'number' | 'id'>): string {
  return changeRequest.number !== null ? String(changeRequest.number) : changeRequest.id;
}

/** The work item id of a babysat change request. */
export function babysitItemIdFor(changeRequest: Pick<ChangeRequest, 'number' | 'id'>): string {
  return `${babysitIdPrefix}${changeRequestKeyOf(changeRequest)}`;
}

/**
 * The work item a babysat change request is driven as: the change request's own facts stand
 * where an issue's would, so prompts, foci, budgets and events work unchanged. The head and
 * whether Loompa may push are part of the description, so a blocked item is unblocked when a
 * person pushes or allows edits (a blocked item's fingerprint changes).
 */
export function babysitIssueFor(changeRequest: ChangeRequest): Issue {
  const key = changeRequestKeyOf(changeRequest);
  const author = changeRequest.author ? ` by ${changeRequest.author}` : '';
  const where = changeRequest.headRepositoryUrl ? ` of the fork ${changeRequest.headRepositoryUrl}` : '';
  const pushable = changeRequest.pushable === false ? 'Loompa may not push to it' : 'Loompa may push to it';
  return {
    id: babysitItemIdFor(changeRequest),
    identifier: `change-request-${key}`,
    title: changeRequest.title,
    description: [
      `Change request ${key}${author}, on the branch ${changeRequest.branch}${where} into ${changeRequest.baseBranch}.`,
      'Loompa babysits it: it fixes failing checks, answers review feedback and rebases it, adding commits on top of the existing ones.',
      `Head: ${changeRequest.headSha ?? 'unknown'}; ${pushable}.`,
    ].join('\n'),
    state: babysitItemState,
    priority: null,
    labels: [],
    type: null,
    assignees: changeRequest.author ? [changeRequest.author] : [],
    url: changeRequest.url,
    createdAt: null,
    updatedAt: null,
    branchName: changeRequest.branch,
    blockedBy: [],
    dispatchable: true,
  };
}

/**
 * The issues of awaited items, read again from the tracker; a babysat change request has no
 * issue, so its item stands for itself (and with only such items the tracker is not asked).
 */
export async function refreshAwaitedIssues(
  tracker: TrackerV1,
  awaiting: ReadonlyMap<string, { issue: Issue }>,
): Promise<Map<string, Issue>> {
  const issueIds = [...awaiting.keys()].filter((issueId) => !isBabysitItemId(issueId));
  const issues = issueIds.length > 0 ? await tracker.getIssues({ ids: issueIds }) : [];
  const refreshed = new Map(issues.map((issue) => [issue.id, issue]));
  for (const [issueId, entry] of awaiting) {
    if (isBabysitItemId(issueId)) refreshed.set(issueId, entry.issue);
  }
  return refreshed;
}
