import { afterEach, describe, expect, it } from 'vitest';
import type { ModelScript } from './model-script.js';
import { createScriptedResponsesServer } from './scripted-responses-server.js';
import type { ScriptedModelServer } from './scripted-server.js';

const servers: ScriptedModelServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function start(script: ModelScript): Promise<ScriptedModelServer> {
  const server = await createScriptedResponsesServer(script);
  servers.push(server);
  return server;
}

/** Tools as Codex 0.171.0 offers them for a model from its bundled list. */
const codexTools = [
  { type: 'function', name: 'exec_command', parameters: { properties: { cmd: {}, workdir: {} } } },
  { type: 'custom', name: 'apply_patch', format: { type: 'grammar' } },
];
const userMessage = (text: string) => ({
  type: 'message',
  role: 'user',
  content: [{ type: 'input_text', text }],
});

/** Posts a Responses request and returns the `data:` payloads of the SSE answer. */
async function ask(server: ScriptedModelServer, input: unknown[], tools: unknown[] = codexTools) {
  const response = await fetch(`${server.url}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-5.5', stream: true, store: false, tools, input }),
  });
  const text = await response.text();
  const events = text
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice('data: '.length)) as Record<string, unknown>);
  return { response, events, text };
}

const completedItems = (events: Array<Record<string, unknown>>) =>
  events.filter((event) => event.type === 'response.output_item.done').map((event) => event.item);

describe('createScriptedResponsesServer', () => {
  it('answers a write with an apply_patch custom tool call and a run with exec_command', async () => {
    const server = await start({
      turns: [
        {
          type: 'tool-calls',
          text: 'On it.',
          calls: [
            { action: 'write', path: 'hello.txt', content: 'hi\nthere\n' },
            { action: 'run', command: 'ls' },
          ],
          usage: { inputTokens: 100, outputTokens: 7, cacheReadTokens: 30 },
        },
      ],
    });
    const { events } = await ask(server, [userMessage('Write hello.txt')]);
    expect(events[0]).toMatchObject({ type: 'response.created' });
    expect(completedItems(events)).toEqual([
      expect.objectContaining({
        type: 'message',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'On it.', annotations: [] }],
      }),
      expect.objectContaining({
        type: 'custom_tool_call',
        name: 'apply_patch',
        input: '*** Begin Patch\n*** Add File: hello.txt\n+hi\n+there\n*** End Patch\n',
      }),
      expect.objectContaining({ type: 'function_call', name: 'exec_command', arguments: '{"cmd":"ls"}' }),
    ]);
    expect(events.at(-1)).toMatchObject({
      type: 'response.completed',
      response: {
        usage: { input_tokens: 130, input_tokens_details: { cached_tokens: 30 }, output_tokens: 7 },
      },
    });
    expect(server.modelRequests()).toHaveLength(1);
  });

  it('writes through exec_command when no apply_patch is offered, and refuses an edit it cannot express', async () => {
    const server = await start({
      turns: [{ type: 'tool-calls', calls: [{ action: 'write', path: "it's.txt", content: "it's" }] }],
    });
    const { events } = await ask(server, [userMessage('go')], [codexTools[0]]);
    expect(completedItems(events)[0]).toMatchObject({
      name: 'exec_command',
      arguments: JSON.stringify({ cmd: `printf '%s' 'it'\\''s' > 'it'\\''s.txt'` }),
    });
    server.setScript({
      turns: [{ type: 'tool-calls', calls: [{ action: 'edit', path: 'a', oldText: 'x', newText: 'y' }] }],
    });
    const refused = await ask(server, [userMessage('go')], [codexTools[0]]);
    expect(refused.response.status).toBe(500);
    expect(refused.text).toContain('apply_patch is offered only for models in Codex');
  });

  it('picks the turn by content: one answer may hold reasoning, text and several calls', async () => {
    const server = await start({
      turns: [
        { type: 'tool-calls', calls: [{ action: 'run', command: 'one' }] },
        { type: 'text', text: 'second' },
      ],
    });
    const afterOneAnswer = [
      userMessage('<environment_context/>'),
      userMessage('Do it'),
      { type: 'reasoning', summary: [] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'plan' }] },
      { type: 'function_call', name: 'exec_command', arguments: '{}', call_id: 'a' },
      { type: 'function_call', name: 'exec_command', arguments: '{}', call_id: 'b' },
      { type: 'function_call_output', call_id: 'a', output: 'ok' },
      { type: 'function_call_output', call_id: 'b', output: 'ok' },
    ];
    const { events } = await ask(server, afterOneAnswer);
    expect(completedItems(events)).toEqual([expect.objectContaining({ type: 'message' })]);
    // A resumed thread with a new prompt starts the script again.
    const resumed = await ask(server, [...afterOneAnswer, userMessage('Again')]);
    expect(completedItems(resumed.events)[0]).toMatchObject({ type: 'function_call' });
    expect(server.modelRequests().map((request) => request.turnIndex)).toEqual([1, 0]);
  });

  it('answers scripted errors with the status, an OpenAI error body and retry-after', async () => {
    const server = await start({ turns: [{ type: 'http-error', status: 429, retryAfterMs: 1500 }] });
    const { response, text } = await ask(server, [userMessage('go')]);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(response.headers.get('retry-after-ms')).toBe('1500');
    expect(JSON.parse(text)).toEqual({
      error: { message: 'rate limit exceeded', type: 'rate_limit_exceeded', param: null, code: null },
    });
  });
});
