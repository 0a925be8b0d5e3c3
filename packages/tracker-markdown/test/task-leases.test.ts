import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMarkdownTracker, type MarkdownTracker } from '../src/index.js';
import { TaskLeases } from '../src/task-leases.js';
import { createTemporaryRepository, git } from './temporary-repository.js';

const workspaceRoot = fileURLToPath(new URL('../../..', import.meta.url));
const claimerScript = fileURLToPath(new URL('./fixtures/task-claimer-process.ts', import.meta.url));
const tenMinutes = 600_000;
// Four Node processes compiling TypeScript at once take a while on a busy machine.
const processRaceTimeoutMs = 180_000;

let repository: { path: string; cleanup(): Promise<void> };
let clock: number;
let tracker: MarkdownTracker;

beforeEach(async () => {
  repository = await createTemporaryRepository();
  clock = 1_000_000;
  tracker = createMarkdownTracker({ repositoryPath: repository.path, leaseClock: () => clock });
  await tracker.createIssue({ issue: { title: 'Claimed work' } });
});

afterEach(async () => {
  await repository.cleanup();
});

const claim = (owner: string, leaseMs = tenMinutes, issueId = 'TASK-1') =>
  tracker.claimIssue({ issueId, owner, leaseMs });

describe('markdown task leases', () => {
  it('refuses a claim by another owner while the lease runs, and renews for the same owner', async () => {
    expect(await claim('instance-a')).toBe(true);
    expect(await claim('instance-b')).toBe(false);
    clock += tenMinutes - 1;
    // Re-claiming renews: the lease now runs ten minutes from here.
    expect(await claim('instance-a')).toBe(true);
    clock += tenMinutes - 1;
    expect(await claim('instance-b')).toBe(false);
    const leases = new TaskLeases({ taskDirectory: tracker.tasks.directory });
    expect(await leases.read('task-1')).toEqual({ owner: 'instance-a', expiresAt: clock + 1 });
  });

  it('lets another owner take over an expired lease', async () => {
    expect(await claim('instance-a', 1_000)).toBe(true);
    clock += 1_000;
    expect(await claim('instance-b')).toBe(true);
    expect(await claim('instance-a')).toBe(false);
  });

  it('frees the task on release by its owner, and ignores a release by anyone else', async () => {
    expect(await claim('instance-a')).toBe(true);
    await tracker.releaseIssue({ issueId: 'TASK-1', owner: 'instance-b' });
    expect(await claim('instance-b')).toBe(false);
    await tracker.releaseIssue({ issueId: 'TASK-1', owner: 'instance-a' });
    expect(await claim('instance-b')).toBe(true);
    // Releasing a task never claimed is harmless.
    await tracker.releaseIssue({ issueId: 'TASK-9', owner: 'instance-a' });
  });

  it('compares task ids case-insensitively and refuses ids that would leave the claims folder', async () => {
    expect(await claim('instance-a', tenMinutes, 'task-1')).toBe(true);
    expect(await claim('instance-b', tenMinutes, 'TASK-1')).toBe(false);
    await expect(claim('instance-a', tenMinutes, '../TASK-1')).rejects.toThrow(/not a task id/);
    await expect(claim('instance-a', 0)).rejects.toThrow(/leaseMs/);
  });

  it('keeps leases out of the task listing and out of git', async () => {
    const problems: unknown[] = [];
    const watched = createMarkdownTracker({
      repositoryPath: repository.path,
      onProblem: (problem) => problems.push(problem),
    });
    for (let round = 0; round < 5; round++) expect(await claim('instance-a')).toBe(true);
    await tracker.releaseIssue({ issueId: 'TASK-1', owner: 'instance-a' });
    const listed = await watched.listIssues({ states: ['todo'] });
    expect(listed.map((issue) => issue.id)).toEqual(['TASK-1']);
    expect(problems).toEqual([]);
    expect(git(repository.path, 'status', '--porcelain', '--untracked-files=all')).toBe(
      '?? .loompa/tasks/TASK-1.md',
    );
  });

  it('lets exactly one of many concurrent claimers in one process win', async () => {
    const trackers = Array.from({ length: 12 }, () =>
      createMarkdownTracker({ repositoryPath: repository.path }),
    );
    const results = await Promise.all(
      trackers.map((each, index) =>
        each.claimIssue({ issueId: 'TASK-1', owner: `owner-${index}`, leaseMs: tenMinutes }),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it(
    'lets exactly one of several processes win a free task',
    async () => {
      const outcomes = await raceProcesses(4, 5);
      expect(outcomes.filter((outcome) => outcome.won > 0)).toHaveLength(1);
      // The winner keeps winning (renewals); everyone else keeps losing.
      expect(outcomes.find((outcome) => outcome.won > 0)!.won).toBe(5);
    },
    processRaceTimeoutMs,
  );

  it(
    'lets exactly one of several processes take over an expired lease',
    async () => {
      // A lease left by a crashed instance, long expired.
      const folder = path.join(tracker.tasks.directory, '.claims', 'task-1');
      await mkdir(folder, { recursive: true });
      await writeFile(
        path.join(folder, '000000000003.json'),
        JSON.stringify({ owner: 'gone', expiresAt: 1 }),
      );
      const outcomes = await raceProcesses(4, 1);
      expect(outcomes.filter((outcome) => outcome.won > 0)).toHaveLength(1);
    },
    processRaceTimeoutMs,
  );
});

/** Starts `count` claimer processes, waits until all are loaded, then releases them together. */
async function raceProcesses(count: number, rounds: number): Promise<Array<{ owner: string; won: number }>> {
  const claimers = Array.from({ length: count }, (_, index) => startClaimer(`process-${index}`, rounds));
  await Promise.all(claimers.map((claimer) => claimer.ready));
  for (const claimer of claimers) claimer.release();
  return Promise.all(claimers.map((claimer) => claimer.finished));
}

function startClaimer(owner: string, rounds: number) {
  const child = spawn(process.execPath, ['--conditions=@loompa/source', '--import', 'tsx', claimerScript], {
    cwd: workspaceRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const ready = new Promise<void>((resolve) => {
    child.stdout.on('data', () => {
      if (stdout.startsWith('ready\n')) resolve();
    });
  });
  const finished = new Promise<{ owner: string; won: number }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(stdout.slice('ready\n'.length)));
      else reject(new Error(`claimer process exited with ${code}: ${stderr}`));
    });
  });
  return {
    ready,
    release() {
      child.stdin.end(
        `${JSON.stringify({ repositoryPath: repository.path, taskId: 'TASK-1', owner, leaseMs: tenMinutes, rounds })}\n`,
      );
    },
    finished,
  };
}
