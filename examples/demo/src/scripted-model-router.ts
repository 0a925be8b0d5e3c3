import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createScriptedAnthropicServer,
  createScriptedResponsesServer,
  type ModelScript,
  type ScriptedModelServer,
} from '@loompa/testkit';

interface AnthropicMessage {
  role?: string;
  content?: string | Array<{ type?: string; text?: string }>;
}

/** The wire protocol a router speaks: Anthropic Messages (Claude Code) or OpenAI Responses (Codex). */
export type ScriptedModelProtocol = 'anthropic' | 'responses';

/**
 * The texts of a conversation's prompts (user messages that are not only tool results), oldest
 * first: the task prompt, then the feedback each reaction resumed the session with. Reads
 * Anthropic `messages` and Responses `input` (where tool results are items of their own).
 */
export function promptTexts(body: unknown): string[] {
  const request = (body ?? {}) as { messages?: AnthropicMessage[]; input?: AnthropicMessage[] };
  const messages = request.messages ?? (Array.isArray(request.input) ? request.input : []);
  const prompts: string[] = [];
  for (const message of messages) {
    if (message.role !== 'user') continue;
    if (typeof message.content === 'string') {
      prompts.push(message.content);
      continue;
    }
    const blocks = message.content ?? [];
    if (blocks.every((block) => block.type === 'tool_result')) continue;
    prompts.push(blocks.map((block) => block.text ?? '').join('\n'));
  }
  return prompts;
}

/** Which scripted conversation a request belongs to: `reviewer`, or `<task>:<initial|ci-failure|conflict>`. */
export function routeOf(body: unknown): string {
  const prompts = promptTexts(body);
  if ((prompts.at(-1) ?? '').includes('You are reviewing a change request')) return 'reviewer';
  // A reaction's prompt is only the feedback; the task is named in the session's first prompt.
  const task = prompts.map((text) => /\bTASK-\d+\b/.exec(text)?.[0]).find(Boolean) ?? 'unknown';
  // Claude Code may add prompts of its own (notes about changed files) after the feedback, so
  // the latest feedback decides, not the latest prompt.
  for (const prompt of [...prompts].reverse()) {
    if (prompt.includes('The checks on your change failed')) return `${task}:ci-failure`;
    if (prompt.includes('A rebase of your branch onto')) return `${task}:conflict`;
    if (prompt.includes(task)) break;
  }
  return `${task}:initial`;
}

export interface ScriptedModelRouter {
  /** Base URL for `ANTHROPIC_BASE_URL`. */
  readonly url: string;
  /** Model requests answered per route. */
  readonly requestsByRoute: Map<string, number>;
  close(): Promise<void>;
}

/**
 * One Anthropic-compatible (or, for Codex, Responses) endpoint in front of one scripted model
 * server per conversation: the scripted servers pick a turn by how far a conversation has got,
 * and this picks the conversation (which task, which kind of prompt) from the request, so
 * several agents and the reviewer can share one `ANTHROPIC_BASE_URL`.
 */
export async function startScriptedModelRouter(
  scripts: Record<string, ModelScript>,
  protocol: ScriptedModelProtocol = 'anthropic',
): Promise<ScriptedModelRouter> {
  const createServer =
    protocol === 'responses' ? createScriptedResponsesServer : createScriptedAnthropicServer;
  const servers = new Map<string, ScriptedModelServer>();
  for (const [route, script] of Object.entries(scripts)) servers.set(route, await createServer(script));
  const fallback = await createServer({ turns: [], fallbackText: 'Done.' });
  const requestsByRoute = new Map<string, number>();

  const server = http.createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {}
    const route = routeOf(parsed);
    requestsByRoute.set(route, (requestsByRoute.get(route) ?? 0) + 1);
    const target = new URL(request.url ?? '/', (servers.get(route) ?? fallback).url);
    const forwarded = http.request(
      target,
      {
        method: request.method,
        headers: { ...request.headers, host: target.host, 'content-length': body.length },
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on('error', (error) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: error.message } }));
    });
    forwarded.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requestsByRoute,
    async close() {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await Promise.all([...servers.values(), fallback].map((scripted) => scripted.close()));
    },
  };
}
