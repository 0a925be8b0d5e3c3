import { describe, expect, it } from 'vitest';
import { awaitingRerun, emptyCheckHistory, recordReruns, rerunUsed } from './check-history.js';
import type { CheckFailureClassification } from './classify-check-failure.js';

const flaky = {
  checkId: 'head-1:0',
  checkName: 'unit',
  classification: 'flaky',
  reason: 'a test timed out',
} as CheckFailureClassification;

describe('re-runs in the check history', () => {
  it('waits for a re-run that was asked for until the check shows a new id', () => {
    const history = recordReruns(emptyCheckHistory(), 'head-1', [flaky], 1);
    expect(awaitingRerun(history, { id: 'head-1:0' })).toBe(true);
    expect(awaitingRerun(history, { id: 'head-1:0.2' })).toBe(false);
    expect(rerunUsed(history, { name: 'unit' }, 'head-1')).toBe(true);
    expect(rerunUsed(history, { name: 'unit' }, 'head-2')).toBe(false);
  });

  it('counts a re-run the forge refused as used, but never waits for it to start', () => {
    const history = recordReruns(emptyCheckHistory(), 'head-1', [flaky], 1, true);
    expect(awaitingRerun(history, { id: 'head-1:0' })).toBe(false);
    expect(rerunUsed(history, { name: 'unit' }, 'head-1')).toBe(true);
  });
});
