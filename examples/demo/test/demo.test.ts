import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../src/run-demo.js';
import { routeOf } from '../src/scripted-model-router.js';

describe('the scripted model router', () => {
  const prompt = (text: string) => ({ role: 'user', content: [{ type: 'text', text }] });
  const toolResult = { role: 'user', content: [{ type: 'tool_result', content: 'ok' }] };

  it('picks the conversation from the first prompt and the latest feedback', () => {
    expect(routeOf({ messages: [prompt('You are working on TASK-2: x')] })).toBe('TASK-2:initial');
    expect(
      routeOf({
        messages: [
          prompt('You are working on TASK-2: x'),
          { role: 'assistant', content: [] },
          prompt('The checks on your change failed. …'),
          prompt('Note: a file changed on disk'),
          toolResult,
        ],
      }),
    ).toBe('TASK-2:ci-failure');
    expect(
      routeOf({ messages: [prompt('TASK-3'), prompt('A rebase of your branch onto main stopped')] }),
    ).toBe('TASK-3:conflict');
    expect(routeOf({ messages: [prompt('You are reviewing a change request.\nTitle: TASK-1: x')] })).toBe(
      'reviewer',
    );
  });

  it('routes Codex requests (Responses API input, tool outputs as items of their own) the same way', () => {
    const input = (text: string) => ({
      type: 'message',
      role: 'user',
      content: [{ type: 'input_text', text }],
    });
    expect(
      routeOf({
        input: [
          input('<environment_context>…</environment_context>'),
          input('You are working on TASK-2: x'),
          { type: 'function_call', name: 'exec_command', arguments: '{}', call_id: 'c1' },
          { type: 'function_call_output', call_id: 'c1', output: 'ok' },
          input('The checks on your change failed. …'),
        ],
      }),
    ).toBe('TASK-2:ci-failure');
  });
});

describe('pnpm demo', () => {
  it('merges every task: one after fixing its checks, one after a rebase over a conflict; main passes its tests', {
    timeout: 180_000,
  }, async () => {
    const progress: string[] = [];
    const run = await runDemo({ onProgress: (line) => progress.push(line), timeoutMs: 150_000 });
    expect(run.finished).toBe(true);
    expect(run.results.map((result) => [result.task, result.merged, result.checks, result.review])).toEqual([
      ['TASK-1', true, 'passed', 'approved'],
      ['TASK-2', true, 'passed after 1 fix', 'approved'],
      ['TASK-3', true, 'passed', 'approved'],
    ]);
    // TASK-1 and TASK-3 edit the same lines: whichever merges second was rebased over a conflict.
    expect(run.results.filter((result) => result.rebases > 0).length).toBeGreaterThanOrEqual(1);
    expect(run.modelRequests['TASK-2:ci-failure']).toBeGreaterThan(0);
    expect(run.modelRequests.reviewer).toBeGreaterThanOrEqual(3);
    const conflictRoutes =
      (run.modelRequests['TASK-1:conflict'] ?? 0) + (run.modelRequests['TASK-3:conflict'] ?? 0);
    expect(conflictRoutes).toBeGreaterThan(0);
    expect(run.mainTestsPass).toBe(true);
    expect(run.mainHistory.join('\n')).toMatch(/TASK-2: fix failing checks/);
    for (const result of run.results) expect(result.turns).toBeGreaterThan(0);
    expect(progress).toContain('TASK-2: checks failed; the agent is resumed with the check log');
    expect(existsSync(run.sandboxRoot)).toBe(false);
  });
});
