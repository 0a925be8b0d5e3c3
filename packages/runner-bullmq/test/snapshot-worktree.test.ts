import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { snapshotWorktree } from '../src/snapshot-worktree.js';
import { WorkerSessions } from '../src/worker/worker-sessions.js';

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function repository() {
  const root = await mkdtemp(path.join(os.tmpdir(), 'loompa-snapshot-'));
  roots.push(root);
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=P', '-c', 'user.email=p@example.com', ...args], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
  git('init', '--quiet', '--initial-branch=main');
  await writeFile(path.join(root, 'shared.txt'), 'zero\n');
  git('add', '.');
  git('commit', '--quiet', '-m', 'initial');
  return { root, git };
}

describe('snapshotWorktree', () => {
  it('is the head itself when nothing changed', async () => {
    const { root, git } = await repository();
    expect(await snapshotWorktree(root)).toBe(git('rev-parse', 'HEAD'));
  });

  it('holds a rebase stopped on conflicts as the agent finds it, leaving the rebase and its index alone', async () => {
    const { root, git } = await repository();
    git('checkout', '--quiet', '-b', 'feature');
    await writeFile(path.join(root, 'shared.txt'), 'feature\n');
    git('commit', '--quiet', '-am', 'feature');
    git('checkout', '--quiet', 'main');
    await writeFile(path.join(root, 'shared.txt'), 'main\n');
    await writeFile(path.join(root, 'untracked "odd" name.txt'), 'new\n');
    git('commit', '--quiet', '-am', 'main');
    git('checkout', '--quiet', 'feature');
    expect(() => git('rebase', 'main')).toThrow();
    const head = git('rev-parse', 'HEAD');
    const unmergedBefore = git('ls-files', '--unmerged');

    const snapshot = await snapshotWorktree(root);
    expect(snapshot).not.toBe(head);
    expect(git('rev-parse', `${snapshot}^`)).toBe(head);
    expect(git('show', `${snapshot}:shared.txt`)).toBe(
      await readFile(path.join(root, 'shared.txt'), 'utf8').then((text) => text.trim()),
    );
    expect(git('show', `${snapshot}:shared.txt`)).toMatch(/^<<<<<<< /m);
    // Files git does not track yet are part of what the agent finds.
    expect(git('show', `${snapshot}:untracked "odd" name.txt`)).toBe('new');
    // The rebase goes on untouched: same conflict entries in the index, still in progress.
    expect(git('ls-files', '--unmerged')).toBe(unmergedBefore);
    expect(git('status')).toMatch(/rebase in progress/);
  });
});

describe('WorkerSessions', () => {
  it('knows the sessions its folder holds, across instances on the same folder', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'loompa-sessions-'));
    roots.push(root);
    const sessions = new WorkerSessions(path.join(root, 'sessions'));
    expect(await sessions.has('session/../1')).toBe(false);
    await sessions.remember('session/../1');
    expect(await new WorkerSessions(path.join(root, 'sessions')).has('session/../1')).toBe(true);
    expect(await sessions.has('session-2')).toBe(false);
  });
});
