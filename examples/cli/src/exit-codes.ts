/** The exit codes of `loompa`, one meaning each, so scripts can tell failures apart. */
export const exitCodes = {
  /** Done, or stopped cleanly. */
  success: 0,
  /** The workflow is invalid, or the command failed (a task not found, a plugin that cannot start). */
  failure: 1,
  /** The command line was wrong: unknown command or option, missing or malformed argument. */
  usage: 2,
} as const;

export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/** Thrown by a command for a command-line mistake the parser cannot see (a bad option value). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
