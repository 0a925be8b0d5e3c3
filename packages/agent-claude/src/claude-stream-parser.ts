import {
  type AgentEvent,
  type JsonObject,
  jsonObjectOrNull,
  numberOrZero,
  readJsonObjectLine,
  stringOrNull,
  type TokenUsage,
} from '@loompa/core';

/** The `result` line Claude Code prints last (fields this backend reads). */
export interface ClaudeResultMessage {
  subtype: string;
  isError: boolean;
  text: string | null;
  errors: string[];
  sessionId: string | null;
  turns: number;
  /** This process's usage (the `usage` field covers this run, not the whole session). */
  usage: TokenUsage;
  /** This process's cost; `total_cost_usd` would be the session's, cumulative over resumes. */
  costUsd: number | null;
  apiErrorStatus: number | null;
  terminalReason: string | null;
}

/** What one stream said, read line by line. */
export interface ClaudeStreamState {
  sessionId: string | null;
  model: string | null;
  lastText: string | null;
  /** Turns counted from assistant messages, for runs that end without a result line. */
  assistantMessages: number;
  /** The delay Claude Code chose before its last retry of a 429, honouring `retry-after`. */
  lastRateLimitDelayMs: number | null;
  result: ClaudeResultMessage | null;
}

function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => stringOrNull(jsonObjectOrNull(part)?.text) ?? '')
      .filter((text) => text !== '')
      .join('\n');
  }
  return content === undefined || content === null ? '' : JSON.stringify(content);
}

function readResult(message: JsonObject): ClaudeResultMessage {
  const usage = jsonObjectOrNull(message.usage) ?? {};
  const sinceLastResult = jsonObjectOrNull(message.model_usage_since_last_result);
  let costUsd: number | null = null;
  if (sinceLastResult) {
    costUsd = 0;
    for (const model of Object.values(sinceLastResult))
      costUsd += numberOrZero(jsonObjectOrNull(model)?.costUSD);
  } else if (typeof message.total_cost_usd === 'number') {
    // Versions before `model_usage_since_last_result` only report the session's total.
    costUsd = message.total_cost_usd;
  }
  return {
    subtype: stringOrNull(message.subtype) ?? 'unknown',
    isError: message.is_error === true,
    text: stringOrNull(message.result),
    errors: Array.isArray(message.errors) ? message.errors.map(String) : [],
    sessionId: stringOrNull(message.session_id),
    turns: numberOrZero(message.num_turns),
    usage: {
      inputTokens: numberOrZero(usage.input_tokens),
      outputTokens: numberOrZero(usage.output_tokens),
      cacheReadTokens: numberOrZero(usage.cache_read_input_tokens),
      cacheWriteTokens: numberOrZero(usage.cache_creation_input_tokens),
    },
    costUsd,
    apiErrorStatus: typeof message.api_error_status === 'number' ? message.api_error_status : null,
    terminalReason: stringOrNull(message.terminal_reason),
  };
}

/**
 * Turns the lines of `claude -p --output-format stream-json --verbose` into agent events and
 * remembers what the final result needs. Unknown line types are ignored (new versions add
 * them); lines that are not JSON objects become `raw` events. Never throws.
 */
export class ClaudeStreamParser {
  readonly state: ClaudeStreamState = {
    sessionId: null,
    model: null,
    lastText: null,
    assistantMessages: 0,
    lastRateLimitDelayMs: null,
    result: null,
  };

  constructor(private readonly emit: (event: AgentEvent) => void) {}

  parseLine(line: string): void {
    const message = readJsonObjectLine(line, this.emit);
    if (message === null) return;
    const sessionId = stringOrNull(message.session_id);
    if (sessionId !== null) this.state.sessionId = sessionId;
    switch (message.type) {
      case 'system':
        this.parseSystem(message);
        return;
      case 'assistant':
        this.parseAssistant(message);
        return;
      case 'user':
        this.parseUser(message);
        return;
      case 'result':
        this.parseResult(message);
        return;
    }
  }

  private parseSystem(message: JsonObject): void {
    if (message.subtype === 'init') {
      this.state.model = stringOrNull(message.model);
      this.emit({ type: 'session-start', sessionId: this.state.sessionId ?? '', model: this.state.model });
    } else if (message.subtype === 'api_retry' && message.error_status === 429) {
      this.state.lastRateLimitDelayMs = numberOrZero(message.retry_delay_ms) || null;
    }
  }

  private parseAssistant(message: JsonObject): void {
    const body = jsonObjectOrNull(message.message);
    const content = body?.content;
    if (!Array.isArray(content)) return;
    // API errors arrive as a synthetic assistant message; the result line reports them.
    if (message.is_api_error_message === true) return;
    this.state.assistantMessages++;
    for (const item of content) {
      const block = jsonObjectOrNull(item);
      if (block?.type === 'text') {
        const text = stringOrNull(block.text) ?? '';
        this.state.lastText = text;
        this.emit({ type: 'text', text });
      } else if (block?.type === 'tool_use') {
        this.emit({
          type: 'tool-call',
          toolCallId: stringOrNull(block.id) ?? '',
          toolName: stringOrNull(block.name) ?? '',
          input: block.input ?? null,
        });
      }
    }
  }

  private parseUser(message: JsonObject): void {
    const content = jsonObjectOrNull(message.message)?.content;
    if (!Array.isArray(content)) return;
    for (const item of content) {
      const block = jsonObjectOrNull(item);
      if (block?.type !== 'tool_result') continue;
      this.emit({
        type: 'tool-result',
        toolCallId: stringOrNull(block.tool_use_id) ?? '',
        output: toolResultText(block.content),
        isError: block.is_error === true,
      });
    }
  }

  private parseResult(message: JsonObject): void {
    const result = readResult(message);
    this.state.result = result;
    if (result.sessionId !== null) this.state.sessionId = result.sessionId;
    this.emit({ type: 'usage', usage: result.usage, costUsd: result.costUsd });
  }
}
