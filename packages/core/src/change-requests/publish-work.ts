import { LoompaError } from '../errors/loompa-error.js';
import type { ChangeRequest } from '../specifications/change-request.js';
import type { AgentProfile, Focus } from '../specifications/focus.js';
import type { Issue } from '../specifications/issue.js';
import type { ScmProviderV1 } from '../specifications/scm-provider.js';
import type { Workflow } from '../workflow/load-workflow.js';
import { renderPrompt } from '../workflow/prompt-template.js';
import {
  baseCommitFor,
  buildCommitMessage,
  changedPaths,
  commitWorkSince,
  forkPoint,
  hasMeaningfulChanges,
  headCommit,
  isAncestor,
  moveLocalBranch,
  pushBranch,
  resetBranchKeepingWork,
} from './branch-commits.js';
import { assertPushable, headTargetFor } from './change-request-head.js';
import { assertChangeTouchesOnly } from './publish-guard.js';

/** The worktree holds nothing worth publishing (no change, or whitespace only). */
export class NothingToPublishError extends LoompaError {
  constructor(identifier: string) {
    super(
      'nothing_to_publish',
      `The agent left no change to publish for ${identifier} (none, or whitespace only)`,
    );
  }
}

export interface PublishOptions {
  workflow: Workflow;
  scm: ScmProviderV1;
  issue: Issue;
  worktree: string;
  branch: string;
  baseBranch: string;
  focus: Focus;
  profile: AgentProfile | null;
  agentKind: string;
  model: string | null;
  /** The head Loompa pushed last; null before the first publish. */
  lastPushedHead: string | null;
  /** Subject for a follow-up commit (a reaction); the workflow's template for the first one. */
  followUpSubject: string | null;
  /** The history was rewritten on purpose (a rebase): push what is there, even with no new change. */
  historyRewritten: boolean;
  /** The change request already known for this branch, if any. */
  knownChangeRequest: ChangeRequest | null;
}

export interface PublishResult {
  changeRequest: ChangeRequest;
  head: string;
  opened: boolean;
}

function changeRequestBody(issue: Issue): string {
  const lines = [`Resolves ${issue.identifier}${issue.url ? ` (${issue.url})` : ''}.`];
  if (issue.description?.trim()) lines.push('', issue.description.trim());
  lines.push(
    '',
    '_Opened by Loompa. The agent made the change; the orchestrator committed and published it._',
  );
  return lines.join('\n');
}

/**
 * Commits the agent's work as Loompa (never the agent), pushes it where the provider reads
 * branches, and opens the change request or finds the one already open. Pushing leases
 * against the last head Loompa pushed, so someone else's push is never overwritten.
 */
export async function publishWork(options: PublishOptions): Promise<PublishResult> {
  const { workflow, scm, issue, worktree } = options;
  const settings = workflow.config.scm;
  assertPushable(options.knownChangeRequest);
  const target = (await scm.getPushTarget?.({})) ?? null;
  // A fork's head is pushed to the fork; the base always comes from the base repository.
  const headTarget = options.knownChangeRequest?.headRepositoryUrl
    ? await headTargetFor(scm, options.knownChangeRequest)
    : target;
  const baseTip = await baseCommitFor(worktree, options.baseBranch, target);
  const startingHead = await headCommit(worktree);
  // Work is measured from the commit the branch grew from, never from a newer base tip:
  // squashing onto a moved tip would record everything merged since as deleted.
  const forkedFrom = await forkPoint(worktree, startingHead, baseTip);
  const since =
    options.lastPushedHead !== null && (await isAncestor(worktree, options.lastPushedHead, startingHead))
      ? options.lastPushedHead
      : forkedFrom;

  let head = startingHead;
  let touchedPaths: Set<string>;
  if (options.historyRewritten) {
    touchedPaths = new Set(await changedPaths(worktree, forkedFrom, startingHead));
  } else {
    // A first publish compares with the fork point: work identical to it is no work at all.
    if (!(await hasMeaningfulChanges(worktree, since))) throw new NothingToPublishError(issue.identifier);
    touchedPaths = new Set(await changedPaths(worktree, forkedFrom, null));
    const subject =
      options.followUpSubject ??
      renderPrompt(settings.commit_message, {
        issue,
        attempt: null,
        focus: options.focus,
        profile: options.profile,
      });
    const trailers: Array<[string, string]> = [
      ['Assisted-by', `${options.agentKind}${options.model ? ` ${options.model}` : ''}`],
    ];
    if (settings.sign_off)
      trailers.push(['Signed-off-by', `${settings.author_name} <${settings.author_email}>`]);
    const body = options.followUpSubject === null ? `Resolves ${issue.identifier}.` : null;
    const committed = await commitWorkSince(
      worktree,
      since,
      buildCommitMessage(subject.split('\n')[0]!, body, trailers),
      {
        name: settings.author_name,
        email: settings.author_email,
      },
    );
    if (committed === null) throw new NothingToPublishError(issue.identifier);
    head = committed;
  }
  try {
    await assertChangeTouchesOnly({
      worktree,
      head,
      baseTip,
      touchedPaths,
      identifier: issue.identifier,
      branch: options.branch,
    });
  } catch (error) {
    // The branch goes back to where the agent left it (its work kept, staged), so a
    // provider that reads the local branch never sees the refused commit.
    if (head !== startingHead) await resetBranchKeepingWork(worktree, startingHead);
    throw error;
  }
  if (headTarget) await pushBranch(worktree, options.branch, headTarget, options.lastPushedHead);
  else await moveLocalBranch(worktree, options.branch, head, options.lastPushedHead);

  const existing = options.knownChangeRequest ?? (await scm.findChangeRequest({ branch: options.branch }));
  if (existing && existing.state === 'open') return { changeRequest: existing, head, opened: false };
  const changeRequest = await scm.openChangeRequest({
    branch: options.branch,
    baseBranch: options.baseBranch,
    title: `${issue.identifier}: ${issue.title}`,
    body: changeRequestBody(issue),
  });
  return { changeRequest, head, opened: true };
}
