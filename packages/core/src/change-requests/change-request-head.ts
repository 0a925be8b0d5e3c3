import { ScmError } from '../errors/error-classes.js';
import { runGit } from '../git/run-git.js';
import type { ChangeRequest } from '../specifications/change-request.js';
import type { PushTarget, ScmProviderV1 } from '../specifications/scm-provider.js';
import type { Workspace, WorkspaceManager } from '../workspaces/workspace-manager.js';
import { abortRebase, checkoutHoldingBranch, resolveRef } from './branch-commits.js';

/**
 * Where a change request's head branch is pushed and fetched: the fork's remote when the head
 * lives in a fork, the provider's usual target otherwise; null when the provider reads the
 * local repository (scm-local).
 */
export async function headTargetFor(
  scm: ScmProviderV1,
  changeRequest: ChangeRequest | null,
): Promise<PushTarget | null> {
  if (!scm.getPushTarget) return null;
  if (changeRequest?.headRepositoryUrl) return (await scm.getPushTarget({ changeRequest })) ?? null;
  return (await scm.getPushTarget({})) ?? null;
}

/** Refuses to push to a change request whose head Loompa may not change (a fork without edits allowed). */
export function assertPushable(changeRequest: ChangeRequest | null): void {
  if (changeRequest?.pushable === false) {
    throw new ScmError(
      `Loompa may not push to ${changeRequest.branch}${changeRequest.headRepositoryUrl ? ` of ${changeRequest.headRepositoryUrl}` : ''}: the fork does not allow edits by maintainers`,
      { details: { reason: 'not_pushable', branch: changeRequest.branch } },
    );
  }
}

/** The branch moved between reading the change request and working on it: it is read again. */
export function branchMovedError(branch: string, expected: string | null, found: string | null): ScmError {
  return new ScmError(
    `The branch ${branch} moved under Loompa (expected ${expected?.slice(0, 12) ?? 'none'}, found ${found?.slice(0, 12) ?? 'none'}); it is read again next cycle`,
    { details: { reason: 'head_moved', branch, expected, found } },
  );
}

/**
 * The workspace of a babysat change request, checked out at the head Loompa read
 * (`expectedHead`): fetched from where the head lives, then the worktree reset to it, so the
 * agent's commits go on top of everyone's. Anything a crashed reaction left (a rebase, edits)
 * is dropped: Loompa only ever pushes what builds on the head it read. When the branch is no
 * longer at `expectedHead`, nothing is touched and a `head_moved` error says so.
 */
export async function checkoutChangeRequestHead(options: {
  workspaces: WorkspaceManager;
  scm: ScmProviderV1;
  identifier: string;
  changeRequest: ChangeRequest;
  expectedHead: string | null;
}): Promise<Workspace> {
  const { changeRequest } = options;
  const workspace = await options.workspaces.prepare(options.identifier);
  const cwd = workspace.path;
  const target = await headTargetFor(options.scm, changeRequest);
  let head: string | null;
  if (target) {
    const fetched = await runGit(
      ['fetch', '--quiet', target.remoteUrl, `refs/heads/${changeRequest.branch}`],
      {
        cwd,
        env: target.environment,
        allowFailure: true,
      },
    );
    head = fetched.exitCode === 0 ? await resolveRef(cwd, 'FETCH_HEAD') : null;
  } else {
    head = await resolveRef(cwd, `refs/heads/${changeRequest.branch}`);
    // Found now rather than at the push, before the agent spends anything.
    const holder = await checkoutHoldingBranch(cwd, changeRequest.branch);
    if (holder !== null) {
      throw new ScmError(
        `The branch ${changeRequest.branch} is checked out in ${holder}; Loompa does not move a branch under a checkout (switch that checkout to another branch)`,
        { details: { reason: 'branch_checked_out', branch: changeRequest.branch } },
      );
    }
  }
  if (head === null || (options.expectedHead !== null && head !== options.expectedHead)) {
    throw branchMovedError(changeRequest.branch, options.expectedHead, head);
  }
  await abortRebase(cwd);
  await runGit(['reset', '--quiet', '--hard', head], { cwd });
  await runGit(['clean', '--quiet', '-d', '--force'], { cwd });
  return workspace;
}
