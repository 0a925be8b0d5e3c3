import {
  type AgentEvent,
  emptyTokenUsage,
  type JsonObject,
  jsonObjectOrNull,
  numberOrZero,
  readJsonObjectLine,
  stringOrNull,
  type TokenUsage,
} from '@loompa/core';

/** What one `codex exec --json` stream said, read line by line. */
export interface CodexStreamState {
  /** From `thread.started`; the id `codex exec resume` takes. */
  threadId: string | null;
  lastText: string | null;
  /**
   * Model answers seen, counted from items, since Codex reports neither its requests nor their
   * number: an answer starts with the first new item after a tool finished. Codex runs the
   * commands of one answer at once (they start before any finishes) and its file changes one
   * after another, so a file change right after a finished file change is taken to belong to
   * the same answer. Still ambiguous: an answer mixing commands and file changes counts twice,
   * and two answers that each only change files, back to back, count once.
   */
  modelAnswers: number;
  /** True while the current answer has started a tool (the model wants tool results). */
  answerStartedTool: boolean;
  /** The last `turn.completed` usage, cumulative for the whole thread across resumes. */
  threadUsage: TokenUsage | null;
  turnCompleted: boolean;
  /** The message of `turn.failed`. */
  turnFailure: string | null;
  /** Messages of top-level `error` lines (reconnect notices and fatal errors), the latest 20. */
  streamErrors: string[];
  /** Messages of non-fatal `error` items (e.g. unknown model metadata), the latest 20. */
  warnings: string[];
}

/** What this run's usage and cost are measured against. */
export interface CodexUsageAccounting {
  /** The thread's cumulative usage before this run (zero for a new thread). */
  baseline: TokenUsage;
  /** Prices this run's usage; null when the model has no configured price. */
  price: ((usage: TokenUsage) => number) | null;
}

/** `usage` of `turn.completed`: OpenAI counts cached tokens inside `input_tokens`. */
function readThreadUsage(usage: JsonObject): TokenUsage {
  const cached = numberOrZero(usage.cached_input_tokens);
  return {
    inputTokens: Math.max(0, numberOrZero(usage.input_tokens) - cached),
    // Reasoning tokens are part of output_tokens already.
    outputTokens: numberOrZero(usage.output_tokens),
    cacheReadTokens: cached,
    cacheWriteTokens: numberOrZero(usage.cache_write_input_tokens),
  };
}

/** Field-wise `total - baseline`, never negative (a baseline from another thread must not go below zero). */
export function subtractTokenUsage(total: TokenUsage, baseline: TokenUsage): TokenUsage {
  return {
    inputTokens: Math.max(0, total.inputTokens - baseline.inputTokens),
    outputTokens: Math.max(0, total.outputTokens - baseline.outputTokens),
    cacheReadTokens: Math.max(0, total.cacheReadTokens - baseline.cacheReadTokens),
    cacheWriteTokens: Math.max(0, total.cacheWriteTokens - baseline.cacheWriteTokens),
  };
}

/**
 * Codex's stream names no tool, only what happened; a file change is named for its effect so
 * it reads like the `write`/`edit` tools of other agents.
 */
function fileChangeToolName(changes: unknown): string {
  const kinds = Array.isArray(changes)
    ? changes.map((change) => stringOrNull(jsonObjectOrNull(change)?.kind))
    : [];
  if (kinds.length > 0 && kinds.every((kind) => kind === 'add')) return 'write';
  if (kinds.length > 0 && kinds.every((kind) => kind === 'delete')) return 'delete';
  return 'edit';
}

function describeFileChanges(changes: unknown): string {
  if (!Array.isArray(changes)) return '';
  return changes
    .map((change) => {
      const object = jsonObjectOrNull(change) ?? {};
      return `${stringOrNull(object.kind) ?? 'change'} ${stringOrNull(object.path) ?? ''}`.trim();
    })
    .join('\n');
}

/** Only the latest messages matter for a failure report; a long run must not hoard them. */
const keptMessages = 20;

function keepLatest(messages: string[], message: string): void {
  messages.push(message);
  if (messages.length > keptMessages) messages.shift();
}

const toolItemTypes = new Set(['command_execution', 'file_change', 'mcp_tool_call', 'web_search']);

/**
 * Turns the lines of `codex exec --json` into agent events: `thread.started` → `session-start`,
 * tool items (`command_execution`, `file_change`, `mcp_tool_call`, `web_search`) → `tool-call`
 * when they start and `tool-result` when they complete, `agent_message` → `text`,
 * `turn.completed` → `usage` (this run's share of the thread's cumulative usage). Reasoning,
 * non-fatal error items and lines that are not JSON objects become `raw` events. Never throws.
 */
export class CodexStreamParser {
  readonly state: CodexStreamState = {
    threadId: null,
    lastText: null,
    modelAnswers: 0,
    answerStartedTool: false,
    threadUsage: null,
    turnCompleted: false,
    turnFailure: null,
    streamErrors: [],
    warnings: [],
  };
  /** Tool items whose `tool-call` was emitted, so a completion without a start still gets one. */
  private readonly startedTools = new Set<string>();
  /** Items seen starting and not yet completed: their completion is no new item. */
  private readonly openItems = new Set<string>();
  /** True once a tool finished: the next new item belongs to a new model answer. */
  private toolFinishedSinceAnswer = true;
  /** The last item event was a finished file change (the next may be one of the same answer). */
  private lastEventFinishedFileChange = false;

  constructor(
    private readonly emit: (event: AgentEvent) => void,
    private readonly accounting: CodexUsageAccounting = { baseline: emptyTokenUsage(), price: null },
    private readonly model: string | null = null,
  ) {}

