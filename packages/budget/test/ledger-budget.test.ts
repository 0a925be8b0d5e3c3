import { readFile } from 'node:fs/promises';
import { createSilentLogger, LoompaError } from '@loompa/core';
import { describe, expect, it } from 'vitest';
import { budgetPlugin, createBudget } from '../src/index.js';
import { costRecord, subject, useTemporaryDirectories } from './budget-test-helpers.js';

const temporaryDirectory = useTemporaryDirectories();

function pluginContext(stateDirectory: string) {
  return {
    workflowDirectory: stateDirectory,
    repositoryPath: null,
    stateDirectory,
    logger: createSilentLogger(),
    resolveAgent: () => {
      throw new Error('no agents in budget tests');
    },
  };
}

describe('recording costs', () => {
  it('stores every attribution field and the settled cost, readable by a fresh instance', async () => {
    const directory = await temporaryDirectory();
    const budget = createBudget({ directory, prices: { 'gpt-5': { input: 1, output: 10 } } });
    const reported = await budget.record({
      record: costRecord({
        at: new Date('2025-03-10T08:00:00Z'),
        issueId: 'gh-42',
        issueIdentifier: '#42',
        activity: 'ci-failure',
        focus: 'test-engineer',
        profile: 'fast',
        agentKind: 'claude',
        model: 'claude-opus-4-1',
        usage: { inputTokens: 1200, outputTokens: 340, cacheReadTokens: 5000, cacheWriteTokens: 800 },
        costUsd: 0.2375,
      }),
    });
    const priced = await budget.record({
      record: costRecord({
        agentKind: 'opencode',
        model: 'openai/gpt-5',
        usage: { inputTokens: 2_000_000, outputTokens: 100_000, cacheReadTokens: 0, cacheWriteTokens: 0 },
        costUsd: null,
      }),
    });
    expect(reported).toMatchObject({ costUsd: 0.2375, costSource: 'agent', issueIdentifier: '#42' });
    expect(priced.costSource).toBe('price-table');
    expect(priced.costUsd).toBeCloseTo(3, 10);

    const reopened = createBudget({ directory });
    const entries = await reopened.entries();
    expect(entries).toEqual([reported, priced]);
    expect(entries[0]).toEqual({
      id: reported.id,
      at: new Date('2025-03-10T08:00:00Z'),
      issueId: 'gh-42',
      issueIdentifier: '#42',
      activity: 'ci-failure',
      focus: 'test-engineer',
      profile: 'fast',
      agentKind: 'claude',
      model: 'claude-opus-4-1',
      usage: { inputTokens: 1200, outputTokens: 340, cacheReadTokens: 5000, cacheWriteTokens: 800 },
      costUsd: 0.2375,
      costSource: 'agent',
    });
  });

  it('records an unpriced model at zero flagged unknown, and a subscription at zero with its tokens', async () => {
    const budget = createBudget({
      directory: await temporaryDirectory(),
      subscription: { agents: ['claude'] },
    });
    const unknown = await budget.record({
      record: costRecord({ agentKind: 'opencode', model: 'mystery', costUsd: null }),
    });
    const subscription = await budget.record({ record: costRecord({ agentKind: 'claude', costUsd: 3.2 }) });
    expect(unknown).toMatchObject({ costUsd: 0, costSource: 'unknown', model: 'mystery' });
    expect(subscription).toMatchObject({ costUsd: 0, costSource: 'subscription' });
    expect(subscription.usage).toEqual(costRecord().usage);
  });

  it('stores a record with an id once, however often it is recorded', async () => {
    const directory = await temporaryDirectory();
    const budget = createBudget({ directory });
    const first = await budget.record({ record: costRecord({ id: 'issue-1:session-a:1', costUsd: 2 }) });
    const again = await budget.record({ record: costRecord({ id: 'issue-1:session-a:1', costUsd: 2 }) });
    const fromAnotherInstance = await createBudget({ directory }).record({
      record: costRecord({ id: 'issue-1:session-a:1', costUsd: 2 }),
    });
    expect(again).toEqual(first);
    expect(fromAnotherInstance).toEqual(first);
    const lines = (await readFile(budget.ledgerPath, 'utf8')).split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(1);
    expect((await budget.status()).spentUsd).toBe(2);
  });

  it('rejects a malformed record with the field at fault, and stores nothing', async () => {
    const budget = createBudget({ directory: await temporaryDirectory() });
    await expect(budget.record({ record: costRecord({ costUsd: -1 }) })).rejects.toThrow(/record\.costUsd/);
    await expect(
      budget.record({ record: costRecord({ usage: { ...costRecord().usage, outputTokens: Number.NaN } }) }),
    ).rejects.toThrow(/record\.usage\.outputTokens/);
    await expect(budget.record({ record: costRecord({ at: new Date('nonsense') }) })).rejects.toSatisfy(
      (error) => LoompaError.hasCode(error, 'invalid_argument'),
    );
    expect(await budget.entries()).toEqual([]);
  });
});

