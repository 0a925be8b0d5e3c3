import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BudgetSubject } from '@loompa/core';
import { afterEach } from 'vitest';
import type { CostRecord } from '../src/index.js';

/** A fresh temporary ledger directory per test, removed afterwards. */
export function useTemporaryDirectories(): () => Promise<string> {
  const directories: string[] = [];
  afterEach(async () => {
    await Promise.all(
      directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })),
    );
  });
  return async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'loompa-budget-'));
    directories.push(directory);
    return directory;
  };
}

export function costRecord(overrides: Partial<CostRecord> = {}): CostRecord {
  return {
    at: new Date('2025-03-10T12:00:00Z'),
    issueId: 'issue-1',
    issueIdentifier: 'ENG-1',
    activity: 'run',
    focus: null,
    profile: null,
    agentKind: 'claude',
    model: 'claude-sonnet-4-5',
    usage: { inputTokens: 100, outputTokens: 50, cacheReadTokens: 0, cacheWriteTokens: 0 },
    costUsd: 1,
    ...overrides,
  };
}

export function subject(overrides: Partial<BudgetSubject> = {}): BudgetSubject {
  return {
    issueId: 'issue-1',
    issueIdentifier: 'ENG-1',
    focus: null,
    profile: null,
    agentKind: 'claude',
    model: 'claude-sonnet-4-5',
    ...overrides,
  };
}