  /** This run's usage: the thread's cumulative usage less what it had before this run. */
  runUsage(): TokenUsage {
    return this.state.threadUsage === null
      ? emptyTokenUsage()
      : subtractTokenUsage(this.state.threadUsage, this.accounting.baseline);
  }

  /** This run's cost at the configured price; null without a price or before any usage. */
  runCostUsd(): number | null {
    if (this.accounting.price === null || this.state.threadUsage === null) return null;
    return this.accounting.price(this.runUsage());
  }

  parseLine(line: string): void {
    const message = readJsonObjectLine(line, this.emit);
    if (message === null) return;
    switch (message.type) {
      case 'thread.started': {
        const threadId = stringOrNull(message.thread_id);
        if (threadId === null) return;
        this.state.threadId = threadId;
        this.emit({ type: 'session-start', sessionId: threadId, model: this.model });
        return;
      }
      case 'item.started':
        this.parseItem(jsonObjectOrNull(message.item), false, line);
        return;
      case 'item.completed':
        this.parseItem(jsonObjectOrNull(message.item), true, line);
        return;
      case 'turn.completed':
        this.state.turnCompleted = true;
        this.state.threadUsage = readThreadUsage(jsonObjectOrNull(message.usage) ?? {});
        this.emit({ type: 'usage', usage: this.runUsage(), costUsd: this.runCostUsd() });
        return;
      case 'turn.failed':
        this.state.turnFailure =
          stringOrNull(jsonObjectOrNull(message.error)?.message) ?? 'the turn failed without a message';
        return;
      case 'error':
        keepLatest(this.state.streamErrors, stringOrNull(message.message) ?? JSON.stringify(message));
        return;
    }
  }

  private parseItem(item: JsonObject | null, completed: boolean, line: string): void {
    if (item === null) return;
    const type = stringOrNull(item.type);
    if (type === 'error') {
      keepLatest(this.state.warnings, stringOrNull(item.message) ?? '');
      this.emit({ type: 'raw', line });
      return;
    }
    this.countAnswer(type, stringOrNull(item.id), completed);
    switch (type) {
      case 'agent_message': {
        if (!completed) return;
        const text = stringOrNull(item.text) ?? '';
        this.state.lastText = text;
        this.emit({ type: 'text', text });
        return;
      }
      case 'command_execution':
      case 'file_change':
      case 'mcp_tool_call':
      case 'web_search':
        this.parseToolItem(type, item, completed);
        return;
      default:
        // Reasoning summaries, to-do lists and item types newer than this parser.
        if (completed) this.emit({ type: 'raw', line });
    }
  }

  private countAnswer(type: string | null, itemId: string | null, completed: boolean): void {
    const finishedFileChangeBefore = this.lastEventFinishedFileChange;
    this.lastEventFinishedFileChange = completed && type === 'file_change';
    const isNewItem = itemId === null || !this.openItems.has(itemId);
    if (itemId !== null) {
      if (completed) this.openItems.delete(itemId);
      else this.openItems.add(itemId);
    }
    if (!isNewItem) return;
    if (this.toolFinishedSinceAnswer) {
      this.toolFinishedSinceAnswer = false;
      // Codex applies one answer's file changes one after another.
      if (type === 'file_change' && finishedFileChangeBefore) return;
      this.state.modelAnswers++;
      this.state.answerStartedTool = false;
    }
    if (type !== null && toolItemTypes.has(type)) this.state.answerStartedTool = true;
  }

  private parseToolItem(type: string, item: JsonObject, completed: boolean): void {
    const toolCallId = stringOrNull(item.id) ?? '';
    if (!this.startedTools.has(toolCallId)) {
      this.startedTools.add(toolCallId);
      this.emit({ type: 'tool-call', toolCallId, ...describeToolCall(type, item) });
    }
    if (!completed) return;
    this.startedTools.delete(toolCallId);
    this.toolFinishedSinceAnswer = true;
    this.emit({ type: 'tool-result', toolCallId, ...describeToolResult(type, item) });
  }
}

function describeToolCall(type: string, item: JsonObject): { toolName: string; input: unknown } {
  switch (type) {
    case 'command_execution':
      return { toolName: 'shell', input: { command: stringOrNull(item.command) ?? '' } };
    case 'file_change':
      return { toolName: fileChangeToolName(item.changes), input: { changes: item.changes ?? [] } };
    case 'mcp_tool_call':
      return {
        toolName: `mcp__${stringOrNull(item.server) ?? 'unknown'}__${stringOrNull(item.tool) ?? 'unknown'}`,
        input: item.arguments ?? null,
      };
    default:
      return { toolName: 'web_search', input: { query: stringOrNull(item.query) ?? '' } };
  }
}

function describeToolResult(type: string, item: JsonObject): { output: string; isError: boolean } {
  const failed = item.status === 'failed' || item.status === 'declined';
  switch (type) {
    case 'command_execution': {
      const exitCode = typeof item.exit_code === 'number' ? item.exit_code : null;
      return {
        output: stringOrNull(item.aggregated_output) ?? '',
        isError: failed || (exitCode !== null && exitCode !== 0),
      };
    }
    case 'file_change':
      return { output: describeFileChanges(item.changes), isError: failed };
    case 'mcp_tool_call': {
      const error = stringOrNull(jsonObjectOrNull(item.error)?.message);
      const result = item.result === undefined || item.result === null ? '' : JSON.stringify(item.result);
      return { output: error ?? result, isError: failed || error !== null };
    }
    default:
      return { output: '', isError: failed };
  }
}
