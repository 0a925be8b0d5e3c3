import { describeError } from '../errors/loompa-error.js';
import type { Logger } from '../logging/logger.js';
import type { ChangeRequest } from '../specifications/change-request.js';
import { type Issue, normalizeName } from '../specifications/issue.js';
import type { TrackerV1 } from '../specifications/tracker.js';
import type { Workflow } from '../workflow/load-workflow.js';

/**
 * What Loompa writes to the tracker about an issue's life, one function per fact: blocked,
 * linked to a change request, done. Kept together so every tracker write is found in one file.
 */
export interface TrackerUpdateContext {
  tracker: TrackerV1;
  workflow: Workflow;
  logger: Logger;
}

/**
 * Tells the issue it needs a person (a keyed comment and the needs-human label). Returns the
 * labels the issue has afterwards, whose fingerprint decides when a person changed it.
 */
export async function announceNeedsHuman(
  context: TrackerUpdateContext,
  issue: Issue,
  reason: string,
): Promise<string[]> {
  const { tracker } = context;
  const label = context.workflow.config.tracker.needs_human_label;
  let labels = issue.labels;
  try {
    await tracker.commentOnIssue?.({
      issueId: issue.id,
      key: 'loompa-blocked',
      body: `Loompa stopped working on ${issue.identifier} and needs a person: ${reason}. Change the issue (for example remove the "${label}" label) to let Loompa try again.`,
    });
    if (tracker.updateLabels) {
      await tracker.updateLabels({ issueId: issue.id, add: [label] });
      labels = [...new Set([...issue.labels, normalizeName(label)])];
    }
  } catch (error) {
    context.logger.warn('telling the tracker about a blocked issue failed', {
      issue: issue.identifier,
      message: describeError(error),
    });
  }
  return labels;
}

/**
 * Comments the change request on the issue and moves it to the review state. Throws when the
 * tracker refuses, so the caller records the link only once it is made.
 */
export async function linkChangeRequest(
  context: TrackerUpdateContext,
  issue: Issue,
  changeRequest: ChangeRequest,
): Promise<void> {
  await context.tracker.commentOnIssue?.({
    issueId: issue.id,
    key: 'loompa-change-request',
    body: `Loompa opened a change request for ${issue.identifier}: ${changeRequest.url ?? `branch ${changeRequest.branch}`}`,
  });
  const reviewState = context.workflow.config.tracker.review_state;
  if (reviewState && normalizeName(issue.state) !== normalizeName(reviewState)) {
    await context.tracker.transitionIssue?.({ issueId: issue.id, state: reviewState });
  }
}

/** A merged issue moves to the done state (or the first terminal state); a failure is only logged. */
export async function moveToDoneState(context: TrackerUpdateContext, issue: Issue): Promise<void> {
  const trackerSettings = context.workflow.config.tracker;
  const doneState = trackerSettings.done_state ?? trackerSettings.terminal_states[0] ?? null;
  if (!doneState) return;
  await context.tracker.transitionIssue?.({ issueId: issue.id, state: doneState }).catch((error: unknown) =>
    context.logger.warn('moving a merged issue to its done state failed', {
      issue: issue.identifier,
      message: describeError(error),
    }),
  );
}
