import { createHash } from 'node:crypto';
import { createSilentLogger, type Logger, redactSecrets, registerSecret } from '@loompa/core';
import { createAppAuth } from '@octokit/auth-app';
import { createCallbackAuth } from '@octokit/auth-callback';
import { Octokit } from '@octokit/core';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import {
  ConditionalRequestCache,
  type ConditionalRequestCacheStatistics,
} from './conditional-request-cache.js';
import { defaultGitHubApiUrl } from './github-defaults.js';
import { type RateBudget, RateBudgetView } from './rate-budget.js';
import { throttleGroupsFor, type WriteSpacing } from './throttle-groups.js';

/** Octokit with the plugins every Loompa GitHub plugin relies on. */
export const LoompaOctokit = Octokit.plugin(paginateRest, throttling, retry);
export type LoompaOctokitInstance = InstanceType<typeof LoompaOctokit>;

export { defaultGitHubApiUrl };

/** How the client authenticates. */
export type GitHubCredentials =
  | {
      kind: 'token';
      /** The token, or a function returning the current one (read on every request, so a rotated token is picked up). */
      token: string | (() => string | Promise<string>);
    }
  | {
      kind: 'app';
      appId: number | string;
      /** PEM text of the App's private key (PKCS#1 or PKCS#8). */
      privateKey: string;
      /** Looked up from `repository` on first use when absent. */
      installationId?: number;
    };

export interface GitHubClientOptions {
  credentials: GitHubCredentials;
  /** REST root; `https://<host>/api/v3` for GitHub Enterprise Server. */
  baseUrl?: string;
  /** The repository the client works on; needed to look up an App installation. */
  repository?: { owner: string; name: string };
  logger?: Logger;
  /** Clock for token expiry decisions; `Date.now` by default. */
  now?: () => number;
  /** Retries of 5xx answers and dropped connections (plugin-retry); 3 by default. */
  retries?: number;
  /** Base of the quadratic retry back-off (1×, 4×, 9×); 1,000 ms by default. */
  retryBaseDelayMs?: number;
  /** Retries after a primary or secondary rate limit, each after the wait GitHub names; 3 by default. */
  rateLimitRetries?: number;
  /**
   * Longest wait a rate limit may impose before the request fails instead (a poller is better
   * off failing one tick than hanging until the hour is over); 120 s by default.
   */
  rateLimitMaximumWaitSeconds?: number;
  /** Spacing of writes; GitHub's recommendations by default. */
  writeSpacing?: Partial<WriteSpacing>;
  /** An App installation token is replaced this long before it expires; 5 minutes by default. */
  tokenRefreshMarginMs?: number;
  /** Most responses kept for conditional requests; 2,000 by default. */
  cacheEntries?: number;
  /** Transport; the global `fetch` by default. */
  fetch?: typeof fetch;
  userAgent?: string;
}

export interface GitHubClient {
  readonly baseUrl: string;
  /** The configured Octokit (after the App installation is known, for App credentials). */
  octokit(): Promise<LoompaOctokitInstance>;
  /** What the latest responses said about the rate budget; null before the first response. */
  rateBudget(resource?: string): RateBudget | null;
  /** Asks GitHub (`GET /rate_limit`, which costs nothing) and returns the `core` budget. */
  fetchRateBudget(): Promise<RateBudget>;
  cacheStatistics(): ConditionalRequestCacheStatistics & { notModified: number; full: number };
  /** The login writes are attributed to: the token's user, or `<app-slug>[bot]`. */
  login(): Promise<string>;
}

function describeRequest(options: { method?: string; url?: string }): string {
  return redactSecrets(`${options.method ?? 'GET'} ${options.url ?? ''}`);
}

/** Routes an App authenticates with its JWT; they must not wait for an installation token. */
function isAppRoute(url: string | undefined): boolean {
  return /^\/app(\/|$)/.test(url ?? '') || /^\/repos\/[^/]+\/[^/]+\/installation$/.test(url ?? '');
}

