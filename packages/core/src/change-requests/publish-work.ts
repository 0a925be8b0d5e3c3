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
  commitWorkSince,
  hasMeaningfulChanges,
  headCommit,
  pushBranch,
} from './branch-commits.js';

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
  const target = (await scm.getPushTarget?.({})) ?? null;
  const baseCommit = await baseCommitFor(worktree, options.baseBranch, target);
  const since = options.lastPushedHead ?? baseCommit;

  let head = await headCommit(worktree);
  if (!options.historyRewritten) {
    // The first publish compares with the base: work identical to it is no work at all.
    if (!(await hasMeaningfulChanges(worktree, options.lastPushedHead === null ? baseCommit : since))) {
      throw new NothingToPublishError(issue.identifier);
    }
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
  if (target) await pushBranch(worktree, options.branch, target, options.lastPushedHead);

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
