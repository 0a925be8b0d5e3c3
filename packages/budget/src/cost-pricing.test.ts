import { describe, expect, it } from 'vitest';
import { budgetSettingsSchema } from './budget-settings.js';
import { findModelPrice, settleCost } from './cost-pricing.js';

const settings = budgetSettingsSchema.parse({
  prices: {
    'claude-sonnet-4-5': { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 },
    'claude-sonnet': { input: 100, output: 100 },
    'gpt-5': { input: 1.25, output: 10 },
  },
  subscription: { agents: ['claude-max'], providers: ['github-copilot'], models: ['free-model'] },
});

const usage = {
  inputTokens: 1_000_000,
  outputTokens: 200_000,
  cacheReadTokens: 2_000_000,
  cacheWriteTokens: 400_000,
};

describe('settleCost', () => {
  it('keeps the cost the agent reported even when the model has a price', () => {
    expect(
      settleCost(settings, { agentKind: 'claude', model: 'claude-sonnet-4-5', usage, costUsd: 0.42 }),
    ).toEqual({
      costUsd: 0.42,
      costSource: 'agent',
    });
  });

  it('prices tokens per million with the table when the agent reported no cost', () => {
    // 1M × $3 + 0.2M × $15 + 2M × $0.30 + 0.4M × $3.75 = 3 + 3 + 0.6 + 1.5
    const settled = settleCost(settings, {
      agentKind: 'claude',
      model: 'claude-sonnet-4-5',
      usage,
      costUsd: null,
    });
    expect(settled.costSource).toBe('price-table');
    expect(settled.costUsd).toBeCloseTo(8.1, 10);
  });

  it('finds the price of a dated or provider-qualified model, preferring the longest configured name', () => {
    expect(findModelPrice(settings.prices, 'claude-sonnet-4-5-20250929')?.input).toBe(3);
    expect(findModelPrice(settings.prices, 'anthropic/Claude-Sonnet-4-5')?.input).toBe(3);
    expect(findModelPrice(settings.prices, 'claude-sonnet-3')?.input).toBe(100);
    expect(findModelPrice(settings.prices, 'openai/gpt-5')?.output).toBe(10);
    expect(findModelPrice(settings.prices, 'gpt-50')).toBeNull();
  });

  it('flags an unknown model without a reported cost as unknown, at zero', () => {
    expect(settleCost(settings, { agentKind: 'opencode', model: 'mystery-1', usage, costUsd: null })).toEqual(
      {
        costUsd: 0,
        costSource: 'unknown',
      },
    );
    expect(
      settleCost(settings, { agentKind: 'opencode', model: null, usage, costUsd: null }).costSource,
    ).toBe('unknown');
  });

  it('counts subscription agents, providers and models at zero even when a cost was reported', () => {
    for (const record of [
      { agentKind: 'claude-max', model: 'claude-sonnet-4-5' },
      { agentKind: 'opencode', model: 'github-copilot/gpt-5' },
      { agentKind: 'opencode', model: 'vendor/free-model' },
    ]) {
      expect(settleCost(settings, { ...record, usage, costUsd: 1.5 })).toEqual({
        costUsd: 0,
        costSource: 'subscription',
      });
    }
  });
});
