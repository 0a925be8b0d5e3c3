import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AgentBackendV1, AgentEvent, AgentRunOptions, AgentRunResult } from '@loompa/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ModelScript, type ScriptedUsage, scriptedCostUsd } from '../model-servers/model-script.js';
import type { ScriptedModelServer } from '../model-servers/scripted-server.js';

export interface AgentBackendConformanceFixture {
  backend: AgentBackendV1;
  /**
   * The scripted model server the backend's CLI talks to (Anthropic- or OpenAI-compatible,
   * whichever the CLI speaks); the suite gives it a script per test.
   */
  server: ScriptedModelServer;
  /** The complete environment to run the agent with; it points the CLI at `server`. */
  env: Record<string, string>;
  /** The model to ask for, when the backend needs one. */
  model?: string;
  /** Prices (USD per million tokens) the CLI charges for that model, to check reported costs. */
  pricing: { inputPerMillion: number; outputPerMillion: number };
  cleanup?(): Promise<void>;
}

export interface AgentBackendConformanceOptions {
  name: string;
  /** Called once for the suite: CLIs are slow to set up, so one backend and server serve every test. */
  setup(): Promise<AgentBackendConformanceFixture>;
  /** Per-test timeout; real CLIs need more than the default. */
  testTimeoutMs?: number;
}

const gitIdentity = {
  GIT_AUTHOR_NAME: 'Loompa Conformance',
  GIT_AUTHOR_EMAIL: 'conformance@loompa.invalid',
  GIT_COMMITTER_NAME: 'Loompa Conformance',
  GIT_COMMITTER_EMAIL: 'conformance@loompa.invalid',
};

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...gitIdentity },
  });
}

interface Workspace {
  root: string;
  /** A git worktree on its own branch, where the agent works. */
  worktree: string;
  /** The agent's state directory for this test (kept between a run and its resume). */
  stateDirectory: string;
}

function createWorkspace(): Workspace {
  const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'loompa-agent-conformance-')));
  const repository = path.join(root, 'repository');
  execFileSync('git', ['init', '--quiet', '-b', 'main', repository]);
  execFileSync('sh', ['-c', 'printf "# Project\\n" > README.md'], { cwd: repository });
  git(repository, 'add', 'README.md');
  git(repository, 'commit', '--quiet', '-m', 'Initial commit');
  const worktree = path.join(root, 'worktree');
  git(repository, 'worktree', 'add', '--quiet', '-b', 'loompa/conformance', worktree);
  return { root, worktree, stateDirectory: path.join(root, 'state') };
}

/** Processes whose working directory is inside `directory` (Linux `/proc`). */
export function processesWorkingIn(directory: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === directory || cwd.startsWith(`${directory}/`)) pids.push(Number(entry));
    } catch {
      // The process ended or is not ours to inspect.
    }
  }
  return pids;
}

