import type { BudgetDecision, BudgetV1, CostEntry } from '@loompa/core';
import { MockCallRecorder, type MockResponse } from './mock-method.js';

type CheckOptions = Parameters<BudgetV1['check']>[0];
type RecordOptions = Parameters<BudgetV1['record']>[0];

export interface MockBudgetSettings {
  /** Without a `record` response the mock keeps entries in `entries` (reported cost, or zero as `unknown`). */
  record?: MockResponse<RecordOptions, CostEntry>;
  check?: MockResponse<CheckOptions, BudgetDecision>;
}

/** `BudgetV1` for tests; recorded entries are kept in `entries`. */
export class MockBudget implements BudgetV1 {
  readonly specificationVersion = 'budget-v1' as const;
  readonly name = 'mock';
  readonly recorder = new MockCallRecorder('MockBudget');
  readonly entries: CostEntry[] = [];

  constructor(private readonly settings: MockBudgetSettings = {}) {}

  record(options: RecordOptions): Promise<CostEntry> {
    return this.recorder.respond(
      'record',
      options,
      this.settings.record ??
        ((recordOptions: RecordOptions) => {
          const { costUsd, ...rest } = recordOptions.record;
          const entry: CostEntry = {
            ...rest,
            costUsd: costUsd ?? 0,
            costSource: costUsd === null ? 'unknown' : 'agent',
          };
          this.entries.push(entry);
          return entry;
        }),
    );
  }

  check(options: CheckOptions): Promise<BudgetDecision> {
    return this.recorder.respond('check', options, this.settings.check);
  }
}
