import { describe, expect, it } from 'vitest';
import type { AgentProcessOutcome } from '../processes/run-agent-process.js';
import {
  contextOverflowError,
  mentionsContextOverflow,
  processFailureMessage,
  processStopFailure,
  rateLimitError,
} from './agent-run-errors.js';

const outcome = (fields: Partial<AgentProcessOutcome>): AgentProcessOutcome => ({
  stop: 'exited',
  exitCode: 0,
  signal: null,
  stderrTail: '',
  startError: null,
  ...fields,
});

const limits = { idleTimeoutMs: 500, runTimeoutMs: 9000 };

describe('processStopFailure', () => {
  it('maps cancellation and both timeouts onto a status and an error naming the agent and the limit', () => {
    expect(processStopFailure('The CLI', outcome({ stop: 'cancelled' }), limits)).toEqual({
      status: 'cancelled',
      error: { kind: 'cancelled', message: 'The run was cancelled.' },
    });
    expect(processStopFailure('The CLI', outcome({ stop: 'idle-timeout' }), limits)).toEqual({
      status: 'timed-out',
      error: { kind: 'timeout', message: 'The CLI produced no output for 500 ms and was stopped.' },
    });
    expect(processStopFailure('The CLI', outcome({ stop: 'run-timeout' }), limits)).toEqual({
      status: 'timed-out',
      error: { kind: 'timeout', message: 'The CLI ran longer than 9000 ms and was stopped.' },
    });
  });

  it('leaves a process that exited, or that the backend stopped, to the backend', () => {
    expect(processStopFailure('The CLI', outcome({ stop: 'exited' }), limits)).toBeNull();
    expect(processStopFailure('The CLI', outcome({ stop: 'stopped' }), limits)).toBeNull();
  });
});

describe('processFailureMessage', () => {
  it('says how the process ended, with the redacted end of standard error', () => {
    const token = `ghp_${'a'.repeat(36)}`;
    expect(processFailureMessage('The CLI', outcome({ exitCode: 2, stderrTail: `bad token ${token}` }))).toBe(
      'The CLI exited with code 2; stderr: bad token [REDACTED]',
    );
    expect(processFailureMessage('The CLI', outcome({ exitCode: null, signal: 'SIGKILL' }), ' early')).toBe(
      'The CLI was killed by SIGKILL early',
    );
    expect(processFailureMessage('The CLI', outcome({ exitCode: null, startError: 'spawn x ENOENT' }))).toBe(
      'The CLI spawn x ENOENT',
    );
  });
});

describe('provider errors', () => {
  it('builds rate-limit errors with the wait only when the provider gave one', () => {
    expect(rateLimitError('slow down', 3000)).toEqual({
      kind: 'rate-limit',
      message: 'The model provider is rate limiting requests (HTTP 429): slow down',
      retryAfterMs: 3000,
    });
    expect(rateLimitError('slow down', null)).not.toHaveProperty('retryAfterMs');
  });

  it('recognises the ways providers say the context overflowed', () => {
    for (const message of [
      'prompt is too long: 210000 tokens > 200000 maximum',
      "This model's maximum context length is 128000 tokens",
      'input exceeds the context window',
      'error code: context_length_exceeded',
      'Too many tokens in the request',
    ]) {
      expect(mentionsContextOverflow(message), message).toBe(true);
    }
    expect(mentionsContextOverflow('Internal server error')).toBe(false);
    expect(contextOverflowError('too long')).toEqual({
      kind: 'context-overflow',
      message: "The conversation no longer fits the model's context: too long",
    });
  });
});
