import type { CostSource, TokenUsage } from '@loompa/core';
import type { BudgetSettings, ModelPrice } from './budget-settings.js';

const tokensPerPriceUnit = 1_000_000;

function normalize(name: string): string {
  return name.trim().toLowerCase();
}

/** The model without its `provider/` prefix (OpenCode names models `anthropic/claude-…`). */
function modelWithoutProvider(model: string): string {
  const slash = model.lastIndexOf('/');
  return slash === -1 ? model : model.slice(slash + 1);
}

function providerOf(model: string): string | null {
  const slash = model.indexOf('/');
  return slash === -1 ? null : model.slice(0, slash);
}

/**
 * The configured price of a model: an exact (case-insensitive) name first, then the name
 * without its provider, then the longest configured name the model extends with `-…`, so
 * `claude-sonnet-4-5` also prices the dated `claude-sonnet-4-5-20250929`.
 */
export function findModelPrice(prices: BudgetSettings['prices'], model: string): ModelPrice | null {
  const byName = new Map(Object.entries(prices).map(([name, price]) => [normalize(name), price]));
  const wanted = normalize(model);
  const bare = modelWithoutProvider(wanted);
  const exact = byName.get(wanted) ?? byName.get(bare);
  if (exact) return exact;
  let best: { length: number; price: ModelPrice } | null = null;
  for (const [name, price] of byName) {
    const extendsName = bare.startsWith(`${name}-`) || wanted.startsWith(`${name}-`);
    if (extendsName && (best === null || name.length > best.length)) best = { length: name.length, price };
  }
  return best?.price ?? null;
}

/** The cost in USD of `usage` at `price`. */
export function priceUsage(price: ModelPrice, usage: TokenUsage): number {
  return (
    (usage.inputTokens * price.input +
      usage.outputTokens * price.output +
      usage.cacheReadTokens * price.cache_read +
      usage.cacheWriteTokens * price.cache_write) /
    tokensPerPriceUnit
  );
}

/** True when the workflow flags this agent, provider or model as paid by subscription. */
export function isSubscription(
  subscription: BudgetSettings['subscription'],
  agentKind: string,
  model: string | null,
): boolean {
  if (subscription.agents.some((agent) => normalize(agent) === normalize(agentKind))) return true;
  if (model === null) return false;
  const provider = providerOf(normalize(model));
  if (provider !== null && subscription.providers.some((name) => normalize(name) === provider)) return true;
  const bare = modelWithoutProvider(normalize(model));
  return subscription.models.some((name) => [normalize(model), bare].includes(normalize(name)));
}

/**
 * Settles what a run cost. A subscription wins over a reported figure (Claude Code reports
 * API-equivalent costs even on a subscription, which nobody pays); then the agent's own
 * figure; then the price table; otherwise zero, flagged `unknown` so core can warn.
 */
export function settleCost(
  settings: Pick<BudgetSettings, 'prices' | 'subscription'>,
  record: { agentKind: string; model: string | null; usage: TokenUsage; costUsd: number | null },
): { costUsd: number; costSource: CostSource } {
  if (isSubscription(settings.subscription, record.agentKind, record.model)) {
    return { costUsd: 0, costSource: 'subscription' };
  }
  if (record.costUsd !== null) return { costUsd: record.costUsd, costSource: 'agent' };
  const price = record.model === null ? null : findModelPrice(settings.prices, record.model);
  if (price) return { costUsd: priceUsage(price, record.usage), costSource: 'price-table' };
  return { costUsd: 0, costSource: 'unknown' };
}
