import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMarkdownTracker, type MarkdownTracker } from '../src/index.js';
import {
  createTemporaryDirectory,
  createTemporaryRepository,
  git,
  testGitIdentity,
  waitFor,
} from './temporary-repository.js';

let repository: { path: string; cleanup(): Promise<void> };
const trackers: MarkdownTracker[] = [];

beforeEach(async () => {
  repository = await createTemporaryRepository();
  await writeFile(path.join(repository.path, 'notes.txt'), 'committed notes\n');
  git(repository.path, 'add', 'notes.txt');
  git(repository.path, 'commit', '-q', '-m', 'add notes');
});

afterEach(async () => {
  for (const tracker of trackers.splice(0)) await tracker.close().catch(() => {});
  await repository.cleanup();
});

function committingTracker(
  settings: Partial<Parameters<typeof createMarkdownTracker>[0]> = {},
): MarkdownTracker {
  const tracker = createMarkdownTracker({
    repositoryPath: repository.path,
    commit: true,
    commitDelayMs: 0,
    commitAuthor: testGitIdentity,
    ...settings,
  });
  trackers.push(tracker);
  return tracker;
}

const commitCount = () => Number(git(repository.path, 'rev-list', '--count', 'HEAD'));
const filesOf = (revision: string) =>
  git(repository.path, 'diff-tree', '--no-commit-id', '--name-only', '-r', '--root', revision).split('\n');

