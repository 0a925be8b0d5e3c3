import { createHash } from 'node:crypto';

interface CachedResponse {
  /** The `etag` header exactly as GitHub sent it, quotes and `W/` included. */
  etag: string;
  /** Which credential the ETag belongs to: GitHub ties ETags to the token. */
  credentialFingerprint: string;
  body: string;
  headers: Array<[string, string]>;
}

export interface ConditionalRequestCacheStatistics {
  entries: number;
  /** 304s answered from the cache. */
  hits: number;
  /** Cached entries dropped because the request came with another credential. */
  invalidations: number;
}

function headerOf(init: RequestInit | undefined, name: string): string | undefined {
  const headers = init?.headers;
  if (!headers) return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  if (Array.isArray(headers)) return headers.find(([key]) => key.toLowerCase() === name)?.[1];
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

function fingerprint(authorization: string | undefined): string {
  return createHash('sha256')
    .update(authorization ?? '')
    .digest('hex');
}

/**
 * A `fetch` for Octokit that makes every GET conditional. GitHub answers an unchanged
 * resource with 304, which costs no rate limit; the cached body is then handed to Octokit
 * as the 200 it stands for (Octokit would otherwise throw on the 304). Entries belong to
 * the credential that fetched them: a request with another token (a rotated installation
 * token, say) drops the entry and fetches in full, because GitHub would not accept the old
 * ETag from the new token anyway. Entries are kept least-recently-used first out.
 */
export class ConditionalRequestCache {
  private readonly entries = new Map<string, CachedResponse>();
  private hits = 0;
  private invalidations = 0;

  constructor(
    private readonly maximumEntries = 2_000,
    private readonly observe: (headers: Headers, status: number) => void = () => {},
  ) {}

  statistics(): ConditionalRequestCacheStatistics {
    return { entries: this.entries.size, hits: this.hits, invalidations: this.invalidations };
  }

  clear(): void {
    this.entries.clear();
  }

  /** Wraps `baseFetch` (the global `fetch` by default). */
  wrap(baseFetch: typeof fetch = fetch): typeof fetch {
    return async (input, init) => {
      const method = (init?.method ?? 'GET').toUpperCase();
      if (method !== 'GET') {
        const response = await baseFetch(input, init);
        this.observe(response.headers, response.status);
        return response;
      }
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const credential = fingerprint(headerOf(init, 'authorization'));
      const key = `${url}\n${headerOf(init, 'accept') ?? ''}`;
      let cached = this.entries.get(key);
      if (cached && cached.credentialFingerprint !== credential) {
        this.entries.delete(key);
        this.invalidations += 1;
        cached = undefined;
      }
      const headers = new Headers(init?.headers);
      if (cached) headers.set('if-none-match', cached.etag);
      const response = await baseFetch(input, { ...init, headers });
      this.observe(response.headers, response.status);
      if (response.status === 304 && cached) {
        this.hits += 1;
        // Refresh recency: a Map iterates in insertion order, so re-inserting moves it last.
        this.entries.delete(key);
        this.entries.set(key, cached);
        const replayed = new Headers(cached.headers);
        for (const [name, value] of response.headers)
          if (name.startsWith('x-ratelimit-')) replayed.set(name, value);
        return new Response(cached.body, { status: 200, statusText: 'OK', headers: replayed });
      }
      const etag = response.headers.get('etag');
      if (response.status !== 200 || !etag) return response;
      const body = await response.text();
      this.entries.delete(key);
      this.entries.set(key, {
        etag,
        credentialFingerprint: credential,
        body,
        headers: [...response.headers],
      });
      while (this.entries.size > this.maximumEntries) this.entries.delete(this.entries.keys().next().value!);
      return new Response(body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    };
  }
}
