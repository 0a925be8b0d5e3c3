import {
  awaitingRerun,
  type CheckHistory,
  emptyCheckHistory,
  observeChecks,
  recordReruns,
  rememberFailures,
  rerunUsed,
} from '../../change-requests/check-history.js';
import {
  type CheckFailureClassification,
  classifyCheckFailure,
} from '../../change-requests/classify-check-failure.js';
import { errorExcerptOf } from '../../change-requests/failing-test-in-log.js';
import { describeError, LoompaError } from '../../errors/loompa-error.js';
import type { OrchestratorEvents } from '../../events/orchestrator-events.js';
import type { Logger } from '../../logging/logger.js';
import type { ChangeRequest, ChangeRequestStatus, CheckResult } from '../../specifications/change-request.js';
import type { Issue } from '../../specifications/issue.js';
import type { ScmProviderV1 } from '../../specifications/scm-provider.js';
import type { Workflow } from '../../workflow/load-workflow.js';
import type { WorkItemRecord } from '../work-item-record.js';
import type { WorkItemStore } from '../work-item-store.js';
import type { FlakyTestIssues } from './flaky-test-issues.js';

export interface CheckFailureTriageContext {
  workflow(): Workflow;
  store: WorkItemStore;
  events: OrchestratorEvents;
  logger: Logger;
  flakyTests: FlakyTestIssues;
  dryRun: boolean;
}

/**
 * What the supervisor does with the checks before it decides:
 * - `decide`: nothing to hold back; a CI reaction carries `classifications` for the prompt;
 * - `wait`: flaky or infrastructure failures were re-run (or their re-run has not started),
 *   which costs no fix attempt.
 */
export type CheckTriageResult =
  | { next: 'decide'; record: WorkItemRecord; classifications: CheckFailureClassification[] }
  | { next: 'wait'; record: WorkItemRecord; reason: string };

const rerunnable = (classification: CheckFailureClassification) =>
  classification.classification === 'flaky' || classification.classification === 'infrastructure';

/**
 * Runs before every decision on an awaited change request: records the checks' outcomes,
 * turns a failure that later passed on the same head into a flaky occurrence, classifies new
 * failures from their log tails, and re-runs flaky and infrastructure failures once per head
 * instead of resuming the agent.
 */
