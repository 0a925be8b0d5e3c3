import { runGit as runCoreGit, ScmError } from '@loompa/core';

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
 * Core's git runner, with failures reported as `ScmError` (what a provider's callers catch)
 * and with the exit codes that are answers let through, so a caller never mistakes a failed
 * command for an empty answer.
 */
export async function runGit(args: readonly string[], options: GitOptions) {
  const result = await runCoreGit(args, {
    cwd: options.cwd,
    env: { LC_ALL: 'C', ...options.environment },
    allowFailure: true,
    ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
  });
  if (result.exitCode !== 0 && !(options.acceptExitCodes ?? []).includes(result.exitCode)) {
    throw new ScmError(
      `git ${args.join(' ')} failed in ${options.cwd} (exit ${result.exitCode}): ${result.stderr.trim() || result.stdout.trim()}`,
      { details: { args, exitCode: result.exitCode } },
    );
  }
  return result;
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

/** The author name of the first commit `head` has that `baseBranch` lacks, or null. */
export async function firstAuthorOf(cwd: string, baseBranch: string, head: string): Promise<string | null> {
  const result = await runGit(
    ['log', '--reverse', '--format=%an', `refs/heads/${baseBranch}..${head}`, '--'],
    { cwd, acceptExitCodes: [128] },
  );
  if (result.exitCode !== 0) return null;
  return (
    result.stdout
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim() ?? null
  );
}
