import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type AgentEvent, type AgentProcessOutcome, emptyTokenUsage, type TokenUsage } from '@loompa/core';
import { describe, expect, it } from 'vitest';
import {
  buildCodexRunResult,
  CodexStreamParser,
  type CodexUsageAccounting,
  classifyCodexError,
  priceCodexUsage,
} from '../src/index.js';

const fixtureDirectory = path.join(import.meta.dirname, '__fixtures__');

function parse(lines: string[], accounting?: CodexUsageAccounting) {
  const events: AgentEvent[] = [];
  const parser = new CodexStreamParser((event) => events.push(event), accounting, 'gpt-5.5');
  for (const line of lines) parser.parseLine(line);
  return { events, parser };
}

function fixtureLines(name: string): string[] {
  return readFileSync(path.join(fixtureDirectory, name), 'utf8').split('\n').filter(Boolean);
}

const exited = (exitCode: number, stderrTail = ''): AgentProcessOutcome => ({
  stop: 'exited',
  exitCode,
  signal: null,
  stderrTail,
  startError: null,
});

const line = (value: unknown) => JSON.stringify(value);
const threadStarted = line({ type: 'thread.started', thread_id: 'thread-1' });
const turnFailed = (message: string) => line({ type: 'turn.failed', error: { message } });
const usageLine = (input: number, output: number, cached = 0) =>
  line({
    type: 'turn.completed',
    usage: {
      input_tokens: input,
      cached_input_tokens: cached,
      cache_write_input_tokens: 0,
      output_tokens: output,
      reasoning_output_tokens: 0,
    },
  });
const commandItem = (id: string, status: 'in_progress' | 'completed', exitCode: number | null = null) =>
  line({
    type: status === 'in_progress' ? 'item.started' : 'item.completed',
    item: {
      id,
      type: 'command_execution',
      command: 'make',
      aggregated_output: 'out',
      exit_code: exitCode,
      status,
    },
  });

const pricePerMillion = { input: 3, output: 15 };
const priced: CodexUsageAccounting = {
  baseline: emptyTokenUsage(),
  price: (usage: TokenUsage) => priceCodexUsage(pricePerMillion, usage),
};

describe('CodexStreamParser on recorded Codex 0.171.0 output', () => {
  it('maps a command run onto session-start, tool-call, tool-result, text and usage', () => {
    const { events, parser } = parse(fixtureLines('codex-0.171.0-write-file.jsonl'), priced);
    expect(events.map((event) => event.type)).toEqual([
      'session-start',
      'raw',
      'tool-call',
      'tool-result',
      'text',
      'usage',
    ]);
    expect(events[0]).toEqual({
      type: 'session-start',
      sessionId: '01a22703-948a-74c1-9e16-7e18aa82c584',
      model: 'gpt-5.5',
    });
    expect(events[2]).toEqual({
      type: 'tool-call',
      toolCallId: 'item_1',
      toolName: 'shell',
      input: { command: "/bin/bash -c 'printf hi > hello.txt'" },
    });
    expect(events[3]).toEqual({ type: 'tool-result', toolCallId: 'item_1', output: '', isError: false });
    expect(parser.state.warnings[0]).toContain('Model metadata for `mock-model` not found');
    const result = buildCodexRunResult(parser, exited(0), {});
    expect(result).toEqual({
      status: 'completed',
      sessionId: '01a22703-948a-74c1-9e16-7e18aa82c584',
      usage: { inputTokens: 200, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0 },
      costUsd: (200 * 3 + 20 * 15) / 1e6,
      turns: 2,
      finalText: 'done',
    });
  });

  it('names an apply_patch file change for its effect: adding a file is a write', () => {
    const { events } = parse(fixtureLines('codex-0.171.0-apply-patch.jsonl'));
    const toolCall = events.find((event) => event.type === 'tool-call');
    expect(toolCall).toMatchObject({
      toolName: 'write',
      input: { changes: [{ path: '/home/user/project/hello.txt', kind: 'add' }] },
    });
    expect(events.find((event) => event.type === 'tool-result')).toMatchObject({
      output: 'add /home/user/project/hello.txt',
      isError: false,
    });
  });

  it('reports a resumed run only its share of the thread’s cumulative usage', () => {
    const baseline = { inputTokens: 200, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0 };
    const { parser, events } = parse(fixtureLines('codex-0.171.0-resume.jsonl'), { ...priced, baseline });
    const result = buildCodexRunResult(parser, exited(0), {});
    expect(result.usage).toEqual({
      inputTokens: 100,
      outputTokens: 10,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    });
    expect(result.costUsd).toBeCloseTo((100 * 3 + 10 * 15) / 1e6, 12);
    expect(events.filter((event) => event.type === 'usage').at(-1)).toMatchObject({ usage: result.usage });
    expect(result.sessionId).toBe('01a22701-48c2-7c40-ba45-e4a4462abdb5');
  });
});

