import type { ConversationView, ModelScript, ResolvedToolCall, ScriptedToolAction } from './model-script.js';
import { resolveToolCall } from './model-script.js';
import {
  type ModelProtocol,
  type ScriptedModelServer,
  startScriptedServer,
  writeServerSentEvent,
} from './scripted-server.js';

/** A tool as the Responses API declares it: a JSON-schema `function` or a freeform `custom` tool. */
interface ResponsesTool {
  type?: string;
  name?: string;
  parameters?: { properties?: Record<string, unknown> };
}

interface ResponsesInputItem {
  type?: string;
  role?: string;
}

interface ResponsesRequestBody {
  model?: string;
  tools?: ResponsesTool[];
  input?: ResponsesInputItem[] | string;
}

/** Items the model produces; a run of them after a prompt or tool output is one model answer. */
const modelOutputTypes = new Set([
  'reasoning',
  'function_call',
  'custom_tool_call',
  'local_shell_call',
  'web_search_call',
]);

function isModelOutput(item: ResponsesInputItem): boolean {
  if (item.type === 'message' || item.type === undefined) return item.role === 'assistant';
  return modelOutputTypes.has(item.type ?? '');
}

function isPrompt(item: ResponsesInputItem): boolean {
  return (item.type === 'message' || item.type === undefined) && item.role === 'user';
}

/** Counts answers, not items: one answer may hold reasoning, text and several tool calls. */
function answersAfter(items: ResponsesInputItem[]): number {
  let answers = 0;
  let insideAnswer = false;
  for (const item of items) {
    const output = isModelOutput(item);
    if (output && !insideAnswer) answers++;
    insideAnswer = output;
  }
  return answers;
}

/** Single-quotes a string for a POSIX shell. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Every line of `text` prefixed for an apply_patch hunk (`+` added, `-` removed). */
function patchLines(text: string, prefix: '+' | '-'): string {
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  return lines.map((line) => `${prefix}${line}`).join('\n');
}

function findTool(view: ConversationView, name: string): string | null {
  return view.toolNames.find((candidate) => candidate === name) ?? null;
}

/**
 * Codex's tools: `apply_patch` (offered for models in Codex's bundled list) for writes and
 * edits, `exec_command` (`{cmd}`) for commands, and for writes when no apply_patch is offered.
 */
function resolveCodexToolCall(view: ConversationView, call: ScriptedToolAction): ResolvedToolCall {
  const applyPatch = findTool(view, 'apply_patch');
  const execCommand = findTool(view, 'exec_command');
  switch (call.action) {
    case 'write':
      if (applyPatch !== null) {
        const patch = `*** Begin Patch\n*** Add File: ${call.path}\n${patchLines(call.content, '+')}\n*** End Patch\n`;
        return { name: applyPatch, input: { input: patch } };
      }
      if (execCommand !== null) {
        return {
          name: execCommand,
          input: { cmd: `printf '%s' ${shellQuote(call.content)} > ${shellQuote(call.path)}` },
        };
      }
      break;
    case 'edit':
      if (applyPatch !== null) {
        const patch = `*** Begin Patch\n*** Update File: ${call.path}\n@@\n${patchLines(call.oldText, '-')}\n${patchLines(call.newText, '+')}\n*** End Patch\n`;
        return { name: applyPatch, input: { input: patch } };
      }
      break;
    case 'run':
      if (execCommand !== null) return { name: execCommand, input: { cmd: call.command } };
      break;
    case 'call':
      return resolveToolCall(view, call);
  }
  throw new Error(
    `the script asks Codex to ${call.action} but the request offers only: ${view.toolNames.join(', ')}` +
      (call.action === 'edit' ? ' (apply_patch is offered only for models in Codex’s bundled list)' : ''),
  );
}

