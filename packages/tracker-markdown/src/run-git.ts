import { runGit as runCoreGit } from '@loompa/core';
import { TaskCommitError } from './task-errors.js';

export interface GitResult {
  stdout: string;
  exitCode: number;
}

/**
 * Core's hardened git (no hooks or repository-named programs, restricted environment: the
 * repository's config is shared with every agent worktree). Resolves with the exit code when
 * `allowFailure` is set; otherwise a non-zero exit rejects with `TaskCommitError` carrying
 * git's message.
 */
export async function runGit(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; allowFailure?: boolean },
): Promise<GitResult> {
  const result = await runCoreGit(args, {
    cwd: options.cwd,
    ...(options.env ? { env: options.env } : {}),
    allowFailure: true,
  });
  if (result.exitCode === 0 || (options.allowFailure && result.exitCode > 0)) {
    // Callers parse whole lines: keep the final newline core's runner strips.
    return { stdout: result.stdout ? `${result.stdout}\n` : '', exitCode: result.exitCode };
  }
  throw new TaskCommitError(
    `git ${args[0]} failed in ${options.cwd}: ${(result.stderr || result.stdout).trim()}`,
    {
      details: { args: [...args], exitCode: result.exitCode },
    },
  );
}
