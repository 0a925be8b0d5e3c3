import EventEmitter from 'eventemitter3';
import type { CheckFailureClass } from '../change-requests/classify-check-failure.js';
import type { WorkflowError } from '../errors/error-classes.js';
import type { AgentEvent, AgentRunResult } from '../specifications/agent-backend.js';
import type { BudgetDecision } from '../specifications/budget.js';
import type { ChangeRequest } from '../specifications/change-request.js';

/** Fields every event about one issue carries. */
export interface IssueEventBase {
  issueId: string;
  issueIdentifier: string;
}

/** Which reaction resumed the agent. */
export type ReactionKind = 'ci-failure' | 'review' | 'conflict';

/**
 * Every event the orchestrator emits, by name (`noun-verb`). Listeners receive one payload
 * object; payloads never contain secrets.
 */
export interface OrchestratorEventMap {
  'workflow-loaded': { filePath: string; contentHash: string };
  'workflow-reloaded': { filePath: string; contentHash: string };
  'workflow-invalid': { filePath: string; error: WorkflowError };
  'tick-started': { at: Date };
  'tick-finished': { at: Date; dispatched: number; candidates: number };
  'tick-failed': { at: Date; stage: string; message: string };
  'issue-dispatched': IssueEventBase & {
    attempt: number | null;
    focus: string | null;
    profile: string | null;
    agentKind: string;
    model: string | null;
  };
  'workspace-prepared': IssueEventBase & { path: string; branch: string; created: boolean };
  'workspace-removed': IssueEventBase & { path: string };
  'hook-failed': IssueEventBase & { hook: string; message: string; fatal: boolean };
  'agent-run-started': IssueEventBase & { attempt: number | null; turn: number; sessionId: string | null };
  'agent-event': IssueEventBase & { event: AgentEvent };
  'agent-run-finished': IssueEventBase & { result: AgentRunResult; turn: number };
  'change-request-opened': IssueEventBase & { changeRequest: ChangeRequest };
  'change-request-updated': IssueEventBase & { changeRequest: ChangeRequest; headSha: string | null };
  'change-request-merged': IssueEventBase & { changeRequest: ChangeRequest };
  /** A change request Loompa did not open is babysat from now on (its item id is `change-request:<number>`). */
  'change-request-babysat': IssueEventBase & {
    changeRequest: ChangeRequest;
    reason: 'workflow' | 'label' | 'request';
  };
  'reaction-started': IssueEventBase & { reaction: ReactionKind; attempt: number; headSha: string | null };
  /** A review thread got the reply a reaction owed it (and was resolved, where the forge resolves). */
  'thread-replied': IssueEventBase & { threadId: string; resolved: boolean };
  /**
   * Reading, replying to or resolving a review thread failed; it is tried again after
   * `retryInMs` (null: given up after too many failures in a row).
   */
  'thread-reply-failed': IssueEventBase & {
    threadId: string;
    step: 'read' | 'reply' | 'resolve';
    failures: number;
    retryInMs: number | null;
    message: string;
  };
  /** The failing checks of a head, each classified as code, flaky, infrastructure or unknown. */
  'check-failures-classified': IssueEventBase & {
    headSha: string;
    classifications: Array<{
      checkName: string;
      classification: CheckFailureClass;
      reason: string;
      testName: string | null;
    }>;
  };
  /** Flaky or infrastructure failures re-run once instead of resuming the agent (no fix attempt). */
  'checks-rerun': IssueEventBase & {
    headSha: string;
    checks: Array<{ checkName: string; classification: CheckFailureClass }>;
  };
  /** A check failed and then passed on the same commit. */
  'flaky-test-recorded': {
    fingerprint: string;
    checkName: string;
    testName: string | null;
    occurrences: number;
    issueIdentifier: string;
  };
  /** The one tracker issue of a flaky test was filed (`created`) or told about new occurrences. */
  'flaky-test-issue-filed': {
    fingerprint: string;
    trackerIssueIdentifier: string;
    occurrences: number;
    created: boolean;
  };
  /** A read-only agent run started on a failed scheduled or default-branch run. */
  'ci-triage-started': { runId: string; workflow: string; headSha: string; failedJobs: string[] };
  /** The triage ended: an issue filed (`created`), an occurrence added to one, or nothing (`failed`). */
  'ci-triage-finished': {
    runId: string;
    workflow: string;
    fingerprint: string | null;
    trackerIssueIdentifier: string | null;
    created: boolean;
    failed: string | null;
  };
  'retry-scheduled': IssueEventBase & { attempt: number; dueAt: Date; delayMs: number; reason: string };
  /** `issueTitle` as the tracker had it, for people reading a notification. */
  'issue-blocked': IssueEventBase & { reason: string; issueTitle?: string };
  'issue-done': IssueEventBase & { reason: string; issueTitle?: string };
  'issue-released': IssueEventBase & { reason: string; workspaceKept: boolean };
  'budget-exceeded': {
    decision: Extract<BudgetDecision, { allowed: false }>;
    issueIdentifier: string | null;
  };
  'budget-warning': { message: string; model: string | null };
  /** An agent kind failed in a way every issue would (auth, configuration): no new dispatches of it. */
  'agent-unavailable': { agentKind: string; reason: string };
  /** A person paused dispatch (`all`: the change-request loop and running agents too); it survives a restart. */
  'orchestrator-paused': { all: boolean; reason: string | null };
  'orchestrator-resumed': { wasAll: boolean };
  /** A person put a blocked (or waiting) issue back in the queue, its counters reset. */
  'issue-requeued': IssueEventBase & { previousReason: string };
  /** A person stopped the issue's run; the workspace is kept and the issue waits as blocked. */
  'issue-cancelled': IssueEventBase & { reason: string; workspaceKept: boolean };
  /** This orchestrator took the leader lease of a shared store (its fencing token) and decides from now on. */
  'leadership-acquired': { holder: string; token: number; store: string; at: Date };
  /** This orchestrator stopped leading (lease lost or a write fenced out) and stands by. */
  'leadership-lost': { holder: string; token: number; reason: string; at: Date };
  /** A person approved the issue's change request through Loompa (scm-local). */
  'change-request-approved': IssueEventBase & { changeRequest: ChangeRequest; reviewer: string };
}

