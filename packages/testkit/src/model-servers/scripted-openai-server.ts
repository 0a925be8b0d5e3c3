import type { ConversationView, ModelScript } from './model-script.js';
import {
  type ModelProtocol,
  type ScriptedModelServer,
  startScriptedServer,
  writeServerSentEvent,
} from './scripted-server.js';

interface OpenAIRequestBody {
  model?: string;
  tools?: Array<{ function?: { name?: string; parameters?: { properties?: Record<string, unknown> } } }>;
  messages?: Array<{ role?: string }>;
}

const openAIProtocol: ModelProtocol = {
  isModelRequest: (method, path) => method === 'POST' && /(^|\/)chat\/completions$/.test(path),

  describeConversation(body): ConversationView {
    const request = (body ?? {}) as OpenAIRequestBody;
    const tools = (request.tools ?? []).map((tool) => tool.function ?? {});
    const messages = request.messages ?? [];
    const lastPrompt = messages.findLastIndex((message) => message.role === 'user');
    return {
      toolNames: tools.map((tool) => tool.name ?? '').filter((name) => name !== ''),
      toolParameters: Object.fromEntries(
        tools.map((tool) => [tool.name ?? '', Object.keys(tool.parameters?.properties ?? {})]),
      ),
      answersSincePrompt: messages.slice(lastPrompt + 1).filter((message) => message.role === 'assistant')
        .length,
    };
  },

  writeAnswer(response, answer, body) {
    const model = ((body ?? {}) as OpenAIRequestBody).model ?? 'scripted-model';
    const chunk = (choice: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      id: `chatcmpl-scripted-${answer.sequence}`,
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{ index: 0, finish_reason: null, ...choice }],
      ...extra,
    });
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    writeServerSentEvent(response, chunk({ delta: { role: 'assistant', content: '' } }));
    if (answer.text !== null) writeServerSentEvent(response, chunk({ delta: { content: answer.text } }));
    answer.toolCalls.forEach((call, index) => {
      writeServerSentEvent(
        response,
        chunk({
          delta: {
            tool_calls: [
              {
                index,
                id: call.id,
                type: 'function',
                function: { name: call.name, arguments: JSON.stringify(call.input) },
              },
            ],
          },
        }),
      );
    });
    writeServerSentEvent(
      response,
      chunk(
        { delta: {}, finish_reason: answer.toolCalls.length > 0 ? 'tool_calls' : 'stop' },
        {
          usage: {
            prompt_tokens: answer.usage.inputTokens + answer.usage.cacheReadTokens,
            completion_tokens: answer.usage.outputTokens,
            total_tokens: answer.usage.inputTokens + answer.usage.cacheReadTokens + answer.usage.outputTokens,
            prompt_tokens_details: { cached_tokens: answer.usage.cacheReadTokens },
          },
        },
      ),
    );
    writeServerSentEvent(response, '[DONE]');
    response.end();
  },

  errorBody(status, message) {
    const type =
      status === 401 ? 'invalid_request_error' : status === 429 ? 'rate_limit_exceeded' : 'server_error';
    return { error: { message, type, code: status === 401 ? 'invalid_api_key' : null } };
  },
};

/**
 * A model server speaking OpenAI chat completions with SSE streaming (what OpenCode's
 * `@ai-sdk/openai-compatible` provider talks to), answering from a script. See `ModelScript`.
 */
export function createScriptedOpenAIServer(script: ModelScript): Promise<ScriptedModelServer> {
  return startScriptedServer(script, openAIProtocol);
}