describe('limits', () => {
  const at = new Date('2025-03-10T12:00:00Z');

  it('the overall limit allows below it and denies once spend reaches it', async () => {
    const budget = createBudget({ directory: await temporaryDirectory(), limit_usd: 10 });
    await budget.record({ record: costRecord({ costUsd: 9.99 }) });
    const below = await budget.check({ subject: subject(), at });
    expect(below.allowed).toBe(true);
    expect(below.allowed && below.remainingUsd).toBeCloseTo(0.01, 10);

    await budget.record({
      record: costRecord({ costUsd: 0.01, issueId: 'issue-2', issueIdentifier: 'ENG-2' }),
    });
    const reached = await budget.check({
      subject: subject({ issueId: 'issue-3', issueIdentifier: 'ENG-3' }),
      at,
    });
    expect(reached).toEqual({
      allowed: false,
      reason: 'total limit of $10.00 reached ($10.00 spent)',
      limit: 'limit_usd',
      scope: 'global',
      retryAt: null,
      windowKey: 'limit_usd:*:total:10',
    });
  });

  it('a per-issue limit denies only that issue, at the boundary', async () => {
    const budget = createBudget({ directory: await temporaryDirectory(), per_issue_usd: 5 });
    await budget.record({ record: costRecord({ costUsd: 4.5 }) });
    await budget.record({
      record: costRecord({ costUsd: 100, issueId: 'issue-2', issueIdentifier: 'ENG-2' }),
    });
    expect(await budget.check({ subject: subject(), at })).toEqual({ allowed: true, remainingUsd: 0.5 });
    await budget.record({ record: costRecord({ costUsd: 0.5 }) });
    const denied = await budget.check({ subject: subject(), at });
    expect(denied).toMatchObject({
      allowed: false,
      limit: 'per_issue_usd',
      scope: 'issue',
      reason: 'per-issue limit of $5.00 reached for ENG-1 ($5.00 spent)',
      retryAt: null,
    });
    expect(
      (await budget.check({ subject: subject({ issueId: 'issue-9', issueIdentifier: 'ENG-9' }), at }))
        .allowed,
    ).toBe(true);
  });

  it('per-profile and per-focus limits deny their own work, matching names case-insensitively', async () => {
    const budget = createBudget({
      directory: await temporaryDirectory(),
      period: 'day',
      per_profile_usd: { Opus: 3 },
      per_focus_usd: { security: 2 },
    });
    await budget.record({ record: costRecord({ profile: 'opus', focus: 'docs', costUsd: 2.99 }) });
    await budget.record({ record: costRecord({ profile: 'fast', focus: 'security', costUsd: 1.99 }) });
    expect((await budget.check({ subject: subject({ profile: 'opus' }), at })).allowed).toBe(true);
    expect((await budget.check({ subject: subject({ focus: 'security' }), at })).allowed).toBe(true);

    await budget.record({ record: costRecord({ profile: 'OPUS', costUsd: 0.01 }) });
    await budget.record({ record: costRecord({ focus: 'security', costUsd: 0.01 }) });
    const profileDenial = await budget.check({ subject: subject({ profile: 'opus' }), at });
    expect(profileDenial).toMatchObject({
      allowed: false,
      limit: 'per_profile_usd',
      scope: 'profile',
      reason: 'daily limit of $3.00 for profile "Opus" reached ($3.00 spent)',
      retryAt: new Date('2025-03-11T00:00:00Z'),
      windowKey: 'per_profile_usd:Opus:2025-03-10:3',
    });
    expect(await budget.check({ subject: subject({ focus: 'security' }), at })).toMatchObject({
      allowed: false,
      limit: 'per_focus_usd',
      scope: 'focus',
    });
    expect(await budget.check({ subject: subject({ profile: 'fast', focus: 'docs' }), at })).toEqual({
      allowed: true,
      remainingUsd: null,
    });
  });

  it('counts sums that drift in floating point as reaching the limit', async () => {
    const budget = createBudget({ directory: await temporaryDirectory(), limit_usd: 1 });
    for (let index = 0; index < 10; index += 1) await budget.record({ record: costRecord({ costUsd: 0.1 }) });
    expect((await budget.status({ at })).spentUsd).not.toBe(1);
    expect(await budget.check({ subject: subject(), at })).toMatchObject({
      allowed: false,
      limit: 'limit_usd',
    });
  });

  it('a limit of zero stops all spending it covers', async () => {
    const budget = createBudget({ directory: await temporaryDirectory(), limit_usd: 0, period: 'month' });
    expect(await budget.check({ subject: subject(), at })).toMatchObject({
      allowed: false,
      retryAt: new Date('2025-04-01T00:00:00Z'),
    });
  });

  it('a daily window rolls over at midnight in the configured zone and allows dispatch again', async () => {
    const budget = createBudget({
      directory: await temporaryDirectory(),
      limit_usd: 20,
      period: 'day',
      timezone: 'America/Los_Angeles',
    });
    // 23:30 on 9 March in Los Angeles (daylight time began that morning: UTC−7).
    await budget.record({ record: costRecord({ at: new Date('2025-03-10T06:30:00Z'), costUsd: 20.13 }) });
    const lateThatNight = await budget.check({
      subject: subject(),
      at: new Date('2025-03-10T06:59:59.999Z'),
    });
    expect(lateThatNight).toEqual({
      allowed: false,
      reason: 'daily limit of $20.00 reached ($20.13 spent)',
      limit: 'limit_usd',
      scope: 'global',
      retryAt: new Date('2025-03-10T07:00:00Z'),
      windowKey: 'limit_usd:*:2025-03-09:20',
    });
    // Already the 10th in UTC, still the 9th in Los Angeles: UTC days would have reset here.
    expect((await budget.check({ subject: subject(), at: new Date('2025-03-10T01:00:00Z') })).allowed).toBe(
      false,
    );
    const nextMorning = await budget.check({ subject: subject(), at: new Date('2025-03-10T07:00:00Z') });
    expect(nextMorning).toEqual({ allowed: true, remainingUsd: 20 });
  });

  it('a weekly window rolls over on Monday', async () => {
    const budget = createBudget({ directory: await temporaryDirectory(), limit_usd: 1, period: 'week' });
    await budget.record({ record: costRecord({ at: new Date('2025-03-16T10:00:00Z'), costUsd: 1 }) }); // Sunday
    expect((await budget.check({ subject: subject(), at: new Date('2025-03-16T23:59:59Z') })).allowed).toBe(
      false,
    );
    expect((await budget.check({ subject: subject(), at: new Date('2025-03-17T00:00:00Z') })).allowed).toBe(
      true,
    );
  });

  it('the denial that lifts last decides when several limits are reached', async () => {
    const budget = createBudget({
      directory: await temporaryDirectory(),
      limit_usd: 1,
      period: 'day',
      per_issue_usd: 1,
    });
    await budget.record({ record: costRecord({ costUsd: 1 }) });
    expect(await budget.check({ subject: subject(), at })).toMatchObject({
      limit: 'per_issue_usd',
      retryAt: null,
    });
    expect(
      await budget.check({ subject: subject({ issueId: 'other', issueIdentifier: 'ENG-7' }), at }),
    ).toMatchObject({
      limit: 'limit_usd',
    });
  });

  it('keeps the same window key for the same exhaustion and changes it with the window or the amount', async () => {
    const directory = await temporaryDirectory();
    const budget = createBudget({ directory, limit_usd: 5, period: 'day' });
    await budget.record({ record: costRecord({ costUsd: 6 }) });
    const morning = await budget.check({ subject: subject(), at: new Date('2025-03-10T09:00:00Z') });
    const evening = await budget.check({
      subject: subject({ issueId: 'x' }),
      at: new Date('2025-03-10T21:00:00Z'),
    });
    expect(morning.allowed === false && morning.windowKey).toBe('limit_usd:*:2025-03-10:5');
    expect(evening.allowed === false && evening.windowKey).toBe('limit_usd:*:2025-03-10:5');
    await budget.record({ record: costRecord({ at: new Date('2025-03-11T10:00:00Z'), costUsd: 6 }) });
    const nextDay = await budget.check({ subject: subject(), at: new Date('2025-03-11T11:00:00Z') });
    expect(nextDay.allowed === false && nextDay.windowKey).toBe('limit_usd:*:2025-03-11:5');
    const raised = createBudget({ directory, limit_usd: 5.5, period: 'day' });
    const raisedDenial = await raised.check({ subject: subject(), at: new Date('2025-03-11T11:00:00Z') });
    expect(raisedDenial.allowed === false && raisedDenial.windowKey).toBe('limit_usd:*:2025-03-11:5.5');
  });
});

