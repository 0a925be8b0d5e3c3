import { describeError } from '../../errors/loompa-error.js';
import type { Logger } from '../../logging/logger.js';
import type { ChangeRequest } from '../../specifications/change-request.js';
import type { Issue } from '../../specifications/issue.js';
import type { ScmProviderV1 } from '../../specifications/scm-provider.js';
import { isBabysitItemId } from '../babysitting/babysit-item.js';
import type { WorkItemRecord } from '../work-item-record.js';

/** The body of the one status comment Loompa keeps on a change request. */
export function statusCommentBody(issue: Issue, record: WorkItemRecord, status: string): string {
  return [
    isBabysitItemId(issue.id)
      ? '**Loompa** is babysitting this change request: it fixes failing checks, answers review feedback from allowed reviewers and rebases it, adding commits on top of the existing ones.'
      : `**Loompa** is working on ${issue.identifier}.`,
    '',
    `Status: ${status}`,
    '',
    `CI fix rounds: ${record.ciAttempts} · review rounds: ${record.reviewAttempts} · rebases: ${record.conflictAttempts}`,
    `Last head pushed: ${record.lastPushedHead?.slice(0, 12) ?? '(none)'}`,
  ].join('\n');
}

/**
 * Keeps one status comment per change request up to date (upserted by key) instead of adding
 * new ones. A provider without comments is skipped; a failure is only logged.
 */
export async function upsertStatusComment(
  context: { scm: ScmProviderV1; logger: Logger },
  issue: Issue,
  changeRequest: ChangeRequest,
  record: WorkItemRecord,
  status: string,
): Promise<void> {
  if (!context.scm.upsertComment) return;
  try {
    await context.scm.upsertComment({
      changeRequest,
      key: 'loompa-status',
      body: statusCommentBody(issue, record, status),
    });
  } catch (error) {
    context.logger.warn('updating the status comment failed', {
      issue: issue.identifier,
      message: describeError(error),
    });
  }
}
