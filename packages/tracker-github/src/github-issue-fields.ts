import { normalizeName } from '@loompa/core/schema';

/**
 * How GitHub's open/closed issues plus labels carry Loompa's fields: a state per label
 * (`loompa:in-progress`), priorities and types per label, and a lease label. Labels that carry
 * a field are not repeated in `Issue.labels`: they are the tracker's encoding, not the
 * team's labels.
 */
export interface GitHubIssueFieldRules {
  /** State of an open issue with no state label. */
  openState: string;
  /** State of an issue closed as completed. */
  closedState: string;
  /** State of an issue closed as not planned or duplicate. */
  notPlannedState: string;
  /** State → label marking an open issue as being in that state, in order of precedence. */
  stateLabels: ReadonlyArray<readonly [state: string, label: string]>;
  /** Label → priority (1 urgent … 4 low). */
  priorityLabels: ReadonlyArray<readonly [label: string, priority: number]>;
  /** Label → issue type, used when the issue has no GitHub issue type. */
  typeLabels: ReadonlyArray<readonly [label: string, type: string]>;
  leaseLabel: string;
}

export const defaultFieldRules: GitHubIssueFieldRules = {
  openState: 'todo',
  closedState: 'done',
  notPlannedState: 'cancelled',
  stateLabels: [['in progress', 'loompa:in-progress']],
  priorityLabels: [
    ['priority:urgent', 1],
    ['priority:high', 2],
    ['priority:medium', 3],
    ['priority:low', 4],
  ],
  typeLabels: [
    ['bug', 'bug'],
    ['enhancement', 'feature'],
  ],
  leaseLabel: 'loompa:claimed',
};

/** Where a state lives on GitHub. */
export type StatePlacement =
  | { kind: 'open'; label: string | null }
  | { kind: 'closed'; reason: 'completed' | 'not_planned' };

export function placementOfState(rules: GitHubIssueFieldRules, state: string): StatePlacement | null {
  const wanted = normalizeName(state);
  if (wanted === normalizeName(rules.openState)) return { kind: 'open', label: null };
  if (wanted === normalizeName(rules.closedState)) return { kind: 'closed', reason: 'completed' };
  if (wanted === normalizeName(rules.notPlannedState)) return { kind: 'closed', reason: 'not_planned' };
  const labelled = rules.stateLabels.find(([labelState]) => normalizeName(labelState) === wanted);
  return labelled ? { kind: 'open', label: labelled[1] } : null;
}

export function knownStates(rules: GitHubIssueFieldRules): string[] {
  return [
    rules.openState,
    ...rules.stateLabels.map(([state]) => state),
    rules.closedState,
    rules.notPlannedState,
  ];
}

export function stateOfIssue(
  rules: GitHubIssueFieldRules,
  issue: { state: string; state_reason?: string | null; labels: readonly string[] },
): string {
  if (issue.state === 'closed') {
    return issue.state_reason === 'not_planned' || issue.state_reason === 'duplicate'
      ? rules.notPlannedState
      : rules.closedState;
  }
  const present = new Set(issue.labels.map(normalizeName));
  const labelled = rules.stateLabels.find(([, label]) => present.has(normalizeName(label)));
  return labelled ? labelled[0] : rules.openState;
}

export function priorityOfLabels(rules: GitHubIssueFieldRules, labels: readonly string[]): number | null {
  const present = new Set(labels.map(normalizeName));
  const priorities = rules.priorityLabels
    .filter(([label]) => present.has(normalizeName(label)))
    .map(([, priority]) => priority);
  return priorities.length > 0 ? Math.min(...priorities) : null;
}

export function labelForPriority(rules: GitHubIssueFieldRules, priority: number): string | null {
  return rules.priorityLabels.find(([, value]) => value === priority)?.[0] ?? null;
}

export function typeOfLabels(rules: GitHubIssueFieldRules, labels: readonly string[]): string | null {
  const present = new Set(labels.map(normalizeName));
  const match = rules.typeLabels.find(([label]) => present.has(normalizeName(label)));
  return match ? normalizeName(match[1]) : null;
}

export function labelForType(rules: GitHubIssueFieldRules, type: string): string | null {
  return rules.typeLabels.find(([, value]) => normalizeName(value) === normalizeName(type))?.[0] ?? null;
}

/** Labels that encode a field (state, priority, lease) rather than being a team's label. */
export function isFieldLabel(rules: GitHubIssueFieldRules, label: string): boolean {
  const name = normalizeName(label);
  return (
    name === normalizeName(rules.leaseLabel) ||
    rules.stateLabels.some(([, stateLabel]) => normalizeName(stateLabel) === name) ||
    rules.priorityLabels.some(([priorityLabel]) => normalizeName(priorityLabel) === name)
  );
}
