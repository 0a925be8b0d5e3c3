import type { Issue } from '../../specifications/issue.js';
import type { DriverContext } from './driver-context.js';

/**
 * Any phase → released: Loompa lets go of the issue (it left the active states or the
 * tracker, its run was stopped on purpose, or its change request was closed). The one place
 * every release passes through, so whatever a release must also undo has one home.
 */
export function releaseIssue(
  context: Pick<DriverContext, 'events'>,
  issue: Pick<Issue, 'id' | 'identifier'>,
  reason: string,
  workspaceKept: boolean,
): void {
  context.events.publish('issue-released', {
    issueId: issue.id,
    issueIdentifier: issue.identifier,
    reason,
    workspaceKept,
  });
}
