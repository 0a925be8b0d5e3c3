/** What GitHub last said about one rate-limit resource (`core`, `search`, `graphql`, …). */
export interface RateBudget {
  resource: string;
  limit: number;
  remaining: number;
  used: number;
  /** When the window starts over. */
  resetAt: Date;
  /** When these numbers were read. */
  observedAt: Date;
}

/**
 * The rate budget as the `x-ratelimit-*` headers of every response report it, per resource,
 * so callers can see how much is left without spending a request on `GET /rate_limit`.
 */
export class RateBudgetView {
  private readonly budgets = new Map<string, RateBudget>();
  /** Responses answered 304 (free) and answered in full, since the client was made. */
  notModifiedResponses = 0;
  fullResponses = 0;

  constructor(private readonly now: () => number) {}

  observe(headers: Headers, status: number): void {
    if (status === 304) this.notModifiedResponses += 1;
    else this.fullResponses += 1;
    const limit = headers.get('x-ratelimit-limit');
    const remaining = headers.get('x-ratelimit-remaining');
    const reset = headers.get('x-ratelimit-reset');
    if (limit === null || remaining === null || reset === null) return;
    const resource = headers.get('x-ratelimit-resource') ?? 'core';
    this.budgets.set(resource, {
      resource,
      limit: Number(limit),
      remaining: Number(remaining),
      used: Number(headers.get('x-ratelimit-used') ?? Number(limit) - Number(remaining)),
      resetAt: new Date(Number(reset) * 1000),
      observedAt: new Date(this.now()),
    });
  }

  /** The latest numbers for a resource, or null before any response reported them. */
  get(resource = 'core'): RateBudget | null {
    const budget = this.budgets.get(resource);
    return budget ? { ...budget } : null;
  }

  all(): RateBudget[] {
    return [...this.budgets.values()].map((budget) => ({ ...budget }));
  }
}
