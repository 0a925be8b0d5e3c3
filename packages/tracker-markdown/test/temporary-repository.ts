import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** An identity passed to every git call, so tests never depend on a global git configuration. */
export const testGitIdentity = { name: 'Loompa Test', email: 'loompa-test@example.invalid' };

const identityEnvironment = {
  GIT_AUTHOR_NAME: testGitIdentity.name,
  GIT_AUTHOR_EMAIL: testGitIdentity.email,
  GIT_COMMITTER_NAME: testGitIdentity.name,
  GIT_COMMITTER_EMAIL: testGitIdentity.email,
};

/** Runs git in `cwd` and returns its trimmed output. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...identityEnvironment, GIT_CONFIG_NOSYSTEM: '1' },
  }).trim();
}

/** A fresh temporary folder; `cleanup` removes it. */
export async function createTemporaryDirectory(): Promise<{ path: string; cleanup(): Promise<void> }> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'loompa-tracker-markdown-'));
  return { path: directory, cleanup: () => rm(directory, { recursive: true, force: true }) };
}

/** A temporary git repository on branch `main` with one commit. */
export async function createTemporaryRepository(): Promise<{ path: string; cleanup(): Promise<void> }> {
  const directory = await createTemporaryDirectory();
  git(directory.path, 'init', '-q', '-b', 'main');
  git(directory.path, 'commit', '-q', '--allow-empty', '-m', 'initial commit');
  return directory;
}

/** Waits until `condition` holds, checking every 20 ms; fails after `limitMs` with `description`. */
export async function waitFor(
  condition: () => boolean,
  description: string,
  limitMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
