import { describeError } from '../errors/loompa-error.js';
import type { Logger } from '../logging/logger.js';
import type { AgentRunResult } from '../specifications/agent-backend.js';
import type { ChangeRequest, ChangeRequestStatus } from '../specifications/change-request.js';
import type { AgentProfile, Focus } from '../specifications/focus.js';
import type { Issue } from '../specifications/issue.js';
import type { ScmProviderV1 } from '../specifications/scm-provider.js';
import type { Workflow } from '../workflow/load-workflow.js';
import type { PromptFeedback } from '../workflow/prompt-template.js';
import type { WorkspaceManager } from '../workspaces/workspace-manager.js';
import { abortRebase, baseCommitFor, continueRebase, startRebase } from './branch-commits.js';
import { checkoutChangeRequestHead } from './change-request-head.js';
import type { ChangeRequestAction } from './decide-change-request-action.js';
import { type PendingThreadReply, pendingRepliesFor } from './pending-thread-reply.js';
import { publishWork } from './publish-work.js';
import { ciFailureFeedback, conflictFeedback, reviewFeedback } from './reaction-feedback.js';
import { updateBranchOnForge } from './update-branch-on-forge.js';

/** The decisions that resume the agent. */
export type ReactionDecision = Extract<
  ChangeRequestAction,
  { action: 'react-to-ci' | 'react-to-review' | 'rebase' }
>;

/** How a reaction ended: pushed a new head, or failed with a reason. */
export type ReactionOutcome =
  | {
      ok: true;
      head: string;
      handledCommentIds?: string[];
      /** Replies and resolutions owed to the review threads addressed, sent after the record is written. */
      threadReplies?: PendingThreadReply[];
      /** A rebase that applied without the agent: bringing a branch up to date is no fix attempt. */
      rebasedWithoutAgent?: boolean;
    }
  | { ok: false; reason: string; failedConflictHead?: string | null };

/** What one reaction needs; the orchestrator supplies it and keeps all state itself. */
export interface ReactionContext {
  workflow: Workflow;
  scm: ScmProviderV1;
  workspaces: WorkspaceManager;
  logger: Logger;
  issue: Issue;
  focus: Focus;
  profile: AgentProfile | null;
  agentKind: string;
  model: string | null;
  changeRequest: ChangeRequest;
  status: ChangeRequestStatus;
  decision: ReactionDecision;
  /** The head Loompa pushed last, the lease for the next push. */
  lastPushedHead: string | null;
  /**
   * A change request Loompa did not open: the worktree is checked out at the head just read
   * (`status.headSha`), the agent's commits go on top of it, and the push leases against it
   * to the change request's own branch (in its fork when it lives in one).
   */
  babysat?: boolean;
  /** Runs the agent once with `feedback` in `cwd`; `turn` numbers the rounds of one reaction. */
  runAgent(feedback: PromptFeedback, cwd: string, turn: number): Promise<AgentRunResult>;
  /** True once the orchestrator asked this item to stop. */
  isStopping(): boolean;
}

/** Rounds of conflict resolution within one rebase before giving up. */
const maximumConflictRounds = 10;

/**
 * One reaction: fix failing checks from their log tails, address review threads (the replies
 * and resolutions it then owes are returned, to be recorded and sent), or rebase onto the base branch with the agent resolving each conflict
 * (the orchestrator, never the agent, continues or aborts the rebase). Then publish. A
 * branch that is only behind is first updated by the forge itself when it can.
 */
export async function runReaction(context: ReactionContext): Promise<ReactionOutcome> {
  const { scm, workflow, changeRequest, decision, issue } = context;
  // Only behind, not in conflict: the forge's own update needs neither a rebase here nor the agent.
  if (decision.action === 'rebase' && decision.reason === 'behind') {
    const updated = await updateBranchOnForge(context);
    if (updated) return updated;
  }
  const workspace = context.babysat
    ? await checkoutChangeRequestHead({
        workspaces: context.workspaces,
        scm,
        identifier: issue.identifier,
        changeRequest,
        expectedHead: context.status.headSha,
      })
    : await context.workspaces.prepare(issue.identifier);
  const identity = { name: workflow.config.scm.author_name, email: workflow.config.scm.author_email };
  // A change request adopted after its record was lost has no pushed head on record: its
  // current head is what the next push must lease against and build on. A babysat one always
  // builds on the head just read, whoever pushed it.
  const lastPushedHead = context.babysat
    ? context.status.headSha
    : (context.lastPushedHead ?? context.status.headSha);
  const publish = (followUpSubject: string, historyRewritten: boolean) =>
    publishWork({
      workflow,
      scm,
      issue,
      worktree: workspace.path,
      branch: context.babysat ? changeRequest.branch : workspace.branch,
      baseBranch: changeRequest.baseBranch,
      focus: context.focus,
      profile: context.profile,
      agentKind: context.agentKind,
      model: context.model,
      lastPushedHead,
      followUpSubject,
      historyRewritten,
      knownChangeRequest: changeRequest,
    });

  if (decision.action === 'rebase') {
    const target = (await scm.getPushTarget?.({})) ?? null;
    const onto = await baseCommitFor(workspace.path, changeRequest.baseBranch, target);
    let step = await startRebase(workspace.path, onto, identity);
    const rebasedWithoutAgent = step.state === 'done';
    for (let round = 1; step.state === 'conflict'; round++) {
      if (round > maximumConflictRounds || context.isStopping()) break;
      const result = await context.runAgent(
        conflictFeedback(changeRequest.baseBranch, step.files),
        workspace.path,
        round,
      );
      if (result.status !== 'completed') break;
      step = await continueRebase(workspace.path, identity, step.files);
    }
    if (step.state === 'conflict') {
      await abortRebase(workspace.path);
      return {
        ok: false,
        reason: 'the agent could not resolve the rebase conflict',
        failedConflictHead: context.status.headSha,
      };
    }
    const published = await publish(`${issue.identifier}: rebase onto ${changeRequest.baseBranch}`, true);
    return { ok: true, head: published.head, rebasedWithoutAgent };
  }

  const feedback =
    decision.action === 'react-to-ci'
      ? ciFailureFeedback(
          await Promise.all(
            decision.failedChecks.map(async (check) => ({
              check,
              logTail: scm.getCheckLog
                ? await scm
                    .getCheckLog({
                      changeRequest,
                      checkId: check.id,
                      maxBytes: workflow.config.reactions.ci.log_tail_bytes,
                    })
                    .catch((error: unknown) => `(the log could not be read: ${describeError(error)})`)
                : '(this provider does not expose check logs)',
            })),
          ),
          decision.classifications,
        )
      : reviewFeedback(decision.threads);
  const result = await context.runAgent(feedback, workspace.path, 1);
  if (result.status !== 'completed') {
    return { ok: false, reason: result.error?.message ?? `the agent run ended with status ${result.status}` };
  }
  const subject =
    decision.action === 'react-to-ci'
      ? `${issue.identifier}: fix failing checks`
      : `${issue.identifier}: address review feedback`;
  const published = await publish(subject, false);
  if (decision.action !== 'react-to-review') return { ok: true, head: published.head };
  // The replies are only owed here: the record keeps them with the handled comments, and
  // `thread-replies/` sends them until the forge takes each one.
  return {
    ok: true,
    head: published.head,
    handledCommentIds: decision.commentIds,
    threadReplies: pendingRepliesFor(decision.threads, published.head),
  };
}
