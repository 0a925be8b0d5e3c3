import { addTokenUsage, emptyTokenUsage, type OrchestratorEvent, type TokenUsage } from '@loompa/core';

/** How an issue's part of a run ended, as far as the events told. */
export type IssueOutcome =
  | 'dispatched'
  | 'awaiting review'
  | 'merged'
  | 'done'
  | 'retrying'
  | 'blocked'
  | 'released';

export interface IssueSummary {
  identifier: string;
  outcome: IssueOutcome;
  /** Why it is blocked, released or retrying; what finished it. */
  reason: string | null;
  branch: string | null;
  changeRequestUrl: string | null;
  runs: number;
  turns: number;
  usage: TokenUsage;
  costUsd: number;
  reactions: string[];
}

/** Follows the orchestrator's events and keeps, per issue, what happened and what it cost. */
export class RunSummary {
  private readonly issues = new Map<string, IssueSummary>();

  /** Feed every orchestrator event here (the catch-all `event` channel). */
  readonly record = (event: OrchestratorEvent): void => {
    const payload = event.payload as { issueIdentifier?: unknown };
    if (typeof payload.issueIdentifier !== 'string') return;
    const issue = this.issueFor(payload.issueIdentifier);
    switch (event.type) {
      case 'issue-dispatched':
        issue.outcome = 'dispatched';
        issue.reason = null;
        break;
      case 'workspace-prepared':
        issue.branch = event.payload.branch;
        break;
      case 'agent-run-finished':
        issue.runs++;
        issue.turns += event.payload.result.turns;
        issue.usage = addTokenUsage(issue.usage, event.payload.result.usage);
        issue.costUsd += event.payload.result.costUsd ?? 0;
        break;
      case 'change-request-opened':
      case 'change-request-updated':
        issue.outcome = 'awaiting review';
        issue.branch = event.payload.changeRequest.branch;
        issue.changeRequestUrl = event.payload.changeRequest.url;
        break;
      case 'reaction-started':
        issue.reactions.push(event.payload.reaction);
        break;
      case 'change-request-merged':
        issue.outcome = 'merged';
        break;
      case 'issue-done':
        if (issue.outcome !== 'merged') issue.outcome = 'done';
        issue.reason = event.payload.reason;
        break;
      case 'retry-scheduled':
        issue.outcome = 'retrying';
        issue.reason = event.payload.reason;
        break;
      case 'issue-blocked':
        issue.outcome = 'blocked';
        issue.reason = event.payload.reason;
        break;
      case 'issue-released':
        issue.outcome = 'released';
        issue.reason = event.payload.reason;
        break;
      default:
        break;
    }
  };

  /** Every issue seen, in the order it was first seen. */
  list(): IssueSummary[] {
    return [...this.issues.values()];
  }

  private issueFor(identifier: string): IssueSummary {
    let issue = this.issues.get(identifier);
    if (!issue) {
      issue = {
        identifier,
        outcome: 'dispatched',
        reason: null,
        branch: null,
        changeRequestUrl: null,
        runs: 0,
        turns: 0,
        usage: emptyTokenUsage(),
        costUsd: 0,
        reactions: [],
      };
      this.issues.set(identifier, issue);
    }
    return issue;
  }
}
