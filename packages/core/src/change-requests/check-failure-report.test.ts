import { describe, expect, it } from 'vitest';
import type { ChangeRequestStatus, CheckResult } from '../specifications/change-request.js';
import { checkFailureReportOf, sentToAgent } from './check-failure-report.js';
import { emptyCheckHistory, observeChecks, recordReruns, rememberFailures } from './check-history.js';
import type { CheckFailureClassification } from './classify-check-failure.js';

const head = 'a'.repeat(40);

/** Only the head and the checks matter here; the rest is filled in neutrally. */
const statusWith = (checks: CheckResult[], headSha: string | null = head) =>
  ({
    headSha,
    state: 'open',
    continuousIntegration: {
      state: checks.some((check) => check.state === 'failure') ? 'failure' : 'pending',
      checks,
    },
  }) as unknown as ChangeRequestStatus;

const check = (id: string, name: string, state: CheckResult['state']): CheckResult => ({
  id,
  name,
  state,
  url: null,
});

const classified = (
  checkId: string,
  checkName: string,
  classification: CheckFailureClassification['classification'],
): CheckFailureClassification => ({
  checkId,
  checkName,
  classification,
  reason: `${checkName} looked ${classification}`,
  failingTest: classification === 'flaky' ? { testName: 'upload › retries', error: 'timeout' } : null,
});

describe('the report of failed checks on a head', () => {
  const failing = statusWith([check('unit:1', 'unit', 'failure'), check('lint:1', 'lint', 'failure')]);
  const remembered = rememberFailures(observeChecks(emptyCheckHistory(), failing, 1).history, head, [
    { classification: classified('unit:1', 'unit', 'flaky'), errorExcerpt: 'timeout' },
    { classification: classified('lint:1', 'lint', 'code'), errorExcerpt: 'lint error' },
  ]);

  it('follows a flaky check from failing through its re-run to passing', () => {
    expect(checkFailureReportOf(remembered, failing)).toEqual([
      {
        checkName: 'unit',
        classification: 'flaky',
        reason: 'unit looked flaky',
        testName: 'upload › retries',
        state: 'failing',
      },
      {
        checkName: 'lint',
        classification: 'code',
        reason: 'lint looked code',
        testName: null,
        state: 'failing',
      },
    ]);
    const rerun = recordReruns(remembered, head, [classified('unit:1', 'unit', 'flaky')], 2);
    const states = (status: ReturnType<typeof statusWith>, history = rerun) =>
      checkFailureReportOf(history, status).map((entry) => [entry.checkName, entry.state]);
    // The forge still shows the failed run: the re-run was asked for, not started.
    expect(states(failing)).toEqual([
      ['unit', 'rerun-requested'],
      ['lint', 'failing'],
    ]);
    expect(
      states(statusWith([check('unit:2', 'unit', 'pending'), check('lint:1', 'lint', 'failure')])),
    ).toEqual([
      ['unit', 'rerunning'],
      ['lint', 'failing'],
    ]);
    const passed = statusWith([check('unit:2', 'unit', 'success'), check('lint:1', 'lint', 'failure')]);
    expect(states(passed, observeChecks(rerun, passed, 3).history)).toEqual([
      ['unit', 'passed-on-rerun'],
      ['lint', 'failing'],
    ]);
    // Failed again after its one re-run: still failing, and what a CI reaction takes to the agent.
    const again = statusWith([check('unit:2', 'unit', 'failure'), check('lint:1', 'lint', 'failure')]);
    const report = checkFailureReportOf(rerun, again);
    expect(report.map((entry) => entry.state)).toEqual(['failing', 'failing']);
    expect(sentToAgent(report).map((entry) => entry.state)).toEqual(['sent-to-agent', 'sent-to-agent']);
  });

  it('shows nothing for another head, no head, or no history', () => {
    expect(checkFailureReportOf(remembered, statusWith([], 'b'.repeat(40)))).toEqual([]);
    expect(checkFailureReportOf(remembered, statusWith([], null))).toEqual([]);
    expect(checkFailureReportOf(null, failing)).toEqual([]);
  });

  it('keeps a passed-on-rerun check passed in the report sent to the agent', () => {
    const report = checkFailureReportOf(
      remembered,
      statusWith([check('unit:2', 'unit', 'success'), check('lint:1', 'lint', 'failure')]),
    );
    expect(sentToAgent(report).map((entry) => entry.state)).toEqual(['passed-on-rerun', 'sent-to-agent']);
  });
});
