import { createHash } from 'node:crypto';
import type { CheckFailureRecord } from '../../change-requests/check-history.js';
import { normalizeErrorLine } from '../../change-requests/failing-test-in-log.js';
import { describeError } from '../../errors/loompa-error.js';
import type { OrchestratorEvents } from '../../events/orchestrator-events.js';
import type { Logger } from '../../logging/logger.js';
import type { TrackerV1 } from '../../specifications/tracker.js';
import type { OrchestratorStore } from '../../store/orchestrator-store.js';
import type { Workflow } from '../../workflow/load-workflow.js';
import type { FlakyTestSnapshot } from '../orchestrator-snapshot.js';
import { fileIssueOnce } from './file-issue-once.js';
import { markdownCodeBlock, singleLine } from './markdown-code-block.js';

/** One time a check failed and then passed on the same commit. */
export interface FlakyOccurrence {
  at: string;
  issueIdentifier: string;
  changeRequestUrl: string | null;
  checkName: string;
  headSha: string;
  errorExcerpt: string;
}

/** Everything known about one flaky test, under `flaky/<fingerprint>` in the store. */
export interface FlakyTestRecord {
  fingerprint: string;
  checkName: string;
  testName: string | null;
  error: string | null;
  occurrences: FlakyOccurrence[];
  /** The tracker issue filed for it, once `ci.flaky_issue_after` occurrences were seen. */
  trackerIssue: { id: string; identifier: string; url?: string | null } | null;
  /** Occurrences the tracker issue already lists or was told about in a comment. */
  reportedOccurrences: number;
}

export interface FlakyTestContext {
  workflow(): Workflow;
  tracker(): TrackerV1;
  store(): OrchestratorStore;
  events: OrchestratorEvents;
  logger: Logger;
  dryRun: boolean;
}

/** Occurrences kept per flaky test; the issue keeps the full list as comments. */
const maximumOccurrences = 50;

/**
 * The same flaky test, wherever it shows: its name and its error with run-specific details
 * taken out. Without a test name the check and the error line stand in.
 */
export function flakyFingerprintOf(
  failure: Pick<CheckFailureRecord, 'checkName' | 'failingTest' | 'errorExcerpt'>,
): string {
  const name = failure.failingTest?.testName ?? `check:${failure.checkName.toLowerCase()}`;
  const error =
    failure.failingTest?.error ??
    failure.errorExcerpt.split('\n').findLast((line) => line.trim() !== '') ??
    '';
  return createHash('sha256')
    .update(`${name}\n${normalizeErrorLine(error)}`)
    .digest('hex')
    .slice(0, 16);
}

function describeOccurrence(occurrence: FlakyOccurrence): string {
  const where = occurrence.changeRequestUrl ?? occurrence.issueIdentifier;
  return `- ${occurrence.at}: check "${singleLine(occurrence.checkName, 100)}" on \`${occurrence.headSha.slice(0, 12)}\` (${singleLine(where, 200)}) failed, then passed on the same commit`;
}

