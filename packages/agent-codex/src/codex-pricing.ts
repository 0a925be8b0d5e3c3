import type { TokenUsage } from '@loompa/core';
import type { CodexModelPrice } from './codex-settings.js';

const tokensPerPriceUnit = 1_000_000;

/**
 * The configured price of a model: its exact name (case-insensitive) first, then the longest
 * configured name it extends with `-…`, so `gpt-5` also prices a dated `gpt-5-2025-08-07`. The
 * same lookup as @loompa/budget's, which this package may not import.
 */
export function findCodexModelPrice(
  prices: Record<string, CodexModelPrice>,
  model: string | null,
): CodexModelPrice | null {
  if (model === null) return null;
  const wanted = model.trim().toLowerCase();
  let best: { length: number; price: CodexModelPrice } | null = null;
  for (const [name, price] of Object.entries(prices)) {
    const configured = name.trim().toLowerCase();
    if (configured === wanted) return price;
    if (wanted.startsWith(`${configured}-`) && (best === null || configured.length > best.length)) {
      best = { length: configured.length, price };
    }
  }
  return best?.price ?? null;
}

/** The cost in USD of `usage` at `price`; cache tokens at the input price unless priced. */
export function priceCodexUsage(price: CodexModelPrice, usage: TokenUsage): number {
  return (
    (usage.inputTokens * price.input +
      usage.outputTokens * price.output +
      usage.cacheReadTokens * (price.cacheRead ?? price.input) +
      usage.cacheWriteTokens * (price.cacheWrite ?? price.input)) /
    tokensPerPriceUnit
  );
}
