/**
 * @loompa/scm-local: the SCM provider that needs no forge. Change requests are branches of
 * the source checkout, checks are local commands, review comes from a reviewer agent and/or
 * people, and merging lands the branch on its base branch.
 */

export type {
  ChangeRequestRecord,
  KeyedCommentRecord,
  ReviewVerdict,
  ThreadRecord,
  VerdictRecord,
} from './change-request-record.js';
export { createLocalScm, localScm } from './local-scm-plugin.js';
export {
  type LocalReviewComment,
  LocalScmProvider,
  type PersonReviewOptions,
  reviewerProblemCommentKey,
} from './local-scm-provider.js';
export {
  type LocalCheck,
  type LocalReviewerSettings,
  type LocalScmSettings,
  type LocalScmWorkflowSettings,
  localScmSettingsSchema,
} from './local-scm-settings.js';
export { parseReviewAnswer, type ReviewAnswer, type ReviewAnswerComment } from './parse-review-answer.js';
export { type ReviewRecordFile, reviewRecordFileSchema } from './review-record-files.js';