describe('CodexStreamParser on other items and damaged output', () => {
  it('keeps malformed lines and reasoning as raw events', () => {
    const reasoning = line({
      type: 'item.completed',
      item: { id: 'item_0', type: 'reasoning', text: 'hmm' },
    });
    const { events } = parse(['not json', '[1]', reasoning, line({ type: 'brand.new' })]);
    expect(events).toEqual([
      { type: 'raw', line: 'not json' },
      { type: 'raw', line: '[1]' },
      { type: 'raw', line: reasoning },
    ]);
  });

  it('reports a failed command as a tool error and a completion without a start as both events', () => {
    const { events } = parse([commandItem('item_1', 'completed', 2)]);
    expect(events).toEqual([
      { type: 'tool-call', toolCallId: 'item_1', toolName: 'shell', input: { command: 'make' } },
      { type: 'tool-result', toolCallId: 'item_1', output: 'out', isError: true },
    ]);
  });

  it('counts model answers: items after a finished tool start a new answer', () => {
    const message = (id: string) =>
      line({ type: 'item.completed', item: { id, type: 'agent_message', text: id } });
    const { parser } = parse([
      threadStarted,
      message('plan'),
      commandItem('a', 'in_progress'),
      commandItem('a', 'completed', 0),
      commandItem('b', 'in_progress'),
      commandItem('b', 'completed', 0),
      message('done'),
    ]);
    expect(parser.state.modelAnswers).toBe(3);
    expect(parser.state.answerStartedTool).toBe(false);
    expect(parser.state.lastText).toBe('done');
  });

  it('counts the commands Codex runs at once, and file changes it applies one after another, as one answer', () => {
    const fileChange = (id: string, status: 'in_progress' | 'completed') =>
      line({
        type: status === 'in_progress' ? 'item.started' : 'item.completed',
        item: { id, type: 'file_change', changes: [{ path: `/p/${id}`, kind: 'add' }], status },
      });
    const answer = (id: string) =>
      line({ type: 'item.completed', item: { id, type: 'agent_message', text: id } });
    // As Codex 0.171.0 printed one answer of two commands and two apply_patch calls.
    const { parser } = parse([
      threadStarted,
      commandItem('item_0', 'in_progress'),
      commandItem('item_1', 'in_progress'),
      commandItem('item_1', 'completed', 0),
      commandItem('item_0', 'completed', 0),
    ]);
    expect(parser.state.modelAnswers).toBe(1);
    for (const next of [fileChange('item_2', 'in_progress'), fileChange('item_2', 'completed')])
      parser.parseLine(next);
    // Commands and file changes of one answer still count twice: the stream cannot tell them apart.
    expect(parser.state.modelAnswers).toBe(2);
    for (const next of [
      fileChange('item_3', 'in_progress'),
      fileChange('item_3', 'completed'),
      answer('item_4'),
    ]) {
      parser.parseLine(next);
    }
    expect(parser.state.modelAnswers).toBe(3);
    expect(parser.state.answerStartedTool).toBe(false);
  });

  it('separates cached input tokens from the input_tokens that include them', () => {
    const { parser } = parse([threadStarted, usageLine(1000, 50, 600)]);
    expect(parser.runUsage()).toEqual({
      inputTokens: 400,
      outputTokens: 50,
      cacheReadTokens: 600,
      cacheWriteTokens: 0,
    });
    expect(parser.runCostUsd()).toBeNull();
  });
});

describe('Codex run results', () => {
  const failedWith = (message: string) =>
    buildCodexRunResult(
      parse([threadStarted, line({ type: 'error', message }), turnFailed(message)]).parser,
      exited(1),
      {},
    ).error;

  it('classifies the errors Codex 0.171.0 printed for 401, 429, 500, a missing key and an overflow', () => {
    expect(
      failedWith(
        'unexpected status 401 Unauthorized: invalid x-api-key, url: http://127.0.0.1:1/v1/responses',
      ),
    ).toMatchObject({ kind: 'auth', message: expect.stringContaining('HTTP 401') });
    expect(failedWith('exceeded retry limit, last status: 429 Too Many Requests')?.kind).toBe('rate-limit');
    expect(failedWith('We’re currently experiencing high demand, which may cause temporary errors.')).toEqual(
      {
        kind: 'unknown',
        message:
          'The model provider failed with HTTP 500 (Codex hides its body): We’re currently experiencing high demand, which may cause temporary errors.',
      },
    );
    expect(failedWith('Missing environment variable: `SCRIPTED_API_KEY`.')?.kind).toBe('auth');
    expect(
      failedWith('{"error":{"message":"Your input exceeds the context window of this model","code":null}}')
        ?.kind,
    ).toBe('context-overflow');
    expect(failedWith('unexpected status 503 Service Unavailable: down, url: x')).toMatchObject({
      kind: 'unknown',
      message: expect.stringContaining('HTTP 503'),
    });
  });

  it('reports a crash without turn.completed as a process error with the stderr tail', () => {
    const { parser } = parse([threadStarted, commandItem('item_1', 'in_progress')]);
    const result = buildCodexRunResult(parser, exited(1, 'Error: no rollout found for thread id nope'), {});
    expect(result.status).toBe('failed');
    expect(result.sessionId).toBe('thread-1');
    expect(result.error).toEqual({
      kind: 'process',
      message:
        'Codex exited with code 1 without finishing its turn; stderr: Error: no rollout found for thread id nope',
    });
  });

  it('reports a run stopped by the backend as max-turns', () => {
    const { parser } = parse([threadStarted, commandItem('a', 'in_progress')]);
    const result = buildCodexRunResult(
      parser,
      { ...exited(0), stop: 'stopped', exitCode: null, signal: 'SIGTERM' },
      {
        maxTurns: 1,
      },
    );
    expect(result.error?.kind).toBe('max-turns');
  });

  it('never puts a registered secret into an error message', () => {
    expect(
      classifyCodexError('unexpected status 401 Unauthorized: key sk-proj-abcdefghijklmnopqrstuvwx').message,
    ).not.toContain('sk-proj-abcdefghijklmnopqrstuvwx');
  });
});
