import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestIssue, MockScmProvider } from '@loompa/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LoompaError } from '../errors/loompa-error.js';
import { generalFocus } from '../focus/built-in-foci.js';
import type { ChangeRequest } from '../specifications/change-request.js';
import { parseWorkflow } from '../workflow/load-workflow.js';
import { commitWorkSince } from './branch-commits.js';
import { assertChangeTouchesOnly } from './publish-guard.js';
import { type PublishOptions, publishWork } from './publish-work.js';

/**
 * The publish step on real git, with a base branch that moves between the moment the
 * worktree is made and the moment the agent's work is published.
 */

let root: string;
let source: string;
let worktree: string;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Person', '-c', 'user.email=person@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();
}

/** Someone else's work lands on main while the agent works in its worktree. */
async function mergeIntoMain(file: string, content: string): Promise<void> {
  await writeFile(path.join(source, file), content);
  git(source, 'add', file);
  git(source, 'commit', '--quiet', '-m', `someone else: ${file}`);
}

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'loompa-publish-'));
  source = path.join(root, 'source');
  worktree = path.join(root, 'worktree');
  execFileSync('git', ['init', '--quiet', '--initial-branch=main', source]);
  await writeFile(path.join(source, 'shared.txt'), 'zero\n');
  git(source, 'add', '.');
  git(source, 'commit', '--quiet', '-m', 'initial');
  git(source, 'worktree', 'add', '--quiet', '-b', 'loompa/TASK-1', worktree, 'main');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const changeRequest: ChangeRequest = {
  id: '1',
  number: 1,
  url: null,
  branch: 'loompa/TASK-1',
  baseBranch: 'main',
  title: 'TASK-1',
  state: 'open',
};

function publishOptions(overrides: Partial<PublishOptions> = {}): PublishOptions {
  return {
    workflow: parseWorkflow(
      '---\nscm:\n  kind: local\n---\nWork on {{ issue.identifier }}\n',
      '/srv/WORKFLOW.md',
    ),
    scm: new MockScmProvider({ findChangeRequest: null, openChangeRequest: changeRequest }),
    issue: createTestIssue({ id: 'TASK-1', identifier: 'TASK-1', title: 'Add mine' }),
    worktree,
    branch: 'loompa/TASK-1',
    baseBranch: 'main',
    focus: generalFocus,
    profile: null,
    agentKind: 'command',
    model: null,
    lastPushedHead: null,
    followUpSubject: null,
    historyRewritten: false,
    knownChangeRequest: null,
    ...overrides,
  };
}

function filesChangedBy(commit: string): string {
  return git(source, 'diff-tree', '--no-commit-id', '--name-status', '-r', commit);
}

