import type { ChangeRequestStatus } from '../specifications/change-request.js';
import type { CheckHistory } from './check-history.js';
import type { CheckFailureClass } from './classify-check-failure.js';

/**
 * Where a failed check of the head stands:
 * - `failing`: classified, nothing done about it yet (other checks still run, or reactions are off);
 * - `rerun-requested`: re-run once; the forge still shows the failed run (the re-run has not started);
 * - `rerunning`: the re-run is under way; its result decides;
 * - `passed-on-rerun`: it passed on the same commit after failing (a flaky occurrence);
 * - `sent-to-agent`: a CI reaction resumed the agent with it.
 */
export type CheckFailureState =
  | 'failing'
  | 'rerun-requested'
  | 'rerunning'
  | 'passed-on-rerun'
  | 'sent-to-agent';

export interface CheckFailureReportEntry {
  checkName: string;
  classification: CheckFailureClass;
  reason: string;
  testName: string | null;
  state: CheckFailureState;
}

const sameCheck = (left: string, right: string) => left.toLowerCase() === right.toLowerCase();

/**
 * Every check that failed on the current head, with its classification and where it stands
 * now, from the record's check history and the status just read. Pure, so it is computed on
 * every tick, whatever the supervisor decides.
 */
export function checkFailureReportOf(
  history: CheckHistory | null | undefined,
  status: Pick<ChangeRequestStatus, 'headSha' | 'continuousIntegration'>,
): CheckFailureReportEntry[] {
  const head = status.headSha;
  if (!history || head === null) return [];
  const classified = history.latest?.headSha === head ? history.latest.classifications : [];
  const reruns = history.reruns.filter((rerun) => rerun.headSha === head);
  const failures = history.failures.filter((failure) => failure.headSha === head);
  const names: string[] = [];
  for (const name of [
    ...failures.map((failure) => failure.checkName),
    ...reruns.map((rerun) => rerun.checkName),
  ])
    if (!names.some((known) => sameCheck(known, name))) names.push(name);
  return names.flatMap((name): CheckFailureReportEntry[] => {
    const verdict = classified.find((candidate) => sameCheck(candidate.checkName, name));
    const rerun = reruns.findLast((candidate) => sameCheck(candidate.checkName, name));
    const failure = failures.findLast((candidate) => sameCheck(candidate.checkName, name));
    const classification = verdict?.classification ?? rerun?.classification;
    if (!classification) return [];
    const current = status.continuousIntegration.checks.find((check) => sameCheck(check.name, name));
    const state: CheckFailureState =
      current?.state === 'success' || failure?.flakyRecorded
        ? 'passed-on-rerun'
        : rerun && !rerun.refused && current?.state === 'pending'
          ? 'rerunning'
          : rerun && !rerun.refused && current?.id === rerun.checkId
            ? 'rerun-requested'
            : 'failing';
    return [
      {
        checkName: name,
        classification,
        reason: verdict?.reason ?? `classified ${classification}`,
        testName: (verdict?.failingTest ?? failure?.failingTest)?.testName ?? null,
        state,
      },
    ];
  });
}

/** The report once a CI reaction took it to the agent: what still failed went to the agent. */
export function sentToAgent(report: readonly CheckFailureReportEntry[]): CheckFailureReportEntry[] {
  return report.map((entry) =>
    entry.state === 'failing' ? { ...entry, state: 'sent-to-agent' as const } : entry,
  );
}
