import type { AgentEvent } from '../specifications/agent-backend.js';

/**
 * Readers for the JSON lines agent CLIs print. Their formats change between versions, so a
 * field of the wrong type reads as absent instead of throwing.
 */

export type JsonObject = Record<string, unknown>;

/** `value` when it is a plain JSON object (not an array), otherwise null. */
export function jsonObjectOrNull(value: unknown): JsonObject | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : null;
}

/** `value` when it is a finite number, otherwise 0 (an absent count or cost). */
export function numberOrZero(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** `value` when it is a string, otherwise null. */
export function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** One line parsed as a JSON object; null when it is not JSON or not an object. */
export function parseJsonObjectLine(line: string): JsonObject | null {
  try {
    return jsonObjectOrNull(JSON.parse(line));
  } catch {
    return null;
  }
}

/**
 * One line of an agent's JSON stream: the object it holds, or null after emitting the line as
 * a `raw` event, so nothing the agent printed is lost when its format changes.
 */
export function readJsonObjectLine(line: string, emit: (event: AgentEvent) => void): JsonObject | null {
  const message = parseJsonObjectLine(line);
  if (message === null) emit({ type: 'raw', line });
  return message;
}
