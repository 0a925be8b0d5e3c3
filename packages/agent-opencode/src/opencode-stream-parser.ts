import {
  type AgentEvent,
  addTokenUsage,
  emptyTokenUsage,
  type JsonObject,
  jsonObjectOrNull,
  numberOrZero,
  readJsonObjectLine,
  stringOrNull,
  type TokenUsage,
} from '@loompa/core';

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

function retryAfterMs(headers: JsonObject | null): number | null {
  if (!headers) return null;
  const milliseconds = Number(headers['retry-after-ms']);
  if (Number.isFinite(milliseconds) && milliseconds > 0) return milliseconds;
  const seconds = Number(headers['retry-after']);
  if (Number.isFinite(seconds) && seconds > 0) return seconds * 1000;
  return null;
}

function readError(line: JsonObject): OpenCodeErrorMessage {
  const error = jsonObjectOrNull(line.error) ?? {};
  const data = jsonObjectOrNull(error.data) ?? {};
  return {
    name: stringOrNull(error.name) ?? 'UnknownError',
    message: stringOrNull(data.message) ?? stringOrNull(error.message) ?? JSON.stringify(error),
    statusCode: typeof data.statusCode === 'number' ? data.statusCode : null,
    retryAfterMs: retryAfterMs(jsonObjectOrNull(data.responseHeaders)),
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
    const message = readJsonObjectLine(line, this.emit);
    if (message === null) return;
    const sessionId = stringOrNull(message.sessionID);
    if (sessionId !== null && this.state.sessionId === null) {
      this.state.sessionId = sessionId;
      this.emit({ type: 'session-start', sessionId, model: null });
    }
    const part = jsonObjectOrNull(message.part) ?? {};
    switch (message.type) {
      case 'text': {
        const text = stringOrNull(part.text) ?? '';
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
    const state = jsonObjectOrNull(part.state) ?? {};
    const toolCallId = stringOrNull(part.callID) ?? stringOrNull(part.id) ?? '';
    this.emit({
      type: 'tool-call',
      toolCallId,
      toolName: stringOrNull(part.tool) ?? '',
      input: state.input ?? null,
    });
    const isError = state.status === 'error';
    const output = isError ? (stringOrNull(state.error) ?? '') : (stringOrNull(state.output) ?? '');
    this.emit({ type: 'tool-result', toolCallId, output, isError });
  }

  private parseStepFinish(part: JsonObject): void {
    const tokens = jsonObjectOrNull(part.tokens) ?? {};
    const cache = jsonObjectOrNull(tokens.cache) ?? {};
    this.state.steps++;
    this.state.lastStepReason = stringOrNull(part.reason);
    this.state.usage = addTokenUsage(this.state.usage, {
      inputTokens: numberOrZero(tokens.input),
      // Reasoning tokens are billed as output.
      outputTokens: numberOrZero(tokens.output) + numberOrZero(tokens.reasoning),
      cacheReadTokens: numberOrZero(cache.read),
      cacheWriteTokens: numberOrZero(cache.write),
    });
    this.state.costUsd += numberOrZero(part.cost);
    this.emit({ type: 'usage', usage: { ...this.state.usage }, costUsd: this.state.costUsd });
  }
}
