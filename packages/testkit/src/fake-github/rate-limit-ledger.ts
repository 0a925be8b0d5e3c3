/**
 * GitHub's primary rate limit, per identity (a user shares one budget across all its tokens;
 * an App installation has its own): a fixed hourly window that counts down with every
 * request except 304s and `GET /rate_limit`.
 */

export interface RateLimitWindow {
  limit: number;
  used: number;
  /** Epoch milliseconds at which the window starts over. */
  resetAt: number;
}

export interface RateLimitHeaders {
  'x-ratelimit-limit': string;
  'x-ratelimit-remaining': string;
  'x-ratelimit-used': string;
  'x-ratelimit-reset': string;
  'x-ratelimit-resource': string;
}

const windowMilliseconds = 60 * 60 * 1000;

export class RateLimitLedger {
  private readonly windows = new Map<string, RateLimitWindow>();
  /** Points spent in total, over every identity; what benchmarks read. */
  totalCost = 0;

  constructor(
    private readonly now: () => number,
    private readonly defaultLimit: number,
  ) {}

  window(identity: string): RateLimitWindow {
    let window = this.windows.get(identity);
    if (!window || this.now() >= window.resetAt) {
      window = {
        limit: window?.limit ?? this.defaultLimit,
        used: 0,
        resetAt: this.now() + windowMilliseconds,
      };
      this.windows.set(identity, window);
    }
    return window;
  }

  remaining(identity: string): number {
    const window = this.window(identity);
    return Math.max(0, window.limit - window.used);
  }

  charge(identity: string, points: number): void {
    this.window(identity).used += points;
    this.totalCost += points;
  }

  /** Sets how much is left in the current window (for tests of the primary limit). */
  setRemaining(identity: string, remaining: number): void {
    const window = this.window(identity);
    window.used = Math.max(0, window.limit - remaining);
  }

  headers(identity: string): RateLimitHeaders {
    const window = this.window(identity);
    return {
      'x-ratelimit-limit': String(window.limit),
      'x-ratelimit-remaining': String(Math.max(0, window.limit - window.used)),
      'x-ratelimit-used': String(window.used),
      'x-ratelimit-reset': String(Math.ceil(window.resetAt / 1000)),
      'x-ratelimit-resource': 'core',
    };
  }
}
