import type { Logger } from '@loompa/core';
import { currentAbortSignal } from './call-scope.js';
import { GitLabRequestError } from './gitlab-request-error.js';

/**
 * The request handler behind our gitbeaker client. gitbeaker's own handler retries 429 and
 * 502 ten times within about 0.3 s and ignores `Retry-After`; this one waits as long as
 * GitLab asks (`Retry-After`, else `RateLimit-Reset`), backs off exponentially when GitLab
 * says nothing, honours the caller's abort signal while waiting, and throws errors that
 * never carry the request (whose headers hold the token).
 */

export interface RetryPolicy {
  /** Attempts per request, the first included (5 by default). */
  maxAttempts: number;
  /** First back-off when GitLab gives no hint; doubles each time (1 s by default). */
  baseDelayMs: number;
  /** Longest single wait we accept; a longer `Retry-After` fails at once with `retryAfterMs` (5 min by default). */
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 300_000 };

export interface RequestHandlerOptions {
  retry: RetryPolicy;
  logger: Logger;
  /** Waits `ms` unless `signal` aborts; replaceable so a test can watch the waits. */
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

/** What gitbeaker hands the request handler (the subset we read). */
export interface GitbeakerRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | FormData;
  searchParams?: string;
  prefixUrl?: string;
  asStream?: boolean;
  signal?: AbortSignal;
}

export interface GitbeakerResponse {
  body: unknown;
  headers: Record<string, string>;
  status: number;
}

function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Milliseconds GitLab asked us to wait: `Retry-After` (seconds or HTTP date), else `RateLimit-Reset` (epoch seconds). */
export function requestedDelayMs(headers: Headers, now = Date.now()): number | null {
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null && retryAfter.trim() !== '') {
    if (/^\s*\d+(\.\d+)?\s*$/.test(retryAfter)) return Math.ceil(Number(retryAfter) * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = headers.get('ratelimit-reset');
  if (reset !== null && /^\s*\d+\s*$/.test(reset)) return Math.max(0, Number(reset) * 1000 - now);
  return null;
}

/**
 * Which failures are worth another attempt. A 429 means the request was not processed, so
 * any method may repeat; a gateway error may have reached GitLab, so only requests that are
 * safe to repeat (not POST, which could add a second note) are retried then.
 */
function isRetryable(status: number, method: string): boolean {
  if (status === 429) return true;
  if (method === 'POST') return false;
  if ([502, 503, 504].includes(status)) return true;
  return status === 500 && method === 'GET';
}

async function parseBody(response: Response, asStream: boolean): Promise<unknown> {
  if (asStream) return response.body;
  if (response.status === 204) return null;
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (contentType === 'application/json') {
    const text = await response.text();
    return text === '' ? {} : JSON.parse(text);
  }
  if (contentType.startsWith('text/')) return response.text();
  return response.blob();
}

async function failureMessage(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { message?: unknown; error?: unknown };
    const message = parsed.message ?? parsed.error ?? text;
    return typeof message === 'string' ? message : JSON.stringify(message);
  } catch {
    return text.slice(0, 500) || response.statusText;
  }
}

export function createRetryingRequestHandler(options: RequestHandlerOptions) {
  const sleep = options.sleep ?? sleepUnlessAborted;
  return async (endpoint: string, request: GitbeakerRequestOptions): Promise<GitbeakerResponse> => {
    const method = request.method ?? 'GET';
    const base = request.prefixUrl?.endsWith('/') ? request.prefixUrl : `${request.prefixUrl ?? ''}/`;
    const url = new URL(endpoint, base);
    url.search = request.searchParams ?? '';
    const callSignal = currentAbortSignal();
    const signals = [callSignal, request.signal].filter(
      (signal): signal is AbortSignal => signal !== undefined,
    );
    const signal = signals.length === 0 ? undefined : AbortSignal.any(signals);
    for (let attempt = 1; ; attempt += 1) {
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: request.headers ?? {},
          ...(request.body === undefined ? {} : { body: request.body }),
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        throw new GitLabRequestError({
          method,
          path: endpoint,
          status: null,
          message: String(error),
          cause: error,
        });
      }
      if (response.ok) {
        return {
          body: await parseBody(response, request.asStream ?? false),
          headers: Object.fromEntries(response.headers.entries()),
          status: response.status,
        };
      }
      const requested = requestedDelayMs(response.headers);
      if (!isRetryable(response.status, method) || attempt >= options.retry.maxAttempts) {
        throw new GitLabRequestError({
          method,
          path: endpoint,
          status: response.status,
          message: await failureMessage(response),
          retryAfterMs: requested,
        });
      }
      const delay =
        requested ?? Math.min(options.retry.maxDelayMs, options.retry.baseDelayMs * 2 ** (attempt - 1));
      if (delay > options.retry.maxDelayMs) {
        throw new GitLabRequestError({
          method,
          path: endpoint,
          status: response.status,
          message: `GitLab asked to wait ${delay} ms, longer than the ${options.retry.maxDelayMs} ms allowed`,
          retryAfterMs: delay,
        });
      }
      await response.body?.cancel();
      options.logger.warn('GitLab asked to retry later; waiting', {
        method,
        path: endpoint,
        status: response.status,
        attempt,
        delayMs: delay,
        source: requested === null ? 'backoff' : 'server',
      });
      await sleep(delay, signal);
    }
  };
}
