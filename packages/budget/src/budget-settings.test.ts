import { LoompaError, parseWorkflow, WorkflowError } from '@loompa/core';
import { describe, expect, it } from 'vitest';
import { budgetPlugin } from './budget-plugin.js';
import { budgetSettingsSchema } from './budget-settings.js';
import { parseBudgetSettings } from './create-budget.js';

function workflowText(budgetYaml: string): string {
  return `---\ntracker:\n  kind: markdown\nbudget:\n${budgetYaml}\n---\nWork on {{ issue.title }}\n`;
}

describe('budget settings', () => {
  it('defaults to no limits, a total period, UTC and no prices', () => {
    expect(budgetSettingsSchema.parse({})).toEqual({
      limit_usd: null,
      period: 'total',
      timezone: 'UTC',
      per_issue_usd: null,
      per_issue_period: 'total',
      per_profile_usd: {},
      per_focus_usd: {},
      prices: {},
      subscription: { agents: [], providers: [], models: [] },
    });
  });

  it('accepts numbers written as strings, comma lists, and prices whose cache rates default to input', () => {
    const settings = budgetSettingsSchema.parse({
      limit_usd: '25.5',
      period: 'day',
      timezone: 'Europe/Paris',
      per_profile_usd: { opus: 10 },
      prices: { 'claude-sonnet-4-5': { input: 3, output: 15, cache_read: 0.3 } },
      subscription: { agents: 'claude, opencode' },
    });
    expect(settings.limit_usd).toBe(25.5);
    expect(settings.prices['claude-sonnet-4-5']).toEqual({
      input: 3,
      output: 15,
      cache_read: 0.3,
      cache_write: 3,
    });
    expect(settings.subscription.agents).toEqual(['claude', 'opencode']);
  });

  it('rejects an unknown time zone, a negative limit and a misspelt key with their paths', () => {
    expect(() => parseBudgetSettings({ timezone: 'Mars/Olympus' })).toThrow(
      /budget\.timezone: expected an IANA time zone/,
    );
    expect(() => parseBudgetSettings({ per_focus_usd: { security: -1 } })).toThrow(
      /budget\.per_focus_usd\.security/,
    );
    const error = (() => {
      try {
        parseBudgetSettings({ limit_usd_per_day: 5 });
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(LoompaError.hasCode(error, 'invalid_argument')).toBe(true);
    expect((error as Error).message).toMatch(/limit_usd_per_day/);
  });

  it('reports a bad budget section of WORKFLOW.md with its YAML path and line', () => {
    const text = workflowText('  limit_usd: 10\n  period: fortnight');
    let caught: unknown;
    try {
      parseWorkflow(text, '/tmp/WORKFLOW.md', { plugins: { budget: budgetPlugin } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(WorkflowError);
    const problem = (caught as WorkflowError).problems[0]!;
    expect(problem.yamlPath).toBe('budget.period');
    expect(problem.line).toBe(6);
  });

  it('hands the parsed section to the plugin through the workflow loader', () => {
    const workflow = parseWorkflow(
      workflowText(
        '  limit_usd: 10\n  period: week\n  prices:\n    gpt-5:\n      input: 1.25\n      output: 10',
      ),
      '/tmp/WORKFLOW.md',
      { plugins: { budget: budgetPlugin } },
    );
    expect(workflow.pluginSettings.budget).toMatchObject({
      limit_usd: 10,
      period: 'week',
      prices: { 'gpt-5': { input: 1.25, output: 10, cache_read: 1.25, cache_write: 1.25 } },
    });
  });
});
