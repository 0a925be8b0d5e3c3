import type { ReactionDecision } from '../../change-requests/run-reaction.js';
import type { ChangeRequest } from '../../specifications/change-request.js';
import type { SupervisorStep } from '../change-request-supervisor/change-request-supervisor.js';
import { upsertStatusComment } from '../change-request-supervisor/status-comment.js';
import { blockIssue } from './block-issue.js';
import type { DriverContext } from './driver-context.js';
import { startReaction } from './reaction-driver.js';

type ReactStep = Extract<SupervisorStep, { next: 'react' }>;

/** What a reaction would do, in words for the change request's author. */
export function describeIntendedReaction(decision: ReactionDecision, changeRequest: ChangeRequest): string {
  if (decision.action === 'react-to-ci') {
    const names = decision.failedChecks.map((check) => check.name).join(', ');
    return `fix the failing checks (${names || 'unnamed'})`;
  }
  if (decision.action === 'react-to-review') {
    const count = decision.commentIds.length;
    return `address ${count} review comment${count === 1 ? '' : 's'}`;
  }
  return `rebase the branch onto ${changeRequest.baseBranch} (it is ${decision.reason === 'conflict' ? 'in conflict' : 'behind'})`;
}

/**
 * A babysat change request needs work. Loompa pushes only where it may: a fork whose owner
 * did not allow edits by maintainers is never pushed to. Then the change request gets a
 * comment saying what Loompa would do and the item is blocked with that reason (a person
 * allowing edits, or pushing, changes the item and unblocks it).
 */
export async function reactToBabysatChangeRequest(context: DriverContext, step: ReactStep): Promise<void> {
  const { changeRequest } = step;
  if (changeRequest.pushable !== false) {
    await startReaction(context, step);
    return;
  }
  const intended = describeIntendedReaction(step.decision, changeRequest);
  const fork = changeRequest.headRepositoryUrl ?? 'its fork';
  const reason = `Loompa would ${intended}, but may not push to ${changeRequest.branch} of ${fork}: the fork does not allow edits by maintainers`;
  context.supervisor.forget(step.issue.id);
  const scm = context.scm();
  if (scm && !context.dryRun) {
    await upsertStatusComment(
      { scm, logger: context.logger },
      step.issue,
      changeRequest,
      step.record,
      `Blocked: ${reason}. Allow edits by maintainers on this change request (or push the change yourself) and Loompa tries again.`,
    );
  }
  await blockIssue(context, step.issue, reason, step.record);
}