const responsesProtocol: ModelProtocol = {
  isModelRequest: (method, path) => method === 'POST' && /(^|\/)responses$/.test(path),

  describeConversation(body): ConversationView {
    const request = (body ?? {}) as ResponsesRequestBody;
    const tools = (request.tools ?? []).filter((tool) => typeof tool.name === 'string' && tool.name !== '');
    const input = Array.isArray(request.input)
      ? request.input
      : [{ type: 'message', role: 'user' } satisfies ResponsesInputItem];
    const lastPrompt = input.findLastIndex(isPrompt);
    return {
      toolNames: tools.map((tool) => tool.name!),
      toolParameters: Object.fromEntries(
        tools.map((tool) => [tool.name!, Object.keys(tool.parameters?.properties ?? {})]),
      ),
      answersSincePrompt: answersAfter(input.slice(lastPrompt + 1)),
    };
  },

  resolveToolCall: resolveCodexToolCall,

  writeAnswer(response, answer, body) {
    const request = (body ?? {}) as ResponsesRequestBody;
    const freeformTools = new Set(
      (request.tools ?? []).filter((tool) => tool.type === 'custom').map((tool) => tool.name),
    );
    const responseId = `resp_scripted_${answer.sequence}`;
    const skeleton = {
      id: responseId,
      object: 'response',
      created_at: Math.floor(Date.now() / 1000),
      model: request.model ?? 'scripted-model',
      output: [] as unknown[],
    };
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    writeServerSentEvent(
      response,
      { type: 'response.created', response: { ...skeleton, status: 'in_progress' } },
      'response.created',
    );
    const items: Array<Record<string, unknown>> = [];
    if (answer.text !== null) {
      items.push({
        type: 'message',
        id: `msg_scripted_${answer.sequence}`,
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: answer.text, annotations: [] }],
      });
    }
    answer.toolCalls.forEach((call, position) => {
      const id = `${call.id}_item_${position}`;
      if (freeformTools.has(call.name)) {
        const text = typeof call.input.input === 'string' ? call.input.input : JSON.stringify(call.input);
        items.push({
          type: 'custom_tool_call',
          id,
          call_id: call.id,
          name: call.name,
          input: text,
          status: 'completed',
        });
      } else {
        items.push({
          type: 'function_call',
          id,
          call_id: call.id,
          name: call.name,
          arguments: JSON.stringify(call.input),
          status: 'completed',
        });
      }
    });
    items.forEach((item, outputIndex) => {
      const started =
        item.type === 'message'
          ? { ...item, status: 'in_progress', content: [] }
          : { ...item, status: 'in_progress' };
      writeServerSentEvent(
        response,
        { type: 'response.output_item.added', output_index: outputIndex, item: started },
        'response.output_item.added',
      );
      if (item.type === 'message') {
        writeServerSentEvent(
          response,
          {
            type: 'response.output_text.delta',
            item_id: item.id,
            output_index: outputIndex,
            content_index: 0,
            delta: answer.text,
          },
          'response.output_text.delta',
        );
      }
      writeServerSentEvent(
        response,
        { type: 'response.output_item.done', output_index: outputIndex, item },
        'response.output_item.done',
      );
    });
    // The Responses API counts cached tokens inside input_tokens.
    const inputTokens = answer.usage.inputTokens + answer.usage.cacheReadTokens;
    writeServerSentEvent(
      response,
      {
        type: 'response.completed',
        response: {
          ...skeleton,
          status: 'completed',
          output: items,
          usage: {
            input_tokens: inputTokens,
            input_tokens_details: { cached_tokens: answer.usage.cacheReadTokens },
            output_tokens: answer.usage.outputTokens,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: inputTokens + answer.usage.outputTokens,
          },
        },
      },
      'response.completed',
    );
    response.end();
  },

  errorBody(status, message) {
    const type =
      status === 401
        ? 'invalid_request_error'
        : status === 429
          ? 'rate_limit_exceeded'
          : status === 400
            ? 'invalid_request_error'
            : 'server_error';
    return { error: { message, type, param: null, code: status === 401 ? 'invalid_api_key' : null } };
  },
};

/**
 * A model server speaking OpenAI's Responses API with SSE streaming (`POST /v1/responses`,
 * the only API Codex talks), answering from a script. Neutral tool actions become Codex's
 * tools: `write` and `edit` an `apply_patch` call (a `write` falls back to `exec_command` when
 * the model is not in Codex's bundled list and no apply_patch is offered), `run` an
 * `exec_command` call. See `ModelScript`.
 */
export function createScriptedResponsesServer(script: ModelScript): Promise<ScriptedModelServer> {
  return startScriptedServer(script, responsesProtocol);
}