describe('publishWork on a base that moved after the worktree was made', () => {
  it('commits only the agent work on the commit the branch forked from, without a conflict', async () => {
    const forkedFrom = git(source, 'rev-parse', 'main');
    await mergeIntoMain('theirs.txt', 'merged while the agent worked\n');
    await writeFile(path.join(worktree, 'mine.txt'), 'the agent wrote this\n');

    const published = await publishWork(publishOptions());

    expect(git(source, 'rev-parse', `${published.head}^`)).toBe(forkedFrom);
    expect(filesChangedBy(published.head)).toBe('A\tmine.txt');
    // Merged with the moved base, both sides' files are there.
    const merged = git(source, 'merge-tree', '--write-tree', 'main', published.head);
    expect(git(source, 'ls-tree', '--name-only', merged)).toBe('mine.txt\nshared.txt\ntheirs.txt');
  });

  it('leaves a real conflict to the rebase: the commit changes only the file the agent edited', async () => {
    const forkedFrom = git(source, 'rev-parse', 'main');
    await mergeIntoMain('shared.txt', 'theirs\n');
    await mergeIntoMain('theirs.txt', 'also merged\n');
    await writeFile(path.join(worktree, 'shared.txt'), 'mine\n');

    const published = await publishWork(publishOptions());

    expect(git(source, 'rev-parse', `${published.head}^`)).toBe(forkedFrom);
    expect(filesChangedBy(published.head)).toBe('M\tshared.txt');
    expect(git(source, 'show', `${published.head}:shared.txt`)).toBe('mine');
    expect(git(source, 'show', 'main:shared.txt')).toBe('theirs');
  });

  it('squashes the agent own commits too, and a follow-up builds on the last pushed head', async () => {
    await writeFile(path.join(worktree, 'mine.txt'), 'one\n');
    git(worktree, 'add', '.');
    git(worktree, 'commit', '--quiet', '-m', 'agent commit');
    await mergeIntoMain('theirs.txt', 'merged\n');
    const first = await publishWork(publishOptions());
    expect(filesChangedBy(first.head)).toBe('A\tmine.txt');

    await mergeIntoMain('later.txt', 'merged later\n');
    await writeFile(path.join(worktree, 'mine.txt'), 'two\n');
    const followUp = await publishWork(
      publishOptions({
        lastPushedHead: first.head,
        followUpSubject: 'TASK-1: fix',
        knownChangeRequest: changeRequest,
      }),
    );
    expect(git(source, 'rev-parse', `${followUp.head}^`)).toBe(first.head);
    expect(filesChangedBy(followUp.head)).toBe('M\tmine.txt');
  });

  it('pushes to a remote whose base moved, and the pushed branch changes only the agent files', async () => {
    const remote = path.join(root, 'remote.git');
    git(root, 'clone', '--quiet', '--bare', source, remote);
    // The remote has never seen the work branch: the first push creates it.
    git(remote, 'branch', '-D', 'loompa/TASK-1');
    await writeFile(path.join(worktree, 'mine.txt'), 'mine\n');
    // The remote's base moves; the local one does not know yet.
    const other = path.join(root, 'other');
    git(root, 'clone', '--quiet', remote, other);
    await writeFile(path.join(other, 'theirs.txt'), 'pushed by someone else\n');
    git(other, 'add', '.');
    git(other, 'commit', '--quiet', '-m', 'theirs');
    git(other, 'push', '--quiet', 'origin', 'main');

    const scm = new MockScmProvider({
      findChangeRequest: null,
      openChangeRequest: changeRequest,
      getPushTarget: { remoteUrl: remote, environment: {} },
    });
    const published = await publishWork(publishOptions({ scm }));
    expect(git(remote, 'rev-parse', 'refs/heads/loompa/TASK-1')).toBe(published.head);
    const mergeBase = git(remote, 'merge-base', 'main', 'loompa/TASK-1');
    expect(git(remote, 'diff', '--name-status', mergeBase, 'loompa/TASK-1')).toBe('A\tmine.txt');
  });
});

describe('the publish guard', () => {
  it('refuses a commit that would revert work merged into the base, naming the paths', async () => {
    const forkedFrom = git(source, 'rev-parse', 'main');
    await mergeIntoMain('theirs.txt', 'merged\n');
    await writeFile(path.join(worktree, 'mine.txt'), 'mine\n');
    // The old mistake: the worktree's snapshot recorded against the moved tip.
    const tip = git(source, 'rev-parse', 'main');
    const head = await commitWorkSince(worktree, tip, 'snapshot\n', { name: 'Loompa', email: 'l@localhost' });

    const guarded = assertChangeTouchesOnly({
      worktree,
      head: head!,
      baseTip: tip,
      touchedPaths: new Set(['mine.txt']),
      identifier: 'TASK-1',
      branch: 'loompa/TASK-1',
    });
    await expect(guarded).rejects.toThrow(
      'Refusing to publish loompa/TASK-1 for TASK-1: against the base it would change theirs.txt, which the agent never touched',
    );
    await expect(guarded).rejects.toSatisfy((error) => LoompaError.hasCode(error, 'unexpected_change'));
    expect(forkedFrom).not.toBe(tip);
  });

  it('lets a follow-up through when the agent merged the moved base into its branch', async () => {
    await writeFile(path.join(worktree, 'mine.txt'), 'one\n');
    const first = await publishWork(publishOptions());
    await mergeIntoMain('theirs.txt', 'merged\n');
    git(worktree, 'merge', '--quiet', '--no-edit', 'main');
    await writeFile(path.join(worktree, 'mine.txt'), 'two\n');

    const followUp = await publishWork(
      publishOptions({
        lastPushedHead: first.head,
        followUpSubject: 'TASK-1: fix',
        knownChangeRequest: changeRequest,
      }),
    );
    expect(git(source, 'show', `${followUp.head}:mine.txt`)).toBe('two');
    expect(git(source, 'show', `${followUp.head}:theirs.txt`)).toBe('merged');
  });

  it('lets the agent delete a file on purpose', async () => {
    await mergeIntoMain('theirs.txt', 'merged\n');
    git(worktree, 'merge', '--quiet', 'main');
    await rm(path.join(worktree, 'theirs.txt'));
    await writeFile(path.join(worktree, 'mine.txt'), 'mine\n');

    const published = await publishWork(publishOptions());
    expect(filesChangedBy(published.head)).toBe('A\tmine.txt\nD\ttheirs.txt');
  });
});
