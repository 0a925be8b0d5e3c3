import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ConversationView,
  chooseTurn,
  defaultScriptedUsage,
  type ModelScript,
  type RecordedRequest,
  type ResolvedToolCall,
  resolveToolCall,
  type ScriptedToolAction,
  type ScriptedTurn,
  type ScriptedUsage,
} from './model-script.js';

/** A model answer ready to be written in a protocol's wire format. */
export interface ScriptedAnswer {
  text: string | null;
  toolCalls: Array<ResolvedToolCall & { id: string }>;
  usage: Required<ScriptedUsage>;
  /** A number unique within the server, for message and tool call ids. */
  sequence: number;
}

/** What distinguishes the Anthropic-compatible server from the OpenAI-compatible one. */
export interface ModelProtocol {
  /** True for the request paths that ask the model for an answer. */
  isModelRequest(method: string, path: string): boolean;
  describeConversation(body: unknown): ConversationView;
  writeAnswer(response: http.ServerResponse, answer: ScriptedAnswer, body: unknown): void;
  errorBody(status: number, message: string): unknown;
  /**
   * Maps a neutral tool action onto this protocol's tools, for CLIs whose tools differ from the
   * `write`/`edit`/`bash` set (Codex offers `apply_patch` and `exec_command`); `resolveToolCall`
   * from model-script.ts when absent.
   */
  resolveToolCall?(view: ConversationView, call: ScriptedToolAction): ResolvedToolCall;
}

export interface ScriptedModelServer {
  /** Base URL such as `http://127.0.0.1:40123` (no trailing slash). */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Requests that asked for a scripted turn (not side requests or unknown paths). */
  modelRequests(): RecordedRequest[];
  /** Sum of the usage the server reported in its successful answers to scripted turns. */
  servedUsage(): Required<ScriptedUsage>;
  /** Replaces the script and forgets the requests and usage recorded so far. */
  setScript(script: ModelScript): void;
  close(): Promise<void>;
}

function completeUsage(usage: ScriptedUsage): Required<ScriptedUsage> {
  return { cacheReadTokens: 0, cacheWriteTokens: 0, ...usage };
}

const zeroUsage: Required<ScriptedUsage> = {
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
};

function defaultErrorMessage(status: number): string {
  if (status === 401) return 'invalid x-api-key';
  if (status === 429) return 'rate limit exceeded';
  if (status === 529) return 'Overloaded';
  return 'internal server error';
}

async function readBody(request: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Starts an HTTP server on 127.0.0.1 that answers model requests from a script. */
export async function startScriptedServer(
  initialScript: ModelScript,
  protocol: ModelProtocol,
): Promise<ScriptedModelServer> {
  let script = initialScript;
  const errorCounts = new Map<number, number>();
  const requests: RecordedRequest[] = [];
  let served = { ...zeroUsage };
  let sequence = 0;

  const answer = async (request: http.IncomingMessage, response: http.ServerResponse) => {
    const body = await readBody(request);
    const path = (request.url ?? '/').split('?')[0]!;
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      path,
      headers: { ...request.headers },
      body,
      turnIndex: null,
    };
    requests.push(recorded);
    if (!protocol.isModelRequest(recorded.method, path)) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify(protocol.errorBody(404, `no route for ${recorded.method} ${path}`)));
      return;
    }
    const view = protocol.describeConversation(body);
    const choice = chooseTurn(script, view, errorCounts);
    recorded.turnIndex = choice.index;
    const turn: ScriptedTurn | null = choice.turn;
    if (turn?.type === 'hang') return;
    if (turn && 'delayMs' in turn && turn.delayMs) {
      await new Promise((resolve) => setTimeout(resolve, turn.delayMs));
    }
    sequence++;
    if (turn?.type === 'http-error') {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (turn.retryAfterMs !== undefined) {
        headers['retry-after'] = String(Math.ceil(turn.retryAfterMs / 1000));
        headers['retry-after-ms'] = String(turn.retryAfterMs);
      }
      response.writeHead(turn.status, headers);
      response.end(
        JSON.stringify(protocol.errorBody(turn.status, turn.message ?? defaultErrorMessage(turn.status))),
      );
      return;
    }
    let scripted: ScriptedAnswer;
    if (turn === null) {
      const usage =
        view.toolNames.length === 0 ? zeroUsage : completeUsage(script.defaultUsage ?? defaultScriptedUsage);
      scripted = { text: script.fallbackText ?? 'Done.', toolCalls: [], usage, sequence };
    } else {
      const usage = completeUsage(turn.usage ?? script.defaultUsage ?? defaultScriptedUsage);
      const toolCalls =
        turn.type === 'tool-calls'
          ? turn.calls.map((call, position) => ({
              ...(protocol.resolveToolCall ?? resolveToolCall)(view, call),
              id: `call_${sequence}_${position}`,
            }))
          : [];
      scripted = { text: turn.text ?? null, toolCalls, usage, sequence };
    }
    served = {
      inputTokens: served.inputTokens + scripted.usage.inputTokens,
      outputTokens: served.outputTokens + scripted.usage.outputTokens,
      cacheReadTokens: served.cacheReadTokens + scripted.usage.cacheReadTokens,
      cacheWriteTokens: served.cacheWriteTokens + scripted.usage.cacheWriteTokens,
    };
    protocol.writeAnswer(response, scripted, body);
  };

  const server = http.createServer((request, response) => {
    answer(request, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify(protocol.errorBody(500, `scripted server: ${String(error)}`)));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    modelRequests: () => requests.filter((request) => request.turnIndex !== null),
    servedUsage: () => ({ ...served }),
    setScript(next) {
      script = next;
      errorCounts.clear();
      requests.length = 0;
      served = { ...zeroUsage };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes one server-sent event. */
export function writeServerSentEvent(response: http.ServerResponse, data: unknown, event?: string): void {
  const prefix = event === undefined ? '' : `event: ${event}\n`;
  response.write(`${prefix}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
}
