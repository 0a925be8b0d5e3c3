/**
 * A protocol-neutral script for the scripted model servers. The same script drives the
 * Anthropic-compatible server (Claude Code) and the OpenAI-compatible one (OpenCode), so one
 * conformance suite can run against both CLIs.
 *
 * The turn a request gets is chosen by its content, never by how many requests came before:
 * turn N answers a conversation in which the model has already answered N times since the
 * latest user prompt. A retried request therefore gets the same turn again, a resumed
 * session starts again at turn 0 with its new prompt, and side requests that offer no tools
 * (titles, summaries) never consume a turn.
 */

export interface ScriptedUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
}

/** A tool call written once for both CLIs; the server maps it onto the tool the CLI offers. */
export type ScriptedToolAction =
  | { action: 'write'; path: string; content: string }
  | { action: 'edit'; path: string; oldText: string; newText: string }
  | { action: 'run'; command: string; description?: string }
  /** A call to a tool by its exact name, with its exact input. */
  | { action: 'call'; name: string; input: Record<string, unknown> };

interface TurnTiming {
  /** Wait this long before answering. */
  delayMs?: number;
}

export type ScriptedTurn =
  | ({ type: 'text'; text: string; usage?: ScriptedUsage } & TurnTiming)
  | ({ type: 'tool-calls'; calls: ScriptedToolAction[]; text?: string; usage?: ScriptedUsage } & TurnTiming)
  | ({
      type: 'http-error';
      /** 401, 429, 500, 529 (overloaded)… */
      status: number;
      message?: string;
      /** Sent as `retry-after` (seconds, rounded up) and `retry-after-ms`. */
      retryAfterMs?: number;
      /**
       * Answer with the error this many times, then fall through to the next turn (a
       * transient error). Unset: every request for this turn fails (a persistent error).
       */
      times?: number;
    } & TurnTiming)
  /** Accept the request and never answer (until the server closes): a silent model. */
  | { type: 'hang' };

export interface ModelScript {
  turns: ScriptedTurn[];
  /** Usage reported for a turn that gives none. */
  defaultUsage?: ScriptedUsage;
  /** Answer once the script is exhausted, and to side requests that offer no tools. */
  fallbackText?: string;
}

export const defaultScriptedUsage: ScriptedUsage = { inputTokens: 100, outputTokens: 20 };

/** What a server learned from one request, in protocol-neutral terms. */
export interface ConversationView {
  /** Names of the tools the request offered, as spelled by the CLI. */
  toolNames: string[];
  /** Property names of each offered tool's input schema, by tool name. */
  toolParameters: Record<string, string[]>;
  /** Model answers since the latest user prompt. */
  answersSincePrompt: number;
}

/** One request the server received, kept so tests can check what the CLI sent. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
  /** Turn index the request was answered with; null for side requests and unknown paths. */
  turnIndex: number | null;
}

/** The decision for one request: a turn of the script, or the fallback answer. */
export type TurnChoice = { turn: ScriptedTurn; index: number } | { turn: null; index: null };

/**
 * Picks the turn for a conversation, skipping transient errors that have been served
 * `times` times already (counted per turn index in `errorCounts`).
 */
export function chooseTurn(
  script: ModelScript,
  view: ConversationView,
  errorCounts: Map<number, number>,
): TurnChoice {
  if (view.toolNames.length === 0) return { turn: null, index: null };
  let index = view.answersSincePrompt;
  // Transient errors do not count as answers in the conversation, so step over spent ones.
  for (let position = 0; position < script.turns.length; position++) {
    const turn = script.turns[position]!;
    if (turn.type !== 'http-error' || turn.times === undefined) continue;
    if (position > index) break;
    if ((errorCounts.get(position) ?? 0) >= turn.times) index++;
  }
  const turn = script.turns[index];
  if (turn === undefined) return { turn: null, index: null };
  if (turn.type === 'http-error' && turn.times !== undefined) {
    errorCounts.set(index, (errorCounts.get(index) ?? 0) + 1);
  }
  return { turn, index };
}

export interface ResolvedToolCall {
  name: string;
  input: Record<string, unknown>;
}

function findTool(view: ConversationView, wanted: string): string {
  const found = view.toolNames.find((name) => name.toLowerCase() === wanted);
  if (!found) {
    throw new Error(
      `the script calls the ${wanted} tool but the request offers only: ${view.toolNames.join(', ')}`,
    );
  }
  return found;
}

/** Picks the parameter spelling the tool's schema uses (`file_path` or `filePath`). */
function parameterName(view: ConversationView, tool: string, candidates: string[]): string {
  const parameters = view.toolParameters[tool] ?? [];
  return candidates.find((candidate) => parameters.includes(candidate)) ?? candidates[0]!;
}

/** Maps a neutral tool action onto the tool the CLI offered, in its own parameter names. */
export function resolveToolCall(view: ConversationView, call: ScriptedToolAction): ResolvedToolCall {
  switch (call.action) {
    case 'write': {
      const name = findTool(view, 'write');
      return {
        name,
        input: {
          [parameterName(view, name, ['file_path', 'filePath'])]: call.path,
          content: call.content,
        },
      };
    }
    case 'edit': {
      const name = findTool(view, 'edit');
      return {
        name,
        input: {
          [parameterName(view, name, ['file_path', 'filePath'])]: call.path,
          [parameterName(view, name, ['old_string', 'oldString'])]: call.oldText,
          [parameterName(view, name, ['new_string', 'newString'])]: call.newText,
        },
      };
    }
    case 'run': {
      const name = findTool(view, 'bash');
      return { name, input: { command: call.command, description: call.description ?? 'Run a command' } };
    }
    case 'call':
      return { name: call.name, input: call.input };
  }
}

/** Cost of a usage at per-million-token prices, as both CLIs compute it. */
export function scriptedCostUsd(
  usage: ScriptedUsage,
  pricing: { inputPerMillion: number; outputPerMillion: number },
): number {
  return (usage.inputTokens * pricing.inputPerMillion + usage.outputTokens * pricing.outputPerMillion) / 1e6;
}
