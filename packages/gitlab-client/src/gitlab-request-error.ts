import { LoompaError } from '@loompa/core';

/**
 * A GitLab API call that failed. Carries the method, the path below `/api/v4/`, the status
 * and GitLab's own message, and never the request's headers (they hold the token).
 */
export class GitLabRequestError extends LoompaError {
  readonly status: number | null;
  readonly method: string;
  readonly path: string;
  /** How long GitLab asked us to wait, when it said so and we gave up waiting. */
  readonly retryAfterMs: number | null;

  constructor(options: {
    method: string;
    path: string;
    status: number | null;
    message: string;
    retryAfterMs?: number | null;
    cause?: unknown;
  }) {
    const answered = options.status === null ? 'failed' : `answered ${options.status}`;
    super(
      options.status === 429 ? 'gitlab_rate_limited' : 'gitlab_request_failed',
      `GitLab ${options.method} ${options.path} ${answered}: ${options.message}`,
      {
        details: { method: options.method, path: options.path, status: options.status },
        ...(options.cause === undefined ? {} : { cause: options.cause }),
      },
    );
    this.status = options.status;
    this.method = options.method;
    this.path = options.path;
    this.retryAfterMs = options.retryAfterMs ?? null;
  }

  /** True for a `GitLabRequestError` with this status (e.g. 404), from any copy of the package. */
  static hasStatus(error: unknown, status: number): boolean {
    return LoompaError.isInstance(error) && (error as GitLabRequestError).status === status;
  }
}
