import { existsSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentBackendError } from '../errors/error-classes.js';
import { isProcessAlive } from '../processes/process-state.js';
import { registerSecret } from '../secrets/redact-secrets.js';
import type { AgentEvent, AgentRunOptions, AgentRunResult } from '../specifications/agent-backend.js';
import { commandAgent, createCommandAgent } from './command-agent.js';

const waitOptions = { timeout: 15_000, interval: 25 };
const environment = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

let directory: string;
beforeEach(async () => {
  directory = await realpath(await mkdtemp(path.join(os.tmpdir(), 'loompa-command-agent-')));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function run(
  command: string | string[],
  options: Partial<AgentRunOptions> = {},
): Promise<{ result: AgentRunResult; events: AgentEvent[]; texts: string[] }> {
  const events: AgentEvent[] = [];
  const result = await createCommandAgent({ command }).run({
    prompt: 'the prompt',
    cwd: directory,
    env: environment,
    onEvent: (event) => events.push(event),
    ...options,
  });
  const texts = events.flatMap((event) => (event.type === 'text' ? [event.text] : []));
  return { result, events, texts };
}

async function readPid(name: string): Promise<number> {
  let pid = Number.NaN;
  await vi.waitFor(async () => {
    pid = Number((await readFile(path.join(directory, name), 'utf8')).trim());
    expect(pid).toBeGreaterThan(0);
  }, waitOptions);
  return pid;
}

async function expectGone(pids: number[]): Promise<void> {
  for (const pid of pids) await vi.waitFor(() => expect(isProcessAlive(pid)).toBe(false), waitOptions);
}

/** A command that records its shell's and a background child's pids, then waits. */
const waitingCommand = 'echo $$ > shell.pid; echo started; sleep 60 & echo $! > sleeper.pid; wait';

describe('createCommandAgent', () => {
  it('writes the prompt to stdin and runs in the working directory; exit 0 is completed', async () => {
    const prompt = 'Fix the bug\nin two lines, with "quotes" and $dollars';
    const { result } = await run('cat > prompt.txt; pwd > cwd.txt; echo answer', { prompt });
    expect(result).toEqual({
      status: 'completed',
      sessionId: null,
      usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
      costUsd: null,
      turns: 1,
      finalText: 'answer',
    });
    expect(await readFile(path.join(directory, 'prompt.txt'), 'utf8')).toBe(prompt);
    expect(await readFile(path.join(directory, 'cwd.txt'), 'utf8')).toBe(`${directory}\n`);
  });

  it('gives the process exactly the environment it was handed', async () => {
    process.env.LOOMPA_COMMAND_AGENT_LEAK = 'from-the-parent';
    try {
      await run('env > environment.txt', { env: { ...environment, HANDED_OVER: 'yes' } });
    } finally {
      delete process.env.LOOMPA_COMMAND_AGENT_LEAK;
    }
    const written = await readFile(path.join(directory, 'environment.txt'), 'utf8');
    expect(written).toContain('HANDED_OVER=yes');
    expect(written).not.toContain('LOOMPA_COMMAND_AGENT_LEAK');
  });

  it('runs an argv list without a shell', async () => {
    const { result, texts } = await run(['printf', '%s|%s\\n', 'one two', '$HOME']);
    expect(result.status).toBe('completed');
    expect(texts).toEqual(['one two|$HOME']);
  });

  it('emits every non-blank output line, from both streams, as a text event', async () => {
    const { result, events, texts } = await run("printf 'one\\ntwo\\n\\n   \\nthree'; echo on-stderr >&2");
    expect(events.every((event) => event.type === 'text')).toBe(true);
    expect(texts.filter((text) => text !== 'on-stderr')).toEqual(['one', 'two', 'three']);
    expect(texts).toContain('on-stderr');
    expect(result.finalText).toBe('one\ntwo\n\n   \nthree');
  });

  it('a non-zero exit is failed with kind process and the output tail', async () => {
    const { result } = await run('echo working; yes filler | head -n 2000; echo "it broke" >&2; exit 4');
    expect(result.status).toBe('failed');
    expect(result.error?.kind).toBe('process');
    expect(result.error?.message).toMatch(/^The agent command exited with 4: /);
    expect(result.error?.message).toContain('it broke');
    expect(result.error?.message).not.toContain('working');
    expect(result.error!.message.length).toBeLessThan(1_100);
  });

  it('a command the shell cannot find fails with its message', async () => {
    const { result } = await run('no-such-agent-command --flag');
    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain('exited with 127');
    expect(result.error?.message).toContain('no-such-agent-command');
  });

  it('a missing executable is a clear error naming it', async () => {
    const error = await run(['/nonexistent/agent-binary', '--go']).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AgentBackendError);
    expect((error as AgentBackendError).code).toBe('agent_backend_failed');
    expect((error as Error).message).toContain('Cannot start agent command "/nonexistent/agent-binary"');
    expect((error as Error).message).toContain('ENOENT');
  });

  it('stops a silent run after the idle timeout, with its whole process group', async () => {
    const running = run(waitingCommand, { limits: { idleTimeoutMs: 700 } });
    const pids = await Promise.all([readPid('shell.pid'), readPid('sleeper.pid')]);
    const { result } = await running;
    expect(result.status).toBe('timed-out');
    expect(result.error?.kind).toBe('timeout');
    expect(result.error?.message).toMatch(/no output for 700 ms/i);
    expect(result.finalText).toBe('started');
    await expectGone(pids);
  });

  it('output keeps an idle timeout from firing', async () => {
    const { result, texts } = await run('for i in $(seq 1 30); do echo "tick $i"; sleep 0.1; done', {
      limits: { idleTimeoutMs: 2_000 },
    });
    expect(result.status).toBe('completed');
    expect(texts).toHaveLength(30);
  });

  it('stops a run that takes longer than the run timeout, even while it keeps talking', async () => {
    const { result, texts } = await run('echo $$ > shell.pid; while true; do echo tick; sleep 0.05; done', {
      limits: { runTimeoutMs: 1_000, idleTimeoutMs: 20_000 },
    });
    expect(result.status).toBe('timed-out');
    expect(result.error?.kind).toBe('timeout');
    expect(result.error?.message).toMatch(/longer than 1000 ms/);
    expect(texts.length).toBeGreaterThan(0);
    await expectGone([await readPid('shell.pid')]);
  });

  it('cancellation stops the run and leaves no process behind', async () => {
    const controller = new AbortController();
    const running = run(waitingCommand, { abortSignal: controller.signal });
    const pids = await Promise.all([readPid('shell.pid'), readPid('sleeper.pid')]);
    controller.abort();
    const { result } = await running;
    expect(result.status).toBe('cancelled');
    expect(result.error?.kind).toBe('cancelled');
    await expectGone(pids);
  });

  it('does not start when cancelled beforehand', async () => {
    const { result } = await run('touch started', { abortSignal: AbortSignal.abort() });
    expect(result.status).toBe('cancelled');
    expect(existsSync(path.join(directory, 'started'))).toBe(false);
  });

  it('ends when the command exits, stopping what it left in the background', async () => {
    const { result } = await run('sleep 60 & echo $! > background.pid; echo finished', {
      // Long enough that only the command's own exit can end the run as completed.
      limits: { idleTimeoutMs: 25_000 },
    });
    expect(result.status).toBe('completed');
    expect(result.finalText).toBe('finished');
    await expectGone([await readPid('background.pid')]);
  });

  it('redacts secrets from events, the final text and the error', async () => {
    const token = `ghp_${'b'.repeat(36)}`;
    const registered = 'registered-secret-value-123';
    registerSecret(registered);
    const failed = await run(`echo "token ${token}"; echo "also ${registered}" >&2; exit 1`);
    const completed = await run(`echo "token ${token}" >&2`);
    for (const { result, events } of [failed, completed]) {
      const everything = JSON.stringify({ result, events });
      expect(everything).not.toContain(token);
      expect(everything).not.toContain(registered);
      expect(everything).toContain('[REDACTED]');
    }
    expect(failed.texts).toContain('token [REDACTED]');
    expect(completed.result.finalText).toBe('token [REDACTED]');
  });

  it('validates its settings, also through the plugin definition', () => {
    expect(() => createCommandAgent({ command: '' })).toThrow();
    expect(() => createCommandAgent({ command: [] })).toThrow();
    expect(commandAgent.settingsSchema!.safeParse({ command: ['claude', '-p'] }).success).toBe(true);
    expect(commandAgent.settingsSchema!.safeParse({}).success).toBe(false);
    const agent = createCommandAgent({ command: 'true' });
    expect(agent.specificationVersion).toBe('agent-backend-v1');
    expect(agent.resume).toBeUndefined();
  });
});
