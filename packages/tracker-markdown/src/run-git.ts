import { execFile } from 'node:child_process';
import { TaskCommitError } from './task-errors.js';

export interface GitResult {
  stdout: string;
  exitCode: number;
}

/**
 * Runs git without a shell and without prompts. Resolves with the exit code when `allowFailure`
 * is set; otherwise a non-zero exit rejects with `TaskCommitError` carrying git's message.
 */
export function runGit(
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; allowFailure?: boolean },
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...args],
      {
        cwd: options.cwd,
        env: { ...process.env, ...options.env, GIT_TERMINAL_PROMPT: '0' },
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const exitCode = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        if (exitCode === 0 || (options.allowFailure && exitCode > 0)) {
          resolve({ stdout, exitCode });
          return;
        }
        reject(
          new TaskCommitError(
            `git ${args[0]} failed in ${options.cwd}: ${(stderr || String(error)).trim()}`,
            {
              cause: error,
              details: { args: [...args], exitCode },
            },
          ),
        );
      },
    );
  });
}
