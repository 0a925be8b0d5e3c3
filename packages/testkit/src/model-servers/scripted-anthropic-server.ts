import type { ConversationView, ModelScript } from './model-script.js';
import {
  type ModelProtocol,
  type ScriptedModelServer,
  startScriptedServer,
  writeServerSentEvent,
} from './scripted-server.js';

interface AnthropicContentBlock {
  type?: string;
}

interface AnthropicMessage {
  role?: string;
  content?: string | AnthropicContentBlock[];
}

interface AnthropicRequestBody {
  model?: string;
  tools?: Array<{ name?: string; input_schema?: { properties?: Record<string, unknown> } }>;
  messages?: AnthropicMessage[];
}

/** A user message made only of tool results answers the model; any other user message is a prompt. */
function isPrompt(message: AnthropicMessage): boolean {
  if (message.role !== 'user') return false;
  if (typeof message.content === 'string') return true;
  return !(message.content ?? []).every((block) => block.type === 'tool_result');
}

const anthropicProtocol: ModelProtocol = {
  isModelRequest: (method, path) => method === 'POST' && path === '/v1/messages',

  describeConversation(body): ConversationView {
    const request = (body ?? {}) as AnthropicRequestBody;
    const tools = request.tools ?? [];
    const messages = request.messages ?? [];
    let lastPrompt = -1;
    messages.forEach((message, index) => {
      if (isPrompt(message)) lastPrompt = index;
    });
    return {
      toolNames: tools.map((tool) => tool.name ?? '').filter((name) => name !== ''),
      toolParameters: Object.fromEntries(
        tools.map((tool) => [tool.name ?? '', Object.keys(tool.input_schema?.properties ?? {})]),
      ),
      answersSincePrompt: messages.slice(lastPrompt + 1).filter((message) => message.role === 'assistant')
        .length,
    };
  },

  writeAnswer(response, answer, body) {
    const model = ((body ?? {}) as AnthropicRequestBody).model ?? 'claude-sonnet-4-5';
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    writeServerSentEvent(
      response,
      {
        type: 'message_start',
        message: {
          id: `msg_scripted_${answer.sequence}`,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: {
            input_tokens: answer.usage.inputTokens,
            output_tokens: 1,
            cache_read_input_tokens: answer.usage.cacheReadTokens,
            cache_creation_input_tokens: answer.usage.cacheWriteTokens,
          },
        },
      },
      'message_start',
    );
    let index = 0;
    if (answer.text !== null) {
      writeServerSentEvent(
        response,
        { type: 'content_block_start', index, content_block: { type: 'text', text: '' } },
        'content_block_start',
      );
      writeServerSentEvent(
        response,
        { type: 'content_block_delta', index, delta: { type: 'text_delta', text: answer.text } },
        'content_block_delta',
      );
      writeServerSentEvent(response, { type: 'content_block_stop', index }, 'content_block_stop');
      index++;
    }
    for (const call of answer.toolCalls) {
      writeServerSentEvent(
        response,
        {
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} },
        },
        'content_block_start',
      );
      writeServerSentEvent(
        response,
        {
          type: 'content_block_delta',
          index,
          delta: { type: 'input_json_delta', partial_json: JSON.stringify(call.input) },
        },
        'content_block_delta',
      );
      writeServerSentEvent(response, { type: 'content_block_stop', index }, 'content_block_stop');
      index++;
    }
    writeServerSentEvent(
      response,
      {
        type: 'message_delta',
        delta: { stop_reason: answer.toolCalls.length > 0 ? 'tool_use' : 'end_turn', stop_sequence: null },
        usage: { output_tokens: answer.usage.outputTokens },
      },
      'message_delta',
    );
    writeServerSentEvent(response, { type: 'message_stop' }, 'message_stop');
    response.end();
  },

  errorBody(status, message) {
    const type =
      status === 401
        ? 'authentication_error'
        : status === 429
          ? 'rate_limit_error'
          : status === 529
            ? 'overloaded_error'
            : status === 400
              ? 'invalid_request_error'
              : status === 404
                ? 'not_found_error'
                : 'api_error';
    return { type: 'error', error: { type, message } };
  },
};

/**
 * A model server speaking the Anthropic Messages API with SSE streaming (what Claude Code
 * talks to through `ANTHROPIC_BASE_URL`), answering from a script. See `ModelScript`.
 */
export function createScriptedAnthropicServer(script: ModelScript): Promise<ScriptedModelServer> {
  return startScriptedServer(script, anthropicProtocol);
}