export type OrchestratorEventName = keyof OrchestratorEventMap;

/** An event name with its payload, as one value (for streams and logs). */
export type OrchestratorEvent = {
  [Name in OrchestratorEventName]: { type: Name; at: Date; payload: OrchestratorEventMap[Name] };
}[OrchestratorEventName];

type Listeners = { [Name in OrchestratorEventName]: (payload: OrchestratorEventMap[Name]) => void } & {
  /** Every event, wrapped with its name and time: one listener for logs, streams and UIs. */
  event: (event: OrchestratorEvent) => void;
};

/** A typed emitter of orchestrator events. */
export class OrchestratorEvents extends EventEmitter<Listeners> {
  /** Emits `name` with `payload`, and the same as an `event` for catch-all listeners. */
  publish<Name extends OrchestratorEventName>(name: Name, payload: OrchestratorEventMap[Name]): void {
    (this.emit as (name: string, payload: unknown) => boolean)(name, payload);
    this.emit('event', { type: name, at: new Date(), payload } as OrchestratorEvent);
  }

  /** Listens to one event; returns the function that stops listening. */
  subscribe<Name extends OrchestratorEventName>(
    name: Name,
    listener: (payload: OrchestratorEventMap[Name]) => void,
  ): () => void {
    type Untyped = (name: string, listener: (payload: unknown) => void) => unknown;
    (this.on as Untyped)(name, listener as never);
    return () => (this.off as Untyped)(name, listener as never);
  }
}
