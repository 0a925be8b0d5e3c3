import {
  type CheckFailureReportEntry,
  checkFailureReportOf,
  sentToAgent,
} from '../../change-requests/check-failure-report.js';
import type { CheckHistory } from '../../change-requests/check-history.js';
import type { ChangeRequestStatus } from '../../specifications/change-request.js';
import type { Issue } from '../../specifications/issue.js';

/** The failed checks of one item's head as the snapshot shows them. */
export interface CheckReportSnapshot {
  issueId: string;
  identifier: string;
  headSha: string | null;
  checks: CheckFailureReportEntry[];
}

/** Items remembered at most: the reports of finished items are dropped oldest first. */
const maximumReports = 500;

/**
 * The classification and state of every failed check per item, refreshed each time the
 * supervisor reads a change request (every tick), and kept while a CI reaction works on it,
 * so the item page can say what went to the agent.
 */
export class CheckReports {
  private readonly reports = new Map<string, CheckReportSnapshot>();

  update(
    issue: Pick<Issue, 'id' | 'identifier'>,
    status: Pick<ChangeRequestStatus, 'headSha' | 'continuousIntegration'>,
    history: CheckHistory | null | undefined,
  ): void {
    this.reports.delete(issue.id);
    this.reports.set(issue.id, {
      issueId: issue.id,
      identifier: issue.identifier,
      headSha: status.headSha,
      checks: checkFailureReportOf(history, status),
    });
    if (this.reports.size > maximumReports) {
      const oldest = this.reports.keys().next().value;
      if (oldest !== undefined) this.reports.delete(oldest);
    }
  }

  /** A CI reaction started: the failures still standing went to the agent. */
  markSentToAgent(issueId: string): void {
    const report = this.reports.get(issueId);
    if (report) this.reports.set(issueId, { ...report, checks: sentToAgent(report.checks) });
  }

  of(issueId: string): CheckReportSnapshot | undefined {
    return this.reports.get(issueId);
  }

  /** The reports of the items still living (awaited or reacting), with failed checks. */
  snapshot(livingIssueIds: ReadonlySet<string>): CheckReportSnapshot[] {
    return [...this.reports.values()]
      .filter((report) => livingIssueIds.has(report.issueId) && report.checks.length > 0)
      .map((report) => ({ ...report, checks: report.checks.map((entry) => ({ ...entry })) }));
  }
}
