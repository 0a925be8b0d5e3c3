import { describe, expect, it } from 'vitest';
import { createBudget, renderSpendReport } from '../src/index.js';
import { costRecord, useTemporaryDirectories } from './budget-test-helpers.js';

const temporaryDirectory = useTemporaryDirectories();

async function seededBudget() {
  const budget = createBudget({ directory: await temporaryDirectory(), timezone: 'Asia/Tokyo' });
  const usage = { inputTokens: 1000, outputTokens: 100, cacheReadTokens: 10, cacheWriteTokens: 1 };
  const records = [
    // 23:00 UTC on 9 March is already 10 March in Tokyo.
    {
      at: '2025-03-09T23:00:00Z',
      issue: 1,
      focus: 'security',
      profile: 'opus',
      model: 'claude-opus-4-1',
      cost: 4,
    },
    {
      at: '2025-03-10T02:00:00Z',
      issue: 2,
      focus: null,
      profile: 'fast',
      model: 'claude-haiku-4-5',
      cost: 0.5,
    },
    {
      at: '2025-03-10T16:00:00Z',
      issue: 1,
      focus: 'security',
      profile: 'fast',
      model: 'claude-haiku-4-5',
      cost: 1,
    },
    { at: '2025-03-08T10:00:00Z', issue: 3, focus: 'docs', profile: null, model: 'mystery', cost: null },
  ];
  for (const record of records) {
    await budget.record({
      record: costRecord({
        at: new Date(record.at),
        issueId: `issue-${record.issue}`,
        issueIdentifier: `ENG-${record.issue}`,
        focus: record.focus,
        profile: record.profile,
        model: record.model,
        usage,
        costUsd: record.cost,
      }),
    });
  }
  return budget;
}

describe('spend reports', () => {
  it('sums spend by day in the budget zone, and by issue, focus, profile and model', async () => {
    const budget = await seededBudget();
    const report = await budget.report();
    expect(report).toMatchObject({
      totalUsd: 5.5,
      entries: 4,
      unknownCostEntries: 1,
      timezone: 'Asia/Tokyo',
    });
    expect(report.usage).toEqual({
      inputTokens: 4000,
      outputTokens: 400,
      cacheReadTokens: 40,
      cacheWriteTokens: 4,
    });
    const summary = (rows: typeof report.byDay) => rows.map((row) => [row.label, row.entries, row.costUsd]);
    expect(summary(report.byDay)).toEqual([
      ['2025-03-08', 1, 0],
      ['2025-03-10', 2, 4.5],
      ['2025-03-11', 1, 1],
    ]);
    expect(summary(report.byIssue)).toEqual([
      ['ENG-1', 2, 5],
      ['ENG-2', 1, 0.5],
      ['ENG-3', 1, 0],
    ]);
    expect(report.byIssue[0]!.key).toBe('issue-1');
    expect(summary(report.byFocus)).toEqual([
      ['security', 2, 5],
      ['(none)', 1, 0.5],
      ['docs', 1, 0],
    ]);
    expect(summary(report.byProfile)).toEqual([
      ['opus', 1, 4],
      ['fast', 2, 1.5],
      ['(none)', 1, 0],
    ]);
    expect(summary(report.byModel)).toEqual([
      ['claude-opus-4-1', 1, 4],
      ['claude-haiku-4-5', 2, 1.5],
      ['mystery', 1, 0],
    ]);
    expect(report.byModel[2]!.unknownCostEntries).toBe(1);
  });

  it('limits a report to a time range', async () => {
    const budget = await seededBudget();
    const report = await budget.report({
      from: new Date('2025-03-09T15:00:00Z'),
      to: new Date('2025-03-10T15:00:00Z'),
    });
    expect(report.totalUsd).toBe(4.5);
    expect(report.byDay.map((row) => row.label)).toEqual(['2025-03-10']);
  });

  it('renders aligned plain-text tables for a terminal', async () => {
    const budget = await seededBudget();
    const text = renderSpendReport(await budget.report(), { dimensions: ['day', 'model'] });
    expect(text).toBe(
      [
        'Period: beginning to now (days in Asia/Tokyo)',
        '* 1 run(s) had no reported cost and no price: counted as $0.00.',
        '',
        'Spend by day',
        'Day         Runs  Input  Output  Cache read  Cache write    Cost',
        '----------  ----  -----  ------  ----------  -----------  ------',
        '2025-03-08     1  1,000     100          10            1  $0.00*',
        '2025-03-10     2  2,000     200          20            2   $4.50',
        '2025-03-11     1  1,000     100          10            1   $1.00',
        'Total          4  4,000     400          40            4  $5.50*',
        '',
        'Spend by model',
        'Model             Runs  Input  Output  Cache read  Cache write    Cost',
        '----------------  ----  -----  ------  ----------  -----------  ------',
        'claude-opus-4-1      1  1,000     100          10            1   $4.00',
        'claude-haiku-4-5     2  2,000     200          20            2   $1.50',
        'mystery              1  1,000     100          10            1  $0.00*',
        'Total                4  4,000     400          40            4  $5.50*',
        '',
      ].join('\n'),
    );
  });
});
