import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AgentEvent, AgentProcessOutcome } from '@loompa/core';
import { describe, expect, it } from 'vitest';
import {
  buildOpenCodeRunResult,
  createOpenCodeAgent,
  OpenCodeStreamParser,
  openCodeSettingsSchema,
} from '../src/index.js';

function parse(lines: string[]) {
  const events: AgentEvent[] = [];
  const parser = new OpenCodeStreamParser((event) => events.push(event));
  for (const line of lines) parser.parseLine(line);
  return { events, state: parser.state };
}

const exited = (exitCode: number, stderrTail = ''): AgentProcessOutcome => ({
  stop: 'exited',
  exitCode,
  signal: null,
  stderrTail,
  startError: null,
});

function errorLine(statusCode: number, message: string, headers: Record<string, string> = {}): string {
  return JSON.stringify({
    type: 'error',
    sessionID: 'ses_1',
    error: { name: 'APIError', data: { message, statusCode, responseHeaders: headers } },
  });
}

describe('OpenCodeStreamParser on recorded OpenCode 1.18.33 output', () => {
  const lines = readFileSync(
    path.join(import.meta.dirname, '__fixtures__', 'opencode-1.18.33-write-file.jsonl'),
    'utf8',
  )
    .split('\n')
    .filter(Boolean);

  it('maps steps, tools and text onto typed events and sums usage and cost over steps', () => {
    const { events, state } = parse(lines);
    expect(events.map((event) => event.type)).toEqual([
      'session-start',
      'tool-call',
      'tool-result',
      'usage',
      'text',
      'usage',
    ]);
    expect(events[1]).toMatchObject({ toolCallId: 'call_1', toolName: 'write' });
    expect(events[2]).toMatchObject({
      toolCallId: 'call_1',
      output: 'Wrote file successfully.',
      isError: false,
    });
    const result = buildOpenCodeRunResult(state, exited(0), {});
    expect(result).toMatchObject({
      status: 'completed',
      sessionId: 'ses_dfee22fd6ffeNmimUrSQof4hgH',
      usage: { inputTokens: 250, outputTokens: 35, cacheReadTokens: 0, cacheWriteTokens: 0 },
      turns: 2,
      finalText: 'Done, wrote hello.txt',
    });
    expect(result.costUsd).toBeCloseTo(0.00081 + 0.000465, 12);
  });
});

describe('OpenCodeStreamParser on errors and damaged output', () => {
  it('keeps malformed lines as raw events', () => {
    expect(parse(['{oops', '42']).events).toEqual([
      { type: 'raw', line: '{oops' },
      { type: 'raw', line: '42' },
    ]);
  });

  it('classifies 401, 429 with retry-after-ms, context overflow and other provider errors', () => {
    const classify = (line: string) => buildOpenCodeRunResult(parse([line]).state, exited(1), {}).error;
    expect(classify(errorLine(401, 'invalid x-api-key'))?.kind).toBe('auth');
    expect(classify(errorLine(429, 'slow down', { 'retry-after-ms': '250' }))).toMatchObject({
      kind: 'rate-limit',
      retryAfterMs: 250,
    });
    expect(classify(errorLine(429, 'slow down', { 'retry-after': '3' }))?.retryAfterMs).toBe(3000);
    expect(classify(errorLine(400, "This model's maximum context length is 200000 tokens"))?.kind).toBe(
      'context-overflow',
    );
    expect(classify(errorLine(500, 'scripted outage'))).toEqual({
      kind: 'unknown',
      message: 'OpenCode reported APIError (HTTP 500): scripted outage',
    });
  });

  it('reports a crash with the stderr tail and a stop after a rejected permission as input-required', () => {
    const crashed = buildOpenCodeRunResult(parse([]).state, exited(1, 'Session not found'), {});
    expect(crashed.error).toEqual({
      kind: 'process',
      message: 'OpenCode exited with code 1; stderr: Session not found',
    });
    const stepFinish = JSON.stringify({
      type: 'step_finish',
      sessionID: 'ses_1',
      part: { reason: 'tool-calls', tokens: { input: 1, output: 1 }, cost: 0 },
    });
    expect(buildOpenCodeRunResult(parse([stepFinish]).state, exited(0), {}).error?.kind).toBe(
      'input-required',
    );
  });
});

describe('opencode: section and command line', () => {
  it('parses defaults, rejects unknown keys and keeps the prompt out of argv', () => {
    expect(openCodeSettingsSchema.parse({})).toMatchObject({ provider: {}, permission: null, model: null });
    expect(openCodeSettingsSchema.safeParse({ modle: 'x' }).success).toBe(false);
    const agent = createOpenCodeAgent({ model: 'local/big', provider: { local: {} } });
    const args = agent.buildArguments(
      { prompt: 'secret plan', cwd: '/tmp', env: {}, model: 'small' },
      'ses_9',
    );
    expect(args).toEqual([
      'run',
      '--format',
      'json',
      '--title',
      'loompa',
      '--session',
      'ses_9',
      '--model',
      'local/small',
    ]);
    const configuration = agent.buildConfiguration('/state/loompa-instructions.md');
    expect(configuration).toMatchObject({
      snapshot: false,
      permission: { edit: 'allow', bash: 'allow' },
      instructions: ['/state/loompa-instructions.md'],
    });
  });
});
