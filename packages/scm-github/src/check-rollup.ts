import type { CheckResult, ContinuousIntegrationState } from '@loompa/core';

/**
 * A head's CI from GitHub's two systems: check runs (GitHub Actions and other Apps) and
 * commit statuses (older external CI). Both are folded worst-wins. GitHub's combined status
 * says "pending" when a commit has no status at all, so only statuses really reported count:
 * a repository that only uses Actions is never pending forever.
 */

export interface CheckRunFields {
  id: number;
  name: string;
  status: string;
  conclusion: string | null;
  html_url?: string | null;
  details_url?: string | null;
  app?: { slug?: string } | null;
}

export interface CommitStatusFields {
  id: number;
  context: string;
  state: string;
  target_url?: string | null;
}

/** Check ids tell `getCheckLog` where the log is. */
export function checkRunId(id: number): string {
  return `check-run:${id}`;
}

export function commitStatusId(context: string): string {
  return `status:${context}`;
}

export function checkRunState(status: string, conclusion: string | null): CheckResult['state'] {
  if (status !== 'completed') return 'pending';
  switch (conclusion) {
    case 'success':
    case 'neutral':
      return 'success';
    case 'skipped':
      return 'skipped';
    default:
      // failure, cancelled, timed_out, action_required, stale, startup_failure
      return 'failure';
  }
}

export function commitStatusState(state: string): CheckResult['state'] {
  if (state === 'success') return 'success';
  if (state === 'failure' || state === 'error') return 'failure';
  return 'pending';
}

export function toChecks(
  checkRuns: readonly CheckRunFields[],
  statuses: readonly CommitStatusFields[],
): CheckResult[] {
  // The list is `filter=latest` already; a re-run replaces its predecessor of the same name.
  const latestRuns = new Map<string, CheckRunFields>();
  for (const run of checkRuns) {
    const earlier = latestRuns.get(run.name);
    if (!earlier || run.id > earlier.id) latestRuns.set(run.name, run);
  }
  const latestStatuses = new Map<string, CommitStatusFields>();
  for (const status of statuses) {
    const earlier = latestStatuses.get(status.context);
    if (!earlier || status.id > earlier.id) latestStatuses.set(status.context, status);
  }
  return [
    ...[...latestRuns.values()].map((run) => ({
      id: checkRunId(run.id),
      name: run.name,
      state: checkRunState(run.status, run.conclusion),
      url: run.html_url ?? run.details_url ?? null,
      // cancelled, timed_out, startup_failure… tell failure classification more than "failed".
      ...(checkRunState(run.status, run.conclusion) === 'failure' ? { conclusion: run.conclusion } : {}),
    })),
    ...[...latestStatuses.values()].map((status) => ({
      id: commitStatusId(status.context),
      name: status.context,
      state: commitStatusState(status.state),
      url: status.target_url ?? null,
    })),
  ];
}

export function rollUpChecks(checks: readonly CheckResult[]): ContinuousIntegrationState {
  if (checks.length === 0) return 'none';
  if (checks.some((check) => check.state === 'failure')) return 'failure';
  if (checks.some((check) => check.state === 'pending')) return 'pending';
  return 'success';
}