describe('streaming runs', () => {
  it('a run still streaming is stopped once its in-flight cost reaches the per-issue limit', async () => {
    const budget = createBudget({ directory: await temporaryDirectory(), per_issue_usd: 5 });
    const at = new Date('2025-03-10T12:00:00Z');
    await budget.record({ record: costRecord({ costUsd: 3 }) });
    // The agent streams cumulative cost; the orchestrator asks with each update.
    const decisions = [];
    for (const inFlightCostUsd of [0.5, 1.25, 1.99, 2, 2.4]) {
      decisions.push(await budget.check({ subject: subject(), at, inFlightCostUsd }));
    }
    expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, true, false, false]);
    expect(decisions[3]).toMatchObject({
      limit: 'per_issue_usd',
      reason: 'per-issue limit of $5.00 reached for ENG-1 ($5.00 spent, $2.00 of it by the running agent)',
    });
    expect(decisions[2]!.allowed && decisions[2]!.remainingUsd).toBeCloseTo(0.01, 10);
    // Another issue's run is not touched by this issue's limit.
    expect(
      (await budget.check({ subject: subject({ issueId: 'issue-2' }), at, inFlightCostUsd: 4.9 })).allowed,
    ).toBe(true);
    await expect(budget.check({ subject: subject(), at, inFlightCostUsd: -1 })).rejects.toThrow(
      /inFlightCostUsd/,
    );
  });
});

