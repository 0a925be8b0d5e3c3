import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AgentEvent, AgentProcessOutcome } from '@loompa/core';
import { describe, expect, it } from 'vitest';
import { buildClaudeRunResult, ClaudeStreamParser } from '../src/index.js';

const fixtureDirectory = path.join(import.meta.dirname, '__fixtures__');

function parse(lines: string[]) {
  const events: AgentEvent[] = [];
  const parser = new ClaudeStreamParser((event) => events.push(event));
  for (const line of lines) parser.parseLine(line);
  return { events, state: parser.state };
}

function parseFixture(name: string) {
  const lines = readFileSync(path.join(fixtureDirectory, name), 'utf8').split('\n').filter(Boolean);
  return parse(lines);
}

const exited = (exitCode: number, stderrTail = ''): AgentProcessOutcome => ({
  stop: 'exited',
  exitCode,
  signal: null,
  stderrTail,
  startError: null,
});

function resultLine(fields: Record<string, unknown>): string {
  return JSON.stringify({
    type: 'result',
    subtype: 'success',
    is_error: true,
    session_id: 'session-1',
    num_turns: 1,
    usage: { input_tokens: 0, output_tokens: 0 },
    model_usage_since_last_result: {},
    ...fields,
  });
}

describe('ClaudeStreamParser on recorded Claude Code 2.1.330 output', () => {
  it('turns a tool call run into typed events in order', () => {
    const { events, state } = parseFixture('claude-2.1.330-write-file.jsonl');
    expect(events.map((event) => event.type)).toEqual([
      'session-start',
      'tool-call',
      'tool-result',
      'text',
      'usage',
    ]);
    expect(events[0]).toEqual({
      type: 'session-start',
      sessionId: '3df9528b-9671-418c-a58c-3ae4ea173030',
      model: 'claude-sonnet-4-5',
    });
    expect(events[1]).toMatchObject({
      toolCallId: 'toolu_1',
      toolName: 'Write',
      input: { file_path: '/home/user/project/hello.txt', content: 'hello\n' },
    });
    expect(events[2]).toMatchObject({ toolCallId: 'toolu_1', isError: false });
    expect((events[2] as { output: string }).output).toContain('File created successfully');
    const result = buildClaudeRunResult(state, exited(0), {});
    expect(result).toEqual({
      status: 'completed',
      sessionId: '3df9528b-9671-418c-a58c-3ae4ea173030',
      usage: { inputTokens: 2400, outputTokens: 160, cacheReadTokens: 0, cacheWriteTokens: 0 },
      costUsd: 0.009600000000000001,
      turns: 2,
      finalText: 'Done.',
    });
  });

  it("reports a resumed run's own cost, not the session's cumulative total_cost_usd", () => {
    const { state } = parseFixture('claude-2.1.330-resume.jsonl');
    const result = buildClaudeRunResult(state, exited(0), {});
    expect(result.costUsd).toBeCloseTo(0.0096, 10);
    expect(result.usage.inputTokens).toBe(2400);
  });

  it('judges success by is_error: an unreachable server is a failure despite subtype success', () => {
    const { events, state } = parseFixture('claude-2.1.330-connection-refused.jsonl');
    expect(events.filter((event) => event.type === 'text')).toEqual([]);
    const result = buildClaudeRunResult(state, exited(1), {});
    expect(result.status).toBe('failed');
    expect(result.error?.kind).toBe('unknown');
    expect(result.error?.message).toContain('Connection refused');
  });
});

describe('ClaudeStreamParser on damaged and unusual output', () => {
  it('keeps malformed lines as raw events and ignores unknown types', () => {
    const { events } = parse(['not json {', '[1,2]', '{"type":"stream_event","event":{}}', '"text"']);
    expect(events).toEqual([
      { type: 'raw', line: 'not json {' },
      { type: 'raw', line: '[1,2]' },
      { type: 'raw', line: '"text"' },
    ]);
  });

  it('reports a crash without a result line as a process error with the stderr tail', () => {
    const { state } = parse([
      JSON.stringify({ type: 'system', subtype: 'init', session_id: 's', model: 'm' }),
    ]);
    const result = buildClaudeRunResult(state, exited(1, 'Error: something broke'), {});
    expect(result.status).toBe('failed');
    expect(result.sessionId).toBe('s');
    expect(result.error).toEqual({
      kind: 'process',
      message: 'Claude Code exited with code 1 without a result; stderr: Error: something broke',
    });
  });

  it('classifies 401, 429 (with the retry delay), prompt too long, max turns and a bad resume', () => {
    const classify = (lines: string[]) => buildClaudeRunResult(parse(lines).state, exited(1), {}).error;
    expect(classify([resultLine({ api_error_status: 401, result: 'Invalid API key' })])?.kind).toBe('auth');
    const retry = JSON.stringify({
      type: 'system',
      subtype: 'api_retry',
      error_status: 429,
      retry_delay_ms: 1230,
    });
    expect(classify([retry, resultLine({ api_error_status: 429, result: 'API Error: 429' })])).toMatchObject({
      kind: 'rate-limit',
      retryAfterMs: 1230,
    });
    expect(
      classify([
        resultLine({
          api_error_status: 400,
          terminal_reason: 'prompt_too_long',
          result: 'Prompt is too long',
        }),
      ])?.kind,
    ).toBe('context-overflow');
    expect(
      classify([resultLine({ subtype: 'error_max_turns', terminal_reason: 'max_turns', num_turns: 2 })])
        ?.kind,
    ).toBe('max-turns');
    expect(classify([resultLine({ subtype: 'error_during_execution', result: undefined })])?.kind).toBe(
      'process',
    );
  });

  it('never puts a registered secret into an error message', () => {
    const { state } = parse([
      resultLine({ api_error_status: 401, result: 'bad key sk-ant-api03-abcdefghijklmnop' }),
    ]);
    const result = buildClaudeRunResult(state, exited(1), {});
    expect(result.error?.message).not.toContain('sk-ant-api03-abcdefghijklmnop');
  });
});
