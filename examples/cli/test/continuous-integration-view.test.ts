import type { ContinuousIntegrationSnapshot, TriageRunSnapshot } from '@loompa/core';
import { describe, expect, it } from 'vitest';
import { renderContinuousIntegration } from '../src/continuous-integration-view.js';

const now = new Date('2026-11-29T12:00:00.000Z');
const nothing: ContinuousIntegrationSnapshot = {
  checks: [],
  triage: {
    workflows: [],
    runsSeen: 0,
    failedRunsSeen: 0,
    lastLookAt: null,
    budgetDenied: null,
    inProgress: [],
    finished: [],
  },
  flakyTests: [],
};

const triageRun = (overrides: Partial<TriageRunSnapshot>): TriageRunSnapshot => ({
  runId: '41',
  workflow: 'nightly.yml',
  headSha: 'a'.repeat(40),
  runUrl: null,
  startedAt: new Date('2026-11-29T11:00:00.000Z'),
  finishedAt: null,
  stage: 'analysing',
  fingerprint: null,
  trackerIssue: null,
  failed: null,
  costUsd: null,
  usage: null,
  ...overrides,
});

describe('the CI part of loompa status', () => {
  it('shows nothing when there is nothing to show, and nothing for an instance without the section', () => {
    expect(renderContinuousIntegration(nothing, now)).toBeNull();
    expect(renderContinuousIntegration(undefined, now)).toBeNull();
  });

  it('names every check state, the triage budget hold, runs under way and finished, and flaky tests', () => {
    const states = ['failing', 'rerun-requested', 'rerunning', 'passed-on-rerun', 'sent-to-agent'] as const;
    const text = renderContinuousIntegration(
      {
        checks: [
          {
            issueId: '1',
            identifier: '#7',
            headSha: 'b'.repeat(40),
            checks: states.map((state, index) => ({
              checkName: `check-${index}`,
              classification: 'code',
              reason: `reason ${index}`,
              testName: index === 0 ? 'suite › case' : null,
              state,
            })),
          },
        ],
        triage: {
          workflows: ['nightly.yml', 'weekly.yml'],
          runsSeen: 4,
          failedRunsSeen: 2,
          lastLookAt: '2026-11-29T11:59:30.000Z' as unknown as Date,
          budgetDenied: 'the daily limit of $5.00 is spent',
          inProgress: [triageRun({})],
          finished: [
            triageRun({
              runId: '40',
              stage: 'filed',
              fingerprint: '0123456789abcdef',
              trackerIssue: { identifier: '#12', url: null },
              costUsd: 0.0123,
              usage: { inputTokens: 1_500, outputTokens: 500, cacheReadTokens: 0, cacheWriteTokens: 0 },
            }),
            triageRun({ runId: '39', stage: 'commented', trackerIssue: { identifier: '#12', url: null } }),
            triageRun({ runId: '38', stage: 'failed', failed: 'the agent ended with status failed' }),
          ],
        },
        flakyTests: [
          {
            fingerprint: 'f'.repeat(16),
            checkName: 'unit',
            testName: null,
            occurrences: 3,
            lastSeenAt: new Date('2026-11-29T11:00:00.000Z'),
            trackerIssue: { identifier: '#13', url: 'https://example.com/13' },
          },
        ],
      },
      now,
    )!;
    const lines = text.split('\n');
    expect(lines).toContain('Failed checks:');
    expect(text).toMatch(/^#7\s+b{12}\s+check-0\s+code\s+failing\s+suite › case\s+reason 0$/m);
    expect(text).toMatch(/^#7\s+b{12}\s+check-1\s+code\s+re-run requested\s+reason 1$/m);
    expect(text).toMatch(/^#7\s+b{12}\s+check-2\s+code\s+re-running\s+reason 2$/m);
    expect(text).toMatch(/^#7\s+b{12}\s+check-3\s+code\s+passed on re-run\s+reason 3$/m);
    expect(text).toMatch(/^#7\s+b{12}\s+check-4\s+code\s+sent to the agent\s+reason 4$/m);
    expect(lines).toContain(
      'CI triage: watching nightly.yml, weekly.yml · 4 runs seen, 2 failed · last look 0:30 ago',
    );
    expect(lines).toContain('Triage waits for the budget: the daily limit of $5.00 is spent');
    expect(text).toMatch(/^41\s+nightly\.yml\s+a{12}\s+agent analysing$/m);
    expect(text).toMatch(
      /^40\s+nightly\.yml\s+a{12}\s+issue filed\s+0123456789abcdef\s+#12\s+\$0\.0123 · 2\.0k tokens$/m,
    );
    expect(text).toMatch(/^39\s+nightly\.yml\s+a{12}\s+occurrence added\s+#12\s+no agent run$/m);
    expect(text).toMatch(/^38\s+nightly\.yml\s+a{12}\s+failed: the agent ended with status failed$/m);
    expect(text).toMatch(/^\(no test name in the log\)\s+unit\s+3\s+1:00:00 ago\s+#13$/m);
  });

  it('keeps hostile names on one line without escape sequences, in tables and summary lines', () => {
    const hostile =
      'x\r\n\u001b[1A\u001b[2Kforged\u001b]8;;https://evil.example\u0007link\u001b]8;;\u0007\u202eright-to-left\u0085end';
    const text = renderContinuousIntegration(
      {
        checks: [
          {
            issueId: '1',
            identifier: hostile,
            headSha: null,
            checks: [
              {
                checkName: hostile,
                classification: 'unknown',
                reason: hostile,
                testName: hostile,
                state: 'failing',
              },
            ],
          },
        ],
        triage: { ...nothing.triage, workflows: [hostile], budgetDenied: hostile },
        flakyTests: [],
      },
      now,
    )!;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters that must not appear.
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    const lines = text.split('\n');
    // A heading, the table's header and rule, one row; the summary and the budget line.
    expect(lines).toHaveLength(6);
    expect(lines[3]).toMatch(/^x forgedlink right-to-left end\s+x forgedlink/);
    expect(lines[4]).toBe('CI triage: watching x forgedlink right-to-left end · 0 runs seen, 0 failed');
    expect(lines[5]).toBe('Triage waits for the budget: x forgedlink right-to-left end');
  });
});
