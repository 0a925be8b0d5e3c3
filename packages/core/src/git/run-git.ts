import { execa } from 'execa';
import { buildRestrictedEnvironment } from '../environment/restricted-environment.js';
import { WorkspaceError } from '../errors/error-classes.js';
import { repositoryConfigurationOverrides } from './repository-configuration.js';

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

/**
 * Settings that keep git from running programs a repository names. Loompa's git works in
 * worktrees the agent can write, and the agent can write the repository's config too, so
 * hooks, fsmonitor, credential helpers, askpass, ssh commands, signing programs and the
 * `ext::` transport are switched off on every command.
 */
const hardenedConfiguration = [
  'core.hooksPath=/dev/null',
  'core.fsmonitor=false',
  'credential.helper=',
  'core.askPass=',
  'core.sshCommand=ssh',
  'commit.gpgSign=false',
  'tag.gpgSign=false',
  'protocol.ext.allow=never',
];

/** Environment variables that carry credentials for one network command. */
function carriesCredentials(environment: Record<string, string> | undefined): boolean {
  return Object.keys(environment ?? {}).some(
    (name) => name.startsWith('GIT_CONFIG_') || name === 'GIT_ASKPASS' || name === 'SSH_ASKPASS',
  );
}

/**
 * The environment of every git Loompa runs: the restricted policy (no orchestrator
 * credentials, no `GIT_*` from a surrounding git), no prompts, then what the caller passed.
 */
export function gitEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...buildRestrictedEnvironment({ source: process.env, declaredNames: ['SSH_AUTH_SOCK'] }),
    GIT_TERMINAL_PROMPT: '0',
    ...extra,
  };
}

/**
 * Runs git and returns its output; a failure throws `WorkspaceError` with git's own words.
 * Every command runs hardened (see `hardenedConfiguration` and `repositoryConfigurationOverrides`)
 * with the restricted environment, so no repository-controlled program sees Loompa's secrets.
 */
export async function runGit(args: readonly string[], options: RunGitOptions): Promise<GitResult> {
  const environment = gitEnvironment(options.env);
  const overrides = await repositoryConfigurationOverrides(options.cwd, environment, {
    credentials: carriesCredentials(options.env),
  });
  const configuration = [...hardenedConfiguration, ...overrides].flatMap((setting) => ['-c', setting]);
  const result = await execa('git', [...configuration, ...args], {
    cwd: options.cwd,
    env: environment,
    extendEnv: false,
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
