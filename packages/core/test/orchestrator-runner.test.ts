import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createTestIssue } from '@loompa/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createInProcessRunner,
  type RunnerAttemptContext,
  type RunnerAttemptResult,
  type RunnerV1,
} from '../src/index.js';
import { createOrchestratorFixture, type Fixture } from './helpers/orchestrator-fixture.js';

let fixture: Fixture | null = null;
afterEach(async () => {
  await fixture?.cleanup();
  fixture = null;
});

/** A runner that hands every attempt to the in-process runner and keeps what it was given and returned. */
function recordingRunner() {
  const inProcess = createInProcessRunner();
  const attempts: Array<{ context: RunnerAttemptContext; result: RunnerAttemptResult }> = [];
  const runner: RunnerV1 = {
    specificationVersion: 'runner-v1',
    name: 'recording',
    async runAttempt(context) {
      const result = await inProcess.runAttempt(context);
      attempts.push({ context, result });
      return result;
    },
  };
  return { runner, attempts };
}

describe('the runner slot', () => {
  it('runs every attempt through the runner it is given, with the decided agent, environment and turns', async () => {
    const { runner, attempts } = recordingRunner();
    fixture = await createOrchestratorFixture({
      issues: [createTestIssue({ identifier: 'RUN-1', title: 'Through the runner' })],
      agentCommand: 'cat > prompt.txt',
      frontMatter: { agent: { max_turns: 1 } },
      orchestrator: { runner },
    });
    await fixture.orchestrator.runOnce();
    expect(attempts).toHaveLength(1);
    const [{ context, result }] = attempts as [(typeof attempts)[number]];
    expect(context.issue.identifier).toBe('RUN-1');
    expect(context.agentKind).toBe('command');
    expect(context.publishesAfterRun).toBe(false);
    expect(context.environment.PATH).toBeTruthy();
    expect(result.outcome).toEqual({ kind: 'completed' });
    expect(result.workspace?.path).toBe(path.join(fixture.workspaceRoot, 'RUN-1'));
    const prompt = await readFile(path.join(result.workspace!.path, 'prompt.txt'), 'utf8');
    expect(prompt).toContain('Work on RUN-1: Through the runner');
    // The orchestrator, not the runner, decided what comes next: a continuation after a clean exit.
    expect(fixture.eventsOf('retry-scheduled')).toEqual([
      expect.objectContaining({ issueIdentifier: 'RUN-1', reason: 'continuation after a clean exit' }),
    ]);
  });

  it('refuses a runner that speaks another version of the slot, saying which', async () => {
    const runner = { ...createInProcessRunner(), specificationVersion: 'runner-v0' } as unknown as RunnerV1;
    await expect(
      createOrchestratorFixture({ issues: [], agentCommand: 'true', orchestrator: { runner } }),
    ).rejects.toThrow(/runner-v1/);
  });
});
