import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withWorktreeLock } from './worktree-lock.js';

let directory: string;
let repository: string;
let lockPath: string;
beforeEach(async () => {
  directory = await realpath(await mkdtemp(path.join(os.tmpdir(), 'loompa-worktree-lock-')));
  repository = path.join(directory, 'repository');
  await mkdir(repository);
  execFileSync('git', ['init', '--quiet', '--initial-branch=main'], { cwd: repository });
  lockPath = path.join(repository, '.git', 'loompa-worktrees.lock');
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

const waitOptions = { timeout: 30_000, interval: 20 };
/** Files the lock leaves in the common directory (the lock itself, pending or set-aside copies). */
const lockFiles = () =>
  readdirSync(path.join(repository, '.git')).filter((name) => name.startsWith('loompa-'));

describe('withWorktreeLock', () => {
  it('holds the lock in the common directory while the work runs, and removes it after, even on failure', async () => {
    const seen = await withWorktreeLock(repository, async () => JSON.parse(await readFile(lockPath, 'utf8')));
    expect(seen).toMatchObject({ pid: process.pid, host: os.hostname() });
    expect(lockFiles()).toEqual([]);
    await expect(
      withWorktreeLock(repository, async () => {
        throw new Error('git failed');
      }),
    ).rejects.toThrow('git failed');
    expect(lockFiles()).toEqual([]);
  });

  it('is found from a worktree of the repository too: both take turns on one lock', async () => {
    execFileSync(
      'git',
      [
        '-c',
        'user.name=T',
        '-c',
        'user.email=t@example.com',
        'commit',
        '--quiet',
        '--allow-empty',
        '-m',
        'initial',
      ],
      {
        cwd: repository,
      },
    );
    const worktree = path.join(directory, 'worktree');
    execFileSync('git', ['worktree', 'add', '--quiet', '--detach', worktree], { cwd: repository });
    const seen = await withWorktreeLock(worktree, async () => existsSync(lockPath));
    expect(seen).toBe(true);
  });

  it('lets a second holder in only after the first is done', async () => {
    const order: string[] = [];
    let finishFirst: () => void = () => {};
    const first = withWorktreeLock(repository, async () => {
      order.push('first started');
      await new Promise<void>((resolve) => {
        finishFirst = resolve;
      });
      order.push('first finished');
    });
    await vi.waitFor(() => expect(order).toEqual(['first started']), waitOptions);
    const second = withWorktreeLock(repository, async () => {
      order.push('second started');
    });
    // The second is waiting: its pending copy sits next to the lock.
    await vi.waitFor(() => expect(lockFiles().some((name) => name.endsWith('.tmp'))).toBe(true), waitOptions);
    expect(order).toEqual(['first started']);
    finishFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(['first started', 'first finished', 'second started']);
    expect(lockFiles()).toEqual([]);
  });

  it('takes over at once a lock whose holder on this host is gone', async () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    const deadPid = Number(gone.stdout);
    await writeFile(lockPath, JSON.stringify({ pid: deadPid, host: os.hostname(), token: 'crashed' }));
    expect(await withWorktreeLock(repository, async () => 'ran')).toBe('ran');
    expect(lockFiles()).toEqual([]);
  });

  it('waits for a live holder on another host, and takes over its lock once it stopped refreshing it', async () => {
    await writeFile(lockPath, JSON.stringify({ pid: 1, host: 'another-host', token: 'elsewhere' }));
    let ran = false;
    const waiting = withWorktreeLock(
      repository,
      async () => {
        ran = true;
      },
      { abandonedAfterMs: 60_000 },
    );
    await vi.waitFor(() => expect(lockFiles().some((name) => name.endsWith('.tmp'))).toBe(true), waitOptions);
    expect(ran).toBe(false);
    // The other host's holder has not refreshed its lock for two minutes now.
    const longAgo = new Date(Date.now() - 120_000);
    await utimes(lockPath, longAgo, longAgo);
    await waiting;
    expect(ran).toBe(true);
    expect(lockFiles()).toEqual([]);
  });

  it('refreshes its lock while the work runs, so a long change is never taken for abandoned', async () => {
    const longAgo = new Date(Date.now() - 120_000);
    let refreshed = false;
    await withWorktreeLock(
      repository,
      async () => {
        await utimes(lockPath, longAgo, longAgo);
        await vi.waitFor(async () => {
          expect((await stat(lockPath)).mtimeMs).toBeGreaterThan(longAgo.getTime() + 60_000);
        }, waitOptions);
        refreshed = true;
      },
      { refreshEveryMs: 20 },
    );
    expect(refreshed).toBe(true);
  });
});
