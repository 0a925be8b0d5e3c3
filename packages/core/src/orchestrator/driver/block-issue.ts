import type { Issue } from '../../specifications/issue.js';
import { isBabysitItemId } from '../babysitting/babysit-item.js';
import { announceNeedsHuman } from '../tracker-updates.js';
import type { WorkItemRecord } from '../work-item-record.js';
import type { DriverContext } from './driver-context.js';

/**
 * Any phase → blocked: the issue needs a person (attempts or reaction rounds exhausted). The
 * tracker is told, the record remembers the issue as the person will see it, and the
 * scheduler leaves it alone until that person changes it.
 */
export async function blockIssue(
  context: Pick<DriverContext, 'dryRun' | 'tracker' | 'workflow' | 'logger' | 'store' | 'events'>,
  issue: Issue,
  reason: string,
  record: WorkItemRecord,
): Promise<void> {
  // A babysat change request has no issue: its status comment on the change request says it.
  const labels =
    context.dryRun || isBabysitItemId(issue.id)
      ? issue.labels
      : await announceNeedsHuman(
          { tracker: context.tracker(), workflow: context.workflow(), logger: context.logger },
          issue,
          reason,
        );
  await context.store.block(record, { ...issue, labels }, reason, new Date());
  context.events.publish('issue-blocked', {
    issueId: issue.id,
    issueIdentifier: issue.identifier,
    issueTitle: issue.title,
    reason,
  });
}