function issueBody(record: FlakyTestRecord): string {
  const latest = record.occurrences.at(-1);
  return [
    `<!-- loompa:flaky-test ${record.fingerprint} -->`,
    `Loompa saw ${record.testName ? `the test \`${singleLine(record.testName)}\`` : `the check "${singleLine(record.checkName)}"`} fail and then pass on the same commit ${record.occurrences.length} times: it is flaky, not broken by the changes it ran on.`,
    '## Occurrences',
    record.occurrences.map(describeOccurrence).join('\n'),
    ...(latest ? ['## Failing log excerpt (latest)', markdownCodeBlock(latest.errorExcerpt)] : []),
  ].join('\n\n');
}

/** What the snapshot shows of a flaky test record. */
export function flakyTestSummaryOf(record: FlakyTestRecord): FlakyTestSnapshot {
  const last = record.occurrences.at(-1);
  return {
    fingerprint: record.fingerprint,
    checkName: record.checkName,
    testName: record.testName,
    occurrences: record.occurrences.length,
    lastSeenAt: last ? new Date(last.at) : null,
    trackerIssue: record.trackerIssue
      ? { identifier: record.trackerIssue.identifier, url: record.trackerIssue.url ?? null }
      : null,
  };
}

/**
 * Flaky tests across every change request: each occurrence is recorded by fingerprint, and
 * from `ci.flaky_issue_after` occurrences on there is exactly one tracker issue per flaky
 * test, filed once and then told about every further occurrence in a comment.
 */
export class FlakyTestIssues {
  private queue: Promise<void> = Promise.resolve();
  /** What the snapshot shows, kept up to date with the store (which the snapshot cannot await). */
  private readonly summaries = new Map<string, FlakyTestSnapshot>();

  constructor(private readonly context: FlakyTestContext) {}

  /** Names of the tests recorded as flaky so far: a new failure of one is flaky too. */
  async knownFlakyTestNames(): Promise<string[]> {
    const records = await this.restore();
    return records.flatMap((record) => (record.testName ? [record.testName] : []));
  }

  /** Reads every flaky test record from the store (at start, and whenever names are needed). */
  async restore(): Promise<FlakyTestRecord[]> {
    const records = (await this.context.store().list<FlakyTestRecord>('flaky/')).map(({ value }) => value);
    for (const record of records) this.remember(record);
    return records;
  }

  /** Most occurrences first. */
  snapshot(): FlakyTestSnapshot[] {
    return [...this.summaries.values()]
      .sort((left, right) => right.occurrences - left.occurrences)
      .map((summary) => ({ ...summary, trackerIssue: summary.trackerIssue && { ...summary.trackerIssue } }));
  }

  private remember(record: FlakyTestRecord): void {
    this.summaries.set(record.fingerprint, flakyTestSummaryOf(record));
  }

  /** Records the occurrence; occurrences are handled one at a time, so two never file twice. */
  record(
    failure: CheckFailureRecord,
    where: { issueIdentifier: string; changeRequestUrl: string | null },
  ): Promise<void> {
    const next = this.queue.then(() => this.recordNow(failure, where));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async recordNow(
    failure: CheckFailureRecord,
    where: { issueIdentifier: string; changeRequestUrl: string | null },
  ): Promise<void> {
    const store = this.context.store();
    const fingerprint = flakyFingerprintOf(failure);
    const key = `flaky/${fingerprint}`;
    const record: FlakyTestRecord = (await store.get<FlakyTestRecord>(key)) ?? {
      fingerprint,
      checkName: failure.checkName,
      testName: failure.failingTest?.testName ?? null,
      error: failure.failingTest?.error ?? null,
      occurrences: [],
      trackerIssue: null,
      reportedOccurrences: 0,
    };
    const seen = record.occurrences.some(
      (occurrence) => occurrence.headSha === failure.headSha && occurrence.checkName === failure.checkName,
    );
    if (!seen) {
      record.occurrences = [
        ...record.occurrences,
        {
          at: new Date().toISOString(),
          issueIdentifier: where.issueIdentifier,
          changeRequestUrl: where.changeRequestUrl,
          checkName: failure.checkName,
          headSha: failure.headSha,
          errorExcerpt: failure.errorExcerpt,
        },
      ].slice(-maximumOccurrences);
      await store.set(key, record);
      this.remember(record);
      this.context.events.publish('flaky-test-recorded', {
        fingerprint,
        checkName: failure.checkName,
        testName: record.testName,
        occurrences: record.occurrences.length,
        issueIdentifier: where.issueIdentifier,
      });
    }
    await this.report(record, key);
  }

  /** Files the issue, or comments the occurrences it has not heard of, once the threshold is met. */
  private async report(record: FlakyTestRecord, key: string): Promise<void> {
    const { workflow, tracker: trackerOf, store, logger } = this.context;
    const settings = workflow().config.ci;
    const tracker = trackerOf();
    if (this.context.dryRun || record.occurrences.length < settings.flaky_issue_after) return;
    if (record.reportedOccurrences >= record.occurrences.length) return;
    try {
      if (record.trackerIssue === null) {
        const title = `Flaky test: ${singleLine(record.testName ?? record.checkName, 150)}`;
        const filed = await fileIssueOnce(
          { tracker, store: store(), logger },
          {
            title,
            description: issueBody(record),
            labels: [...settings.flaky_labels],
            key: `flaky-test:${record.fingerprint}`,
          },
          async (issue) => {
            record.trackerIssue = { id: issue.id, identifier: issue.identifier, url: issue.url };
            record.reportedOccurrences = record.occurrences.length;
            await store().set(key, record);
            this.remember(record);
          },
        );
        if (!filed) return;
        this.context.events.publish('flaky-test-issue-filed', {
          fingerprint: record.fingerprint,
          trackerIssueIdentifier: filed.issue.identifier,
          occurrences: record.occurrences.length,
          created: filed.created,
        });
        return;
      }
      if (!tracker.commentOnIssue) return;
      const unreported = record.occurrences.slice(record.reportedOccurrences);
      await tracker.commentOnIssue({
        issueId: record.trackerIssue.id,
        body: [
          `Seen again (${record.occurrences.length} occurrences in all):`,
          unreported.map(describeOccurrence).join('\n'),
          markdownCodeBlock(unreported.at(-1)?.errorExcerpt ?? ''),
        ].join('\n\n'),
      });
      record.reportedOccurrences = record.occurrences.length;
      await store().set(key, record);
      this.remember(record);
      this.context.events.publish('flaky-test-issue-filed', {
        fingerprint: record.fingerprint,
        trackerIssueIdentifier: record.trackerIssue.identifier,
        occurrences: record.occurrences.length,
        created: false,
      });
    } catch (error) {
      // The occurrence is kept; the next occurrence tries the tracker again.
      logger.warn('filing a flaky test issue failed', {
        fingerprint: record.fingerprint,
        message: describeError(error),
      });
    }
  }
}
