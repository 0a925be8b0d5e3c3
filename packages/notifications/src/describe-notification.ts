import type { OrchestratorEvent } from '@loompa/core';
import type { NotifiableEvent } from './notification-settings.js';

/** One thing to tell people, before it is written for a target's format. */
export interface Notification {
  event: NotifiableEvent;
  /**
   * Identifies what happened, so it is told once: the same key is never sent twice to a
   * target (also across restarts), while a new block of the same issue gets a new key.
   */
  key: string;
  at: string;
  /** One plain sentence (untrusted text such as titles is inside it as data). */
  summary: string;
  issue: { id: string; identifier: string; title: string | null } | null;
  /** The event's facts, for machine readers of the generic JSON body. */
  details: Record<string, unknown>;
}

function issueOf(payload: { issueId: string; issueIdentifier: string; issueTitle?: string }) {
  return { id: payload.issueId, identifier: payload.issueIdentifier, title: payload.issueTitle ?? null };
}

function named(issue: { identifier: string; title: string | null }): string {
  return issue.title === null ? issue.identifier : `${issue.identifier} "${issue.title}"`;
}

/**
 * The notification an orchestrator event makes, or null for events nobody is told about.
 * `generation` tells apart two blocks (or two finishes) of the same issue: it counts how often
 * the issue was dispatched or put back in the queue since Loompa has known it.
 */
export function describeNotification(event: OrchestratorEvent, generation: number): Notification | null {
  const at = event.at.toISOString();
  switch (event.type) {
    case 'issue-blocked': {
      const issue = issueOf(event.payload);
      return {
        event: event.type,
        key: `issue-blocked:${issue.id}:${generation}`,
        at,
        summary: `${named(issue)} is blocked and needs a person: ${event.payload.reason}`,
        issue,
        details: { reason: event.payload.reason },
      };
    }
    case 'issue-done': {
      const issue = issueOf(event.payload);
      return {
        event: event.type,
        key: `issue-done:${issue.id}:${generation}`,
        at,
        summary: `${named(issue)} is done: ${event.payload.reason}`,
        issue,
        details: { reason: event.payload.reason },
      };
    }
    case 'change-request-merged': {
      const { changeRequest } = event.payload;
      const issue = issueOf(event.payload);
      const label = changeRequest.number === null ? changeRequest.branch : `#${changeRequest.number}`;
      return {
        event: event.type,
        key: `change-request-merged:${issue.id}:${changeRequest.id}`,
        at,
        summary: `${label} "${changeRequest.title}" for ${issue.identifier} was merged`,
        issue,
        details: {
          changeRequest: {
            id: changeRequest.id,
            number: changeRequest.number,
            url: changeRequest.url,
            title: changeRequest.title,
            branch: changeRequest.branch,
            baseBranch: changeRequest.baseBranch,
          },
        },
      };
    }
    case 'budget-exceeded': {
      const { decision, issueIdentifier } = event.payload;
      // The same window of the same limit is one fact, however often dispatch is denied.
      const window = decision.windowKey ?? `${decision.limit}:${decision.retryAt?.toISOString() ?? 'never'}`;
      const scoped = decision.scope === 'global' ? '' : `:${issueIdentifier ?? ''}`;
      return {
        event: event.type,
        key: `budget-exceeded:${window}${scoped}`,
        at,
        summary: `Budget exceeded: ${decision.reason}${
          decision.retryAt ? ` (dispatch resumes after ${decision.retryAt.toISOString()})` : ''
        }`,
        issue: null,
        details: {
          reason: decision.reason,
          limit: decision.limit,
          scope: decision.scope ?? null,
          retryAt: decision.retryAt?.toISOString() ?? null,
          issueIdentifier,
        },
      };
    }
    case 'agent-unavailable':
      return {
        event: event.type,
        key: `agent-unavailable:${event.payload.agentKind}:${generation}`,
        at,
        summary: `Agent ${event.payload.agentKind} is unavailable, no new work goes to it: ${event.payload.reason}`,
        issue: null,
        details: { agentKind: event.payload.agentKind, reason: event.payload.reason },
      };
    default:
      return null;
  }
}
