import type { ChangeRequestStatus, CheckResult } from '../specifications/change-request.js';
import type { CheckFailureClassification, CheckObservation } from './classify-check-failure.js';
import type { FailingTest } from './failing-test-in-log.js';

/**
 * What Loompa saw of a change request's checks, kept in its record (so a restart neither
 * re-runs a check twice nor forgets that it passed): outcomes per head, the failures with
 * their log excerpts, and the re-runs it asked for. Pure functions over it live here.
 */
export interface CheckHistory {
  observations: CheckObservation[];
  /** Failed checks as classified, with what their logs said. */
  failures: CheckFailureRecord[];
  /** Re-runs asked for: at most one per check and head. */
  reruns: CheckRerun[];
  /** The failures of the last classified head, for the snapshot and the next prompt. */
  latest: { headSha: string; checkIds: string[]; classifications: CheckFailureClassification[] } | null;
}

export interface CheckFailureRecord {
  checkId: string;
  checkName: string;
  headSha: string;
  failingTest: FailingTest | null;
  errorExcerpt: string;
  /** Set once the check passed on the same head and the flaky occurrence was recorded. */
  flakyRecorded: boolean;
}

export interface CheckRerun {
  /** The id of the failed check that was re-run: seeing it again means the re-run has not started. */
  checkId: string;
  checkName: string;
  headSha: string;
  classification: CheckFailureClassification['classification'];
  at: number;
  /** The forge refused the re-run: it counts as used, but nothing will start, so no one waits for it. */
  refused?: boolean;
}

/** Entries kept per list: a long-lived change request must not grow its record without bound. */
const maximumEntries = 200;

export const emptyCheckHistory = (): CheckHistory => ({
  observations: [],
  failures: [],
  reruns: [],
  latest: null,
});

const sameCheck = (left: string, right: string) => left.toLowerCase() === right.toLowerCase();

/**
 * Adds the finished checks of `status` to the history (one entry per change of outcome), and
 * returns the recorded failures that have now passed on the same head: flaky occurrences.
 */
export function observeChecks(
  history: CheckHistory,
  status: ChangeRequestStatus,
  now: number,
): { history: CheckHistory; passedAfterFailure: CheckFailureRecord[] } {
  const head = status.headSha;
  if (head === null) return { history, passedAfterFailure: [] };
  const observations = [...history.observations];
  for (const check of status.continuousIntegration.checks) {
    if (check.state !== 'success' && check.state !== 'failure') continue;
    const last = observations.findLast(
      (observation) => observation.headSha === head && sameCheck(observation.checkName, check.name),
    );
    if (last?.state !== check.state)
      observations.push({ checkName: check.name, headSha: head, state: check.state, at: now });
  }
  const passed = status.continuousIntegration.checks.filter((check) => check.state === 'success');
  const passedAfterFailure: CheckFailureRecord[] = [];
  const failures = history.failures.map((failure) => {
    if (failure.flakyRecorded || failure.headSha !== head) return failure;
    if (!passed.some((check) => sameCheck(check.name, failure.checkName))) return failure;
    const recorded = { ...failure, flakyRecorded: true };
    passedAfterFailure.push(recorded);
    return recorded;
  });
  return {
    history: { ...history, observations: observations.slice(-maximumEntries), failures },
    passedAfterFailure,
  };
}

/** Remembers classified failures with their excerpts (once per check id). */
export function rememberFailures(
  history: CheckHistory,
  headSha: string,
  classified: ReadonlyArray<{ classification: CheckFailureClassification; errorExcerpt: string }>,
): CheckHistory {
  const known = new Set(history.failures.map((failure) => failure.checkId));
  const added: CheckFailureRecord[] = classified
    .filter(({ classification }) => !known.has(classification.checkId))
    .map(({ classification, errorExcerpt }) => ({
      checkId: classification.checkId,
      checkName: classification.checkName,
      headSha,
      failingTest: classification.failingTest,
      errorExcerpt,
      flakyRecorded: false,
    }));
  return {
    ...history,
    failures: [...history.failures, ...added].slice(-maximumEntries),
    latest: {
      headSha,
      checkIds: classified.map(({ classification }) => classification.checkId).sort(),
      classifications: classified.map(({ classification }) => classification),
    },
  };
}

export function rerunUsed(history: CheckHistory, check: Pick<CheckResult, 'name'>, headSha: string): boolean {
  return history.reruns.some((rerun) => rerun.headSha === headSha && sameCheck(rerun.checkName, check.name));
}

/** A failing check still reported under the id that was re-run: the re-run has not registered yet. */
export function awaitingRerun(history: CheckHistory, check: Pick<CheckResult, 'id'>): boolean {
  return history.reruns.some((rerun) => rerun.checkId === check.id && !rerun.refused);
}

export function recordReruns(
  history: CheckHistory,
  headSha: string,
  classifications: readonly CheckFailureClassification[],
  now: number,
  refused = false,
): CheckHistory {
  const added = classifications.map((classification) => ({
    checkId: classification.checkId,
    checkName: classification.checkName,
    headSha,
    classification: classification.classification,
    at: now,
    ...(refused ? { refused } : {}),
  }));
  return { ...history, reruns: [...history.reruns, ...added].slice(-maximumEntries) };
}
