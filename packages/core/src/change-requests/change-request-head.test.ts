import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MockScmProvider } from '@loompa/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LoompaError } from '../errors/loompa-error.js';
import { generalFocus } from '../focus/built-in-foci.js';
import { babysitIssueFor } from '../orchestrator/babysitting/babysit-item.js';
import type { ChangeRequest } from '../specifications/change-request.js';
import type { PushTarget } from '../specifications/scm-provider.js';
import { parseWorkflow } from '../workflow/load-workflow.js';
import { WorkspaceManager } from '../workspaces/workspace-manager.js';
import { checkoutChangeRequestHead } from './change-request-head.js';
import { publishWork } from './publish-work.js';

/**
 * A change request someone else opened from a fork, on real git: a base repository, Alice's
 * fork with her branch, and Loompa's clone of the base. Loompa checks out her head, adds its
 * commit on top, and pushes to the fork with a lease, or not at all.
 */

let root: string;
let base: string;
let fork: string;
let workspaces: WorkspaceManager;
let aliceHead: string;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Alice', '-c', 'user.email=alice@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();
}

const baseTarget = (): PushTarget => ({ remoteUrl: base, environment: {} });
const forkTarget = (): PushTarget => ({ remoteUrl: fork, environment: {} });

function forkChangeRequest(overrides: Partial<ChangeRequest> = {}): ChangeRequest {
  return {
    id: '7',
    number: 7,
    url: null,
    branch: 'feature',
    baseBranch: 'main',
    title: 'Alice adds a feature',
    state: 'open',
    author: 'alice',
    headSha: aliceHead,
    headRepositoryUrl: fork,
    pushable: true,
    ...overrides,
  };
}

/** The provider hands out the fork's remote for the fork's change request, the base's otherwise. */
const scm = () =>
  new MockScmProvider({
    findChangeRequest: null,
    getPushTarget: (options) => (options.changeRequest ? forkTarget() : baseTarget()),
  });

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'loompa-fork-head-'));
  const seed = path.join(root, 'seed');
  execFileSync('git', ['init', '--quiet', '--initial-branch=main', seed]);
  await writeFile(path.join(seed, 'README.md'), '# base\n');
  git(seed, 'add', '.');
  git(seed, 'commit', '--quiet', '-m', 'initial');
  base = path.join(root, 'base.git');
  git(root, 'clone', '--quiet', '--bare', seed, base);
  fork = path.join(root, 'fork.git');
  git(root, 'clone', '--quiet', '--bare', base, fork);
  // Alice works in her fork.
  const alice = path.join(root, 'alice');
  git(root, 'clone', '--quiet', fork, alice);
  git(alice, 'checkout', '--quiet', '-b', 'feature');
  await writeFile(path.join(alice, 'feature.txt'), 'broken\n');
  git(alice, 'add', '.');
  git(alice, 'commit', '--quiet', '-m', 'Alice: the feature');
  git(alice, 'push', '--quiet', 'origin', 'feature');
  aliceHead = git(alice, 'rev-parse', 'HEAD');
  workspaces = new WorkspaceManager({
    repositoryPath: null,
    repositoryUrl: base,
    workspaceRoot: path.join(root, 'workspaces'),
    branchPrefix: 'loompa/',
    stateDirectory: path.join(root, 'state'),
    baseBranch: 'main',
  });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function checkout(changeRequest: ChangeRequest) {
  return checkoutChangeRequestHead({
    workspaces,
    scm: scm(),
    identifier: 'change-request-7',
    changeRequest,
    expectedHead: changeRequest.headSha ?? null,
  });
}

async function publishFix(worktree: string, changeRequest: ChangeRequest) {
  await writeFile(path.join(worktree, 'feature.txt'), 'fixed\n');
  return publishWork({
    workflow: parseWorkflow('---\nscm:\n  kind: mock\n---\nWork\n', '/srv/WORKFLOW.md'),
    scm: scm(),
    issue: babysitIssueFor(changeRequest),
    worktree,
    branch: changeRequest.branch,
    baseBranch: 'main',
    focus: generalFocus,
    profile: null,
    agentKind: 'command',
    model: null,
    lastPushedHead: changeRequest.headSha ?? null,
    followUpSubject: 'change-request-7: fix failing checks',
    historyRewritten: false,
    knownChangeRequest: changeRequest,
  });
}

describe('a change request from a fork', () => {
  it('is checked out at its head, and the fix is pushed on top of it to the fork, never to the base', async () => {
    const changeRequest = forkChangeRequest();
    const workspace = await checkout(changeRequest);
    expect(git(workspace.path, 'rev-parse', 'HEAD')).toBe(aliceHead);

    const published = await publishFix(workspace.path, changeRequest);
    expect(published.opened).toBe(false);
    expect(git(fork, 'rev-parse', 'refs/heads/feature')).toBe(published.head);
    expect(git(fork, 'rev-parse', `${published.head}^`)).toBe(aliceHead);
    expect(git(fork, 'log', '-1', '--format=%an %s', published.head)).toBe(
      'loompa change-request-7: fix failing checks',
    );
    expect(git(base, 'branch', '--list', 'feature')).toBe('');
  });

  it('is never pushed to when its owner did not allow edits', async () => {
    const changeRequest = forkChangeRequest({ pushable: false });
    const workspace = await checkout(changeRequest);
    const refused = publishFix(workspace.path, changeRequest);
    await expect(refused).rejects.toThrow(
      `Loompa may not push to feature of ${fork}: the fork does not allow edits by maintainers`,
    );
    await expect(refused).rejects.toSatisfy(
      (error) =>
        LoompaError.hasCode(error, 'scm_failed') && (error as LoompaError).details.reason === 'not_pushable',
    );
    expect(git(fork, 'rev-parse', 'refs/heads/feature')).toBe(aliceHead);
  });

  it('refuses to push over a head that moved after it was read (force-with-lease), keeping the other push', async () => {
    const changeRequest = forkChangeRequest();
    const workspace = await checkout(changeRequest);
    // Alice pushes again while the agent works.
    const alice = path.join(root, 'alice');
    await writeFile(path.join(alice, 'more.txt'), 'more\n');
    git(alice, 'add', '.');
    git(alice, 'commit', '--quiet', '-m', 'Alice: more');
    git(alice, 'push', '--quiet', 'origin', 'feature');
    const moved = git(alice, 'rev-parse', 'HEAD');

    await expect(publishFix(workspace.path, changeRequest)).rejects.toThrow(/stale info|rejected/);
    expect(git(fork, 'rev-parse', 'refs/heads/feature')).toBe(moved);
    // Read again, the moved head is checked out; a stale expectation is refused before any work.
    await expect(checkout(changeRequest)).rejects.toThrow(/The branch feature moved under Loompa/);
    const again = await checkout(forkChangeRequest({ headSha: moved }));
    expect(git(again.path, 'rev-parse', 'HEAD')).toBe(moved);
  });
});
