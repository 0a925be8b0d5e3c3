import { execa } from 'execa';
import { WorkspaceError } from '../errors/error-classes.js';

export interface RunGitOptions {
  cwd: string;
  /** Extra environment (credentials travel here, never in argv). */
  env?: Record<string, string>;
  abortSignal?: AbortSignal;
  /** Resolve with the failed result instead of throwing (for commands whose failure is an answer). */
  allowFailure?: boolean;
  input?: string;
}

export interface GitResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Identity used for commits Loompa makes itself, so a machine without a git identity still works. */
export const loompaGitIdentity = {
  GIT_AUTHOR_NAME: 'Loompa',
  GIT_AUTHOR_EMAIL: 'loompa@localhost',
  GIT_COMMITTER_NAME: 'Loompa',
  GIT_COMMITTER_EMAIL: 'loompa@localhost',
};

/** Runs git and returns its output; a failure throws `WorkspaceError` with git's own words. */
export async function runGit(args: readonly string[], options: RunGitOptions): Promise<GitResult> {
  const result = await execa('git', args, {
    cwd: options.cwd,
    env: { GIT_TERMINAL_PROMPT: '0', ...options.env },
    reject: false,
    stripFinalNewline: true,
    cancelSignal: options.abortSignal,
    input: options.input,
  });
  const outcome = {
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
  };
  if (outcome.exitCode !== 0 && !options.allowFailure) {
    throw new WorkspaceError(`git ${args[0]} failed in ${options.cwd}: ${outcome.stderr || outcome.stdout}`, {
      details: { args: [...args], cwd: options.cwd, exitCode: outcome.exitCode },
    });
  }
  return outcome;
}
