import { type OrchestratorEvent, redactValue } from '@loompa/core';

/**
 * An orchestrator event as one JSON object: `type` (the event name), `at` (ISO time),
 * `issue` (the identifier, when the event is about one) and the event's `payload`.
 */
export interface EventLine {
  type: OrchestratorEvent['type'];
  at: string;
  issue?: string;
  payload: unknown;
}

/** The issue identifier an event is about, when it is about one. */
export function issueIdentifierOf(event: OrchestratorEvent): string | null {
  const payload = event.payload as { issueIdentifier?: unknown };
  return typeof payload.issueIdentifier === 'string' ? payload.issueIdentifier : null;
}

/** Serializes an event as one line of JSON (no newline), secrets redacted and errors as plain data. */
export function toEventLine(event: OrchestratorEvent): string {
  const issue = issueIdentifierOf(event);
  const line: EventLine = {
    type: event.type,
    at: event.at.toISOString(),
    ...(issue === null ? {} : { issue }),
    payload: redactValue(event.payload),
  };
  return JSON.stringify(line);
}