/**
 * Builds the one Octokit every GitHub plugin uses: token or App authentication, throttling
 * whose handlers really retry (the waits GitHub names, a bounded number of times), retries
 * of 5xx and dropped connections, conditional requests for every GET, and a rate-budget view.
 * Credentials are registered for redaction and never logged.
 */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const logger = options.logger ?? createSilentLogger();
  const now = options.now ?? Date.now;
  const baseUrl = (options.baseUrl ?? defaultGitHubApiUrl).replace(/\/+$/, '');
  const budget = new RateBudgetView(now);
  const cache = new ConditionalRequestCache(options.cacheEntries, (headers, status) =>
    budget.observe(headers, status),
  );
  const cachingFetch = cache.wrap(options.fetch ?? fetch);
  const rateLimitRetries = options.rateLimitRetries ?? 3;
  const rateLimitMaximumWaitSeconds = options.rateLimitMaximumWaitSeconds ?? 120;
  const refreshMarginMs = options.tokenRefreshMarginMs ?? 5 * 60 * 1000;
  const credentials = options.credentials;
  if (credentials.kind === 'token' && typeof credentials.token === 'string')
    registerSecret(credentials.token);
  if (credentials.kind === 'app') registerSecret(credentials.privateKey);

  const throttleId =
    credentials.kind === 'app'
      ? `app:${credentials.appId}:${baseUrl}`
      : `token:${baseUrl}:${typeof credentials.token === 'string' ? createHash('sha256').update(credentials.token).digest('hex').slice(0, 16) : 'callback'}`;
  const groups = throttleGroupsFor(throttleId, {
    minimumWriteIntervalMs: options.writeSpacing?.minimumWriteIntervalMs ?? 1_000,
    minimumContentCreationIntervalMs: options.writeSpacing?.minimumContentCreationIntervalMs ?? 3_000,
  });

  const commonOptions = {
    baseUrl,
    userAgent: options.userAgent ?? 'loompa-github-client',
    request: { fetch: cachingFetch },
    log: {
      debug: () => {},
      info: () => {},
      warn: (message: string) => logger.warn(redactSecrets(message)),
      error: (message: string) => logger.error(redactSecrets(message)),
    },
    retry: { retries: options.retries ?? 3, retryAfterBaseValue: options.retryBaseDelayMs ?? 1_000 },
    throttle: {
      id: throttleId,
      write: groups.write,
      notifications: groups.notifications,
      // Handlers must return true for plugin-throttling to retry at all.
      onRateLimit: (
        retryAfterSeconds: number,
        request: { method?: string; url?: string },
        _octokit: unknown,
        retryCount: number,
      ) => {
        const retrying = retryCount < rateLimitRetries && retryAfterSeconds <= rateLimitMaximumWaitSeconds;
        logger.warn('GitHub primary rate limit reached', {
          request: describeRequest(request),
          retryAfterSeconds,
          retrying,
        });
        return retrying;
      },
      onSecondaryRateLimit: (
        retryAfterSeconds: number,
        request: { method?: string; url?: string },
        _octokit: unknown,
        retryCount: number,
      ) => {
        const retrying = retryCount < rateLimitRetries && retryAfterSeconds <= rateLimitMaximumWaitSeconds;
        logger.warn('GitHub secondary rate limit reached', {
          request: describeRequest(request),
          retryAfterSeconds,
          retrying,
        });
        return retrying;
      },
    },
  };

  const buildTokenOctokit = (token: string | (() => string | Promise<string>)) =>
    new LoompaOctokit({
      ...commonOptions,
      authStrategy: createCallbackAuth,
      auth: {
        callback: async () => {
          const value = typeof token === 'string' ? token : await token();
          registerSecret(value);
          return value;
        },
      },
    });

  const buildAppOctokit = (appId: number | string, privateKey: string, installationId?: number) =>
    new LoompaOctokit({
      ...commonOptions,
      authStrategy: createAppAuth,
      auth: { appId, privateKey, ...(installationId === undefined ? {} : { installationId }) },
    });

  const withTokenRefresh = (octokit: LoompaOctokitInstance): LoompaOctokitInstance => {
    let expiresAt: number | null = null;
    let forceRefresh = false;
    let pending: Promise<void> | null = null;
    const ensureFreshToken = async () => {
      if (!forceRefresh && expiresAt !== null && now() + refreshMarginMs < expiresAt) return;
      const refresh = forceRefresh || expiresAt !== null;
      forceRefresh = false;
      const authentication = (await octokit.auth({ type: 'installation', refresh })) as {
        token: string;
        expiresAt: string;
      };
      registerSecret(authentication.token);
      expiresAt = Date.parse(authentication.expiresAt);
      logger.info('GitHub App installation token ready', { expiresAt: authentication.expiresAt });
    };
    octokit.hook.before('request', async (requestOptions) => {
      if (isAppRoute(requestOptions.url)) return;
      pending ??= ensureFreshToken().finally(() => {
        pending = null;
      });
      await pending;
    });
    // A token GitHub no longer accepts (revoked, or the clocks disagree about its expiry) is
    // replaced once and the request tried again; a second 401 is a real failure.
    octokit.hook.error('request', async (error, requestOptions) => {
      const retried = (requestOptions.request as { loompaTokenRetry?: boolean } | undefined)
        ?.loompaTokenRetry;
      if ((error as { status?: number }).status !== 401 || isAppRoute(requestOptions.url) || retried)
        throw error;
      logger.warn('GitHub refused the App installation token; minting a new one and trying once more', {
        request: describeRequest(requestOptions),
      });
      forceRefresh = true;
      return octokit.request({
        ...requestOptions,
        request: { ...requestOptions.request, loompaTokenRetry: true },
      } as never);
    });
    return octokit;
  };

  let octokitPromise: Promise<LoompaOctokitInstance> | null = null;
  const getOctokit = (): Promise<LoompaOctokitInstance> => {
    octokitPromise ??= (async () => {
      if (credentials.kind === 'token') return buildTokenOctokit(credentials.token);
      let installationId = credentials.installationId;
      if (installationId === undefined) {
        if (!options.repository) {
          throw new Error('a GitHub App client needs installationId or the repository to look it up from');
        }
        const appOctokit = buildAppOctokit(credentials.appId, credentials.privateKey);
        const { data } = await appOctokit.request('GET /repos/{owner}/{repo}/installation', {
          owner: options.repository.owner,
          repo: options.repository.name,
        });
        installationId = data.id;
      }
      return withTokenRefresh(buildAppOctokit(credentials.appId, credentials.privateKey, installationId));
    })();
    // A failed lookup is tried again on the next call instead of being remembered.
    octokitPromise.catch(() => {
      octokitPromise = null;
    });
    return octokitPromise;
  };

  let loginPromise: Promise<string> | null = null;
  return {
    baseUrl,
    octokit: getOctokit,
    rateBudget: (resource = 'core') => budget.get(resource),
    async fetchRateBudget() {
      const octokit = await getOctokit();
      await octokit.request('GET /rate_limit');
      return budget.get('core')!;
    },
    cacheStatistics: () => ({
      ...cache.statistics(),
      notModified: budget.notModifiedResponses,
      full: budget.fullResponses,
    }),
    login() {
      loginPromise ??= (async () => {
        const octokit = await getOctokit();
        if (credentials.kind === 'token') return (await octokit.request('GET /user')).data.login;
        const { data } = await octokit.request('GET /app');
        return `${data?.slug ?? 'app'}[bot]`;
      })();
      loginPromise.catch(() => {
        loginPromise = null;
      });
      return loginPromise;
    },
  };
}
