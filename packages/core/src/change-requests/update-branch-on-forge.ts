import { describeError } from '../errors/loompa-error.js';
import type { Logger } from '../logging/logger.js';
import type { ChangeRequest, ChangeRequestStatus } from '../specifications/change-request.js';
import type { Issue } from '../specifications/issue.js';
import type { ScmProviderV1 } from '../specifications/scm-provider.js';
import type { WorkspaceManager } from '../workspaces/workspace-manager.js';
import { checkoutChangeRequestHead } from './change-request-head.js';

/** The part of a reaction's context the forge update reads. */
interface ForgeUpdateContext {
  scm: ScmProviderV1;
  workspaces: WorkspaceManager;
  logger: Logger;
  issue: Issue;
  changeRequest: ChangeRequest;
  status: ChangeRequestStatus;
}

/**
 * Brings a branch that is only behind its base up to date on the forge (GitHub's rebase
 * update, GitLab's rebase), without a worktree rebase and without the agent: the forge does
 * it in one call and keeps the change request's history its own. Returns null when the forge
 * has no such update, refuses it (a conflict it cannot rebase, a fork Loompa may not edit),
 * or reports no new head; the caller then rebases locally with the agent.
 */
export async function updateBranchOnForge(
  context: ForgeUpdateContext,
): Promise<{ ok: true; head: string; rebasedWithoutAgent: true } | null> {
  const { scm, changeRequest, logger, issue } = context;
  if (!scm.updateBranch || changeRequest.pushable === false) return null;
  const previousHead = context.status.headSha;
  try {
    await scm.updateBranch({ changeRequest });
    const status = await scm.getStatus({ changeRequest });
    if (!status.headSha || status.headSha === previousHead) return null;
    // The worktree follows the forge's new head, so the next reaction builds on it and the
    // next push leases against it instead of undoing the update.
    await checkoutChangeRequestHead({
      workspaces: context.workspaces,
      scm,
      identifier: issue.identifier,
      changeRequest,
      expectedHead: status.headSha,
    }).catch((error: unknown) =>
      logger.warn('the worktree could not follow the updated branch; the next publish rebuilds it', {
        issue: issue.identifier,
        message: describeError(error),
      }),
    );
    logger.info('the forge brought the branch up to date with its base', {
      issue: issue.identifier,
      head: status.headSha,
    });
    return { ok: true, head: status.headSha, rebasedWithoutAgent: true };
  } catch (error) {
    logger.info('the forge could not update the branch; rebasing locally', {
      issue: issue.identifier,
      message: describeError(error),
    });
    return null;
  }
}
