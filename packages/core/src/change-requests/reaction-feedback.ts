import type { CheckResult, ReviewThread } from '../specifications/change-request.js';
import type { PromptFeedback } from '../workflow/prompt-template.js';
import { untrustedBlock, untrustedInputNotice } from '../workflow/untrusted-text.js';
import type { CheckFailureClassification } from './classify-check-failure.js';

/** Bytes of one review comment kept in the prompt. */
const reviewCommentBytes = 16_384;

/** Failing checks with the tail of each log, for an agent that must fix them. */
export function ciFailureFeedback(
  failures: ReadonlyArray<{ check: CheckResult; logTail: string }>,
  classifications: readonly CheckFailureClassification[] = [],
): PromptFeedback {
  const classificationOf = (check: CheckResult) =>
    classifications.find((classification) => classification.checkId === check.id);
  // The log tail is already bounded by reactions.ci.log_tail_bytes; the block only delimits it.
  const sections = failures.map(({ check, logTail }) =>
    [
      `### Check "${check.name}" failed`,
      check.url ? `(${check.url})` : '',
      describeClassification(classificationOf(check)),
      untrustedBlock(`log of check "${check.name}"`, logTail, Number.MAX_SAFE_INTEGER),
    ]
      .filter(Boolean)
      .join('\n'),
  );
  return {
    kind: 'ci-failure',
    text: [
      'The checks on your change failed. Find the cause in the logs below, fix it, and run the checks locally if you can.',
      ...(classifications.length > 0
        ? [
            `Loompa classified the failures before resuming you:\n${classifications.map((classification) => `- "${classification.checkName}": ${classification.classification}`).join('\n')}`,
          ]
        : []),
      untrustedInputNotice,
      ...sections,
    ].join('\n\n'),
    checks: failures.map(({ check }) => check.name),
  };
}

/** One line saying how Loompa classified a failed check and why. */
function describeClassification(classification: CheckFailureClassification | undefined): string {
  if (!classification) return '';
  const meaning: Record<CheckFailureClassification['classification'], string> = {
    code: 'the change broke it',
    flaky: 'it passed on this commit before, so it may be flaky; look for a cause in your change first',
    infrastructure: 'the CI machinery failed, not necessarily your change',
    unknown: 'the log did not say clearly',
  };
  return `Classified as ${classification.classification} (${meaning[classification.classification]}): ${classification.reason}.`;
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