// An agent CLI's cold start (OpenCode unpacks and boots its runtime) takes well over 20 s on a
// busy 2-core machine; the wait stays inside the 60 s test timeout so a failure still says what.
async function waitFor(condition: () => boolean, what: string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const toolTurnUsage: ScriptedUsage = { inputTokens: 1200, outputTokens: 80 };
const answerTurnUsage: ScriptedUsage = { inputTokens: 1300, outputTokens: 40 };

/**
 * The behaviour every `AgentBackendV1` must show, checked against the real agent driven by
 * a scripted model server. Call it inside a vitest file.
 */
export function testAgentBackend(options: AgentBackendConformanceOptions): void {
  describe(`AgentBackendV1 conformance: ${options.name}`, {
    timeout: options.testTimeoutMs ?? 60_000,
  }, () => {
    let fixture: AgentBackendConformanceFixture;
    let workspace: Workspace | null = null;

    beforeAll(async () => {
      fixture = await options.setup();
    }, 120_000);
    afterAll(async () => {
      await fixture?.cleanup?.();
    });
    afterEach(() => {
      if (workspace) rmSync(workspace.root, { recursive: true, force: true });
      workspace = null;
    });

    const start = (script: ModelScript | ((worktree: string) => ModelScript)) => {
      workspace = createWorkspace();
      fixture.server.setScript(typeof script === 'function' ? script(workspace.worktree) : script);
      return workspace;
    };
    const runOptions = (space: Workspace, extra: Partial<AgentRunOptions> = {}): AgentRunOptions => ({
      prompt: 'Create hello.txt saying hello.',
      cwd: space.worktree,
      env: fixture.env,
      stateDirectory: space.stateDirectory,
      ...(fixture.model ? { model: fixture.model } : {}),
      ...extra,
    });
    const expectNoProcessLeft = (space: Workspace) => {
      expect(processesWorkingIn(space.worktree)).toEqual([]);
    };

    it('declares agent-backend-v1 and the secrets it uses', () => {
      expect(fixture.backend.specificationVersion).toBe('agent-backend-v1');
      expect(fixture.backend.name.length).toBeGreaterThan(0);
      for (const name of fixture.backend.secretEnvironmentVariables ?? [])
        expect(name).toMatch(/^[A-Z0-9_]+$/);
    });

    it('runs a scripted tool call that writes a file in the worktree, with exact usage and cost', async () => {
      const space = start((worktree) => ({
        turns: [
          {
            type: 'tool-calls',
            calls: [
              { action: 'write', path: path.join(worktree, 'hello.txt'), content: 'hello from the agent\n' },
            ],
            usage: toolTurnUsage,
          },
          { type: 'text', text: 'Wrote hello.txt.', usage: answerTurnUsage },
        ],
      }));
      const events: AgentEvent[] = [];
      const result = await fixture.backend.run(runOptions(space, { onEvent: (event) => events.push(event) }));

      expect(result.error).toBeUndefined();
      expect(result.status).toBe('completed');
      expect(readFileSync(path.join(space.worktree, 'hello.txt'), 'utf8')).toBe('hello from the agent\n');
      expect(git(space.worktree, 'status', '--porcelain')).toContain('?? hello.txt');
      expect(result.sessionId).toEqual(expect.any(String));
      expect(result.usage.inputTokens).toBe(toolTurnUsage.inputTokens + answerTurnUsage.inputTokens);
      expect(result.usage.outputTokens).toBe(toolTurnUsage.outputTokens + answerTurnUsage.outputTokens);
      const expectedCost = scriptedCostUsd(result.usage, fixture.pricing);
      expect(result.costUsd).toBeCloseTo(expectedCost, 9);
      expect(result.turns).toBeGreaterThanOrEqual(1);
      expect(result.finalText).toBe('Wrote hello.txt.');

      const sessionStart = events.find((event) => event.type === 'session-start');
      expect(sessionStart).toMatchObject({ sessionId: result.sessionId });
      const toolCall = events.find((event) => event.type === 'tool-call');
      expect(toolCall).toMatchObject({ toolName: expect.stringMatching(/^write$/i) });
      const toolResult = events.find((event) => event.type === 'tool-result');
      expect(toolResult).toMatchObject({
        isError: false,
        toolCallId: (toolCall as { toolCallId: string }).toolCallId,
      });
      expect(events).toContainEqual({ type: 'text', text: 'Wrote hello.txt.' });
      const lastUsage = events.filter((event) => event.type === 'usage').at(-1);
      expect(lastUsage).toMatchObject({ usage: result.usage });
      expect(fixture.server.modelRequests().map((request) => request.turnIndex)).toEqual([0, 1]);
      expectNoProcessLeft(space);
    });

    it('resumes the session: the second run carries the first conversation and reports only its own usage', async (context) => {
      const backend = fixture.backend;
      if (!backend.resume) {
        context.skip();
        return;
      }
      const space = start({ turns: [{ type: 'text', text: 'First answer.', usage: answerTurnUsage }] });
      const first = await backend.run(runOptions(space, { prompt: 'Remember the word marmalade.' }));
      expect(first.status).toBe('completed');
      expect(first.sessionId).toEqual(expect.any(String));

      const secondUsage = { inputTokens: 2000, outputTokens: 10 };
      fixture.server.setScript({ turns: [{ type: 'text', text: 'It was marmalade.', usage: secondUsage }] });
      const second = await backend.resume({
        ...runOptions(space, { prompt: 'Which word did I ask you to remember?' }),
        sessionId: first.sessionId!,
      });
      expect(second.error).toBeUndefined();
      expect(second.status).toBe('completed');
      expect(second.sessionId).toBe(first.sessionId);
      expect(second.finalText).toBe('It was marmalade.');
      expect(second.usage.inputTokens).toBe(secondUsage.inputTokens);
      expect(second.usage.outputTokens).toBe(secondUsage.outputTokens);
      expect(second.costUsd).toBeCloseTo(scriptedCostUsd(secondUsage, fixture.pricing), 9);
      const sent = JSON.stringify(fixture.server.modelRequests().at(-1)?.body);
      expect(sent).toContain('Remember the word marmalade.');
      expect(sent).toContain('First answer.');
      expect(sent).toContain('Which word did I ask you to remember?');
    });

    it('cancels through the abort signal and leaves no process behind', async () => {
      const space = start({ turns: [{ type: 'hang' }] });
      const controller = new AbortController();
      const running = fixture.backend.run(runOptions(space, { abortSignal: controller.signal }));
      await waitFor(() => fixture.server.modelRequests().length > 0, 'the agent to ask the model');
      expect(processesWorkingIn(space.worktree).length).toBeGreaterThan(0);
      controller.abort();
      const result = await running;
      expect(result.status).toBe('cancelled');
      expect(result.error?.kind).toBe('cancelled');
      expectNoProcessLeft(space);
    });

    it('returns cancelled without starting when the signal is already aborted', async () => {
      const space = start({ turns: [{ type: 'text', text: 'never' }] });
      const controller = new AbortController();
      controller.abort();
      const result = await fixture.backend.run(runOptions(space, { abortSignal: controller.signal }));
      expect(result.status).toBe('cancelled');
      expect(result.error?.kind).toBe('cancelled');
      expect(fixture.server.requests).toHaveLength(0);
    });

    it('stops a silent agent after the idle timeout', async () => {
      const space = start({ turns: [{ type: 'hang' }] });
      // "No output" includes a CLI's own silent start-up, so the test cannot insist the model was reached.
      const result = await fixture.backend.run(runOptions(space, { limits: { idleTimeoutMs: 2000 } }));
      expect(result.status).toBe('timed-out');
      expect(result.error?.kind).toBe('timeout');
      expectNoProcessLeft(space);
    });

    it('classifies a 401 from the model provider as auth', async () => {
      const space = start({ turns: [{ type: 'http-error', status: 401, message: 'invalid x-api-key' }] });
      const result = await fixture.backend.run(runOptions(space));
      expect(result.status).toBe('failed');
      expect(result.error?.kind).toBe('auth');
      expect(result.error?.message.length).toBeGreaterThan(0);
    });

    it('classifies a persistent 429 as rate-limit', async () => {
      const space = start({ turns: [{ type: 'http-error', status: 429, retryAfterMs: 100 }] });
      const result = await fixture.backend.run(runOptions(space));
      expect(result.status).toBe('failed');
      expect(result.error?.kind).toBe('rate-limit');
      if (result.error?.retryAfterMs !== undefined) expect(result.error.retryAfterMs).toBeGreaterThan(0);
    });

    it('fails with the reason when the model provider keeps answering 500', async () => {
      const space = start({
        turns: [{ type: 'http-error', status: 500, message: 'scripted outage', retryAfterMs: 100 }],
      });
      const result = await fixture.backend.run(runOptions(space));
      expect(result.status).toBe('failed');
      expect(result.error?.message).toMatch(/500|scripted outage/);
      expect(['unknown', 'process']).toContain(result.error?.kind);
    });

    it('stops at the turn limit with max-turns', async () => {
      const space = start({
        turns: [
          { type: 'tool-calls', calls: [{ action: 'run', command: 'echo one > one.txt' }] },
          { type: 'tool-calls', calls: [{ action: 'run', command: 'echo two > two.txt' }] },
          { type: 'tool-calls', calls: [{ action: 'run', command: 'echo three > three.txt' }] },
          { type: 'text', text: 'All done.' },
        ],
      });
      const result: AgentRunResult = await fixture.backend.run(
        runOptions(space, { limits: { maxTurns: 1 } }),
      );
      expect(result.status).toBe('failed');
      expect(result.error?.kind).toBe('max-turns');
      expect(existsSync(path.join(space.worktree, 'three.txt'))).toBe(false);
      expectNoProcessLeft(space);
    });
  });
}
