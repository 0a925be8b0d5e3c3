import type { CheckResult, ReviewThread } from '../specifications/change-request.js';
import type { PromptFeedback } from '../workflow/prompt-template.js';
import { untrustedBlock, untrustedInputNotice } from '../workflow/untrusted-text.js';

/** Bytes of one review comment kept in the prompt. */
const reviewCommentBytes = 16_384;

/** Failing checks with the tail of each log, for an agent that must fix them. */
export function ciFailureFeedback(
  failures: ReadonlyArray<{ check: CheckResult; logTail: string }>,
): PromptFeedback {
  // The log tail is already bounded by reactions.ci.log_tail_bytes; the block only delimits it.
  const sections = failures.map(({ check, logTail }) =>
    [
      `### Check "${check.name}" failed`,
      check.url ? `(${check.url})` : '',
      untrustedBlock(`log of check "${check.name}"`, logTail, Number.MAX_SAFE_INTEGER),
    ]
      .filter(Boolean)
      .join('\n'),
  );
  return {
    kind: 'ci-failure',
    text: [
      'The checks on your change failed. Find the cause in the logs below, fix it, and run the checks locally if you can.',
      untrustedInputNotice,
      ...sections,
    ].join('\n\n'),
    checks: failures.map(({ check }) => check.name),
  };
}

/** Review threads with file, line and text, for an agent that must address them. */
export function reviewFeedback(threads: readonly ReviewThread[]): PromptFeedback {
  const sections = threads.map((thread) => {
    const where = thread.path ? `${thread.path}${thread.line !== null ? `:${thread.line}` : ''}` : 'general';
    const comments = thread.comments
      .map(
        (comment) =>
          `${comment.author} wrote:\n${untrustedBlock(`review comment by ${comment.author}`, comment.body, reviewCommentBytes)}`,
      )
      .join('\n');
    return `### ${where}\n${comments}`;
  });
  return {
    kind: 'review',
    text: [
      'A reviewer asked for changes. Address every point below.',
      untrustedInputNotice,
      ...sections,
    ].join('\n\n'),
    threads: threads.length,
  };
}

/** The files of a rebase step that stopped on conflicts. */
export function conflictFeedback(baseBranch: string, files: readonly string[]): PromptFeedback {
  return {
    kind: 'conflict',
    text: [
      `A rebase of your branch onto ${baseBranch} stopped on conflicts in:`,
      files.map((file) => `- ${file}`).join('\n'),
      'Resolve every conflict keeping the intent of both sides, remove all conflict markers, and stage the files with `git add`.',
      'Do not run `git rebase --continue`, `--skip` or `--abort`, and do not commit: the orchestrator continues the rebase.',
    ].join('\n\n'),
    files: [...files],
  };
}
