import { createRequesterFn } from '@gitbeaker/requester-utils';
import { Gitlab } from '@gitbeaker/rest';
import { createSilentLogger, InvalidArgumentError, type Logger, registerSecret } from '@loompa/core';
import { withAbortSignal } from './call-scope.js';
import { defaultGitLabHost, defaultMaxPages } from './gitlab-defaults.js';
import {
  createRetryingRequestHandler,
  defaultRetryPolicy,
  type RequestHandlerOptions,
  type RetryPolicy,
} from './retrying-request-handler.js';

/** How the client authenticates: personal, project or group access tokens are all `private`. */
export type GitLabTokenKind = 'private' | 'oauth' | 'job';

export interface GitLabClientSettings {
  /** `https://gitlab.com` or a self-managed instance's address (no `/api/v4`). */
  host?: string;
  token: string;
  tokenKind?: GitLabTokenKind;
  /** Pages any list may fetch (100 items each); gitbeaker otherwise follows every `next` link. */
  maxPages?: number;
  retry?: Partial<RetryPolicy>;
  /** Time limit of one HTTP request (gitbeaker's `queryTimeout`), 30 s by default. */
  requestTimeoutMs?: number;
  logger?: Logger;
  /** Replaces the back-off wait (tests watch the waits with it). */
  sleep?: RequestHandlerOptions['sleep'];
}

export type GitLabApi = InstanceType<typeof Gitlab<false>>;

/** Spread into every `.all()` call: gitbeaker stops following pages only when both are given. */
export interface GitLabPageLimits {
  perPage: number;
  maxPages: number;
}

export interface GitLabClient {
  readonly api: GitLabApi;
  readonly host: string;
  readonly pageLimits: GitLabPageLimits;
  /**
   * Runs a block of API calls under `abortSignal` (gitbeaker itself takes none): requests and
   * back-off waits stop when it aborts.
   */
  call<Result>(
    abortSignal: AbortSignal | undefined,
    work: (api: GitLabApi) => Promise<Result>,
  ): Promise<Result>;
  /** Logs when a list came back exactly at the page limit, so truncation is never silent. */
  noteIfTruncated(what: string, items: readonly unknown[]): void;
  /** The user the token authenticates (read once, then remembered). */
  currentUser(abortSignal?: AbortSignal): Promise<{ id: number; username: string }>;
}

export { defaultGitLabHost, defaultMaxPages };

const perPage = 100;

/**
 * The one GitLab client every Loompa GitLab plugin uses: @gitbeaker/rest with our request
 * handler (Retry-After back-off, abortable, errors without credentials) and bounded lists.
 */
export function createGitLabClient(settings: GitLabClientSettings): GitLabClient {
  if (settings.token.trim() === '') {
    throw new InvalidArgumentError(
      'The GitLab token is empty; set the environment variable the workflow names',
    );
  }
  registerSecret(settings.token);
  const host = (settings.host ?? defaultGitLabHost).replace(/\/+$/, '').replace(/\/api\/v4$/, '');
  const logger = settings.logger ?? createSilentLogger();
  const handler = createRetryingRequestHandler({
    retry: { ...defaultRetryPolicy, ...settings.retry },
    logger,
    ...(settings.sleep ? { sleep: settings.sleep } : {}),
  });
  const requesterFn = createRequesterFn(
    (_serviceOptions, requestOptions) => Promise.resolve(requestOptions),
    handler as never,
  );
  const tokenKind = settings.tokenKind ?? 'private';
  const credentials =
    tokenKind === 'oauth'
      ? { oauthToken: settings.token }
      : tokenKind === 'job'
        ? { jobToken: settings.token }
        : { token: settings.token };
  const api = new Gitlab({
    host,
    ...credentials,
    requesterFn,
    queryTimeout: settings.requestTimeoutMs ?? 30_000,
    // gitbeaker's client-side limiter is per resource instance and so limits little; GitLab's
    // own answers (429 with Retry-After) are what we follow.
    rateLimits: {},
  } as never) as GitLabApi;
  const pageLimits = { perPage, maxPages: settings.maxPages ?? defaultMaxPages };
  let currentUser: Promise<{ id: number; username: string }> | null = null;
  return {
    api,
    host,
    pageLimits,
    call: (abortSignal, work) => withAbortSignal(abortSignal, () => work(api)),
    noteIfTruncated(what, items) {
      if (items.length >= pageLimits.perPage * pageLimits.maxPages) {
        logger.warn('GitLab list cut at the page limit', {
          list: what,
          items: items.length,
          maxPages: pageLimits.maxPages,
        });
      }
    },
    currentUser(abortSignal) {
      if (currentUser === null) {
        const reading = withAbortSignal(abortSignal, async () => {
          const user = await api.Users.showCurrentUser();
          return { id: user.id, username: user.username };
        });
        // A failed read is not remembered: the next call asks again.
        reading.catch(() => {
          if (currentUser === reading) currentUser = null;
        });
        currentUser = reading;
      }
      return currentUser;
    },
  };
}