export async function triageCheckFailures(
  context: CheckTriageContextWithScm,
  issue: Issue,
  changeRequest: ChangeRequest,
  status: ChangeRequestStatus,
  record: WorkItemRecord,
): Promise<CheckTriageResult> {
  const { scm } = context;
  const settings = context.workflow().config;
  const head = status.headSha;
  const before: CheckHistory = record.checkHistory ?? emptyCheckHistory();
  const observed = observeChecks(before, status, Date.now());
  let history = observed.history;
  for (const failure of observed.passedAfterFailure) {
    await context.flakyTests
      .record(failure, { issueIdentifier: issue.identifier, changeRequestUrl: changeRequest.url })
      .catch((error: unknown) =>
        context.logger.warn('recording a flaky test failed', {
          issue: issue.identifier,
          message: describeError(error),
        }),
      );
  }
  const failing = status.continuousIntegration.checks.filter((check) => check.state === 'failure');
  const save = async (next: CheckHistory) => {
    if (next === before) return record;
    const updated = { ...record, checkHistory: next };
    await context.store.write(updated);
    return updated;
  };
  if (
    head === null ||
    status.state !== 'open' ||
    failing.length === 0 ||
    !settings.ci.classify_failures ||
    !settings.reactions.ci.enabled
  ) {
    return { next: 'decide', record: await save(history), classifications: [] };
  }
  const stale = failing.filter((check) => awaitingRerun(history, check));
  if (stale.length > 0) {
    return {
      next: 'wait',
      record: await save(history),
      reason: `waiting for the re-run of ${stale.map((check) => `"${check.name}"`).join(', ')} to start`,
    };
  }

  const classifications = await classifyFailing(context, changeRequest, failing, head, history);
  const fresh =
    history.latest?.headSha !== head ||
    history.latest.checkIds.join('\n') !==
      failing
        .map((check) => check.id)
        .sort()
        .join('\n');
  history = rememberFailures(history, head, classifications);
  if (fresh) {
    context.events.publish('check-failures-classified', {
      issueId: issue.id,
      issueIdentifier: issue.identifier,
      headSha: head,
      classifications: classifications.map(({ classification }) => ({
        checkName: classification.checkName,
        classification: classification.classification,
        reason: classification.reason,
        testName: classification.failingTest?.testName ?? null,
      })),
    });
  }
  const verdicts = classifications.map(({ classification }) =>
    rerunnable(classification) && rerunUsed(history, { name: classification.checkName }, head)
      ? {
          ...classification,
          reason: `${classification.reason}; it failed again after one re-run on this commit`,
        }
      : classification,
  );
  const toRerun = verdicts.filter(
    (verdict) => rerunnable(verdict) && !rerunUsed(history, { name: verdict.checkName }, head),
  );
  // Only when nothing else failed: a code failure resumes the agent anyway, and its push
  // runs every check again.
  if (!settings.ci.rerun_once || !scm.rerunChecks || context.dryRun || toRerun.length !== verdicts.length) {
    return { next: 'decide', record: await save(history), classifications: verdicts };
  }
  const rerunIds = new Set(toRerun.map((verdict) => verdict.checkId));
  try {
    await scm.rerunChecks({ changeRequest, checks: failing.filter((check) => rerunIds.has(check.id)) });
  } catch (error) {
    // Checks that are still finishing on the provider's side (scm-local writes the result
    // before it lets go of the run) are re-run on a later tick, not given up on.
    if (error instanceof LoompaError && error.details?.reason === 'checks_running') {
      return {
        next: 'wait',
        record: await save(history),
        reason: 'waiting for the checks to finish before re-running',
      };
    }
    context.logger.warn('re-running checks failed; the failures are handled as if re-run', {
      issue: issue.identifier,
      message: describeError(error),
    });
    // Counted as used, or a forge that refuses re-runs would be asked again every tick.
    return {
      next: 'decide',
      record: await save(recordReruns(history, head, toRerun, Date.now(), true)),
      classifications: verdicts,
    };
  }
  history = recordReruns(history, head, toRerun, Date.now());
  context.events.publish('checks-rerun', {
    issueId: issue.id,
    issueIdentifier: issue.identifier,
    headSha: head,
    checks: toRerun.map((verdict) => ({
      checkName: verdict.checkName,
      classification: verdict.classification,
    })),
  });
  return {
    next: 'wait',
    record: await save(history),
    reason: `re-running ${toRerun.map((verdict) => `"${verdict.checkName}" (${verdict.classification})`).join(', ')} once; no fix attempt counted`,
  };
}

export type CheckTriageContextWithScm = CheckFailureTriageContext & { scm: ScmProviderV1 };

async function classifyFailing(
  context: CheckTriageContextWithScm,
  changeRequest: ChangeRequest,
  failing: readonly CheckResult[],
  head: string,
  history: CheckHistory,
): Promise<Array<{ classification: CheckFailureClassification; errorExcerpt: string }>> {
  const maxBytes = context.workflow().config.reactions.ci.log_tail_bytes;
  const known = new Map(
    (history.latest?.headSha === head ? history.latest.classifications : []).map((verdict) => [
      verdict.checkId,
      verdict,
    ]),
  );
  const knownFlakyTests = await context.flakyTests.knownFlakyTestNames();
  const excerpts = new Map(history.failures.map((failure) => [failure.checkId, failure.errorExcerpt]));
  return Promise.all(
    failing.map(async (check) => {
      const remembered = known.get(check.id);
      if (remembered) return { classification: remembered, errorExcerpt: excerpts.get(check.id) ?? '' };
      const logTail = context.scm.getCheckLog
        ? await context.scm
            .getCheckLog({ changeRequest, checkId: check.id, maxBytes })
            .catch((error: unknown) => {
              context.logger.warn('reading a check log failed', {
                check: check.name,
                message: describeError(error),
              });
              return '';
            })
        : '';
      const classification = classifyCheckFailure({
        check,
        headSha: head,
        logTail,
        history: history.observations,
        knownFlakyTests,
      });
      return { classification, errorExcerpt: errorExcerptOf(logTail) };
    }),
  );
}