describe('tracker.commit', () => {
  it('commits one tick of task changes as one commit and leaves a person’s staged work alone', async () => {
    // A person is in the middle of something: a modified tracked file and a new file, both staged,
    // plus an unstaged edit.
    await writeFile(path.join(repository.path, 'notes.txt'), 'notes being edited\n');
    await writeFile(path.join(repository.path, 'staged.txt'), 'new staged file\n');
    git(repository.path, 'add', 'notes.txt', 'staged.txt');
    await writeFile(path.join(repository.path, 'notes.txt'), 'notes being edited, more unstaged\n');
    const stagedBefore = git(repository.path, 'diff', '--cached');

    const tracker = committingTracker();
    await tracker.createIssue({ issue: { title: 'First', labels: ['bug'] } });
    await tracker.createIssue({ issue: { title: 'Second' } });
    await tracker.transitionIssue({ issueId: 'TASK-1', state: 'in progress' });
    await tracker.commentOnIssue({ issueId: 'TASK-2', body: 'Looking into it' });
    expect(commitCount()).toBe(2);
    await tracker.flush();

    expect(commitCount()).toBe(3);
    expect(filesOf('HEAD').sort()).toEqual(['.loompa/tasks/TASK-1.md', '.loompa/tasks/TASK-2.md']);
    expect(git(repository.path, 'log', '-1', '--format=%an <%ae>%n%B')).toBe(
      [
        `${testGitIdentity.name} <${testGitIdentity.email}>`,
        'tasks: update TASK-1, TASK-2',
        '',
        '- TASK-1 created',
        '- TASK-2 created',
        '- TASK-1 moved from todo to in progress',
        '- TASK-2 commented: Looking into it',
      ].join('\n'),
    );
    expect(git(repository.path, 'symbolic-ref', '--short', 'HEAD')).toBe('main');
    // The committed files are what is on disk.
    expect(git(repository.path, 'show', 'HEAD:.loompa/tasks/TASK-1.md')).toBe(
      (await readFile(path.join(repository.path, '.loompa/tasks/TASK-1.md'), 'utf8')).trimEnd(),
    );
    // The person's staged changes are exactly as before, still staged and uncommitted; the unstaged
    // edit is untouched; the task files show no change against the new commit.
    expect(git(repository.path, 'diff', '--cached')).toBe(stagedBefore);
    expect(git(repository.path, 'status', '--porcelain')).toBe(['MM notes.txt', 'A  staged.txt'].join('\n'));
    expect(await readFile(path.join(repository.path, 'notes.txt'), 'utf8')).toBe(
      'notes being edited, more unstaged\n',
    );

    // The next tick is the next commit; a tick without changes commits nothing.
    await tracker.transitionIssue({ issueId: 'TASK-1', state: 'done' });
    await tracker.flush();
    await tracker.flush();
    expect(commitCount()).toBe(4);
    expect(git(repository.path, 'log', '-1', '--format=%s')).toBe(
      'tasks: TASK-1 moved from in progress to done',
    );
    expect(filesOf('HEAD')).toEqual(['.loompa/tasks/TASK-1.md']);
    expect(git(repository.path, 'diff', '--cached')).toBe(stagedBefore);
  });

  it('does not commit task files a person edited by hand that the tracker did not write', async () => {
    const tracker = committingTracker();
    await tracker.createIssue({ issue: { title: 'Mine' } });
    await tracker.flush();
    await writeFile(
      path.join(repository.path, '.loompa/tasks/TASK-9.md'),
      '---\nid: TASK-9\ntitle: By hand\n---\n',
    );
    await tracker.transitionIssue({ issueId: 'TASK-1', state: 'in progress' });
    await tracker.flush();
    expect(filesOf('HEAD')).toEqual(['.loompa/tasks/TASK-1.md']);
    expect(git(repository.path, 'status', '--porcelain')).toBe('?? .loompa/tasks/TASK-9.md');
  });

  it('batches writes by time when nobody calls flush', async () => {
    const tracker = committingTracker({ commitDelayMs: 150 });
    await tracker.createIssue({ issue: { title: 'One' } });
    await tracker.createIssue({ issue: { title: 'Two' } });
    await tracker.updateLabels({ issueId: 'TASK-1', add: ['ready'] });
    await waitFor(() => commitCount() === 3, 'the batched commit');
    expect(filesOf('HEAD').sort()).toEqual(['.loompa/tasks/TASK-1.md', '.loompa/tasks/TASK-2.md']);
    expect(git(repository.path, 'log', '-1', '--format=%b')).toContain('- TASK-1 added label ready');
  });

  it('pushes the branch when tracker.push is set', async () => {
    const remote = await createTemporaryDirectory();
    try {
      git(remote.path, 'init', '-q', '--bare');
      git(repository.path, 'remote', 'add', 'origin', remote.path);
      git(repository.path, 'push', '-q', 'origin', 'main');
      const tracker = committingTracker({ push: true });
      await tracker.createIssue({ issue: { title: 'Pushed' } });
      await tracker.flush();
      expect(git(remote.path, 'rev-parse', 'main')).toBe(git(repository.path, 'rev-parse', 'HEAD'));
      expect(git(remote.path, 'show', 'main:.loompa/tasks/TASK-1.md')).toContain('title: Pushed');
    } finally {
      await remote.cleanup();
    }
  });

  it('refuses to commit on a detached HEAD, keeps the changes, and commits them once on a branch', async () => {
    git(repository.path, 'checkout', '-q', '--detach');
    const tracker = committingTracker();
    await tracker.createIssue({ issue: { title: 'Waiting' } });
    const error = await tracker.flush().then(
      () => null,
      (caught: unknown) => caught as Error & { code: string },
    );
    expect(error?.code).toBe('task_commit_failed');
    expect(error?.message).toContain('detached HEAD');
    expect(commitCount()).toBe(2);
    git(repository.path, 'checkout', '-q', 'main');
    await tracker.flush();
    expect(commitCount()).toBe(3);
    expect(filesOf('HEAD')).toEqual(['.loompa/tasks/TASK-1.md']);
  });

  it('commits on top of a commit a person made meanwhile, never replacing it', async () => {
    const tracker = committingTracker();
    await tracker.createIssue({ issue: { title: 'Racing' } });
    await writeFile(path.join(repository.path, 'other.txt'), 'person commit\n');
    git(repository.path, 'add', 'other.txt');
    git(repository.path, 'commit', '-q', '-m', 'person commit');
    await tracker.flush();
    expect(git(repository.path, 'log', '--format=%s')).toBe(
      ['tasks: TASK-1 created', 'person commit', 'add notes', 'initial commit'].join('\n'),
    );
    expect(git(repository.path, 'status', '--porcelain')).toBe('');
  });
});
