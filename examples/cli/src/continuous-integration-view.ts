import type {
  CheckFailureState,
  ContinuousIntegrationSnapshot,
  FiledIssueSnapshot,
  StoredContinuousIntegration,
  TriageRunSnapshot,
} from '@loompa/core';
import { formatDuration, formatTokens, formatUsd } from './format-values.js';
import { renderTable } from './render-table.js';
import { terminalText } from './terminal-text.js';

/** How a failed check stands, in words (the dashboard says the same). */
const checkStateText: Record<CheckFailureState, string> = {
  failing: 'failing',
  'rerun-requested': 're-run requested',
  rerunning: 're-running',
  'passed-on-rerun': 'passed on re-run',
  'sent-to-agent': 'sent to the agent',
};

const triageStageText: Record<TriageRunSnapshot['stage'], string> = {
  'reading-logs': 'reading logs',
  analysing: 'agent analysing',
  filing: 'filing the issue',
  filed: 'issue filed',
  commented: 'occurrence added',
  failed: 'failed',
};

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

/** `3:05 ago`; the snapshot travels as JSON, so its dates may be strings. */
const ago = (at: Date | string, now: Date) => `${formatDuration(now.getTime() - new Date(at).getTime())} ago`;

const issueOf = (issue: FiledIssueSnapshot | null) => issue?.identifier ?? '';

/** What a triage's agent run spent; a known cause runs no agent. */
function triageSpend(run: TriageRunSnapshot): string {
  if (run.costUsd === null && run.usage === null) return run.stage === 'commented' ? 'no agent run' : '';
  const cost = run.costUsd === null ? 'not reported' : formatUsd(run.costUsd);
  return `${cost}${run.usage ? ` · ${formatTokens(run.usage)} tokens` : ''}`;
}

function renderTriage(triage: ContinuousIntegrationSnapshot['triage'], now: Date): string[] {
  const runs = [...triage.inProgress, ...triage.finished];
  if (triage.workflows.length === 0 && runs.length === 0 && !triage.budgetDenied) return [];
  const watching =
    triage.workflows.length === 0 ? 'watching nothing' : `watching ${triage.workflows.join(', ')}`;
  const lines = [
    terminalText(
      `CI triage: ${watching} · ${plural(triage.runsSeen, 'run')} seen, ${triage.failedRunsSeen} failed${triage.lastLookAt ? ` · last look ${ago(triage.lastLookAt, now)}` : ''}`,
    ),
  ];
  if (triage.budgetDenied) lines.push(terminalText(`Triage waits for the budget: ${triage.budgetDenied}`));
  if (runs.length > 0) lines.push(renderTriageRuns(runs));
  return lines;
}

function renderTriageRuns(runs: readonly TriageRunSnapshot[]): string {
  return renderTable(
    ['Run', 'Workflow', 'Commit', 'Stage', 'Cause', 'Issue', 'Spend'],
    runs.map((run) => [
      run.runId,
      run.workflow,
      run.headSha.slice(0, 12),
      run.failed ? `failed: ${run.failed}` : triageStageText[run.stage],
      run.fingerprint ?? '',
      issueOf(run.trackerIssue),
      triageSpend(run),
    ]),
  );
}

function renderFlakyTests(flakyTests: ContinuousIntegrationSnapshot['flakyTests'], now: Date): string[] {
  if (flakyTests.length === 0) return [];
  return [
    'Flaky tests (failed, then passed on the same commit):',
    renderTable(
      ['Test', 'Check', 'Occurrences', 'Last seen', 'Issue'],
      flakyTests.map((test) => [
        test.testName ?? '(no test name in the log)',
        test.checkName,
        String(test.occurrences),
        test.lastSeenAt ? ago(test.lastSeenAt, now) : '',
        issueOf(test.trackerIssue),
      ]),
    ),
  ];
}

function renderFailedChecks(reports: ContinuousIntegrationSnapshot['checks']): string[] {
  const rows = reports.flatMap((report) =>
    report.checks.map((check) => [
      report.identifier,
      report.headSha?.slice(0, 12) ?? '',
      check.checkName,
      check.classification,
      checkStateText[check.state] ?? check.state,
      check.testName ?? '',
      check.reason,
    ]),
  );
  if (rows.length === 0) return [];
  return [
    'Failed checks:',
    renderTable(['Issue', 'Commit', 'Check', 'Class', 'State', 'Test', 'Reason'], rows),
  ];
}

/**
 * The CI part of a snapshot for `loompa status`: the failed checks of the items in review
 * with their classification and state, scheduled-run triage and flaky tests. Each section
 * only when it has something to show; null when none has. Every value is plain text.
 */
export function renderContinuousIntegration(
  continuousIntegration: ContinuousIntegrationSnapshot | undefined,
  now: Date,
): string | null {
  // An instance of an older Loompa answers without the section.
  if (!continuousIntegration) return null;
  const lines = [
    ...renderFailedChecks(continuousIntegration.checks),
    ...renderTriage(continuousIntegration.triage, now),
    ...renderFlakyTests(continuousIntegration.flakyTests, now),
  ];
  return lines.length === 0 ? null : lines.join('\n');
}

/**
 * What a stopped instance left in its store: the latest triaged runs and the flaky tests.
 * Null when it left neither.
 */
export function renderStoredContinuousIntegration(
  stored: StoredContinuousIntegration,
  now: Date,
): string | null {
  const lines = [
    ...(stored.triaged.length > 0 ? ['Triaged runs (newest first):', renderTriageRuns(stored.triaged)] : []),
    ...renderFlakyTests(stored.flakyTests, now),
  ];
  return lines.length === 0 ? null : lines.join('\n');
}
