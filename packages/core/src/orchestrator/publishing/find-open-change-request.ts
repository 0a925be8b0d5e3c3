import { describeError } from '../../errors/loompa-error.js';
import type { Logger } from '../../logging/logger.js';
import type { ChangeRequest } from '../../specifications/change-request.js';
import type { Issue } from '../../specifications/issue.js';
import type { ScmProviderV1 } from '../../specifications/scm-provider.js';
import type { WorkspaceManager } from '../../workspaces/workspace-manager.js';
import type { WorkItemRecord } from '../work-item-record.js';

export interface FindOpenChangeRequestContext {
  scm: ScmProviderV1;
  workspaces: WorkspaceManager;
  logger: Logger;
}

/**
 * The change request already open for the issue (left by a crash, or opened by a person on
 * its branch), which is adopted instead of running the agent and opening a duplicate. The
 * record's own change request is trusted first. A failed lookup is `'lookup-failed'`, never
 * "none": running the agent then could open a duplicate of a change request the forge hid.
 */
export async function findOpenChangeRequest(
  context: FindOpenChangeRequestContext,
  issue: Issue,
  record: WorkItemRecord,
): Promise<ChangeRequest | null | 'lookup-failed'> {
  let changeRequest = record.changeRequest;
  if (!changeRequest) {
    try {
      changeRequest = await context.scm.findChangeRequest({
        branch: context.workspaces.branchFor(issue.identifier),
      });
    } catch (error) {
      context.logger.warn('looking up an existing change request failed', {
        issue: issue.identifier,
        message: describeError(error),
      });
      return 'lookup-failed';
    }
  }
  return changeRequest?.state === 'open' ? changeRequest : null;
}
