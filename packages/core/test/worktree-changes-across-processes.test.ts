import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * Two orchestrator instances on one repository change its worktrees at the same moment (each
 * in its own process, as in production). Git writes a new worktree's metadata in the shared
 * repository non-atomically, so without a lock across processes one instance's `worktree add`
 * fails on the other's half-written entry ("failed to read .git/worktrees/…/commondir").
 */

const changerScript = fileURLToPath(new URL('./fixtures/worktree-changer-process.ts', import.meta.url));
const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const processCount = 4;
const identifiersPerProcess = 4;
const rounds = 2;

let directory: string | null = null;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  if (directory) await rm(directory, { recursive: true, force: true });
  directory = null;
});

describe('worktree changes across processes', () => {
  it('several processes prepare and remove worktrees of one repository at once, and none fails', async () => {
    directory = await realpath(await mkdtemp(path.join(os.tmpdir(), 'loompa-worktrees-across-')));
    const repository = path.join(directory, 'repository');
    await mkdir(repository);
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', ...args], {
        cwd: repository,
        encoding: 'utf8',
      });
    git('init', '--quiet', '--initial-branch=main');
    await writeFile(path.join(repository, 'README.md'), '# sample\n');
    git('add', '.');
    git('commit', '--quiet', '-m', 'initial');

    const changers = Array.from({ length: processCount }, (_, index) =>
      startChanger({
        repositoryPath: repository,
        workspaceRoot: path.join(directory!, `instance-${index}`, 'workspaces'),
        stateDirectory: path.join(directory!, `instance-${index}`, 'state'),
        identifiers: Array.from({ length: identifiersPerProcess }, (_, number) => `I${index}-${number}`),
        rounds,
      }),
    );
    await Promise.all(changers.map((changer) => changer.ready));
    for (const changer of changers) changer.release();
    const outcomes = await Promise.all(changers.map((changer) => changer.finished));
    expect(outcomes.flatMap((outcome) => outcome.errors)).toEqual([]);
    // Every worktree was removed again: only the source checkout is listed.
    expect(git('worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
  }, 180_000);
});

/** Starts a changer process and waits for it to load; `release` sends its instructions. */
function startChanger(instructions: Record<string, unknown>) {
  const child = spawn(process.execPath, ['--conditions=@loompa/source', '--import', 'tsx', changerScript], {
    cwd: packageRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const ready = new Promise<void>((resolve) => {
    child.stdout!.on('data', () => {
      if (stdout.startsWith('ready\n')) resolve();
    });
  });
  const finished = new Promise<{ errors: string[] }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(stdout.slice('ready\n'.length)));
      else reject(new Error(`worktree changer exited with ${code}: ${stderr}`));
    });
  });
  return { ready, release: () => child.stdin!.end(`${JSON.stringify(instructions)}\n`), finished };
}