describe('hot reload', () => {
  it('a raised limit in a new instance over the same ledger allows dispatch; both see every entry', async () => {
    const stateDirectory = await temporaryDirectory();
    const context = pluginContext(stateDirectory);
    const schema = budgetPlugin.settingsSchema!;
    const before = budgetPlugin.create(schema.parse({ limit_usd: 10, period: 'day' }), context);
    const at = new Date('2025-03-10T12:00:00Z');
    await before.record({ record: costRecord({ costUsd: 10 }) });
    expect((await before.check({ subject: subject(), at })).allowed).toBe(false);

    const after = budgetPlugin.create(schema.parse({ limit_usd: 25, period: 'day' }), context);
    expect(await after.check({ subject: subject(), at })).toEqual({ allowed: true, remainingUsd: 15 });

    // The old instance may still be settling a run when the new one takes over.
    await before.record({ record: costRecord({ costUsd: 14 }) });
    expect(await after.check({ subject: subject(), at })).toEqual({ allowed: true, remainingUsd: 1 });
    await after.record({ record: costRecord({ costUsd: 1 }) });
    expect((await before.entries()).map((entry) => entry.costUsd)).toEqual([10, 14, 1]);
    expect((await after.check({ subject: subject(), at })).allowed).toBe(false);
    expect(after.ledgerPath.startsWith(stateDirectory)).toBe(true);
  });
});

describe('status', () => {
  it('shows each limit with its window, spend and remainder, and whether dispatch is paused', async () => {
    const budget = createBudget({
      directory: await temporaryDirectory(),
      limit_usd: 10,
      period: 'day',
      timezone: 'Europe/Paris',
      per_issue_usd: 2,
      per_profile_usd: { opus: 4 },
    });
    const at = new Date('2025-03-10T12:00:00Z');
    await budget.record({ record: costRecord({ profile: 'opus', costUsd: 2.5 }) });
    await budget.record({ record: costRecord({ issueId: 'issue-2', issueIdentifier: 'ENG-2', costUsd: 1 }) });
    const status = await budget.status({ at });
    expect(status).toMatchObject({ at, paused: false, reason: null, spentUsd: 3.5, remainingUsd: 6.5 });
    expect(status.limits).toEqual([
      {
        limit: 'limit_usd',
        scope: 'global',
        scopeName: null,
        period: 'day',
        windowKey: 'limit_usd:*:2025-03-10:10',
        windowStart: new Date('2025-03-09T23:00:00Z'),
        windowEnd: new Date('2025-03-10T23:00:00Z'),
        limitUsd: 10,
        spentUsd: 3.5,
        remainingUsd: 6.5,
        exhausted: false,
      },
      expect.objectContaining({
        limit: 'per_profile_usd',
        scopeName: 'opus',
        spentUsd: 2.5,
        remainingUsd: 1.5,
      }),
      expect.objectContaining({
        limit: 'per_issue_usd',
        scopeName: 'issue-1',
        exhausted: true,
        remainingUsd: 0,
      }),
    ]);
    const forIssue = await budget.status({
      at,
      subject: subject({ issueId: 'issue-2', issueIdentifier: 'ENG-2' }),
    });
    expect(forIssue.limits.map((limit) => [limit.limit, limit.spentUsd])).toEqual([
      ['limit_usd', 3.5],
      ['per_issue_usd', 1],
    ]);

    await budget.record({ record: costRecord({ issueId: 'issue-3', costUsd: 6.5 }) });
    const paused = await budget.status({ at });
    expect(paused).toMatchObject({
      paused: true,
      reason: 'daily limit of $10.00 reached ($10.00 spent)',
      remainingUsd: 0,
    });
  });
});
