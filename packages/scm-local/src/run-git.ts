import { describeError, ScmError } from '@loompa/core';
import { execa } from 'execa';

export interface GitResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface GitOptions {
  cwd: string;
  /** Exit codes that are answers rather than failures (e.g. 1 from `merge-tree` on conflict). */
  acceptExitCodes?: readonly number[];
  environment?: Record<string, string>;
  abortSignal?: AbortSignal;
}

/** The identity scm-local commits with when the repository has none configured. */
export const fallbackIdentity = { name: 'Loompa', email: 'loompa@localhost' } as const;

/**
 * Runs git without a shell. Any exit code outside `acceptExitCodes` (and 0) becomes a
 * `ScmError` naming the command and its stderr, so a caller never mistakes a failed
 * command for an empty answer.
 */
export async function runGit(args: readonly string[], options: GitOptions): Promise<GitResult> {
  let result: Awaited<ReturnType<typeof execa>>;
  try {
    result = await execa('git', args, {
      cwd: options.cwd,
      reject: false,
      stripFinalNewline: true,
      env: { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...options.environment },
      cancelSignal: options.abortSignal,
    });
  } catch (error) {
    throw new ScmError(`git ${args[0]} could not start in ${options.cwd}: ${describeError(error)}`, {
      cause: error,
    });
  }
  if (result.isCanceled) {
    throw new ScmError(`git ${args[0]} was cancelled`, { details: { reason: 'cancelled' } });
  }
  const exitCode = result.exitCode ?? -1;
  const answer = { exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
  if (exitCode !== 0 && !(options.acceptExitCodes ?? []).includes(exitCode)) {
    throw new ScmError(
      `git ${args.join(' ')} failed in ${options.cwd} (exit ${exitCode}): ${answer.stderr.trim() || answer.stdout.trim()}`,
      { details: { args, exitCode } },
    );
  }
  return answer;
}

/** The commit a ref points at, or null when the ref does not exist. */
export async function resolveCommit(cwd: string, ref: string): Promise<string | null> {
  const result = await runGit(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
    cwd,
    acceptExitCodes: [1, 128],
  });
  return result.exitCode === 0 ? result.stdout.trim() : null;
}

/**
 * Environment giving git a committer identity: the repository's own when it has one (a
 * person expects their name on rebased commits), otherwise Loompa's, so commands never fail
 * for want of a global git identity.
 */
export async function committerEnvironment(cwd: string): Promise<Record<string, string>> {
  const configured = await runGit(['var', 'GIT_COMMITTER_IDENT'], {
    cwd,
    acceptExitCodes: [128],
  });
  if (configured.exitCode === 0) return {};
  return { GIT_COMMITTER_NAME: fallbackIdentity.name, GIT_COMMITTER_EMAIL: fallbackIdentity.email };
}
