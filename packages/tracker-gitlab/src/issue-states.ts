import { normalizeName } from '@loompa/core';

/**
 * GitLab issues are only `opened` or `closed`; Loompa's states live in scoped labels
 * (`status::In Progress`). An open issue without a state label is in the open state (the
 * first active state, `todo` by default) and a closed one in the closed state (the first
 * terminal state, `done`), so plain GitLab issues work without any labelling.
 */
export interface StateRules {
  /** e.g. `status::` */
  stateLabelPrefix: string;
  /** Normalized: the state of an open issue without a state label. */
  openState: string;
  /** Normalized: the state of a closed issue without a state label. */
  closedState: string;
  /** Normalized: moving to one of these closes the issue. */
  terminalStates: readonly string[];
}

function hasPrefix(label: string, prefix: string): boolean {
  return label.toLowerCase().startsWith(prefix.toLowerCase());
}

/** The issue's state as written (label spelling kept); compare with `normalizeName`. */
export function stateOfIssue(rules: StateRules, issue: { state: string; labels: readonly string[] }): string {
  const label = issue.labels.find((candidate) => hasPrefix(candidate, rules.stateLabelPrefix));
  if (label !== undefined) return label.slice(rules.stateLabelPrefix.length).trim();
  return issue.state === 'closed' ? rules.closedState : rules.openState;
}

export function isStateLabel(rules: StateRules, label: string): boolean {
  return hasPrefix(label, rules.stateLabelPrefix);
}

/** Whether issues in `state` are closed on GitLab. */
export function isClosedState(rules: StateRules, state: string): boolean {
  return rules.terminalStates.includes(normalizeName(state));
}

/** The GitLab edit that moves an issue to `state`: which labels change and whether it closes or reopens. */
export function transitionEdit(
  rules: StateRules,
  issue: { state: string; labels: readonly string[] },
  state: string,
): { addLabels: string[]; removeLabels: string[]; stateEvent: 'close' | 'reopen' | null } {
  const target = state.trim();
  const closing = isClosedState(rules, target);
  const implied = closing ? rules.closedState : rules.openState;
  const wantedLabel = normalizeName(target) === implied ? null : `${rules.stateLabelPrefix}${target}`;
  const existing = issue.labels.filter((label) => isStateLabel(rules, label));
  const removeLabels = existing.filter((label) => wantedLabel === null || label !== wantedLabel);
  const addLabels = wantedLabel !== null && !existing.includes(wantedLabel) ? [wantedLabel] : [];
  const stateEvent = closing
    ? issue.state === 'closed'
      ? null
      : 'close'
    : issue.state === 'closed'
      ? 'reopen'
      : null;
  return { addLabels, removeLabels, stateEvent };
}
