import { type AgentEvent, addTokenUsage, emptyTokenUsage, type TokenUsage } from '@loompa/core';

/** The `error` line OpenCode prints when a run fails (fields this backend reads). */
export interface OpenCodeErrorMessage {
  name: string;
  message: string;
  statusCode: number | null;
  /** From the provider's `retry-after-ms` or `retry-after` response header. */
  retryAfterMs: number | null;
}

/** What one `opencode run --format json` stream said, read line by line. */
export interface OpenCodeStreamState {
  sessionId: string | null;
  lastText: string | null;
  /** Finished steps (model turns). */
  steps: number;
  /** Why the last step finished: `stop`, `tool-calls`, `length`… */
  lastStepReason: string | null;
  /** Summed over every `step_finish` of this run. */
  usage: TokenUsage;
  costUsd: number;
  errors: OpenCodeErrorMessage[];
}

type JsonObject = Record<string, unknown>;

function asObject(value: unknown): JsonObject | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : null;
}

function asNumber(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function asString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function retryAfterMs(headers: JsonObject | null): number | null {
  if (!headers) return null;
  const milliseconds = Number(headers['retry-after-ms']);
  if (Number.isFinite(milliseconds) && milliseconds > 0) return milliseconds;
  const seconds = Number(headers['retry-after']);
  if (Number.isFinite(seconds) && seconds > 0) return seconds * 1000;
  return null;
}

function readError(line: JsonObject): OpenCodeErrorMessage {
  const error = asObject(line.error) ?? {};
  const data = asObject(error.data) ?? {};
  return {
    name: asString(error.name) ?? 'UnknownError',
    message: asString(data.message) ?? asString(error.message) ?? JSON.stringify(error),
    statusCode: typeof data.statusCode === 'number' ? data.statusCode : null,
    retryAfterMs: retryAfterMs(asObject(data.responseHeaders)),
  };
}

/**
 * Turns the lines of `opencode run --format json` into agent events. OpenCode prints no
 * start or summary line: the session id comes from any line, and usage and cost are summed
 * from `step_finish` parts. Lines that are not JSON objects become `raw` events. Never throws.
 */
export class OpenCodeStreamParser {
  readonly state: OpenCodeStreamState = {
    sessionId: null,
    lastText: null,
    steps: 0,
    lastStepReason: null,
    usage: emptyTokenUsage(),
    costUsd: 0,
    errors: [],
  };

  constructor(private readonly emit: (event: AgentEvent) => void) {}

  parseLine(line: string): void {
    let message: JsonObject | null;
    try {
      message = asObject(JSON.parse(line));
    } catch {
      message = null;
    }
    if (message === null) {
      this.emit({ type: 'raw', line });
      return;
    }
    const sessionId = asString(message.sessionID);
    if (sessionId !== null && this.state.sessionId === null) {
      this.state.sessionId = sessionId;
      this.emit({ type: 'session-start', sessionId, model: null });
    }
    const part = asObject(message.part) ?? {};
    switch (message.type) {
      case 'text': {
        const text = asString(part.text) ?? '';
        this.state.lastText = text;
        this.emit({ type: 'text', text });
        return;
      }
      case 'tool_use':
        this.parseToolUse(part);
        return;
      case 'step_finish':
        this.parseStepFinish(part);
        return;
      case 'error':
        this.state.errors.push(readError(message));
        return;
    }
  }

  /** OpenCode reports a tool once it finished, so one line gives both the call and its result. */
  private parseToolUse(part: JsonObject): void {
    const state = asObject(part.state) ?? {};
    const toolCallId = asString(part.callID) ?? asString(part.id) ?? '';
    this.emit({
      type: 'tool-call',
      toolCallId,
      toolName: asString(part.tool) ?? '',
      input: state.input ?? null,
    });
    const isError = state.status === 'error';
    const output = isError ? (asString(state.error) ?? '') : (asString(state.output) ?? '');
    this.emit({ type: 'tool-result', toolCallId, output, isError });
  }

  private parseStepFinish(part: JsonObject): void {
    const tokens = asObject(part.tokens) ?? {};
    const cache = asObject(tokens.cache) ?? {};
    this.state.steps++;
    this.state.lastStepReason = asString(part.reason);
    this.state.usage = addTokenUsage(this.state.usage, {
      inputTokens: asNumber(tokens.input),
      // Reasoning tokens are billed as output.
      outputTokens: asNumber(tokens.output) + asNumber(tokens.reasoning),
      cacheReadTokens: asNumber(cache.read),
      cacheWriteTokens: asNumber(cache.write),
    });
    this.state.costUsd += asNumber(part.cost);
    this.emit({ type: 'usage', usage: { ...this.state.usage }, costUsd: this.state.costUsd });
  }
}
